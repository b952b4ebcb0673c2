"""Logout and password change invalidate every old session and remember cookie."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.factories import PASSWORD
from tests.security.support import location_path, login, remembered_cookies, replay

NEW_PASSWORD = "a-brand-new-passphrase"


def test_old_session_and_remember_cookies_are_rejected_after_logout(app, client, auth, make):
    user = make.user()
    session_value, remember_value = remembered_cookies(client, user.email)
    # Before logout each cookie alone is enough to get in: the replay below is a real one.
    assert replay(app, "session", session_value).status_code == 200
    assert replay(app, "remember_token", remember_value).status_code == 200

    logout = auth.logout()
    assert urlsplit(location_path(logout)).path == "/auth/login"

    for name, value in (("session", session_value), ("remember_token", remember_value)):
        answer = replay(app, name, value)
        assert answer.status_code == 302, name
        assert urlsplit(answer.headers["Location"]).path == "/auth/login"
    assert client.get("/dashboard").status_code == 302


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app, client, auth, make):
    user = make.user()
    other_device = app.test_client()
    other_session, other_remember = remembered_cookies(other_device, user.email)
    assert auth.login(user.email).status_code == 302

    response = client.post("/auth/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})

    assert urlsplit(location_path(response)).path == "/auth/profile"
    assert client.get("/dashboard").status_code == 200
    assert other_device.get("/dashboard").status_code == 302
    assert replay(app, "session", other_session).status_code == 302
    assert replay(app, "remember_token", other_remember).status_code == 302
    assert login(app.test_client(), user.email).status_code == 200  # the old password
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_a_wrong_current_password_changes_nothing(app, client, auth, make):
    user = make.user()
    other_device = app.test_client()
    remembered_cookies(other_device, user.email)
    auth.login(user.email)

    response = client.post("/auth/password", data={
        "current": "not-my-password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 422
    assert other_device.get("/dashboard").status_code == 200
    assert login(app.test_client(), user.email).status_code == 302
