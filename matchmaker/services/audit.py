"""Writing security audit events (ASVS V7.1): who did what to which target, and the outcome."""

from __future__ import annotations

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
    """Add an audit row to ``session``; the caller's transaction commits it."""
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
