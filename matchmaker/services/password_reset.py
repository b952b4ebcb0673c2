"""Password reset by an e-mailed one-time link (ASVS V2.5.6, OWASP Forgot Password sheet).

* The link carries a random token (``secrets.token_urlsafe(32)``); only its SHA-256 is stored,
  and the e-mail holding the link is erased from the outbox once it is sent.
* A link works once and for ``PASSWORD_RESET_MAX_AGE_SECONDS``; asking again spends the older
  links of that account, so only the newest e-mail works.
* Using it sets the new password and bumps ``session_version``: every session and remember
  cookie of the account ends, as after a password change.
* Whether the address belongs to an account is never told: an unknown address (or a suspended
  account) gets the same answer after the same kind of work, and no e-mail.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update
from sqlmodel import Session, select

from matchmaker import passwords
from matchmaker.db import begin_write
from matchmaker.models import PasswordResetToken, User, UserStatus
from matchmaker.models.base import utcnow
from matchmaker.services import accounts, audit, notifications
from matchmaker.services.errors import Gone, NotFound

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """What is stored for a link's token (and looked up when the link is opened)."""
    return hashlib.sha256(token.encode()).hexdigest()


def max_age() -> timedelta:
    return timedelta(seconds=int(current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"]))


def _as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _may_reset(user: User | None) -> bool:
    """Active and still-pending accounts may choose a new password (a pending one still waits
    for its verification before it can log in); suspended accounts may not."""
    return user is not None and user.status != UserStatus.SUSPENDED


def _spend_open_tokens(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id,  # type: ignore[arg-type]
               PasswordResetToken.used_at.is_(None))  # type: ignore[union-attr]
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def _email(user: User, token: str) -> tuple[str, str]:
    """Subject and body of the reset e-mail, in the account's language."""
    link = notifications.absolute_url("password_reset.reset", token=token)
    minutes = int(max_age().total_seconds() // 60)
    with force_locale(user.language):
        subject = _("Reset your password")
        body = render_template("email/password_reset.txt", user=user, link=link,
                               minutes=minutes)
    return subject, body


def request_reset(session: Session, email: str) -> None:
    """Send a reset link to ``email`` if it names an account that may reset its password.

    Returns nothing on purpose: the caller must answer the same whatever happened here."""
    address = accounts.normalise_email(email)
    begin_write(session)
    user = accounts.find_by_email(session, address)
    token = secrets.token_urlsafe(TOKEN_BYTES)  # made either way: both paths do the same work
    if user is not None and _may_reset(user):
        assert user.id is not None
        now = utcnow()
        _spend_open_tokens(session, user.id, now)
        session.add(PasswordResetToken(user_id=user.id, token_hash=hash_token(token),
                                       created_at=now, expires_at=now + max_age()))
        subject, body = _email(user, token)
        notifications.queue_email(session, user.email, subject, body, secret=True)
        outcome = "ok"
    else:
        outcome = "ignored:unknown" if user is None else "ignored:suspended"
    audit.record(session, "password.reset.requested",
                 target=f"user:{user.id}" if user else None, outcome=outcome,
                 details={"email_hash": audit.pseudonym(address)})
    session.commit()
    # Always, so a known address does not answer later than an unknown one.
    notifications.dispatch(current_app._get_current_object())  # type: ignore[attr-defined]


def _spent_link() -> Gone:
    return Gone(_("This password reset link has already been used, or a newer one was sent. "
                  "Ask for a new one if you still need it."))


def _usable_token(session: Session, token: str) -> PasswordResetToken:
    """The stored token behind ``token``, or the reason it cannot be used."""
    row = session.exec(select(PasswordResetToken).where(
        PasswordResetToken.token_hash == hash_token(token))).first()
    if row is None or not _may_reset(session.get(User, row.user_id)):
        raise NotFound(_("This password reset link is not valid. Open the whole link from "
                         "the e-mail, or ask for a new one."))
    if row.used_at is not None:
        raise _spent_link()
    if _as_utc(row.expires_at) <= utcnow():
        raise Gone(_("This password reset link has expired: a link works for %(minutes)d "
                     "minutes. Ask for a new one.",
                     minutes=int(max_age().total_seconds() // 60)))
    return row


def check_link(session: Session, token: str) -> None:
    """Raise :class:`NotFound` or :class:`Gone` unless ``token`` may still reset a password."""
    _usable_token(session, token)


def reset_password(session: Session, token: str, new_password: str) -> User:
    """Use the link ``token`` once to set ``new_password``; every session of the account ends.

    The token is spent by a conditional UPDATE, so of two uses at the same moment exactly one
    succeeds and the other gets :class:`Gone`."""
    accounts.check_password_rules(new_password)
    row = _usable_token(session, token)
    new_hash = passwords.hash_password(new_password)  # slow: before the write lock is taken
    begin_write(session)
    now = utcnow()
    spent = session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id,  # type: ignore[arg-type]
               PasswordResetToken.used_at.is_(None),  # type: ignore[union-attr]
               PasswordResetToken.expires_at > now)  # type: ignore[arg-type]
        .values(used_at=now)
        # decided by the database alone: the loaded row is what it was before this UPDATE
        .execution_options(synchronize_session=False)
    )
    user = session.get(User, row.user_id, populate_existing=True)
    if spent.rowcount != 1 or user is None:  # type: ignore[attr-defined]
        session.rollback()
        raise _spent_link()
    _spend_open_tokens(session, row.user_id, now)
    user.password_hash = new_hash
    user.session_version += 1
    audit.record(session, "password.reset.done", actor_id=user.id, target=f"user:{user.id}")
    session.commit()
    return user
