"""One error vocabulary: each error status as a page in the user's language or as JSON
``{error, message, request_id}``, never a traceback, always logged with the request id."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, abort
from sqlmodel import Session

from matchmaker.app import create_app
from matchmaker.models import (
    Match,
    Need,
    Notification,
    Organization,
    Role,
    UserStatus,
)
from tests.conftest import CsrfClient, test_config
from tests.factories import PASSWORD
from tests.security.support import fresh, signed_in_client

JSON = {"Accept": "application/json"}
LEAKS = ("Traceback", 'File "', "RuntimeError", "kaboom")


@pytest.fixture
def db(engine):
    """Like conftest's ``db`` but without holding an app context open: with one open, every
    test-client request shares its ``g`` (CSRF token, current user, request id, db session)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _boom_app(database_url: str) -> Flask:
    app = create_app(test_config(database_url))
    app.test_client_class = CsrfClient

    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom: internal detail")

    @app.route("/api/boom")
    def api_boom():
        raise RuntimeError("kaboom: internal detail")

    @app.route("/api/forbidden")
    def api_forbidden():
        abort(403)

    return app


class Scenario:
    """What a trigger needs: a browser in a given language, sending given headers."""

    def __init__(self, app: Flask, make: Any, database_url: str, lang: str,
                 headers: dict[str, str]) -> None:
        self.app, self.make, self.database_url = app, make, database_url
        self.lang, self.headers = lang, headers
        self.client = self.browser(app)

    def browser(self, app: Flask) -> CsrfClient:
        client: CsrfClient = app.test_client()  # type: ignore[assignment]
        client.set_cookie("lang", self.lang)
        return client

    def log_in_as(self, role: str) -> None:
        user = self.make.user(role=role, language=self.lang)
        response = self.client.post("/auth/login", data={"email": user.email,
                                                        "password": PASSWORD})
        assert response.status_code == 302


def _bad_request(s: Scenario):
    return s.client.post("/auth/login", data={"email": "a@example.com", "password": "x"},
                         csrf=False, headers=s.headers)


def _forbidden(s: Scenario):
    s.log_in_as(Role.VENDOR)
    return s.client.get("/coordinator/accounts", headers=s.headers)


def _not_found(s: Scenario):
    return s.client.get("/no-such-page", headers=s.headers)


def _method_not_allowed(s: Scenario):
    return s.client.get("/auth/logout", headers=s.headers)


def _conflict(s: Scenario):
    already_active = s.make.user(role=Role.VENDOR)
    s.log_in_as(Role.COORDINATOR)
    return s.client.post(f"/coordinator/accounts/{already_active.id}/verify", data={},
                         headers=s.headers)


def _too_large(s: Scenario):
    size = s.app.config["MAX_CONTENT_LENGTH"] + 1024
    return s.client.post("/auth/login", data=b"a=" + b"x" * size, headers=s.headers,
                         content_type="application/x-www-form-urlencoded")


def _unprocessable(s: Scenario):
    pending = s.make.user(role=Role.VENDOR, status=UserStatus.PENDING)
    s.log_in_as(Role.COORDINATOR)
    return s.client.post(f"/coordinator/accounts/{pending.id}/reject", data={"reason": ""},
                         headers=s.headers)


def _too_many(s: Scenario):
    user = s.make.user()
    for n in range(10):  # ten failures on one account from one address
        s.client.post("/auth/login", data={"email": user.email, "password": f"wrong-{n}"},
                      environ_base={"REMOTE_ADDR": "10.5.0.1"})
    return s.client.post("/auth/login", data={"email": user.email, "password": "wrong"},
                         headers=s.headers, environ_base={"REMOTE_ADDR": "10.5.0.1"})


def _server_error(s: Scenario):
    return s.browser(_boom_app(s.database_url)).get("/boom", headers=s.headers)


TRIGGERS: dict[int, Callable[[Scenario], Any]] = {
    400: _bad_request, 403: _forbidden, 404: _not_found, 405: _method_not_allowed,
    409: _conflict, 413: _too_large, 422: _unprocessable, 429: _too_many, 500: _server_error,
}


def _logged_with(caplog: pytest.LogCaptureFixture, rid: str) -> bool:
    return any(rid in record.getMessage() for record in caplog.records
               if record.name == "matchmaker.errors")


def _assert_no_leak(body: str) -> None:
    for leak in LEAKS:
        assert leak not in body, leak


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("status", list(TRIGGERS))
def test_each_error_is_a_page_in_the_users_language(app, make, database_url, caplog, status,
                                                     lang):
    caplog.set_level(logging.INFO, logger="matchmaker.errors")
    response = TRIGGERS[status](Scenario(app, make, database_url, lang, {}))

    assert response.status_code == status
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert re.search(rf'<html lang="{lang}"', body)
    rid = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", rid)
    assert f"<code>{rid}</code>" in body
    assert f"{status}</p>" in body
    _assert_no_leak(body)
    assert _logged_with(caplog, rid)
    if status == 429:
        assert int(response.headers["Retry-After"]) > 0
    if status == 405:
        assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("status", list(TRIGGERS))
