"""The numbers on each role's dashboard. Later issues add needs, offers and match counts."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from matchmaker.models import User, UserStatus


def counts_for(session: Session, user: User) -> dict[str, int]:
    """Counts shown on ``user``'s dashboard; each links to the list behind it."""
    counts: dict[str, int] = {}
    if user.is_coordinator:
        counts["pending_accounts"] = session.exec(
            select(func.count()).select_from(User).where(User.status == UserStatus.PENDING)
        ).one()
    return counts
