"""Telling people what happened to their matches: in-app notifications (the record) and
optional e-mail through an outbox, so a failing mail server never undoes a transition."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mailman import EmailMessage
from sqlalchemy import func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from matchmaker import labels
from matchmaker.db import begin_write, session_scope
from matchmaker.models import (
    Match,
    Need,
    Notification,
    Offer,
    Organization,
    OrganizationJoinRequest,
    OutboundEmail,
    OutboxStatus,
    Role,
    User,
    UserStatus,
)
from matchmaker.models.base import utcnow
from matchmaker.services.errors import NotFound

log = logging.getLogger("matchmaker.notifications")
MAX_ATTEMPTS = 5
#: What is left of a secret e-mail's body once it was sent (or given up).
ERASED_BODY = "(erased: it held a one-time link)"

#: notification kind -> subject line (translated in the recipient's language when sent)
KINDS = ("proposed", "city_accepted", "vendor_accepted", "city_declined", "vendor_declined",
         "confirmed", "approved", "rejected", "withdrawn")
#: kinds about a request to join an organisation (no match; they link to the organisation page)
JOIN_KINDS = ("join_requested", "join_approved", "join_declined")


def subject_for(kind: str) -> str:
    """The notification's title in the current language (also the e-mail subject)."""
    return str(labels.NOTIFICATIONS.get(kind, kind))


def staff(session: Session, organization_id: int, role: Role) -> list[User]:
    return list(session.exec(select(User).where(
        User.organization_id == organization_id, User.role == role,
        User.status == UserStatus.ACTIVE)).all())


def coordinators(session: Session) -> list[User]:
    return list(session.exec(select(User).where(
        User.role.in_([Role.COORDINATOR, Role.ADMIN]),  # type: ignore[attr-defined]
        User.status == UserStatus.ACTIVE)).all())


def notify(session: Session, users: Iterable[User], match: Match, kind: str) -> int:
    """Add a notification (and, where wanted, an e-mail) per user; the caller commits."""
    assert match.id is not None
    return notify_many(session, [(list(users), match.id, kind)])


def notify_many(session: Session, items: list[tuple[list[User], int, str]]) -> int:
    """Notify each (users, match id, kind) in two bulk INSERTs: a matching run may tell
    thousands of people about thousands of proposals at once. The caller commits."""
    mail_on = current_app.config.get("MAIL_ENABLED", True)
    now = utcnow()
    notices: list[dict[str, object]] = []
    emails: list[dict[str, object]] = []
    for users, match_id, kind in items:
        for user in users:
            notices.append({"user_id": user.id, "match_id": match_id, "kind": kind,
                            "created_at": now, "read_at": None})
            if mail_on and user.email_notifications:
                emails.append(_email_row(user, match_id, kind, now))
    if notices:
        session.execute(insert(Notification), notices)
    if emails:
        session.execute(insert(OutboundEmail), emails)
    return len(notices)


def notify_join_request(session: Session, users: Iterable[User], join_request_id: int,
                        kind: str) -> int:
    """Tell ``users`` about a request to join their organisation (or its decision, told to
    the applicant): an in-app notice and, where wanted, an e-mail. The caller commits."""
    mail_on = current_app.config.get("MAIL_ENABLED", True)
    now = utcnow()
    link = absolute_url("organization.index")
    notices: list[dict[str, object]] = []
    emails: list[dict[str, object]] = []
    for user in users:
        notices.append({"user_id": user.id, "match_id": None, "join_request_id": join_request_id,
                        "kind": kind, "created_at": now, "read_at": None})
        if mail_on and user.email_notifications:
            subject, body = _email_text(user.language, kind)
            emails.append(outbox_row(user.email, subject,
                                     body.replace(_NAME, user.name).replace(_LINK, link), now))
    if notices:
        session.execute(insert(Notification), notices)
    if emails:
        session.execute(insert(OutboundEmail), emails)
    return len(notices)


_NAME, _LINK = "\x01name\x01", "\x01link\x01"
_rendered: dict[tuple[int, str, str], tuple[str, str]] = {}


