"""The security baseline of docs/SECURITY.md: enumeration, sessions, cookies, ``next``, login
throttling, CSRF, security headers and request size limits."""

from __future__ import annotations

import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlmodel import Session

from matchmaker.app import create_app
from tests.conftest import CsrfClient, test_config
from tests.factories import PASSWORD

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
NEW_PASSWORD = "a-brand-new-passphrase"
_CSRF_VALUE_RE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")|(value=")[^"]+('
                            r'"[^>]*name="csrf_token")')


@pytest.fixture
def db(engine):
    """Like conftest's ``db`` but without holding an app context open: with one open, every
    test-client request shares its ``g`` (CSRF token, current user, request id, db session)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _app(database_url: str, **overrides) -> Flask:
    app = create_app(test_config(database_url, **overrides))
    app.test_client_class = CsrfClient
    return app


def _login(client, email: str, password: str = PASSWORD, *, addr: str = "127.0.0.1", **kw):
    return client.post("/auth/login", data={"email": email, "password": password, **kw},
                       environ_base={"REMOTE_ADDR": addr})


def _cookies(response) -> dict[str, dict[str, str | bool]]:
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


def _location_path(response) -> str:
    assert response.status_code in (302, 303)
    return response.headers["Location"]


# --- enumeration ------------------------------------------------------------------------------


def _normalised(body: str, email: str) -> str:
    body = _CSRF_VALUE_RE.sub(lambda m: "".join(g or "" for g in m.groups()), body)
    return body.replace(email, "EMAIL")


def test_unknown_email_and_wrong_password_answer_the_same(app, make):
    user = make.user()
    unknown = "nobody-at-all@example.com"

    # Each from a new browser, so both start from the same session state.
    wrong = _login(app.test_client(), user.email, "wrong-password-123", addr="10.1.0.1")
    missing = _login(app.test_client(), unknown, "wrong-password-123", addr="10.1.0.2")

    assert wrong.status_code == missing.status_code == 200
    assert _normalised(wrong.get_data(as_text=True), user.email) == _normalised(
        missing.get_data(as_text=True), unknown)
    assert sorted(_cookies(wrong)) == sorted(_cookies(missing))
    assert sorted(wrong.headers.keys()) == sorted(missing.headers.keys())
    assert "kata sandi salah" in wrong.get_data(as_text=True)


def test_unknown_email_and_wrong_password_take_about_the_same_time(database_url, make):
    app = _app(database_url, LOGIN_FAILURES_PER_WINDOW=1000)
    user = make.user()
    client = app.test_client()
    token = client.csrf_token()

    def timed(email: str, n: int) -> float:
        start = time.perf_counter()
        response = client.post("/auth/login", data={"email": email, "password": "wrong-pass-1",
                                                    "csrf_token": token},
                               environ_base={"REMOTE_ADDR": f"10.2.{n}.1"})
        elapsed = time.perf_counter() - start
        assert response.status_code == 200
        return elapsed

    wrong, unknown = [], []
    timed(user.email, 99)  # warm-up
    for n in range(15):  # interleaved, so load spikes on the machine hit both alike
        wrong.append(timed(user.email, n))
        unknown.append(timed(f"nobody{n}@example.com", n))
    ratio = statistics.median(wrong) / statistics.median(unknown)
    assert 1 / 3 < ratio < 3, (statistics.median(wrong), statistics.median(unknown))


# --- session fixation, logout, password change -------------------------------------------------


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


def _logged_in_cookies(client, email: str) -> tuple[str, str]:
    response = _login(client, email, remember="y")
    assert response.status_code == 302
    session_cookie = client.get_cookie("session")
    remember_cookie = client.get_cookie("remember_token")
    assert session_cookie is not None and remember_cookie is not None
    return session_cookie.value, remember_cookie.value


def _replay(app, name: str, value: str):
    replayer = app.test_client()
    replayer.set_cookie(name, value)
    return replayer.get("/dashboard")


def test_old_session_and_remember_cookies_are_rejected_after_logout(app, client, auth, make):
    user = make.user()
    session_value, remember_value = _logged_in_cookies(client, user.email)
    # Before logout each cookie alone is enough to get in: the replay below is a real one.
    assert _replay(app, "session", session_value).status_code == 200
    assert _replay(app, "remember_token", remember_value).status_code == 200

    logout = auth.logout()
    assert urlsplit(_location_path(logout)).path == "/auth/login"

    for name, value in (("session", session_value), ("remember_token", remember_value)):
        replay = _replay(app, name, value)
        assert replay.status_code == 302, name
        assert urlsplit(replay.headers["Location"]).path == "/auth/login"
    assert client.get("/dashboard").status_code == 302


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app, client, auth, make):
    user = make.user()
    other_device = app.test_client()
    other_session, other_remember = _logged_in_cookies(other_device, user.email)
    assert auth.login(user.email).status_code == 302

    response = client.post("/auth/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})

    assert urlsplit(_location_path(response)).path == "/auth/profile"
    assert client.get("/dashboard").status_code == 200
    assert other_device.get("/dashboard").status_code == 302
    assert _replay(app, "session", other_session).status_code == 302
    assert _replay(app, "remember_token", other_remember).status_code == 302
    assert _login(app.test_client(), user.email).status_code == 200  # the old password
    assert _login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_a_wrong_current_password_changes_nothing(app, client, auth, make):
    user = make.user()
    other_device = app.test_client()
    _logged_in_cookies(other_device, user.email)
    auth.login(user.email)

    response = client.post("/auth/password", data={
        "current": "not-my-password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 422
    assert other_device.get("/dashboard").status_code == 200
    assert _login(app.test_client(), user.email).status_code == 302


# --- cookies ---------------------------------------------------------------------------------


def _check_cookie_flags(cookie: dict[str, str | bool], *, secure: bool) -> None:
    assert cookie.get("httponly") is True
    assert str(cookie.get("samesite", "")).lower() == "lax"
    assert bool(cookie.get("secure")) is secure


def test_session_and_remember_cookies_are_httponly_lax_and_short_lived(client, make):
    user = make.user()
    response = _login(client, user.email, remember="y")
    cookies = _cookies(response)

    _check_cookie_flags(cookies["session"], secure=False)
    _check_cookie_flags(cookies["remember_token"], secure=False)
    expires = parsedate_to_datetime(str(cookies["remember_token"]["expires"]))
    assert expires <= datetime.now(UTC) + timedelta(days=30)
    assert expires > datetime.now(UTC) + timedelta(days=1)


def test_cookies_are_secure_when_https_is_forced(database_url, make):
    app = _app(database_url, FORCE_HTTPS=True)
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
    cookies = _cookies(response)
    _check_cookie_flags(cookies["session"], secure=True)
    _check_cookie_flags(cookies["remember_token"], secure=True)
    assert cookies["lang"].get("secure") is True


# --- next ------------------------------------------------------------------------------------

UNSAFE_NEXT = [
    "//evil.example/x", "\\\\evil.example\\x", "/\\evil.example", "http:///evil.example",
    "https:evil.example", "javascript:alert(1)", "http://evil.example/", "HTTPS://evil.example",
    "/\tevil", "/\x00/evil", "/ok\r\nSet-Cookie: x=1", "\x01//evil.example", " //evil.example",
]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_an_unsafe_next_falls_back_to_the_dashboard(client, make, target):
    user = make.user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD},
                           query_string={"next": target})
    if "\x00" in target:  # any NUL byte is refused before the view runs
        assert response.status_code == 400
    else:
        assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize("target", UNSAFE_NEXT[:8])
def test_an_unsafe_next_is_ignored_when_already_logged_in(client, auth, make, target):
    auth.login(make.user().email)
    response = client.get("/auth/login", query_string={"next": target})
    assert response.headers["Location"] == "/dashboard"


def test_a_local_next_is_followed(client, make):
    user = make.user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD},
                           query_string={"next": "/auth/profile?tab=language"})
    assert response.headers["Location"] == "/auth/profile?tab=language"


# --- login throttling ------------------------------------------------------------------------


def _fail(client, email: str, n: int, addr: str | None = None):
    # Rotating addresses (unless one is given) and letter case: the account is the same.
    shown = email.upper() if n % 2 else email
    return _login(client, shown, f"wrong-password-{n}",
                  addr=addr or f"10.3.{n // 250}.{n % 250 + 1}")


def test_ten_failures_on_one_account_from_one_address_answer_429_with_retry_after(app, make):
    user, other = make.user(), make.user()
    client = app.test_client()
    for n in range(10):
        assert _fail(client, user.email, n, addr="10.2.0.1").status_code == 200, n

    limited = _fail(client, user.email, 10, addr="10.2.0.1")
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 15 * 60
    # That address may still try another account, and the owner logs in from elsewhere.
    assert _login(app.test_client(), other.email, addr="10.2.0.1").status_code == 302
    assert _login(app.test_client(), user.email, addr="10.2.0.2").status_code == 302


def test_guessing_from_rotating_addresses_cannot_lock_the_owner_out(app, make):
    user = make.user()
    owner = app.test_client()
    assert _login(owner, user.email, addr="10.6.0.1").status_code == 302  # a known device
    owner.post("/auth/logout")
    attacker = app.test_client()
    for n in range(11):
        assert _fail(attacker, user.email, n).status_code == 200, n
    # Past ten failures each further guess waits a little (here 1 s), from any address...
    slowed = _fail(attacker, user.email, 11)
    assert slowed.status_code == 429
    assert int(slowed.headers["Retry-After"]) == 1
    # ...but the owner's browser, which logged in before, goes straight in.
    assert _login(owner, user.email, addr="10.6.0.1").status_code == 302
    # A new device only waits out the short delay, never a lockout.
    time.sleep(1.1)
    assert _login(app.test_client(), user.email, addr="10.6.0.9").status_code == 302


def test_the_wait_per_account_grows_slowly_and_is_capped(database_url, make):
    from matchmaker import login_throttle

    app = _app(database_url, LOGIN_FAILURES_PER_WINDOW=2, LOGIN_MAX_DELAY_SECONDS=8)
    waits = []
    with app.test_request_context("/auth/login", method="POST"):
        for _ in range(7):
            login_throttle.record_failure("someone@example.test")
            waits.append(login_throttle.seconds_to_wait("someone@example.test"))
        assert login_throttle.seconds_to_wait("other@example.test") == 0
    assert waits == [0, 0, 1, 2, 4, 8, 8]


def test_a_device_cookie_from_another_account_or_forged_does_not_skip_the_wait(app, make):
    user, other = make.user(), make.user()
    browser = app.test_client()
    assert _login(browser, other.email, addr="10.7.0.1").status_code == 302
    browser.post("/auth/logout")
    for n in range(12):
        _fail(app.test_client(), user.email, n)
    assert _login(browser, user.email, addr="10.7.0.1").status_code == 429
    forged = app.test_client()
    forged.set_cookie("sinergi_device", "W10.forged.signature", path="/auth/login")
    assert _login(forged, user.email, addr="10.7.0.2").status_code == 429


def test_one_address_guessing_many_accounts_is_limited(database_url, make):
    app = _app(database_url, LOGIN_FAILURES_PER_ADDRESS=5)
    users = [make.user() for _ in range(7)]
    client = app.test_client()
    for n, user in enumerate(users[:5]):
        assert _fail(client, user.email, n, addr="10.8.0.1").status_code == 200
    assert _fail(client, users[5].email, 5, addr="10.8.0.1").status_code == 429
    assert _login(app.test_client(), users[6].email, addr="10.8.0.2").status_code == 302


def test_successful_logins_do_not_count_as_failures(app, client, make):
    user = make.user()
    for n in range(9):
        assert _fail(client, user.email, n, addr="10.4.1.1").status_code == 200
    for _ in range(5):
        assert _login(app.test_client(), user.email, addr="10.4.1.1").status_code == 302

    assert _fail(client, user.email, 9, addr="10.4.1.1").status_code == 200  # the tenth
    assert _fail(client, user.email, 10, addr="10.4.1.1").status_code == 429


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    return connection


def test_two_app_instances_share_the_failure_counts_through_redis(database_url, make):
    redis = _redis_or_skip()
    redis.flushdb()
    try:
        user = make.user()
        first = _app(database_url, REDIS_URL=REDIS_TEST_URL).test_client()
        for n in range(5):
            assert _fail(first, user.email, n, addr="10.3.9.1").status_code == 200
        # A second worker starts: with per-process (memory) storage it would count from zero.
        second = _app(database_url, REDIS_URL=REDIS_TEST_URL).test_client()
        for n in range(5, 10):
            assert _fail(second, user.email, n, addr="10.3.9.1").status_code == 200
        assert _fail(first, user.email, 10, addr="10.3.9.1").status_code == 429
        # The per-account wait is shared too: more guesses from elsewhere, then a wait.
        _fail(first, user.email, 11)
        assert _fail(second, user.email, 12).status_code == 429
        assert redis.keys("*login-wait:*")
        assert not any(user.email.encode() in key for key in redis.keys("*"))  # hashed
    finally:
        redis.flushdb()
        redis.close()


# --- CSRF ------------------------------------------------------------------------------------


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


# --- security headers and size limits ----------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (d.split() for d in policy.split(";") if d.strip())}


def assert_security_headers(response) -> None:
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    scripts = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def _too_large(app, client):
    size = app.config["MAX_CONTENT_LENGTH"] + 1024
    return client.post("/auth/login", data=b"a=" + b"x" * size,
                       content_type="application/x-www-form-urlencoded")


def _boom_app(database_url: str) -> Flask:
    app = _app(database_url)

    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom secret detail")

    return app


def test_security_headers_on_every_kind_of_response(app, client, database_url):
    responses = {
        "html": client.get("/auth/login"),
        "json": client.get("/healthz"),
        "404": client.get("/no-such-page"),
        "413": _too_large(app, client),
        "500": _boom_app(database_url).test_client().get("/boom"),
    }
    assert [r.status_code for r in responses.values()] == [200, 200, 404, 413, 500]
    assert responses["json"].is_json
    for kind, response in responses.items():
        try:
            assert_security_headers(response)
        except (AssertionError, KeyError) as exc:
            raise AssertionError(f"{kind}: {exc!r}") from exc
        assert "Strict-Transport-Security" not in response.headers, kind


def test_hsts_is_sent_when_https_is_forced(database_url):
    client = _app(database_url, FORCE_HTTPS=True).test_client()
    for response in (client.get("/healthz"), client.get("/no-such-page")):
        hsts = response.headers["Strict-Transport-Security"]
        max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
        assert max_age >= 180 * 24 * 3600
        assert_security_headers(response)


def test_a_body_over_the_limit_gets_a_413_page_and_the_next_request_is_fine(app, client, make):
    response = _too_large(app, client)

    assert response.status_code == 413
    assert "<html" in response.get_data(as_text=True)
    assert client.get("/auth/login").status_code == 200
    assert _login(client, make.user().email).status_code == 302
