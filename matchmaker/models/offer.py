"""A vendor's offer, in the SQLModel family Base / Create / Update / table / Public."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, ConfigDict, StringConstraints, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import JSON, BigInteger, DateTime, Index, Text, text
from sqlmodel import Field, SQLModel

from matchmaker.models.base import PostingColumns, enum_check
from matchmaker.models.catalog import Dimension, Maturity, OfferStatus
from matchmaker.models.fields import (
    Description,
    Money,
    RowVersion,
    Tags,
    Title,
    check_range,
    check_sub_element,
    printable,
)

ProvinceCode = Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
Reference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200),
    AfterValidator(printable),
]


def _lines(value: object) -> object:
    """References arrive one per line from the web form, or as a list (absent: none)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [line for line in value.splitlines() if line.strip()]
    return value


class OfferBase(SQLModel):
    title: str = Field(max_length=150)
    description: str = Field(sa_type=Text)
    dimension: str = Field(max_length=20, index=True)
    sub_element: str | None = Field(default=None, max_length=40)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    price_min: int | None = Field(default=None, sa_type=BigInteger)
    price_max: int | None = Field(default=None, sa_type=BigInteger)
    national: bool = True
    maturity: str = Field(max_length=20, index=True)
    references: list[str] = Field(default_factory=list, sa_type=JSON)


class OfferInput(SQLModel):
    """The rules every offer obeys, for creating and editing alike."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description
    dimension: Dimension
    sub_element: str | None = None
    tags: Tags
    price_min: Money | None = None
    price_max: Money | None = None
    national: bool = True
    regions: list[ProvinceCode] = Field(default_factory=list, max_length=38)
    maturity: Maturity
    references: Annotated[list[Reference], BeforeValidator(_lines)] = Field(
        default_factory=list, max_length=10
    )

    @model_validator(mode="after")
    def _consistent(self) -> OfferInput:
        self.sub_element = check_sub_element(self.dimension, self.sub_element)
        check_range(self.price_min, self.price_max)
        if self.national:
            self.regions = []
        elif not self.regions:
            raise PydanticCustomError(
                "regions_required", "Choose the provinces served, or mark the offer national."
            )
        self.regions = sorted(set(self.regions))
        return self


class OfferCreate(OfferInput):
    publish: bool = True


class OfferUpdate(OfferInput):
    version: RowVersion


class Offer(OfferBase, PostingColumns, table=True):
    __table_args__ = (
        enum_check("dimension", Dimension),
        enum_check("maturity", Maturity),
        enum_check("status", OfferStatus),
        # The public list: one status, newest first, LIMIT 20 without sorting every row.
        Index("ix_offer_status_created_at", "status", "created_at"),
    )

    status: str = Field(default=OfferStatus.DRAFT.value, max_length=20, index=True)
    archived_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    #: ``EngineState.offer_seq`` at this offer's last change (what a stale index reloads).
    index_seq: int = Field(default=0, index=True, sa_column_kwargs={"server_default": text("0")})


class OfferRegion(SQLModel, table=True):
    """A province an offer's vendor serves (absent for national offers)."""

    __tablename__ = "offer_region"  # type: ignore[assignment]

    offer_id: int = Field(foreign_key="offer.id", primary_key=True, ondelete="CASCADE")
    province_code: str = Field(foreign_key="province.code", primary_key=True, max_length=2,
                               index=True)


class OfferPublic(OfferBase):
    """What anyone may see of an offer: no contact data."""

    id: int
    status: str
    organization_name: str
    region_names: list[str]
    created_at: datetime
    updated_at: datetime