def _email_text(language: str, kind: str) -> tuple[str, str]:
    """Subject and body of one kind of e-mail in one language, with slots for the name and
    the link. Rendered once per process: a matching run may queue thousands of e-mails."""
    key = (id(current_app._get_current_object()), language, kind)  # type: ignore[attr-defined]
    if key not in _rendered:
        template = "email/membership.txt" if kind in JOIN_KINDS else "email/notification.txt"
        with force_locale(language):
            subject = subject_for(kind)
            body = render_template(template, user={"name": _NAME}, subject=subject, link=_LINK)
        _rendered[key] = (f"[Sinergi] {subject}"[:200], body)
    return _rendered[key]


def _email_row(user: User, match_id: int, kind: str, now: datetime) -> dict[str, object]:
    subject, body = _email_text(user.language, kind)
    link = absolute_url("matches.detail", match_id=match_id)
    return outbox_row(user.email, subject, body.replace(_NAME, user.name).replace(_LINK, link),
                      now)


def outbox_row(to: str, subject: str, body: str, now: datetime, *,
               secret: bool = False) -> dict[str, object]:
    """One pending outbox row, for bulk INSERTs."""
    return {"to": to, "subject": subject[:200], "body": body,
            "status": OutboxStatus.PENDING.value, "attempts": 0, "last_error": None,
            "created_at": now, "sent_at": None, "secret": secret}


def queue_email(session: Session, to: str, subject: str, body: str, *,
                secret: bool = False) -> None:
    """Put one e-mail in the outbox inside the caller's transaction (the caller commits and
    then calls :func:`dispatch`): account e-mails (reset links, notices) are never lost
    because the mail server was down, and never sent for a change that rolled back.
    A ``secret`` body (a reset link) is erased from the outbox once sent or given up."""
    session.execute(insert(OutboundEmail), [outbox_row(to, f"[Sinergi] {subject}", body,
                                                       utcnow(), secret=secret)])


def absolute_url(endpoint: str, **values: object) -> str:
    """A link for e-mails, which are built outside any request: ``PUBLIC_URL`` + the path."""
    adapter = current_app.url_map.bind("localhost")
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + adapter.build(endpoint, values)


def unread_count(session: Session, user_id: int) -> int:
    return int(session.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))).one())  # type: ignore[union-attr]


@dataclass(frozen=True)
class NotificationRow:
    """A notice with what it is about: the pair of a match, or the applicant and the
    organisation of a join request."""

    notification: Notification
    need_title: str | None
    offer_title: str | None
    applicant_name: str | None = None
    organization_name: str | None = None


def for_user(session: Session, user_id: int, limit: int = 100) -> list[NotificationRow]:
    """The user's latest notifications, each with the titles of the pair it is about."""
    applicant = aliased(User)
    rows = session.execute(
        sa_select(Notification, col(Need.title), col(Offer.title), col(applicant.name),
                  col(Organization.name))
        .join(Match, col(Match.id) == Notification.match_id, isouter=True)
        .join(Need, col(Need.id) == Match.need_id, isouter=True)
        .join(Offer, col(Offer.id) == Match.offer_id, isouter=True)
        .join(OrganizationJoinRequest,
              col(OrganizationJoinRequest.id) == Notification.join_request_id, isouter=True)
        .join(applicant, col(applicant.id) == OrganizationJoinRequest.user_id, isouter=True)
        .join(Organization, col(Organization.id) == OrganizationJoinRequest.organization_id,
              isouter=True)
        .where(col(Notification.user_id) == user_id)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(limit)
    ).all()
    return [NotificationRow(*row) for row in rows]


def mark_read(session: Session, user_id: int, notification_id: int | None = None) -> None:
    """Mark one (or, without an id, every) unread notification of ``user_id`` as read."""
    statement = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)  # type: ignore[union-attr,arg-type]
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)  # type: ignore[arg-type]
    begin_write(session)
    session.execute(statement.values(read_at=utcnow()))
    session.commit()


