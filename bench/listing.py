"""Benchmark of the need and offer list pages on a seeded SQLite database.

Builds a temporary database through the real migrations, bulk-inserts needs of ~200 cities and
offers of ~500 vendors (varied bilingual texts from a seeded generator, ``search_text`` built
as the services build it), then times list pages through the Flask test client and prints one
JSON object: median and p95 milliseconds per scenario, a same-run baseline (``/healthz``) and
each scenario's p95 divided by the baseline's.

    python bench/listing.py                                   # 10,000 needs, 50,000 offers
    python bench/listing.py --needs 1000 --offers 5000 --requests 50
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from matchmaker.app import create_app  # noqa: E402
from matchmaker.db import make_engine  # noqa: E402
from matchmaker.migrate import upgrade  # noqa: E402
from matchmaker.models import (  # noqa: E402
    SUB_ELEMENTS,
    Dimension,
    Maturity,
    Need,
    NeedStatus,
    Offer,
    OfferRegion,
    OfferStatus,
    Organization,
    Province,
    Regency,
    Stage,
)
from matchmaker.services.seeding import seed_regions  # noqa: E402
from matchmaker.text import search_document  # noqa: E402

SUBJECTS = [
    ("lampu jalan pintar", "smart street lighting"), ("parkir elektronik", "e-parking"),
    ("pengelolaan sampah", "waste management"), ("air bersih", "clean water"),
    ("pelayanan publik digital", "digital public services"), ("CCTV kota", "city CCTV"),
    ("transportasi umum", "public transport"), ("energi surya", "solar energy"),
    ("telemedisin puskesmas", "telemedicine"), ("sistem informasi desa", "village information"),
    ("pemantauan banjir", "flood monitoring"), ("pariwisata digital", "digital tourism"),
    ("UMKM daring", "online SMEs"), ("sekolah pintar", "smart schools"),
    ("kualitas udara", "air quality"), ("pajak daerah daring", "online local tax"),
]
PROBLEMS = ["biaya operasional tinggi", "data tidak terintegrasi", "keluhan warga meningkat",
            "petugas terbatas", "pelaporan masih manual", "cakupan layanan belum merata"]
EXTRAS = ["Kami membutuhkan dasbor pemantauan dan pelatihan petugas.",
          "Integrasi dengan aplikasi yang sudah ada diutamakan.",
          "Solution must support Bahasa Indonesia and offline use.",
          "Pilot di dua kecamatan sebelum diperluas ke seluruh kota.",
          "Vendor menyediakan pemeliharaan selama tiga tahun.",
          "Open data standards and an API are required."]
TAGS = ["iot", "sensor", "aplikasi", "dashboard", "gis", "ai", "cloud", "open data",
        "pembayaran", "led", "drone", "e-government", "cctv", "sms", "solar", "api"]
VENDOR_WORDS = ["Nusantara", "Digital", "Solusi", "Teknologi", "Cerdas", "Mandiri", "Global",
                "Inovasi", "Data", "Kota"]


def _text(rng: random.Random) -> tuple[str, str, list[str]]:
    indo, english = rng.choice(SUBJECTS)
    title = f"{indo.capitalize()} untuk {rng.choice(PROBLEMS)}"[:150]
    description = " ".join([
        f"Kami mencari solusi {indo} ({english}) karena {rng.choice(PROBLEMS)}.",
        *rng.sample(EXTRAS, 3),
        f"Target: {rng.randint(2, 40)} lokasi dalam {rng.randint(3, 24)} bulan.",
    ])
    return title, description, rng.sample(TAGS, rng.randint(1, 4))


def _range(rng: random.Random) -> tuple[int, int]:
    low = rng.randint(1, 200) * 10_000_000
    return low, low + rng.randint(0, 300) * 10_000_000


def _chunks(rows: list[dict[str, Any]], size: int = 5000) -> Any:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def populate(session: Session, n_needs: int, n_offers: int, seed: int) -> dict[str, Any]:
    """Bulk-insert cities, vendors, needs and offers; returns facts the scenarios use."""
    rng = random.Random(seed)
    regencies = session.exec(select(Regency).order_by(Regency.code)).scalars().all()  # type: ignore[call-overload]
    provinces = [p.code for p in session.exec(select(Province)).scalars().all()]  # type: ignore[call-overload]
    cities = rng.sample(list(regencies), min(200, len(regencies)))
    session.execute(insert(Organization), [
        {"kind": "city", "name": f"Pemerintah {r.name}", "regency_code": r.code,
         "contact_email": f"diskominfo@{r.code}.go.id"} for r in cities])
    session.execute(insert(Organization), [
        {"kind": "vendor", "name": f"PT {' '.join(rng.sample(VENDOR_WORDS, 2))} {i}"}
        for i in range(500)])
    orgs = session.exec(select(Organization.id, Organization.kind, Organization.name,  # type: ignore[call-overload]
                               Organization.regency_code)).all()
    regency_names = {r.code: r.name for r in regencies}
    city_orgs = [o for o in orgs if o.kind == "city"]
    vendor_orgs = [o for o in orgs if o.kind == "vendor"]
    now = datetime.now(UTC)
    # Rows arrive over a year, in id order, as they would in production.
    need_times = sorted(now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
                        for _ in range(n_needs))
    offer_times = sorted(now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
                         for _ in range(n_offers))
    dimensions, stages, maturities = list(Dimension), list(Stage), list(Maturity)

    need_rows = []
    for created in need_times:
        org = rng.choice(city_orgs)
        title, description, tags = _text(rng)
        dimension = rng.choice(dimensions)
        unbudgeted = rng.random() < 0.15
        low, high = (None, None) if unbudgeted else _range(rng)
        status = rng.choices([NeedStatus.OPEN, NeedStatus.DRAFT, NeedStatus.CLOSED,
                              NeedStatus.IN_PARTNERSHIP], [80, 8, 8, 4])[0]
        need_rows.append({
            "title": title, "description": description, "dimension": dimension.value,
            "sub_element": rng.choice([None, *SUB_ELEMENTS[dimension]]), "tags": tags,
            "budget_min": low, "budget_max": high, "unbudgeted": unbudgeted,
            "target_date": rng.choice([None, date(2026, 1, 1) + timedelta(days=rng.randint(0,
                                                                                         1500))]),
            "stage": rng.choice(stages).value, "priority": rng.randint(1, 3),
            "organization_id": org.id, "status": status.value, "created_at": created,
            "updated_at": created, "version": 1,
            "search_text": search_document([title, description, " ".join(tags), org.name,
                                            regency_names.get(org.regency_code)]),
        })
    for chunk in _chunks(need_rows):
        session.execute(insert(Need), chunk)

    offer_rows = []
    for created in offer_times:
        org = rng.choice(vendor_orgs)
        title, description, tags = _text(rng)
        dimension = rng.choice(dimensions)
        low, high = _range(rng) if rng.random() < 0.8 else (None, None)
        offer_rows.append({
            "title": title.replace("untuk", "- solusi"), "description": description,
            "dimension": dimension.value, "sub_element": None, "tags": tags,
            "price_min": low, "price_max": high, "national": rng.random() < 0.4,
            "maturity": rng.choice(maturities).value, "references": [],
            "organization_id": org.id,
            "status": rng.choices([OfferStatus.PUBLISHED, OfferStatus.DRAFT,
                                   OfferStatus.ARCHIVED], [85, 8, 7])[0].value,
            "created_at": created, "updated_at": created, "version": 1,
            "search_text": search_document([title, description, " ".join(tags), org.name]),
        })
    for chunk in _chunks(offer_rows):
        session.execute(insert(Offer), chunk)
    offer_ids = session.exec(select(Offer.id, Offer.national).order_by(Offer.id)).all()  # type: ignore[call-overload]
    region_rows = [{"offer_id": oid, "province_code": code}
                   for oid, national in offer_ids if not national
                   for code in rng.sample(provinces, rng.randint(1, 4))]
    for chunk in _chunks(region_rows):
        session.execute(insert(OfferRegion), chunk)
    session.commit()
    busiest = max(cities, key=lambda r: r.province_code == "32")
    return {"province": busiest.province_code, "regency_rows": len(region_rows)}


def _time(client: Any, path: str, requests: int) -> dict[str, float]:
    for _ in range(3):  # warm caches and the template cache
        assert client.get(path).status_code == 200, path
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, path
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(p95, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--offers", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        start = time.perf_counter()
        with Session(engine) as session:
            seed_regions(session)
            facts = populate(session, args.needs, args.offers, args.seed)
        seed_seconds = time.perf_counter() - start
        engine.dispose()

        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url,
                          "MAIL_BACKEND": "locmem", "REDIS_URL": None})
        client = app.test_client()
        province = facts["province"]
        scenarios = {
            "needs_plain": "/needs/",
            "needs_filters_search": f"/needs/?q=surya&dimension=environment&province={province}"
                                    "&min=100000000&sort=budget",
            "needs_search_two_terms": "/needs/?q=air+bersih&stage=short_term",
            "needs_page_50": "/needs/?page=50",
            "offers_province_search": f"/offers/?q=sensor&province={province}",
            "offers_plain": "/offers/",
        }
        baseline = _time(client, "/healthz", args.requests)
        results: dict[str, Any] = {}
        for name, path in scenarios.items():
            figures = _time(client, path, args.requests)
            figures["p95_over_baseline"] = round(figures["p95_ms"] / max(baseline["p95_ms"],
                                                                          0.001), 1)
            results[name] = {"path": path, **figures}
        print(json.dumps({
            "needs": args.needs, "offers": args.offers, "offer_regions": facts["regency_rows"],
            "requests_per_scenario": args.requests, "seed_seconds": round(seed_seconds, 1),
            "baseline_healthz": baseline, "scenarios": results,
            "target_p95_ms": 100,
            "all_under_target": all(r["p95_ms"] < 100 for r in results.values()),
        }, indent=2))


if __name__ == "__main__":
    main()
