"""The numbers on each role's dashboard; each one links to the list behind it."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from matchmaker.models import Role, User, UserStatus
from matchmaker.services import match_queries, needs, offers


def counts_for(session: Session, user: User) -> dict[str, int]:
    """Counts shown on ``user``'s dashboard; each links to the list behind it."""
    counts: dict[str, int] = {}
    own = {Role.CITY_OFFICIAL: needs, Role.VENDOR: offers}.get(Role(user.role))
    if own is not None and user.organization_id is not None:
        by_status = own.counts_by_status(session, user.organization_id)
        counts.update(by_status)
        counts["postings"] = sum(by_status.values())
    counts.update(match_queries.counts_for(session, user))
    if user.is_coordinator:
        counts["pending_accounts"] = session.exec(
            select(func.count()).select_from(User).where(User.status == UserStatus.PENDING)
        ).one()
    return counts
