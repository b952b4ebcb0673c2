"""Benchmark of the matching engine on a seeded synthetic bilingual corpus.

Prints one JSON object: build and full-rematch times, single-need latency, peak RSS, same-run
baselines (rapidfuzz cdist over all title pairs and a naive Python double loop, both measured
on a sample and extrapolated), and the agreement of the candidate generator with an
exhaustive scoring.

    python bench/engine.py                       # 10,000 needs x 100,000 offers
    python bench/engine.py --needs 1000 --offers 10000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaker.matching import (  # noqa: E402
    EngineConfig,
    Glossary,
    MatchIndex,
    NeedDoc,
    OfferDoc,
    default_glossary,
    propose_all,
)

PROVINCES = [
    "Aceh",
    "Sumatera Utara",
    "Sumatera Barat",
    "Riau",
    "Jambi",
    "Sumatera Selatan",
    "Bengkulu",
    "Lampung",
    "Kepulauan Bangka Belitung",
    "Kepulauan Riau",
    "DKI Jakarta",
    "Jawa Barat",
    "Jawa Tengah",
    "DI Yogyakarta",
    "Jawa Timur",
    "Banten",
    "Bali",
    "Nusa Tenggara Barat",
    "Nusa Tenggara Timur",
    "Kalimantan Barat",
    "Kalimantan Tengah",
    "Kalimantan Selatan",
    "Kalimantan Timur",
    "Kalimantan Utara",
    "Sulawesi Utara",
    "Sulawesi Tengah",
    "Sulawesi Selatan",
    "Sulawesi Tenggara",
    "Gorontalo",
    "Sulawesi Barat",
    "Maluku",
    "Maluku Utara",
    "Papua Barat",
    "Papua Barat Daya",
    "Papua",
    "Papua Selatan",
    "Papua Tengah",
    "Papua Pegunungan",
]
STAGES = ["quick_win", "short_term", "medium_term", "long_term", None]
MATURITIES = ["concept", "pilot", "proven", "deployed", None]

NEED_ID = [
    "Pemerintah {place} membutuhkan {a} untuk mengatasi masalah {b}. Saat ini {c} masih "
    "dilakukan manual sehingga data tidak akurat dan warga sering mengeluh.",
    "Kami ingin menerapkan {a} yang terhubung dengan {b}, termasuk pelatihan petugas, "
    "dasbor pemantauan, dan laporan bulanan untuk pimpinan daerah.",
    "Masalah utama: {b} belum tertangani dan {c} tdk terpantau. Dinas terkait butuh {a} "
    "yg mudah dipakai oleh petugas lapangan di kecamatan.",
    "Program prioritas tahun ini adalah {a}. Solusi harus mendukung {c} serta integrasi "
    "dengan sistem nasional dan bisa diperluas ke desa.",
]
NEED_EN = [
    "The {place} government needs {a} to address {b}. Today {c} is handled on paper, "
    "so figures are unreliable and residents complain.",
    "We want to deploy {a} connected to {b}, with staff training, a monitoring dashboard "
    "and monthly reports for the regional leadership.",
    "Main problem: {b} is not handled and {c} is not tracked. The agency needs {a} that "
    "field officers in every district can use.",
]
OFFER_ID = [
    "Kami menyediakan {a} lengkap dengan {b}. Sudah dipakai di beberapa kabupaten/kota, "
    "termasuk instalasi, pelatihan operator, dan dukungan teknis 24 jam.",
    "Solusi {a} berbasis cloud untuk pemerintah daerah: {b}, {c}, dan dasbor analitik. "
    "Harga fleksibel sesuai jumlah titik layanan.",
]
OFFER_EN = [
    "We provide {a} with {b}. Already used by several local governments, including "
    "installation, operator training and 24/7 technical support.",
    "A cloud {a} for local governments: {b}, {c} and analytics dashboards. Flexible pricing "
    "per service point, with a pilot option.",
]
FILLER = (
    "terpadu",
    "real-time",
    "aman",
    "skalabel",
    "mobile",
    "open API",
    "SLA",
    "laporan",
    "notifikasi",
    "peta",
    "integrasi",
    "analitik",
    "offline",
    "multi-user",
)


def _terms(glossary: Glossary) -> dict[str, list[list[str]]]:
    """Terms by dimension, one list per concept."""
    by_dim: dict[str, list[list[str]]] = {}
    for c in glossary.concepts.values():
        by_dim.setdefault(c.dimension, []).append(list(c.terms))
    return by_dim


def generate(n_needs: int, n_offers: int, seed: int) -> tuple[list[NeedDoc], list[OfferDoc]]:
    rng = random.Random(seed)
    by_dim = _terms(default_glossary())
    dims = sorted(by_dim)

    def text(templates: list[str], concept: list[str], other: list[str], place: str) -> str:
        a, b, c = (rng.choice(concept), rng.choice(concept), rng.choice(other))
        body = rng.choice(templates).format(a=a, b=b, c=c, place=place)
        return body + " " + " ".join(rng.sample(FILLER, 3))

    needs = []
    for i in range(n_needs):
        dim = rng.choice(dims)
        concept, other = rng.sample(by_dim[dim], 2)
        lang = "id" if rng.random() < 0.7 else "en"
        prov = rng.choice(PROVINCES)
        place = f"Kabupaten {rng.randrange(1000)}"
        lo = 10 ** rng.uniform(7.5, 9.5)
        needs.append(
            NeedDoc(
                id=f"N{i}",
                title=" ".join(rng.sample(concept, min(2, len(concept)))).capitalize(),
                description=text(NEED_ID if lang == "id" else NEED_EN, concept, other, place),
                tags=tuple(rng.sample(concept, min(3, len(concept)))),
                dimension=dim,
                province=prov,
                city=place,
                budget_min=int(lo),
                budget_max=int(lo * rng.uniform(1, 4)),
                stage=rng.choice(STAGES),
                lang=lang,
            )
        )
    offers = []
    for i in range(n_offers):
        dim = rng.choice(dims)
        concept, other = rng.sample(by_dim[dim], 2)
        lang = "id" if rng.random() < 0.55 else "en"
        regions = ("nasional",) if rng.random() < 0.65 else tuple(rng.sample(PROVINCES, 2))
        lo = 10 ** rng.uniform(7, 9.5)
        offers.append(
            OfferDoc(
                id=f"O{i}",
                title=" ".join(rng.sample(concept, min(2, len(concept)))).title(),
                description=text(OFFER_ID if lang == "id" else OFFER_EN, concept, other, "daerah"),
                tags=tuple(rng.sample(concept, min(3, len(concept)))),
                dimension=dim,
                regions=regions,
                price_min=int(lo),
                price_max=int(lo * rng.uniform(1, 5)),
                maturity=rng.choice(MATURITIES),
                lang=lang,
                organization=f"PT Vendor {i}",
            )
        )
    return needs, offers


def _best_of(runs: int, fn: Callable[[], object]) -> float:
    """The shortest wall time of `runs` calls of fn."""
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _children_cpu() -> float:
    """CPU time of finished child processes (forked rematch workers)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--needs", type=int, default=10_000)
    ap.add_argument("--offers", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--single", type=int, default=300, help="needs timed one at a time")
    ap.add_argument("--agreement-sample", type=int, default=100)
    ap.add_argument(
        "--workers", type=int, default=2, help="processes for build and rematch (1: no fork)"
    )
    args = ap.parse_args()

    default_glossary()  # loading the shipped glossary is not part of the index build
    needs, offers = generate(args.needs, args.offers, args.seed)

    # CPU time (all threads of this process) tells a loaded machine apart from a slow engine
    t, c, cc = time.perf_counter(), time.process_time(), _children_cpu()
    index = MatchIndex.build(offers, config=EngineConfig(workers=args.workers))
    build_s, cpu_build_s = time.perf_counter() - t, time.process_time() - c
    cpu_build_children_s = _children_cpu() - cc

    t, c, cc = time.perf_counter(), time.process_time(), _children_cpu()
    result = propose_all(index, needs, k=10, workers=args.workers)
    rematch_s, cpu_rematch_s = time.perf_counter() - t, time.process_time() - c
    cpu_rematch_children_s = _children_cpu() - cc

    rng = random.Random(args.seed + 1)
    lat, cpu_lat = [], []
    for need in rng.sample(needs, min(args.single, len(needs))):
        t, c = time.perf_counter(), time.process_time()
        index.propose(need, k=10)
        lat.append((time.perf_counter() - t) * 1000)
        cpu_lat.append((time.process_time() - c) * 1000)

    # top-10 agreement with an exhaustive scoring by the same scorer
    sample = rng.sample(needs, min(args.agreement_sample, len(needs)))
    exhaustive = index.propose_many(sample, k=10, exhaustive=True)
    agree = []
    for need in sample:
        ex = {p.offer_id for p in exhaustive[need.id]}
        got = {p.offer_id for p in result[need.id]}
        if ex:
            agree.append(len(ex & got) / len(ex))

    # baseline 1: rapidfuzz cdist with token_set_ratio over all title pairs (sampled; the
    # best of 3 runs, so that a noisy neighbour cannot inflate the baseline)
    titles_n = [n.title for n in needs]
    titles_o = [o.title for o in offers]
    sn, so = min(200, len(needs)), min(20_000, len(offers))
    cdist_sample = _best_of(
        3,
        lambda: process.cdist(
            titles_n[:sn],
            titles_o[:so],
            scorer=fuzz.token_set_ratio,
            processor=utils.default_process,
            workers=-1,
        ),
    )
    cdist_all = cdist_sample * (len(needs) * len(offers)) / (sn * so)

    # baseline 2: naive Python double loop (sampled, best of 3)
    sn2, so2 = min(20, len(needs)), min(2_000, len(offers))

    def naive_loop() -> None:
        for a in titles_n[:sn2]:
            for b in titles_o[:so2]:
                fuzz.token_set_ratio(a, b, processor=utils.default_process)

    naive = _best_of(3, naive_loop) * (len(needs) * len(offers)) / (sn2 * so2)

    engine = build_s + rematch_s
    print(
        json.dumps(
            {
                "needs": len(needs),
                "offers": len(offers),
                "build_s": round(build_s, 3),
                "rematch_s": round(rematch_s, 3),
                "cpu_build_s": round(cpu_build_s, 3),
                "cpu_build_children_s": round(cpu_build_children_s, 3),
                "cpu_rematch_s": round(cpu_rematch_s, 3),
                "cpu_rematch_children_s": round(cpu_rematch_children_s, 3),
                "workers": args.workers,
                "single_p50_ms": round(float(np.percentile(lat, 50)), 3),
                "single_p95_ms": round(float(np.percentile(lat, 95)), 3),
                "single_cpu_p50_ms": round(float(np.percentile(cpu_lat, 50)), 3),
                "single_cpu_p95_ms": round(float(np.percentile(cpu_lat, 95)), 3),
                "cpu_total_s": round(
                    cpu_build_s + cpu_build_children_s + cpu_rematch_s + cpu_rematch_children_s, 3
                ),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "peak_rss_children_mb": round(
                    resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
                ),
                "cdist_all_pairs_s": round(cdist_all, 2),
                "naive_loop_s": round(naive, 1),
                "speedup_vs_cdist": round(cdist_all / engine, 1),
                "speedup_vs_naive": round(naive / engine, 1),
                "top10_agreement": round(float(np.mean(agree)) if agree else 0.0, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
