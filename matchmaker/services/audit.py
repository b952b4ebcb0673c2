"""Writing security audit events (ASVS V7.1): who did what to which target, and the outcome."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, has_request_context, request
from sqlmodel import Session

from matchmaker.models import AuditEvent


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    target: str | None = None,
    outcome: str = "ok",
    request_id: str | None = None,
    ip: str | None = None,
    details: dict[str, object] | None = None,
) -> AuditEvent:
    """Add an audit row to ``session``; the caller's transaction commits it. Inside a web
    request the row carries the request's id and the client's address unless given."""
    if has_request_context():
        from matchmaker.errors import request_id as current_request_id

        request_id = request_id or current_request_id()
        ip = ip or request.remote_addr
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        target=target,
        outcome=outcome,
        request_id=request_id,
        ip=ip,
        details=details,
    )
    session.add(event)
    return event


def pseudonym(value: str) -> str:
    """A keyed hash of ``value`` (an e-mail someone tried, say): the same value always gives
    the same pseudonym, so repeated attempts can be linked, but the log never holds it."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:32]
