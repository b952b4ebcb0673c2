"""Benchmark of the match workflow's heavy parts on SQLite: full matching runs (engine plus
persisting proposals, events and notifications) and the proposals page.

Prints one JSON object:

- ``demo_match_s``: a fresh database migrated with Alembic, the real regions and the demo
  content (``seed_demo``), then ``matching.rematch_all``;
- ``large_match_s``: the same run over ``--needs`` x ``--offers`` bulk-inserted postings
  (seeded bilingual generator; ``search_text`` and ``index_seq`` filled as the services fill
  them, one city official per city and one staff member per vendor, so notifications and
  e-mails are written too), with the number of proposals stored;
- ``proposals_page_p50_ms``/``p95_ms``: GET /needs/<id>/proposals for random needs with
  proposals, through the test client logged in as the need's city official, next to a
  same-run ``/healthz`` baseline and the ratio of the two p95s.

    python bench/workflow.py                            # 2,000 needs x 10,000 offers
    python bench/workflow.py --needs 10000 --offers 50000   # the issue's full size
    python bench/workflow.py --needs 500 --offers 2500 --requests 50

The default is scaled down (``"scaled": true``): persisting a full run's ~100,000 proposals
with their events, notifications and e-mails takes ~6 ms per proposal on 2 cores, beyond
the 10-minute budget at full size.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, func, insert, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from matchmaker import passwords  # noqa: E402
from matchmaker.app import create_app  # noqa: E402
from matchmaker.db import get_session, make_engine  # noqa: E402
from matchmaker.migrate import upgrade  # noqa: E402
from matchmaker.models import (  # noqa: E402
    Dimension,
    EngineState,
    Match,
    Maturity,
    Need,
    Offer,
    OfferRegion,
    Organization,
    OutboundEmail,
    Province,
    Regency,
    Stage,
    User,
)
from matchmaker.services import engine_index, matching  # noqa: E402
from matchmaker.services.demo_data import seed_demo  # noqa: E402
from matchmaker.services.seeding import seed_regions  # noqa: E402
from matchmaker.text import search_document  # noqa: E402

PASSWORD = "bench-password-123"
FULL_SIZE = (10_000, 50_000)  # needs x offers asked for by the issue

# (dimension, Indonesian subject, English subject, typical tags)
SUBJECTS = [
    ("environment", "penerangan jalan umum (PJU) pintar", "smart street lighting",
     ["PJU", "LED", "dimming"]),
    ("environment", "peringatan dini banjir", "flood early warning", ["banjir", "sensor"]),
    ("environment", "pengelolaan sampah dan bank sampah", "waste management",
     ["sampah", "TPS3R"]),
    ("environment", "pemantauan kualitas udara", "air quality monitoring", ["ISPU", "sensor"]),
    ("living", "air bersih dan kebocoran pipa PDAM", "clean water leak detection",
     ["PDAM", "NRW"]),
    ("living", "telemedisin puskesmas", "primary care telemedicine", ["puskesmas", "SIMPUS"]),
    ("living", "CCTV dan ruang kendali kota", "city CCTV and command center",
     ["CCTV", "command center"]),
    ("living", "transportasi umum dan bus listrik", "public transport and e-buses",
     ["BRT", "e-ticketing"]),
    ("governance", "pengaduan warga omnichannel", "omnichannel citizen complaints",
     ["SP4N-LAPOR", "SLA"]),
    ("governance", "tanda tangan elektronik dan naskah dinas", "e-signature and e-office",
     ["TTE", "SRIKANDI"]),
    ("economy", "pajak daerah daring dan QRIS", "online local tax and QRIS",
     ["PBB", "QRIS"]),
    ("economy", "parkir elektronik", "e-parking", ["parkir", "retribusi"]),
    ("economy", "pemasaran UMKM daring", "online SME marketplace", ["UMKM", "marketplace"]),
    ("society", "sekolah pintar dan literasi digital", "smart schools and digital literacy",
     ["sekolah", "literasi"]),
    ("society", "data kependudukan dan bansos", "population and social aid data",
     ["DTKS", "NIK"]),
    ("branding", "pariwisata digital dan event kota", "digital tourism and city events",
     ["pariwisata", "wisata"]),
]
PROBLEMS_ID = ["biaya operasional tinggi", "data tidak terintegrasi", "keluhan warga meningkat",
               "petugas terbatas", "pelaporan masih manual", "cakupan layanan belum merata"]
PROBLEMS_EN = ["high running costs", "data silos between agencies", "rising complaints",
               "too few field staff", "manual reporting", "uneven service coverage"]
EXTRAS = ["Kami membutuhkan dasbor pemantauan dan pelatihan petugas.",
          "Integrasi dengan aplikasi yang sudah ada diutamakan.",
          "Solution must support Bahasa Indonesia and offline use.",
          "Pilot di dua kecamatan sebelum diperluas ke seluruh kota.",
          "Vendor menyediakan pemeliharaan selama tiga tahun.",
          "Open data standards and an API are required."]
VENDOR_WORDS = ["Nusantara", "Digital", "Solusi", "Teknologi", "Cerdas", "Mandiri", "Global",
                "Inovasi", "Data", "Kota"]


def _need_text(rng: random.Random) -> tuple[str, str, str, list[str]]:
    dimension, indo, english, tags = rng.choice(SUBJECTS)
    if rng.random() < 0.7:
        title = f"{indo.capitalize()} untuk mengatasi {rng.choice(PROBLEMS_ID)}"
        body = [f"Kota kami membutuhkan {indo} karena {rng.choice(PROBLEMS_ID)}."]
    else:
        title = f"{english.capitalize()} to tackle {rng.choice(PROBLEMS_EN)}"
        body = [f"Our city needs {english} because of {rng.choice(PROBLEMS_EN)}."]
    body += [*rng.sample(EXTRAS, 2), f"Target: {rng.randint(2, 40)} lokasi."]
    return dimension, title[:150], " ".join(body), rng.sample(tags, rng.randint(1, len(tags)))


def _offer_text(rng: random.Random) -> tuple[str, str, str, list[str]]:
    dimension, indo, english, tags = rng.choice(SUBJECTS)
    brand = rng.choice(VENDOR_WORDS) + rng.choice(["Kita", "Go", "Pro", "Hub", "Link"])
    if rng.random() < 0.55:
        title = f"{brand}: platform {indo}"
        body = [f"Solusi {indo} yang sudah terpasang di {rng.randint(2, 60)} daerah.",
                "Dasbor, aplikasi petugas dan API terbuka."]
    else:
        title = f"{brand}: {english} platform"
        body = [f"A proven {english} solution running in {rng.randint(2, 60)} regions.",
                "Dashboards, a field app and open APIs."]
    body.append(rng.choice(EXTRAS))
    return dimension, title[:150], " ".join(body), rng.sample(tags, rng.randint(1, len(tags)))


def _range(rng: random.Random) -> tuple[int, int]:
    low = rng.randint(1, 200) * 10_000_000
    return low, low + rng.randint(0, 300) * 10_000_000


def _chunks(rows: list[dict[str, Any]], size: int = 5000) -> Any:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def populate(session: Session, n_needs: int, n_offers: int, seed: int) -> None:
    """Bulk-insert 200 cities with an official each, 500 vendors with a staff member each,
    open needs and published offers, and the engine's version stamp."""
    rng = random.Random(seed)
    regencies = list(session.execute(select(Regency).order_by(Regency.code)).scalars())
    provinces = [p.code for p in session.execute(select(Province)).scalars()]
    cities = rng.sample(regencies, min(200, len(regencies)))
    session.execute(insert(Organization), [
        {"kind": "city", "name": f"Pemerintah {r.name}", "regency_code": r.code,
         "contact_email": f"diskominfo@{r.code}.go.id"} for r in cities])
    session.execute(insert(Organization), [
        {"kind": "vendor", "name": f"PT {' '.join(rng.sample(VENDOR_WORDS, 2))} {i}",
         "contact_email": f"halo@vendor{i}.example"} for i in range(500)])
    orgs = session.execute(select(Organization.id, Organization.kind, Organization.name,
                                  Organization.regency_code)).all()
    password_hash = passwords.hash_password(PASSWORD)
    session.execute(insert(User), [
        {"email": f"{o.kind}{o.id}@bench.example", "name": f"Staf {o.name}"[:120],
         "role": "city_official" if o.kind == "city" else "vendor", "status": "active",
         "organization_id": o.id, "password_hash": password_hash} for o in orgs])
    regency_names = {r.code: r.name for r in regencies}
    city_orgs = [o for o in orgs if o.kind == "city"]
    vendor_orgs = [o for o in orgs if o.kind == "vendor"]
    stages, maturities = list(Stage), list(Maturity)

    need_rows = []
    for _ in range(n_needs):
        org = rng.choice(city_orgs)
        dimension, title, description, tags = _need_text(rng)
        low, high = _range(rng)
        need_rows.append({
            "title": title, "description": description, "dimension": Dimension(dimension).value,
            "tags": tags, "budget_min": low, "budget_max": high, "unbudgeted": False,
            "stage": rng.choice(stages).value, "priority": rng.randint(1, 3),
            "organization_id": org.id, "status": "open", "version": 1,
            "search_text": search_document([title, description, " ".join(tags), org.name,
                                            regency_names.get(org.regency_code)]),
        })
    for chunk in _chunks(need_rows):
        session.execute(insert(Need), chunk)

    offer_rows = []
    for seq in range(1, n_offers + 1):
        org = rng.choice(vendor_orgs)
        dimension, title, description, tags = _offer_text(rng)
        low, high = _range(rng)
        offer_rows.append({
            "title": title, "description": description, "dimension": dimension, "tags": tags,
            "price_min": low, "price_max": high, "national": rng.random() < 0.5,
            "maturity": rng.choice(maturities).value, "references": [],
            "organization_id": org.id, "status": "published", "version": 1, "index_seq": seq,
            "search_text": search_document([title, description, " ".join(tags), org.name]),
        })
    for chunk in _chunks(offer_rows):
        session.execute(insert(Offer), chunk)
    session.execute(insert(EngineState), [{"id": 1, "epoch": uuid.uuid4().hex,
                                           "offer_seq": n_offers}])
    regional = session.execute(select(Offer.id).where(Offer.national.is_(False))).scalars()
    region_rows = [{"offer_id": offer_id, "province_code": code} for offer_id in regional
                   for code in rng.sample(provinces, rng.randint(1, 4))]
    for chunk in _chunks(region_rows):
        session.execute(insert(OfferRegion), chunk)
    session.commit()


