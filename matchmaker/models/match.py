"""Proposed partnerships between a need and an offer, their audit trail, notifications, the
e-mail outbox, and the stamp that tells each process when its matching index is stale."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Index,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

from matchmaker.models.base import enum_check, timestamp_field


class MatchState(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    APPROVED = "approved"
    REJECTED = "rejected"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Decision(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Match(SQLModel, table=True):
    """One (need, offer) pair, or one (joint initiative, offer) pair, unique. Score and
    explanation are kept as proposed, with the engine and glossary versions that produced
    them. ``version`` guards every transition."""

    __tablename__ = "match"  # type: ignore[assignment]
    __table_args__ = (
        UniqueConstraint("need_id", "offer_id", name="uq_match_need_offer"),
        UniqueConstraint("initiative_id", "offer_id", name="uq_match_initiative_offer"),
        CheckConstraint("(need_id IS NULL) <> (initiative_id IS NULL)",
                        name="need_or_initiative"),
        enum_check("state", MatchState),
        Index("ix_match_state_updated", "state", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: a city's own need, or (``initiative_id``) a joint initiative of several cities
    need_id: int | None = Field(default=None, foreign_key="need.id", index=True)
    initiative_id: int | None = Field(default=None, foreign_key="joint_initiative.id",
                                      index=True)
    offer_id: int = Field(foreign_key="offer.id", index=True)
    state: str = Field(default=MatchState.PROPOSED.value, max_length=20)
    city_decision: str | None = Field(default=None, max_length=20)
    vendor_decision: str | None = Field(default=None, max_length=20)
    score: float = 0.0
    components: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    explanation: dict[str, object] = Field(default_factory=dict, sa_type=JSON)
    engine_version: str = Field(max_length=40)
    glossary_version: str = Field(max_length=40)
    reason: str | None = Field(default=None, max_length=1000)
    #: who made the last transition: city / vendor / coordinator / engine
    last_actor_side: str = Field(default="engine", max_length=20)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    version: int = Field(default=1)

    @property
    def touched(self) -> bool:
        """Has either side acted on it? Untouched proposals belong to the engine."""
        return self.city_decision is not None or self.vendor_decision is not None


class MatchEvent(SQLModel, table=True):
    """Append-only audit trail of a match: every transition, who, when (UTC), from/to, why."""

    __tablename__ = "match_event"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="match.id", index=True)
    at: datetime = timestamp_field()
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    actor_side: str = Field(max_length=20)  # city / vendor / coordinator / engine
    action: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str = Field(max_length=20)
    reason: str | None = Field(default=None, max_length=1000)


class Notification(SQLModel, table=True):
    """An in-app notice for one user about one match, one request to join their
    organisation, one joint initiative, or one similar need another city posted; the record
    of what they were told."""

    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    match_id: int | None = Field(default=None, foreign_key="match.id", index=True)
    join_request_id: int | None = Field(
        default=None, foreign_key="organization_join_request.id", index=True
    )
    initiative_id: int | None = Field(default=None, foreign_key="joint_initiative.id",
                                      index=True)
    need_id: int | None = Field(default=None, foreign_key="need.id", index=True)
    kind: str = Field(max_length=40)
    created_at: datetime = timestamp_field()
    read_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboundEmail(SQLModel, table=True):
    """An e-mail waiting to be sent. Written in the transition's transaction, delivered after
    it commits, retried until ``MAX_ATTEMPTS``; a failure never undoes the transition.
    A ``secret`` e-mail (a password reset link) has its body erased once it is sent or given
    up, so the database does not keep the secret."""

    __tablename__ = "outbound_email"  # type: ignore[assignment]
    __table_args__ = (enum_check("status", OutboxStatus),)

    id: int | None = Field(default=None, primary_key=True)
    to: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    body: str = Field(sa_type=Text)
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=20, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = timestamp_field()
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    secret: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class EngineState(SQLModel, table=True):
    """One row: a sequence bumped on every offer change, so each process can tell whether
    its in-memory index is stale and which offers to reload."""

    __tablename__ = "engine_state"  # type: ignore[assignment]

    id: int = Field(default=1, primary_key=True)
    #: changes whenever the row is created anew (e.g. an emptied database): caches keyed on it
    epoch: str = Field(max_length=32)
    offer_seq: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
