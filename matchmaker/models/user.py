"""People who log in, with their role, organisation, language and account status."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, false
from sqlmodel import Field, SQLModel

from matchmaker.models.base import enum_check, timestamp_field


class Role(StrEnum):
    CITY_OFFICIAL = "city_official"
    VENDOR = "vendor"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class UserStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Language(StrEnum):
    ID = "id"
    EN = "en"


class User(SQLModel, table=True):
    """An account. ``email`` is stored lower-cased so uniqueness is case-insensitive.

    ``session_version`` is part of the Flask-Login id: bumping it (logout, password change)
    invalidates every session and remember cookie issued before.
    """

    __tablename__ = "users"  # type: ignore[assignment]
    __table_args__ = (
        enum_check("role", Role),
        enum_check("status", UserStatus),
        enum_check("language", Language),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=120)
    role: str = Field(max_length=20, index=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    language: str = Field(default=Language.ID.value, max_length=5)
    password_hash: str = Field(max_length=255)
    session_version: int = Field(default=1)
    status: str = Field(default=UserStatus.PENDING.value, max_length=20, index=True)
    status_reason: str | None = Field(default=None, max_length=500)
    email_notifications: bool = Field(default=True)
    #: opt-in: tell me when a city in my province posts a need like one of ours
    notify_similar_needs: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = timestamp_field()
    verified_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    verified_by_id: int | None = Field(default=None, foreign_key="users.id")
    last_login_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))

    @property
    def is_coordinator(self) -> bool:
        return self.role in (Role.COORDINATOR, Role.ADMIN)
