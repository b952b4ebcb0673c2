"""Session fixation: logging in starts a new session (planted values and CSRF token gone)."""

from __future__ import annotations


def test_login_drops_planted_session_values_and_the_csrf_token(client, auth, make):
    user = make.user()
    client.csrf_token()
    with client.session_transaction() as session:
        session["planted"] = "attacker"
        planted_token = session["csrf_token"]

    assert auth.login(user.email).status_code == 302

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != planted_token
        assert session.get("_user_id", "").startswith(f"{user.id}:")
