"""Cookies: HttpOnly, SameSite=Lax, Secure under HTTPS, remember cookie at most 30 days."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from tests.factories import PASSWORD
from tests.security.support import login, make_app, set_cookies


def _check_cookie_flags(cookie: dict[str, str | bool], *, secure: bool) -> None:
    assert cookie.get("httponly") is True
    assert str(cookie.get("samesite", "")).lower() == "lax"
    assert bool(cookie.get("secure")) is secure


def test_session_and_remember_cookies_are_httponly_lax_and_short_lived(client, make):
    user = make.user()
    response = login(client, user.email, remember="y")
    cookies = set_cookies(response)

    _check_cookie_flags(cookies["session"], secure=False)
    _check_cookie_flags(cookies["remember_token"], secure=False)
    expires = parsedate_to_datetime(str(cookies["remember_token"]["expires"]))
    assert expires <= datetime.now(UTC) + timedelta(days=30)
    assert expires > datetime.now(UTC) + timedelta(days=1)


def test_cookies_are_secure_when_https_is_forced(database_url, make):
    app = make_app(database_url, FORCE_HTTPS=True)
    user = make.user()
    client = app.test_client()
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/"}}
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/auth/login", **https).get_data(as_text=True))
    assert token

    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                                "remember": "y", "csrf_token": token.group(1)},
                           **https)

    assert response.status_code == 302
    cookies = set_cookies(response)
    _check_cookie_flags(cookies["session"], secure=True)
    _check_cookie_flags(cookies["remember_token"], secure=True)
    assert cookies["lang"].get("secure") is True


def test_the_language_cookie_is_secure_when_https_is_forced(database_url, make):
    app = make_app(database_url, FORCE_HTTPS=True)
    user = make.user()
    client = app.test_client()
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/"}}
    login = client.post("/auth/login", data={"email": user.email, "password": PASSWORD},
                        **https)
    assert "Secure" in _cookie(login, "lang")
    switch = client.post("/language", data={"language": "en"}, **https)
    assert "Secure" in _cookie(switch, "lang")
    profile = client.post("/auth/profile", data={"name": "Nama", "language": "id"}, **https)
    assert "Secure" in _cookie(profile, "lang")


def _cookie(response, name: str) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))
