"""Authentication plumbing: the login manager, the session-version user loader, role guards,
safe ``next`` redirects and the security headers every response carries."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user
from sqlmodel import select

from matchmaker.db import get_session
from matchmaker.models import Role, User, UserStatus

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

F = TypeVar("F", bound=Callable[..., Any])


class CurrentUser(UserMixin):
    """What Flask-Login keeps for the request: the user row plus the session-versioned id."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)

    @property
    def is_active(self) -> bool:
        return self.user.status == UserStatus.ACTIVE

    def has_role(self, *roles: str) -> bool:
        return self.user.role in roles


@login_manager.user_loader
def load_user(raw_id: str) -> CurrentUser | None:
    """Accept a session only while its version equals the user's current ``session_version``."""
    user_id, _, version = raw_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = get_session().exec(select(User).where(User.id == int(user_id))).first()
    if user is None or user.session_version != int(version):
        return None
    if user.status != UserStatus.ACTIVE:
        return None
    return CurrentUser(user)


def role_required(*roles: str) -> Callable[[F], F]:
    """Let only logged-in users with one of ``roles`` in (admins count as coordinators)."""
    allowed = set(roles)
    if Role.COORDINATOR in allowed:
        allowed.add(Role.ADMIN)

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def is_safe_next(target: str | None) -> bool:
    """Only a local absolute path: no scheme, no host, no backslash tricks, no control chars."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback_endpoint: str = "main.dashboard") -> str:
    return target if target and is_safe_next(target) else url_for(fallback_endpoint)


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def apply_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure or current_app.config.get("FORCE_HTTPS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def reject_nul_bytes() -> None:
    """A NUL byte in a query or form value is never legitimate (and PostgreSQL refuses to
    store it): answer 400 before any view or query sees it."""
    values = [*request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.values()
    if any("\x00" in value for value in values):
        abort(400)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(reject_nul_bytes)
    app.after_request(apply_security_headers)
