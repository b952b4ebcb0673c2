"""Helpers shared by the security audit modules (one module per row of the security promises)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from matchmaker.app import create_app
from tests.conftest import CsrfClient, test_config
from tests.factories import PASSWORD

_CSRF_VALUE_RE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")|(value=")[^"]+('
                            r'"[^>]*name="csrf_token")')


#: valid form data of a need and of an offer, with the version an edit names
NEED_FIELDS = {
    "title": "Penerangan jalan umum pintar", "description": "PJU pintar yang hemat energi dan "
    "dapat dipantau dari pusat kendali kota.", "dimension": "environment", "tags": "PJU",
    "budget_min": "100", "budget_max": "200", "stage": "quick_win", "priority": "2",
    "version": "1",
}
OFFER_FIELDS = {
    "title": "Kontroler PJU pintar", "description": "Kontroler lampu jalan dengan dimming dan "
    "dasbor pemantauan terpusat.", "dimension": "environment", "tags": "PJU",
    "national": "y", "maturity": "proven", "version": "1",
}


def make_app(database_url: str, **overrides: Any) -> Flask:
    """A second app on the test database with some settings changed (the ``app`` fixture's
    tables are emptied after the test as usual)."""
    app = create_app(test_config(database_url, **overrides))
    app.test_client_class = CsrfClient
    return app


def login(client: Any, email: str, password: str = PASSWORD, *, addr: str = "127.0.0.1",
          **data: str) -> Any:
    """POST the login form from a chosen client address (throttling is keyed on it)."""
    return client.post("/auth/login", data={"email": email, "password": password, **data},
                       environ_base={"REMOTE_ADDR": addr})


def signed_in_client(app: Flask, user: Any) -> Any:
    """A fresh test client of ``app`` logged in as ``user``."""
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client


def remembered_cookies(client: Any, email: str) -> tuple[str, str]:
    """Log in with "remember me"; the session and remember cookies' values, to replay later."""
    assert login(client, email, remember="y").status_code == 302
    session_cookie = client.get_cookie("session")
    remember_cookie = client.get_cookie("remember_token")
    assert session_cookie is not None and remember_cookie is not None
    return session_cookie.value, remember_cookie.value


def replay(app: Flask, name: str, value: str) -> Any:
    """The dashboard requested from a new browser carrying only one old cookie."""
    replayer = app.test_client()
    replayer.set_cookie(name, value)
    return replayer.get("/dashboard")


def set_cookies(response: Any) -> dict[str, dict[str, str | bool]]:
    """Set-Cookie headers as {name: {"value": ..., attribute: value-or-True}}."""
    found: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = first.partition("=")
        parsed: dict[str, str | bool] = {"value": value}
        for attribute in attributes:
            key, sep, attr_value = attribute.partition("=")
            parsed[key.lower()] = attr_value if sep else True
        found[name] = parsed
    return found


def location_path(response: Any) -> str:
    assert response.status_code in (302, 303)
    return str(response.headers["Location"])


def normalised(body: str, email: str | None = None) -> str:
    """A page with its CSRF token and the e-mail address typed in blanked out, so that two
    answers can be compared byte for byte."""
    body = _CSRF_VALUE_RE.sub(lambda m: "".join(g or "" for g in m.groups()), body)
    return body.replace(email, "EMAIL") if email else body


def cookie_shapes(response: Any) -> list[str]:
    """Set-Cookie headers without their values: names and attributes, sorted."""
    return sorted(re.sub(r"=[^;]*", "=", header, count=1)
                  for header in response.headers.getlist("Set-Cookie"))


def fresh(db: Any, model: Any, row_id: int) -> Any:
    """The row as the database has it now (a new snapshot, nothing cached)."""
    db.rollback()
    db.expire_all()
    return db.get(model, row_id)


def too_large_post(app: Flask, client: Any) -> Any:
    """A login POST 1 KB over ``MAX_CONTENT_LENGTH``."""
    size = app.config["MAX_CONTENT_LENGTH"] + 1024
    return client.post("/auth/login", data=b"a=" + b"x" * size,
                       content_type="application/x-www-form-urlencoded")


def argon2_params(stored: str) -> dict[str, int]:
    """``$argon2id$v=19$m=65536,t=3,p=4$salt$hash`` -> {"m": 65536, "t": 3, "p": 4}."""
    parts = stored.split("$")
    return {key: int(value) for key, value in (p.split("=") for p in parts[3].split(","))}
