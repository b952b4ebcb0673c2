"""A small matching world shared by the persisted-matching tests: one city with a street-lighting
and a flood need, a vendor for each, plus the helpers that read stored pairs back. Registered as a
pytest plugin in tests/conftest.py, so ``world`` and ``matching_settings``
are fixtures everywhere."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from matchmaker.db import begin_write
from matchmaker.models import (
    Match,
    MatchEvent,
    Offer,
    Organization,
)
from matchmaker.services import engine_index

PJU_NEED = {
    "title": "Penerangan jalan umum (PJU) pintar hemat energi",
    "description": "Kota membutuhkan PJU LED pintar dengan kontrol peredupan (dimming) jarak "
    "jauh dan notifikasi lampu padam untuk menekan tagihan listrik.",
    "tags": ["PJU", "LED", "dimming"], "dimension": "environment",
}


FLOOD_NEED = {
    "title": "Sistem peringatan dini banjir",
    "description": "Sensor tinggi muka air di sungai dan pintu air dengan peringatan dini banjir "
    "ke warga melalui sirene dan WhatsApp.",
    "tags": ["banjir", "sensor", "peringatan dini"], "dimension": "environment",
}


PJU_OFFER = {
    "title": "Kontroler PJU pintar berbasis LoRaWAN",
    "description": "Kontroler lampu jalan LED dengan dimming, deteksi lampu padam dan dasbor "
    "pemantauan konsumsi energi.",
    "tags": ["PJU pintar", "dimming", "LED"],
}


FLOOD_OFFER = {
    "title": "Flood early warning system",
    "description": "River water level sensors and rain gauges with early warning alerts by "
    "siren and WhatsApp for flood-prone districts.",
    "tags": ["flood", "early warning", "sensor"],
}


UNRELATED_OFFER = {
    "title": "Aplikasi kasir UMKM",
    "description": "Aplikasi kasir dan pembukuan untuk warung dan toko kelontong, dengan "
    "laporan penjualan harian.",
    "tags": ["UMKM", "kasir"], "dimension": "economy",
}


@pytest.fixture
def matching_settings(app):
    """Mail sent inline and the score floor the world's pairs were chosen for."""
    app.config.update(MAIL_ASYNC=False, MATCH_MIN_SCORE=30)


@pytest.fixture
def world(make, db):
    city_user = make.user("city_official")
    pju_vendor = make.user("vendor")
    flood_vendor = make.user("vendor")
    city = db.get(Organization, city_user.organization_id)
    return {
        "city_user": city_user, "pju_vendor": pju_vendor, "flood_vendor": flood_vendor,
        "pju": make.need(city, **PJU_NEED), "flood": make.need(city, **FLOOD_NEED),
        "pju_offer": make.offer(db.get(Organization, pju_vendor.organization_id), **PJU_OFFER),
        "flood_offer": make.offer(db.get(Organization, flood_vendor.organization_id),
                                  **FLOOD_OFFER),
    }


def stored_pairs(db) -> dict[tuple[int, int], Match]:
    db.rollback()
    db.expire_all()
    return {(m.need_id, m.offer_id): m for m in db.exec(select(Match)).all()}


def event_count(db) -> int:
    db.rollback()
    return db.exec(select(func.count()).select_from(MatchEvent)).one()


def stored_pair(db, world, need: str, offer: str) -> Match:
    return stored_pairs(db)[(world[need].id, world[f"{offer}_offer"].id)]


def rewrite_offer(db, offer: Offer, **values: object) -> None:
    """Another session edits the offer's text (and stamps it for the index)."""
    begin_write(db)
    stored = db.get(Offer, offer.id)
    for key, value in values.items():
        setattr(stored, key, value)
    engine_index.bump_offer(db, offer.id)
    db.commit()
