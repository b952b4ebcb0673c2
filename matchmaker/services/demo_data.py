"""The demo organisations and people from ``seeds/demo`` (content comes with the needs issue)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from matchmaker import passwords
from matchmaker.models import (
    NATIONAL,
    Need,
    NeedInput,
    Offer,
    OfferInput,
    Organization,
    Province,
    Regency,
    User,
    UserStatus,
)
from matchmaker.models.base import utcnow
from matchmaker.resources import seeds_dir
from matchmaker.services import needs, offers
from matchmaker.services.seeding import SeedReport


def demo_dir() -> Path:
    return seeds_dir() / "demo"


def _load_json(name: str) -> list[dict[str, Any]]:
    path = demo_dir() / name
    if not path.exists():
        return []
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def demo_logins() -> list[tuple[str, str]]:
    """(e-mail, role) of the demo users, the easy ones first."""
    return [(u["email"], u["role"]) for u in _load_json("users.json")]


def seed_organizations(session: Session) -> tuple[dict[str, Organization], SeedReport]:
    report = SeedReport()
    orgs: dict[str, Organization] = {}
    regencies = {r.name: r.code for r in session.exec(select(Regency)).all()}
    for row in _load_json("organizations.json"):
        regency_code = regencies.get(row["regency"]) if row.get("regency") else None
        if row.get("regency") and regency_code is None:
            raise ValueError(f"organizations.json: unknown kabupaten/kota {row['regency']!r}")
        query = select(Organization).where(Organization.name == row["name"])
        if regency_code:
            query = select(Organization).where(Organization.regency_code == regency_code)
        org = session.exec(query).first()
        values = {"kind": row["kind"], "name": row["name"], "regency_code": regency_code,
                  "website": row.get("website"), "contact_email": row.get("contact_email"),
                  "contact_phone": row.get("contact_phone")}
        if org is None:
            org = Organization(**values)
            session.add(org)
            report.created += 1
        else:
            changed = False
            for key, value in values.items():
                if getattr(org, key) != value:
                    setattr(org, key, value)
                    changed = True
            report.updated += int(changed)
        orgs[row["key"]] = org
    session.flush()
    return orgs, report


def seed_users(session: Session, orgs: dict[str, Organization], password: str) -> SeedReport:
    """Demo accounts, each with its own salted hash (one shared hash would tell anyone who
    reads the table that the passwords are equal)."""
    report = SeedReport()
    for row in _load_json("users.json"):
        email = row["email"].casefold()
        if session.exec(select(User).where(User.email == email)).first() is not None:
            continue
        session.add(User(
            email=email, name=row["name"], role=row["role"],
            organization_id=orgs[row["organization"]].id, language=row.get("language", "id"),
            password_hash=passwords.hash_password(password), status=UserStatus.ACTIVE,
            verified_at=utcnow(),
        ))
        report.created += 1
    session.flush()
    return report


def _load_jsonl(name: str) -> list[dict[str, Any]]:
    path = demo_dir() / name
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


_NOT_INPUT = {"key", "organization", "status", "lang", "regions"}


def seed_needs(session: Session, orgs: dict[str, Organization]) -> SeedReport:
    """Demo needs, keyed by (city, title): an existing one is left as it is."""
    report = SeedReport()
    for row in _load_jsonl("needs.jsonl"):
        org = orgs[row["organization"]]
        exists = session.exec(select(Need.id).where(Need.organization_id == org.id,
                                                    Need.title == row["title"])).first()
        if exists is not None:
            continue
        data = NeedInput.model_validate({k: v for k, v in row.items() if k not in _NOT_INPUT})
        assert org.id is not None
        needs.new_need(session, org.id, data, row["status"])
        report.created += 1
    return report


def seed_offers(session: Session, orgs: dict[str, Organization]) -> SeedReport:
    """Demo offers, keyed by (vendor, title); regions are given by province name."""
    report = SeedReport()
    province_codes = {p.name: p.code for p in session.exec(select(Province)).all()}
    for row in _load_jsonl("offers.jsonl"):
        org = orgs[row["organization"]]
        exists = session.exec(select(Offer.id).where(Offer.organization_id == org.id,
                                                     Offer.title == row["title"])).first()
        if exists is not None:
            continue
        national = row["regions"] == [NATIONAL]
        values = {k: v for k, v in row.items() if k not in _NOT_INPUT}
        values["national"] = national
        values["regions"] = [] if national else [province_codes[name] for name in row["regions"]]
        assert org.id is not None
        offers.new_offer(session, org.id, OfferInput.model_validate(values), row["status"])
        report.created += 1
    return report


def seed_demo(session: Session, *, password: str) -> SeedReport:
    """Upsert the demo organisations, users, needs and offers; running it twice changes
    nothing (existing users keep their passwords, existing postings their edits)."""
    orgs, report = seed_organizations(session)
    report.add(seed_users(session, orgs, password))
    report.add(seed_needs(session, orgs))
    report.add(seed_offers(session, orgs))
    session.commit()
    return report
