"""Loading seed data: the real regions always, the demo organisations and people on request.

Every loader is idempotent: it upserts by a natural key, so running it twice changes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from matchmaker.models import Province, Regency
from matchmaker.resources import seeds_dir


@dataclass
class SeedReport:
    created: int = 0
    updated: int = 0

    def add(self, other: SeedReport) -> None:
        self.created += other.created
        self.updated += other.updated


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _float(value: str) -> float | None:
    return float(value) if value else None


def _int(value: str) -> int | None:
    return int(value) if value else None


def seed_regions(session: Session, folder: Path | None = None) -> SeedReport:
    """Upsert the 38 provinces and 514 kabupaten/kota from ``seeds/wilayah``."""
    folder = folder or seeds_dir() / "wilayah"
    report = SeedReport()
    provinces = {p.code: p for p in session.exec(select(Province)).all()}
    for row in _read_csv(folder / "provinces.csv"):
        values = {"name": row["name"], "population": _int(row["population_2025"]),
                  "area_km2": _float(row["area_km2"])}
        report.add(_upsert(session, provinces.get(row["code"]), Province, row["code"], values))
    session.flush()
    regencies = {r.code: r for r in session.exec(select(Regency)).all()}
    for row in _read_csv(folder / "regencies.csv"):
        values = {"province_code": row["province_code"], "kind": row["kind"], "name": row["name"],
                  "population": _int(row["population_2025"]), "area_km2": _float(row["area_km2"])}
        report.add(_upsert(session, regencies.get(row["code"]), Regency, row["code"], values))
    session.commit()
    return report


def _upsert(
    session: Session, existing: Province | Regency | None, model: type[Province] | type[Regency],
    code: str, values: Mapping[str, object],
) -> SeedReport:
    if existing is None:
        session.add(model.model_validate({"code": code, **values}))
        return SeedReport(created=1)
    changed = False
    for key, value in values.items():
        if getattr(existing, key) != value:
            setattr(existing, key, value)
            changed = True
    return SeedReport(updated=int(changed))