def open_one(session: Session, user_id: int, notification_id: int) -> int | None:
    """Mark the user's notification read and return its match id (None for a notice about
    a join request); another person's notification does not exist for them (404)."""
    found = session.exec(select(Notification.id, Notification.match_id).where(
        Notification.id == notification_id, Notification.user_id == user_id)).first()
    if found is None:
        raise NotFound(_("Notification not found."))
    mark_read(session, user_id, notification_id)
    return found[1]


def deliver_outbox(app: Flask, limit: int = 50) -> tuple[int, int]:
    """Send pending e-mails; return (sent, failed). Errors are logged, never raised."""
    sent = failed = 0
    with app.app_context(), session_scope(app, write=False) as session:
        secret: list[int] = []
        for email in _claim(session, limit):
            try:
                EmailMessage(subject=email.subject, body=email.body, to=[email.to]).send()
            except Exception as exc:  # noqa: BLE001 - any mail failure is retried later
                _record_failure(session, email, exc)
                failed += 1
            else:
                if email.secret:
                    assert email.id is not None
                    secret.append(email.id)
                sent += 1
        if secret:
            _erase_bodies(session, secret)
    return sent, failed


def _erase_bodies(session: Session, email_ids: list[int]) -> None:
    """Forget secret e-mails' bodies once they need no more sending."""
    begin_write(session)
    session.execute(update(OutboundEmail).where(col(OutboundEmail.id).in_(email_ids))
                    .values(body=ERASED_BODY))
    session.commit()


def _claim(session: Session, limit: int) -> list[OutboundEmail]:
    """Mark up to ``limit`` pending e-mails as sent *before* sending them, all in one short
    write transaction: two deliverers never send one twice, no lock is held while the mail
    server answers, and a pass queues for the write lock once, not once per e-mail (under
    load, each wait is a busy timeout's worth of other writers). On PostgreSQL a concurrent
    pass skips the rows this one is claiming instead of waiting for them."""
    begin_write(session)
    try:
        ids = session.exec(
            select(OutboundEmail.id).where(OutboundEmail.status == OutboxStatus.PENDING)
            .order_by(col(OutboundEmail.id)).limit(limit).with_for_update(skip_locked=True)
        ).all()
        claimed: list[int] = []
        if ids:
            claimed = list(session.execute(
                update(OutboundEmail).where(col(OutboundEmail.id).in_(ids),
                                            col(OutboundEmail.status) == OutboxStatus.PENDING)
                .values(status=OutboxStatus.SENT, attempts=OutboundEmail.attempts + 1,
                        sent_at=utcnow())
                .returning(col(OutboundEmail.id))
                .execution_options(synchronize_session=False)
            ).scalars())
        emails = list(session.exec(
            select(OutboundEmail).where(col(OutboundEmail.id).in_(claimed))
            .order_by(col(OutboundEmail.id)).execution_options(populate_existing=True)
        ).all()) if claimed else []
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return emails


def _record_failure(session: Session, email: OutboundEmail, exc: Exception) -> None:
    """Put a failed e-mail back for a later retry, or give up after ``MAX_ATTEMPTS``."""
    error = f"{type(exc).__name__}: {exc}"[:500]
    status = OutboxStatus.FAILED if email.attempts >= MAX_ATTEMPTS else OutboxStatus.PENDING
    begin_write(session)
    session.execute(update(OutboundEmail).where(OutboundEmail.id == email.id)  # type: ignore[arg-type]
                    .values(status=status, sent_at=None, last_error=error))
    session.commit()
    if status == OutboxStatus.FAILED and email.secret:
        assert email.id is not None
        _erase_bodies(session, [email.id])
    log.warning("E-mail %s to %s failed (attempt %d): %s", email.id, email.to, email.attempts,
                error)


def dispatch(app: Flask) -> None:
    """Deliver the outbox after a transition committed: in the background unless configured
    otherwise (tests), so the person acting never waits for the mail server."""
    if app.config.get("MAIL_ASYNC", True):
        threading.Thread(target=_deliver_quietly, args=(app,), daemon=True).start()
    else:
        _deliver_quietly(app)


def _deliver_quietly(app: Flask) -> None:
    try:
        deliver_outbox(app)
    except Exception:  # noqa: BLE001 - a broken outbox must never break the request
        log.exception("Delivering the e-mail outbox failed")