def _database(folder: str, name: str) -> tuple[str, Engine]:
    url = f"sqlite:///{Path(folder) / name}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        seed_regions(session)
    return url, engine


def _app(url: str) -> Any:
    return create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url,
                       "MAIL_BACKEND": "locmem", "MAIL_ASYNC": False, "REDIS_URL": None,
                       "LIMITER_ENABLED": False, "WTF_CSRF_ENABLED": False})


def _rematch_all(app: Any) -> tuple[float, matching.RunReport]:
    engine_index.forget()  # a cold process: the index is built from the database
    with app.test_request_context():
        start = time.perf_counter()
        report = matching.rematch_all(get_session())
        return time.perf_counter() - start, report


def _percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return round(statistics.median(samples), 2), round(p95, 2)


def _time_get(client: Any, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def proposals_page(app: Any, engine: Engine, requests: int, seed: int) -> dict[str, Any]:
    """p50/p95 of the proposals page for random needs with proposals, as their official."""
    rng = random.Random(seed)
    with Session(engine) as session:
        rows = session.execute(
            select(Need.id, User.email).join(Match, Match.need_id == Need.id)
            .join(User, (User.organization_id == Need.organization_id)
                  & (User.role == "city_official")).distinct()).all()
    cities = sorted({email for _need, email in rows})
    chosen = set(rng.sample(cities, min(10, len(cities))))
    needs = [(need_id, email) for need_id, email in rows if email in chosen]
    clients: dict[str, Any] = {}
    for email in chosen:
        client = app.test_client()
        response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, email
        clients[email] = client
    picks = [rng.choice(needs) for _ in range(requests)]
    for need_id, email in picks[:5]:  # warm the template cache
        _time_get(clients[email], f"/needs/{need_id}/proposals")
    page = [_time_get(clients[email], f"/needs/{need_id}/proposals") for need_id, email in picks]
    any_client = next(iter(clients.values()))
    baseline = [_time_get(any_client, "/healthz") for _ in range(requests)]
    p50, p95 = _percentiles(page)
    base50, base95 = _percentiles(baseline)
    return {"proposals_page_p50_ms": p50, "proposals_page_p95_ms": p95,
            "healthz_p50_ms": base50, "healthz_p95_ms": base95,
            "p95_over_healthz": round(p95 / max(base95, 0.001), 1),
            "page_requests": requests, "page_needs_sampled": len({n for n, _e in picks})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--needs", type=int, default=2_000)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    result: dict[str, Any] = {"needs": args.needs, "offers": args.offers,
                              "scaled": (args.needs, args.offers) != FULL_SIZE,
                              "full_size": list(FULL_SIZE)}
    with tempfile.TemporaryDirectory() as folder:
        url, engine = _database(folder, "demo.db")
        with Session(engine) as session:
            seed_demo(session, password=PASSWORD)
            demo_needs = session.execute(select(func.count()).select_from(Need)).scalar_one()
            demo_offers = session.execute(select(func.count()).select_from(Offer)).scalar_one()
        seconds, report = _rematch_all(_app(url))
        result.update(demo_needs=demo_needs, demo_offers=demo_offers,
                      demo_match_s=round(seconds, 2), demo_proposals=report.proposed)
        engine.dispose()

        url, engine = _database(folder, "large.db")
        start = time.perf_counter()
        with Session(engine) as session:
            populate(session, args.needs, args.offers, args.seed)
        result["large_seed_s"] = round(time.perf_counter() - start, 1)
        app = _app(url)
        seconds, report = _rematch_all(app)
        with Session(engine) as session:
            stored = session.execute(select(func.count()).select_from(Match)).scalar_one()
            emails = session.execute(select(func.count()).select_from(OutboundEmail)
                                     ).scalar_one()
        result.update(large_match_s=round(seconds, 1), large_proposals=report.proposed,
                      large_matches_stored=stored, large_notifications=report.notified,
                      large_emails_queued=emails)
        seconds, again = _rematch_all(app)
        result.update(large_rerun_s=round(seconds, 1), large_rerun_new=again.proposed)
        result.update(proposals_page(app, engine, args.requests, args.seed))
        engine.dispose()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
