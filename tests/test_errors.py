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
from matchmaker.models import Role, UserStatus
from tests.conftest import CsrfClient, test_config
from tests.factories import PASSWORD

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
