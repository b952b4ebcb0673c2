"""Cross-city synergy: overlap clusters a coordinator dismissed, and joint initiatives in
which several cities take one programme to vendors together.

A joint initiative's proposals are ordinary :class:`~matchmaker.models.match.Match` rows with
``initiative_id`` set instead of ``need_id``, so they follow the one transition table, its
timeline and its audit trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from matchmaker.models.base import enum_check, timestamp_field


class OverlapDismissal(SQLModel, table=True):
    """A coordinator's "not one programme" for a cluster of needs, with the reason. The
    cluster stays hidden while its needs are a subset of ``need_ids``; a new need joining
    it shows it again."""

    __tablename__ = "overlap_dismissal"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    need_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    reason: str = Field(max_length=500)
    dismissed_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = timestamp_field()


class InitiativeState(StrEnum):
    OPEN = "open"  # inviting members and receiving proposals
    CLOSED = "closed"  # cancelled, or done


class JointInitiative(SQLModel, table=True):
    """Several cities' needs taken to vendors as one programme, led by one city."""

    __tablename__ = "joint_initiative"  # type: ignore[assignment]
    __table_args__ = (enum_check("state", InitiativeState),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=150)
    note: str = Field(default="", sa_type=Text)
    lead_organization_id: int = Field(foreign_key="organization.id", index=True)
    state: str = Field(default=InitiativeState.OPEN.value, max_length=20, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1)


class MembershipStatus(StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class JointInitiativeMember(SQLModel, table=True):
    """One city's need in an initiative and that city's answer to the invitation."""

    __tablename__ = "joint_initiative_member"  # type: ignore[assignment]
    __table_args__ = (
        UniqueConstraint("initiative_id", "need_id", name="uq_joint_initiative_member_need"),
        enum_check("status", MembershipStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="joint_initiative.id", index=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    status: str = Field(default=MembershipStatus.INVITED.value, max_length=20)
    created_at: datetime = timestamp_field()
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    version: int = Field(default=1)
