"""Login throttling: per (account, address) and per address, a growing wait per account that
never locks the owner out; counts shared through Redis."""

from __future__ import annotations

import time

import pytest

from tests.security.support import login, make_app

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


def _fail(client, email: str, n: int, addr: str | None = None):
    # Rotating addresses (unless one is given) and letter case: the account is the same.
    shown = email.upper() if n % 2 else email
    return login(client, shown, f"wrong-password-{n}",
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
    assert login(app.test_client(), other.email, addr="10.2.0.1").status_code == 302
    assert login(app.test_client(), user.email, addr="10.2.0.2").status_code == 302


def test_guessing_from_rotating_addresses_cannot_lock_the_owner_out(app, make):
    user = make.user()
    owner = app.test_client()
    assert login(owner, user.email, addr="10.6.0.1").status_code == 302  # a known device
    owner.post("/auth/logout")
    attacker = app.test_client()
    for n in range(11):
        assert _fail(attacker, user.email, n).status_code == 200, n
    # Past ten failures each further guess waits a little (here 1 s), from any address...
    slowed = _fail(attacker, user.email, 11)
    assert slowed.status_code == 429
    assert int(slowed.headers["Retry-After"]) == 1
    # ...but the owner's browser, which logged in before, goes straight in.
    assert login(owner, user.email, addr="10.6.0.1").status_code == 302
    # A new device only waits out the short delay, never a lockout.
    time.sleep(1.1)
    assert login(app.test_client(), user.email, addr="10.6.0.9").status_code == 302


def test_the_wait_per_account_grows_slowly_and_is_capped(database_url, make):
    from matchmaker import login_throttle

    app = make_app(database_url, LOGIN_FAILURES_PER_WINDOW=2, LOGIN_MAX_DELAY_SECONDS=8)
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
    assert login(browser, other.email, addr="10.7.0.1").status_code == 302
    browser.post("/auth/logout")
    for n in range(12):
        _fail(app.test_client(), user.email, n)
    assert login(browser, user.email, addr="10.7.0.1").status_code == 429
    forged = app.test_client()
    forged.set_cookie("sinergi_device", "W10.forged.signature", path="/auth/login")
    assert login(forged, user.email, addr="10.7.0.2").status_code == 429


def test_one_address_guessing_many_accounts_is_limited(database_url, make):
    app = make_app(database_url, LOGIN_FAILURES_PER_ADDRESS=5)
    users = [make.user() for _ in range(7)]
    client = app.test_client()
    for n, user in enumerate(users[:5]):
        assert _fail(client, user.email, n, addr="10.8.0.1").status_code == 200
    assert _fail(client, users[5].email, 5, addr="10.8.0.1").status_code == 429
    assert login(app.test_client(), users[6].email, addr="10.8.0.2").status_code == 302


def test_successful_logins_do_not_count_as_failures(app, client, make):
    user = make.user()
    for n in range(9):
        assert _fail(client, user.email, n, addr="10.4.1.1").status_code == 200
    for _ in range(5):
        assert login(app.test_client(), user.email, addr="10.4.1.1").status_code == 302

    assert _fail(client, user.email, 9, addr="10.4.1.1").status_code == 200  # the tenth
    assert _fail(client, user.email, 10, addr="10.4.1.1").status_code == 429


def test_two_app_instances_share_the_failure_counts_through_redis(database_url, make):
    redis = _redis_or_skip()
    redis.flushdb()
    try:
        user = make.user()
        first = make_app(database_url, REDIS_URL=REDIS_TEST_URL).test_client()
        for n in range(5):
            assert _fail(first, user.email, n, addr="10.3.9.1").status_code == 200
        # A second worker starts: with per-process (memory) storage it would count from zero.
        second = make_app(database_url, REDIS_URL=REDIS_TEST_URL).test_client()
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


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    return connection
