"""Organisations: a city government, a vendor company or the programme's coordination office."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from matchmaker.models.base import enum_check, timestamp_field


class OrganizationKind(StrEnum):
    CITY = "city"
    VENDOR = "vendor"
    COORDINATION = "coordination"


class Organization(SQLModel, table=True):
    """Who owns needs (a city) or offers (a vendor). A city is tied to one real kabupaten/kota."""

    __table_args__ = (enum_check("kind", OrganizationKind),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)
    name: str = Field(max_length=150)
    regency_code: str | None = Field(
        default=None, foreign_key="regency.code", unique=True, max_length=5
    )
    website: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=40)
    created_at: datetime = timestamp_field()
