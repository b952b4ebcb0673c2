"""Control characters never reach the database, and closed postings cannot be edited."""

import pytest
from pydantic import ValidationError

from matchmaker.models import NeedCreate, Organization


def _need(**overrides):
    values = {"title": "Penerangan jalan umum", "description": "PJU pintar hemat energi untuk "
              "seluruh ruas jalan kota.", "dimension": "environment", "tags": "PJU",
              "unbudgeted": True, "stage": "quick_win"}
    return {**values, **overrides}


@pytest.mark.parametrize("field", ["title", "description", "tags"])
def test_control_characters_are_refused_in_free_text(field):
    with pytest.raises(ValidationError) as caught:
        NeedCreate.model_validate(_need(**{field: "Lampu\x00 jalan pintar untuk kota kami"}))
    assert [e["type"] for e in caught.value.errors()] == ["control_characters"]


def test_line_breaks_and_tabs_stay_allowed():
    need = NeedCreate.model_validate(_need(description="Baris satu.\n\tBaris dua yang cukup "
                                                       "panjang untuk aturan."))
    assert "\n\t" in need.description


def test_nul_byte_in_any_form_or_query_value_is_a_400(client):
    assert client.get("/needs/?q=lampu%00jalan").status_code == 400
    response = client.post("/auth/login", data={"email": "a\x00@b.id", "password": "x"})
    assert response.status_code == 400


def test_closed_need_edit_form_answers_409(client, auth, make, db):
    city = make.user("city_official")
    need = make.need(db.get(Organization, city.organization_id), status="closed")
    auth.login(city.email)
    assert client.get(f"/needs/{need.id}/edit").status_code == 409
