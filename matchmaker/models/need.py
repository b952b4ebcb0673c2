"""A city's smart-city need, in the SQLModel family Base / Create / Update / table / Public."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import ConfigDict, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import JSON, BigInteger, DateTime, Index, Text
from sqlmodel import Field, SQLModel

from matchmaker.models.base import PostingColumns, enum_check
from matchmaker.models.catalog import Dimension, NeedStatus, Stage
from matchmaker.models.fields import (
    EARLIEST_TARGET_DATE,
    Description,
    Money,
    RowVersion,
    Tags,
    Title,
    check_range,
    check_sub_element,
    check_target_date,
    today_in_indonesia,
)


class NeedBase(SQLModel):
    title: str = Field(max_length=150)
    description: str = Field(sa_type=Text)
    dimension: str = Field(max_length=20, index=True)
    sub_element: str | None = Field(default=None, max_length=40)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    budget_min: int | None = Field(default=None, sa_type=BigInteger)
    budget_max: int | None = Field(default=None, sa_type=BigInteger)
    unbudgeted: bool = False
    target_date: date | None = None
    stage: str = Field(max_length=20, index=True)
    priority: int = 2


class NeedInput(SQLModel):
    """The rules every need obeys, for creating and editing alike (table models don't validate)."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description
    dimension: Dimension
    sub_element: str | None = None
    tags: Tags
    budget_min: Money | None = None
    budget_max: Money | None = None
    unbudgeted: bool = False
    target_date: date | None = None
    stage: Stage
    priority: int = Field(default=2, ge=1, le=3)

    @model_validator(mode="after")
    def _consistent(self) -> NeedInput:
        self.sub_element = check_sub_element(self.dimension, self.sub_element)
        if self.unbudgeted:
            self.budget_min = self.budget_max = None
        elif self.budget_min is None or self.budget_max is None:
            raise PydanticCustomError(
                "budget_required", "Give a budget range or mark the need as not yet budgeted."
            )
        check_range(self.budget_min, self.budget_max)
        return self


class NeedCreate(NeedInput):
    """A new need; it starts as a draft unless ``publish`` is set. Its target date is not in
    the past (in Indonesia's westernmost zone, so nobody's "today" is refused)."""

    publish: bool = True

    @model_validator(mode="after")
    def _target_not_past(self) -> NeedCreate:
        check_target_date(self.target_date, earliest=today_in_indonesia())
        return self


class NeedUpdate(NeedInput):
    """An edit, carrying the version the editor saw (optimistic locking). An older need may
    keep a target date that has passed, but not one before the programme's time."""

    version: RowVersion

    @model_validator(mode="after")
    def _target_plausible(self) -> NeedUpdate:
        check_target_date(self.target_date, earliest=EARLIEST_TARGET_DATE)
        return self


class Need(NeedBase, PostingColumns, table=True):
    __table_args__ = (
        enum_check("dimension", Dimension),
        enum_check("stage", Stage),
        enum_check("status", NeedStatus),
        # The public list: one status, newest first, LIMIT 20 without sorting every row.
        Index("ix_need_status_created_at", "status", "created_at"),
    )

    status: str = Field(default=NeedStatus.DRAFT.value, max_length=20, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class NeedPublic(NeedBase):
    """What anyone may see of a need: no contact data."""

    id: int
    status: str
    organization_name: str
    regency_name: str | None
    province_name: str | None
    created_at: datetime
    updated_at: datetime
