"""Append-only security audit log: logins, failed logins, refusals, account decisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from matchmaker.models.base import timestamp_field


class AuditEvent(SQLModel, table=True):
    """One security-relevant event. Never holds a secret (no passwords, no tokens)."""

    __tablename__ = "audit_event"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp_field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    action: str = Field(max_length=60, index=True)
    target: str | None = Field(default=None, max_length=120)
    outcome: str = Field(default="ok", max_length=20)
    request_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    details: dict[str, object] | None = Field(default=None, sa_type=JSON)