def test_each_error_is_json_when_json_is_asked_for(app, make, database_url, caplog, status):
    caplog.set_level(logging.INFO, logger="matchmaker.errors")
    response = TRIGGERS[status](Scenario(app, make, database_url, "en", JSON))

    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert {"error", "message", "request_id"} <= set(body)
    assert body["error"] and body["message"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    _assert_no_leak(response.get_data(as_text=True))
    assert _logged_with(caplog, body["request_id"])


@pytest.mark.parametrize("path,status", [("/api/no-such-thing", 404), ("/api/boom", 500),
                                         ("/api/forbidden", 403)])
def test_api_paths_answer_json_even_to_a_browser(database_url, caplog, path, status):
    client = _boom_app(database_url).test_client()
    response = client.get(path, headers={"Accept": "text/html,*/*;q=0.8"})

    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert body["request_id"] == response.headers["X-Request-ID"]
    _assert_no_leak(response.get_data(as_text=True))
    assert _logged_with(caplog, body["request_id"])


def test_an_unexpected_error_is_logged_with_its_traceback_but_not_shown(database_url, caplog):
    response = _boom_app(database_url).test_client().get("/boom")

    rid = response.headers["X-Request-ID"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and rid in r.getMessage()]
    assert errors and errors[0].exc_info is not None
    assert "kaboom" not in response.get_data(as_text=True)


def test_a_well_formed_request_id_from_a_proxy_is_kept(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "edge-1234abcd"})
    assert response.headers["X-Request-ID"] == "edge-1234abcd"
    assert "<code>edge-1234abcd</code>" in response.get_data(as_text=True)


@pytest.mark.parametrize("offered", ["<script>alert(1)</script>", "short", "a" * 65, "x y z 123"])
def test_a_malformed_request_id_is_replaced(client, offered):
    response = client.get("/no-such-page", headers={"X-Request-ID": offered})
    rid = response.headers["X-Request-ID"]
    assert rid != offered
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    assert "<script>alert(1)" not in response.get_data(as_text=True)


def test_every_response_carries_a_distinct_request_id(client):
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


HUGE = (2**31, 2**63, 9223372036854775808, 10**30)


def test_opening_a_notification_is_a_post_not_a_get(client, auth, make, db):
    user = make.user("vendor")
    match = make.match(make.need(), make.offer(db.get(Organization, user.organization_id)))
    item = Notification(user_id=user.id, match_id=match.id, kind="proposed")
    db.add(item)
    db.commit()
    auth.login(user.email)
    assert client.get(f"/notifications/{item.id}").status_code == 405
    assert fresh(db, Notification, item.id).read_at is None


@pytest.mark.parametrize("huge", HUGE)
def test_every_int_route_answers_404_to_an_id_no_column_can_hold(app, make, huge):
    rules = list(_int_rules(app))
    assert len(rules) >= 10
    anonymous, coordinator = app.test_client(), signed_in_client(app, make.user("coordinator"))
    city = signed_in_client(app, make.user("city_official"))
    for rule, names in rules:
        words = {name: "accept" for name in rule.arguments - set(names)}  # e.g. action
        path = rule.build({name: 1 for name in names} | words)[1]
        path = path.replace("/1", f"/{huge}")
        for browser in (anonymous, coordinator, city):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = browser.open(path, method=method)
                assert response.status_code == 404, (method, path, response.status_code)


def test_zero_and_negative_ids_are_404(client):
    for path in ("/needs/0", "/needs/-1", "/offers/0", "/matches/0"):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize("version", ["9223372036854775808", "2147483648", "0", "-1", "1e3"])
def test_an_out_of_range_version_on_edit_is_422_and_changes_nothing(client, auth, make, db,
                                                                    version):
    user = make.user("city_official")
    need = make.need(db.get(Organization, user.organization_id))
    auth.login(user.email)
    data = {"title": "Penerangan jalan umum pintar", "description": "PJU pintar yang hemat "
            "energi dan dapat dipantau dari pusat kendali kota.", "dimension": "environment",
            "tags": "PJU", "budget_min": "100", "budget_max": "200", "stage": "quick_win",
            "priority": "2", "version": version}
    assert client.post(f"/needs/{need.id}/edit", data=data).status_code == 422
    assert fresh(db, Need, need.id).version == 1


@pytest.mark.parametrize("version", ["9223372036854775808", "2147483648", "0", "abc"])
def test_an_out_of_range_version_on_a_match_action_is_422_and_changes_nothing(
        client, auth, make, db, version):
    city = make.user("city_official")
    match = make.match(make.need(db.get(Organization, city.organization_id)), make.offer())
    auth.login(city.email)
    assert client.post(f"/matches/{match.id}/accept",
                       data={"version": version}).status_code == 422
    assert fresh(db, Match, match.id).state == "proposed"


def _int_rules(app):
    for rule in app.url_map.iter_rules():
        names = [name for name, conv in rule._converters.items()
                 if type(conv).__name__ == "DatabaseIdConverter"]
        if names:
            yield rule, names
