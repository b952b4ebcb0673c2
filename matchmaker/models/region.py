"""Real Indonesian regions: the 38 provinces and 514 kabupaten/kota (Kemendagri codes)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Province(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=2)
    name: str = Field(max_length=80, unique=True)
    population: int | None = None
    area_km2: float | None = None


class Regency(SQLModel, table=True):
    """A kabupaten or kota; ``name`` carries its ``Kabupaten ``/``Kota `` prefix."""

    code: str = Field(primary_key=True, max_length=5)
    province_code: str = Field(foreign_key="province.code", index=True, max_length=2)
    kind: str = Field(max_length=10)
    name: str = Field(max_length=80, index=True)
    population: int | None = None
    area_km2: float | None = None
