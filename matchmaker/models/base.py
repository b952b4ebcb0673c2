"""Shared pieces of the table models: the naming convention, UTC timestamps, enum checks."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, Text
from sqlmodel import Field, SQLModel

# Stable constraint names make Alembic migrations reproducible on SQLite (batch mode) and
# PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, timezone-aware in UTC: everything is stored in UTC and shown in local time."""
    return datetime.now(UTC)


def timestamp_field(**kwargs: object) -> datetime:
    """A required timezone-aware timestamp column defaulting to now."""
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), **kwargs)  # type: ignore[no-any-return,call-overload]


def enum_check(column: str, enum: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """A CHECK constraint keeping a string column within an enum's values."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=name or f"{column}_valid")


class PostingColumns(SQLModel):
    """Columns every posting table (needs, offers) has: owner, author, status, the folded
    search text, timestamps and the optimistic-locking version. Each table sets its own
    default status."""

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    status: str = Field(max_length=20, index=True)
    search_text: str = Field(default="", sa_type=Text)
    created_at: datetime = timestamp_field(index=True)
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1)
