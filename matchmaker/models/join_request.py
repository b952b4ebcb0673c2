"""A person asking to join an organisation that already has verified members: the members
decide, so nobody takes over an organisation's postings by registering under its name."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from matchmaker.models.base import enum_check, timestamp_field


class JoinRequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class OrganizationJoinRequest(SQLModel, table=True):
    """One request per account (``user_id`` is unique), decided once by a verified member."""

    __tablename__ = "organization_join_request"  # type: ignore[assignment]
    __table_args__ = (enum_check("status", JoinRequestStatus),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    status: str = Field(default=JoinRequestStatus.PENDING.value, max_length=20, index=True)
    created_at: datetime = timestamp_field()
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
