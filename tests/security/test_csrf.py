"""CSRF: every form needs this session's token, and tokens expire."""

from __future__ import annotations

import time

from matchmaker.app import create_app
from tests.conftest import test_config
from tests.factories import PASSWORD
from tests.security.support import make_app


def test_a_form_post_without_a_csrf_token_is_refused_with_a_friendly_400(client, make):
    user = make.user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD},
                           csrf=False)

    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Muat ulang halaman dan coba lagi" in body
    assert "<html" in body and "Traceback" not in body
    assert client.get("/dashboard").status_code == 302


def test_a_csrf_token_from_another_session_is_refused(app, client, make):
    user = make.user()
    client.csrf_token()  # this browser has a session and a token of its own
    foreign = app.test_client().csrf_token()

    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                                "csrf_token": foreign})

    assert response.status_code == 400
    assert "Muat ulang halaman dan coba lagi" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_logout_without_a_csrf_token_keeps_the_session(client, auth, make):
    auth.login(make.user().email)
    assert client.post("/auth/logout", data={}, csrf=False).status_code == 400
    assert client.get("/dashboard").status_code == 200


def test_csrf_tokens_expire(database_url, make):
    assert create_app(test_config(database_url)).config["WTF_CSRF_TIME_LIMIT"]
    app = make_app(database_url, WTF_CSRF_TIME_LIMIT=1)
    client = app.test_client()
    token = client.csrf_token()
    time.sleep(2.1)
    response = client.post("/auth/login", data={"email": "a@example.test", "password": "x",
                                                "csrf_token": token})
    assert response.status_code == 400
