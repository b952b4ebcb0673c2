"""The numbers on each role's dashboard; each one links to the list behind it."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from matchmaker.models import Role, User, UserStatus
from matchmaker.services import needs, offers


def counts_for(session: Session, user: User) -> dict[str, int]:
    """Counts shown on ``user``'s dashboard; each links to the list behind it."""
    counts: dict[str, int] = {}
    if user.role == Role.CITY_OFFICIAL and user.organization_id is not None:
        counts.update(needs.counts_by_status(session, user.organization_id))
    if user.role == Role.VENDOR and user.organization_id is not None:
        counts.update(offers.counts_by_status(session, user.organization_id))
    if user.is_coordinator:
        counts["pending_accounts"] = session.exec(
            select(func.count()).select_from(User).where(User.status == UserStatus.PENDING)
        ).one()
    return counts
