"""Configuration: safe defaults, overridden by ``MATCHMAKER_*`` environment variables.

Every setting the operator may change is read from the environment with the ``MATCHMAKER_``
prefix (``MATCHMAKER_DATABASE_URL``, ``MATCHMAKER_SECRET_KEY``...), so one container image or
wheel serves every deployment. Tests pass a dict to ``create_app`` instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

PREFIX = "MATCHMAKER_"

#: Settings whose environment value is parsed as an integer.
_INT_KEYS = {
    "MAX_CONTENT_LENGTH", "LOGIN_FAILURES_PER_WINDOW", "LOGIN_FAILURES_PER_ADDRESS",
    "LOGIN_MAX_DELAY_SECONDS", "DB_LOCK_TIMEOUT_MS", "PAGE_SIZE", "PROPOSAL_NOTIFY_MIN",
    "REMEMBER_COOKIE_DURATION", "WTF_CSRF_TIME_LIMIT", "MAIL_PORT", "MATCH_TOP_K",
    "MATCH_MIN_SCORE", "PASSWORD_RESET_MAX_AGE_SECONDS", "PASSWORD_RESET_REQUESTS_PER_EMAIL",
    "PASSWORD_RESET_REQUESTS_PER_ADDRESS", "PASSWORD_RESET_ATTEMPTS_PER_ADDRESS",
}
#: Settings whose environment value is parsed as a boolean.
_BOOL_KEYS = {
    "DEBUG", "TESTING", "FORCE_HTTPS", "MAIL_ENABLED", "LIMITER_ENABLED", "TRUST_PROXY",
    "MAIL_ASYNC",
    "SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "REMEMBER_COOKIE_HTTPONLY", "BOOTSTRAP_SERVE_LOCAL", "MAIL_USE_TLS", "MAIL_USE_SSL",
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
#: The longest a "keep me logged in" cookie may live (ASVS V3.4, docs/SECURITY.md).
MAX_REMEMBER_SECONDS = 30 * 24 * 3600


def default_instance_path() -> Path:
    """``instance/`` in the working directory: where the embedded SQLite database lives."""
    return Path(os.environ.get(PREFIX + "INSTANCE_PATH", "instance")).resolve()


def defaults() -> dict[str, Any]:
    """The settings every deployment starts from."""
    instance = default_instance_path()
    return {
        "SECRET_KEY": None,
        "DEBUG": False,
        "TESTING": False,
        "DATABASE_URL": f"sqlite:///{instance / 'sinergi.db'}",
        "REDIS_URL": None,
        "FORCE_HTTPS": False,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "PAGE_SIZE": 20,
        "LOGIN_FAILURES_PER_WINDOW": 10,
        "LOGIN_FAILURES_PER_ADDRESS": 50,
        "LOGIN_MAX_DELAY_SECONDS": 60,
        "LOGIN_WINDOW": "15 minutes",
        "PASSWORD_RESET_MAX_AGE_SECONDS": 3600,  # a reset link works for one hour
        "PASSWORD_RESET_REQUESTS_PER_EMAIL": 5,
        "PASSWORD_RESET_REQUESTS_PER_ADDRESS": 20,
        "PASSWORD_RESET_ATTEMPTS_PER_ADDRESS": 30,  # opening or submitting reset links
        "PASSWORD_RESET_WINDOW": "1 hour",
        "DB_LOCK_TIMEOUT_MS": 10_000,
        "LIMITER_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": ("id", "en"),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,  # a form left open longer asks to reload
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        "MAIL_ENABLED": True,
        "MAIL_BACKEND": "file",
        "MAIL_FILE_PATH": str(instance / "mail"),
        "MAIL_DEFAULT_SENDER": "Sinergi <noreply@sinergi.example>",
        "PROPOSAL_NOTIFY_MIN": 60,
        "MATCH_TOP_K": 10,
        "MATCH_MIN_SCORE": 40,
        "MAIL_ASYNC": True,
        "PUBLIC_URL": "http://127.0.0.1:5000",
    }


def _parse(key: str, raw: str) -> Any:
    if key in _INT_KEYS:
        return int(raw)
    if key in _BOOL_KEYS:
        word = raw.strip().lower()
        if word not in _TRUE | _FALSE:
            raise ValueError(f"expected one of {sorted(_TRUE | _FALSE - {''})}")
        return word in _TRUE
    return raw


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Settings given as ``MATCHMAKER_<NAME>`` environment variables, typed."""
    env = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for name, raw in env.items():
        if name.startswith(PREFIX) and name != PREFIX + "INSTANCE_PATH":
            key = name[len(PREFIX):]
            try:
                found[key] = _parse(key, raw)
            except ValueError as exc:
                raise ConfigError(f"{name}: cannot read {raw!r} ({exc})") from exc
    return found


class ConfigError(RuntimeError):
    """The configuration cannot run safely (e.g. production without a secret key)."""


def build(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then the environment, then explicit overrides (tests)."""
    load_dotenv(Path.cwd() / ".env", override=False)  # real environment variables win
    settings = defaults()
    settings.update(from_environment())
    settings.update(overrides or {})
    if not settings.get("SECRET_KEY"):
        if settings.get("DEBUG") or settings.get("TESTING"):
            settings["SECRET_KEY"] = "insecure-development-key"
        else:
            raise ConfigError(
                "MATCHMAKER_SECRET_KEY is not set. Set it to a long random value "
                "(python -c 'import secrets; print(secrets.token_hex(32))') or run with "
                "MATCHMAKER_DEBUG=1 for local development."
            )
    remember = settings.get("REMEMBER_COOKIE_DURATION")
    seconds = remember.total_seconds() if hasattr(remember, "total_seconds") else remember
    if not isinstance(seconds, int | float) or not 0 < seconds <= MAX_REMEMBER_SECONDS:
        raise ConfigError(
            f"REMEMBER_COOKIE_DURATION must be 1 to {MAX_REMEMBER_SECONDS} seconds (30 days)."
        )
    https = bool(settings.get("FORCE_HTTPS"))
    settings.setdefault("SESSION_COOKIE_SECURE", https)
    settings.setdefault("REMEMBER_COOKIE_SECURE", https)
    settings["SESSION_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"] or https
    settings["REMEMBER_COOKIE_SECURE"] = settings["REMEMBER_COOKIE_SECURE"] or https
    return settings
