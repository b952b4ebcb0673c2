"""Login throttling that slows guessing without letting anyone lock the owner out.

Three counts of *failed* logins, all in the rate limiter's storage (Redis when configured, so
every worker sees the same numbers):

* per account and address: ``LOGIN_FAILURES_PER_WINDOW`` failures in the window, then 429;
* per address, whatever account it tries: ``LOGIN_FAILURES_PER_ADDRESS``, then 429;
* per account, from anywhere: past ``LOGIN_FAILURES_PER_WINDOW`` failures each further one
  makes the next attempt wait a little longer (1, 2, 4 ... seconds, at most
  ``LOGIN_MAX_DELAY_SECONDS``) instead of locking the account. A browser that has logged into
  the account before carries a signed *device cookie* and skips that wait, so someone guessing
  from rotating addresses cannot keep the owner out (OWASP's "device cookies").

The first two are Flask-Limiter limits on the login view; this module holds the keys and the
per-account delay.
"""

from __future__ import annotations

import math
import time

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits.storage import Storage

from matchmaker.extensions import limiter
from matchmaker.services import audit

DEVICE_COOKIE = "sinergi_device"
DEVICE_COOKIE_DAYS = 180
_DEVICE_SALT = "login-device"
_MAX_DEVICE_ACCOUNTS = 5


def submitted_email() -> str:
    return (request.form.get("email") or "").strip().casefold()[:254]


def account_address_key() -> str:
    """Flask-Limiter key: the account asked for, from this address."""
    return f"login:{_account_tag(submitted_email())}|{get_remote_address()}"


def address_key() -> str:
    """Flask-Limiter key: every login failure from this address."""
    return f"login-address:{get_remote_address()}"


def _window_seconds() -> int:
    amount, unit = str(current_app.config["LOGIN_WINDOW"]).split()
    return int(amount) * {"second": 1, "minute": 60, "hour": 3600}[unit.rstrip("s")]


def _storage() -> Storage:
    return limiter.storage


def _account_tag(email: str) -> str:
    """The account's name in storage keys and cookies: a keyed hash, never the address."""
    return audit.pseudonym(email)


def seconds_to_wait(email: str) -> int:
    """How long this attempt on ``email`` must still wait (0: go ahead)."""
    if not current_app.config.get("LIMITER_ENABLED", True) or _trusted_device(email):
        return 0
    key = f"login-wait:{_account_tag(email)}"
    if not _storage().get(key):
        return 0
    return max(1, math.ceil(_storage().get_expiry(key) - time.time()))


def record_failure(email: str) -> None:
    """Count a failed login on ``email`` and set the wait its next attempt meets."""
    if not current_app.config.get("LIMITER_ENABLED", True):
        return
    tag = _account_tag(email)
    failures = _storage().incr(f"login-fails:{tag}", _window_seconds())
    free = int(current_app.config["LOGIN_FAILURES_PER_WINDOW"])
    if failures > free:
        delay = min(2 ** (failures - free - 1), int(current_app.config["LOGIN_MAX_DELAY_SECONDS"]))
        wait_key = f"login-wait:{tag}"
        _storage().clear(wait_key)
        _storage().incr(wait_key, delay)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt=_DEVICE_SALT)


def _device_accounts() -> list[str]:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        tags = _serializer().loads(raw, max_age=DEVICE_COOKIE_DAYS * 24 * 3600)
    except BadSignature:
        return []
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def _trusted_device(email: str) -> bool:
    return _account_tag(email) in _device_accounts()


def remember_device(response: Response, email: str) -> None:
    """After a successful login: this browser is now known for this account."""
    tag = _account_tag(email)
    tags = [tag, *(t for t in _device_accounts() if t != tag)][:_MAX_DEVICE_ACCOUNTS]
    response.set_cookie(DEVICE_COOKIE, _serializer().dumps(tags),
                        max_age=DEVICE_COOKIE_DAYS * 24 * 3600, httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("FORCE_HTTPS")),
                        path="/auth/login")
