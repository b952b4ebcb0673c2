"""Mass assignment: a form POST carrying a field it does not declare is a 422 and saves nothing."""

from __future__ import annotations

import pytest

from matchmaker.models import Match, Need, Organization, User
from tests.security.support import fresh

FORGED = ("status", "organization_id", "id", "user_id")


@pytest.mark.parametrize("field", FORGED)
def test_one_button_actions_refuse_undeclared_fields(client, auth, make, db, field):
    city = make.user("city_official")
    need = make.need(db.get(Organization, city.organization_id))
    match = make.match(need, make.offer())
    auth.login(city.email)
    for path in (f"/needs/{need.id}/close", "/notifications/read-all",
                 f"/matches/{match.id}/accept"):
        response = client.post(path, data={field: "1", "version": str(match.version)}
                               if "matches" in path else {field: "1"})
        assert response.status_code == 422, path
    assert fresh(db, Need, need.id).status == "open"
    assert db.get(Match, match.id).state == "proposed"


def test_version_is_refused_where_it_does_not_belong(client, auth, make, db):
    city = make.user("city_official")
    need = make.need(db.get(Organization, city.organization_id))
    auth.login(city.email)
    assert client.post(f"/needs/{need.id}/close", data={"version": "1"}).status_code == 422
    assert client.post("/auth/profile", data={"name": "Nama Baru", "language": "id",
                                              "version": "3"}).status_code == 422
    assert fresh(db, Need, need.id).status == "open"
    assert db.get(User, city.id).name != "Nama Baru"


def test_the_language_switch_accepts_its_next_field(client):
    assert client.post("/language", data={"language": "en", "next": "/needs/"}).status_code \
        == 302
