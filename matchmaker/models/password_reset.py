"""One-time links that let a person who forgot their password choose a new one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from matchmaker.models.base import timestamp_field


class PasswordResetToken(SQLModel, table=True):
    """A reset link sent by e-mail. Only the SHA-256 of the link's token is stored, so a copy
    of the database opens no account. ``used_at`` marks the token spent: used, or replaced by
    a newer request; a spent or expired token never works again."""

    __tablename__ = "password_reset_token"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = timestamp_field()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
