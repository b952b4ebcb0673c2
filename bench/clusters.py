"""Benchmark of the overlap clusters on a seeded synthetic corpus made from the dev set's needs.

Each synthetic need is a dev-set need with some description sentences dropped, a sentence of
another need mixed in now and then, a subset of its tags, and a random city out of 514 (so
many copies of one programme share a city and the cannot-link constraint matters). Prints one
JSON object: the time of ``find_overlaps`` (analysis, sparse product, clustering and the
explanations) on all needs, its pair count and peak RSS, the pairwise precision and recall of
the clusters against the programme each copy was made from, and a same-run baseline: the
previous dense implementation (an n x n similarity matrix and connected components) on a
smaller sample, compared with the sparse one on the same sample.

    python bench/clusters.py                      # 10,000 needs, baseline on 2,000
    python bench/clusters.py --needs 2000 --baseline 500
    MATCHMAKER_DEVSET=path/to/devset python bench/clusters.py
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matchmaker.matching import (  # noqa: E402
    EngineConfig,
    NeedDoc,
    default_glossary,
    find_overlaps,
)
from matchmaker.matching.evaluation import load_needs  # noqa: E402
from matchmaker.matching.features import analyze  # noqa: E402
from matchmaker.matching.need_space import NeedSpace, city_key  # noqa: E402
from matchmaker.matching.spaces import TermSpace  # noqa: E402

DEVSET = Path(os.environ.get("MATCHMAKER_DEVSET", ROOT.parent / "shared" / "data" / "devset"))
N_CITIES = 514  # kabupaten and kota in Indonesia
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def programmes(devset: Path, needs: Sequence[NeedDoc]) -> dict[str, int]:
    """The gold overlap group of every dev-set need (a need outside every group is alone)."""
    group = {n.id: k for k, n in enumerate(needs)}
    with open(devset / "overlap_gold.jsonl", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    changed = True
    while changed:  # the groups are closed, but do not rely on it
        changed = False
        for r in rows:
            lo = min(group[r["a"]], group[r["b"]])
            for key in (r["a"], r["b"]):
                if group[key] != lo:
                    group[key], changed = lo, True
    return group


def generate(
    base: Sequence[NeedDoc], group: dict[str, int], n: int, seed: int
) -> tuple[list[NeedDoc], list[int]]:
    """n synthetic needs and the programme (gold group) each was made from."""
    rng = random.Random(seed)
    provinces = sorted({b.province or "" for b in base})
    cities = [(f"Kota Sintetis {k}", rng.choice(provinces)) for k in range(N_CITIES)]
    sentences = {b.id: _SENTENCE.split(b.description) for b in base}
    out: list[NeedDoc] = []
    truth: list[int] = []
    for i in range(n):
        b = rng.choice(base)
        kept = [s for s in sentences[b.id] if rng.random() > 0.25] or sentences[b.id][:1]
        if rng.random() < 0.3:
            other = rng.choice(base)
            kept.insert(rng.randrange(len(kept) + 1), rng.choice(sentences[other.id]))
        tags = tuple(rng.sample(b.tags, max(2, len(b.tags) - rng.randrange(3))))
        city, province = rng.choice(cities)
        out.append(
            replace(
                b,
                id=f"S{i:05d}",
                description=" ".join(kept),
                tags=tags,
                city=city,
                province=province,
            )
        )
        truth.append(group[b.id])
    return out, truth


def dense_overlap_groups(needs: Sequence[NeedDoc], config: EngineConfig) -> list[list[int]]:
    """The previous implementation, kept here as the baseline: a dense n x n similarity
    matrix, pairs above the threshold naming a common concept, connected components."""
    g = default_glossary()
    feats = [analyze(g, n.title, n.description, tuple(n.tags)) for n in needs]
    cspace, sspace = TermSpace(), TermSpace()
    cspace.fit([f.concepts for f in feats])
    sspace.fit([f.stems for f in feats])
    qc = cspace.matrix([f.concepts for f in feats], grow=False)
    qs = sspace.matrix([f.stems for f in feats], grow=False)
    share = config.overlap_concept_share
    sim = share * (qc @ qc.T).toarray() + (1 - share) * (qs @ qs.T).toarray()
    cities = [city_key(n) for n in needs]
    same = np.asarray([[a == b for b in cities] for a in cities], dtype=bool)
    sim[same] = 0.0
    parent = list(range(len(needs)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ii, jj = np.nonzero(np.triu(sim >= config.overlap_threshold, k=1))
    for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
        if set(feats[i].concept_terms) & set(feats[j].concept_terms):
            parent[find(i)] = find(j)
    comps: dict[int, list[int]] = {}
    for i in range(len(needs)):
        comps.setdefault(find(i), []).append(i)
    return [m for m in comps.values() if len(m) > 1]


def pairwise(
    groups: Sequence[Sequence[int]], needs: Sequence[NeedDoc], truth: Sequence[int]
) -> dict[str, float]:
    """Pairwise precision and recall of clusters against the programmes (pairs of one city
    are not overlaps, so they are not in the truth either)."""
    city = [city_key(n) for n in needs]
    tp = pred = 0
    for m in groups:
        for a, b in itertools.combinations(m, 2):
            pred += 1
            tp += truth[a] == truth[b] and city[a] != city[b]
    by: dict[int, dict[str, int]] = {}
    for t, c in zip(truth, city, strict=True):
        counts = by.setdefault(t, {})
        counts[c] = counts.get(c, 0) + 1
    gold = 0
    for counts in by.values():
        total = sum(counts.values())
        gold += (total * (total - 1) - sum(v * (v - 1) for v in counts.values())) // 2
    return {"precision": tp / pred if pred else 0.0, "recall": tp / gold if gold else 0.0}


def timed_clusters(needs: Sequence[NeedDoc]) -> tuple[float, list[list[int]]]:
    row = {n.id: k for k, n in enumerate(needs)}
    t = time.perf_counter()
    clusters = find_overlaps(needs)
    seconds = time.perf_counter() - t
    return seconds, [[row[i] for i in c.need_ids] for c in clusters]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--needs", type=int, default=10_000)
    ap.add_argument("--baseline", type=int, default=2_000, help="needs for the dense baseline")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--devset", type=Path, default=DEVSET)
    args = ap.parse_args()

    base = load_needs(args.devset / "needs.jsonl")
    group = programmes(args.devset, base)
    needs, truth = generate(base, group, args.needs, args.seed)
    default_glossary()  # loading the shipped glossary is not part of the clustering

    # warm the per-token analysis cache, as a running service has it
    find_overlaps(needs[: min(500, len(needs))])
    c = time.process_time()
    sparse_s, groups = timed_clusters(needs)
    cpu_s = time.process_time() - c
    cfg = EngineConfig()
    pairs = len(
        NeedSpace(needs).pairs(
            cfg.overlap_pair_floor, shared_concept=True, per_need=cfg.overlap_neighbors
        )
    )
    quality = pairwise(groups, needs, truth)
    cities = [city_key(n) for n in needs]
    same_city = sum(len({cities[r] for r in g}) < len(g) for g in groups)

    small = needs[: args.baseline]
    small_truth = truth[: args.baseline]
    t = time.perf_counter()
    dense_groups = dense_overlap_groups(small, EngineConfig())
    dense_s = time.perf_counter() - t
    sparse_small_s, small_groups = timed_clusters(small)
    dense_q = pairwise(dense_groups, small, small_truth)
    sparse_q = pairwise(small_groups, small, small_truth)

    print(
        json.dumps(
            {
                "needs": len(needs),
                "clusters_s": round(sparse_s, 3),
                "cpu_clusters_s": round(cpu_s, 3),
                "pairs_clustered": pairs,
                "clusters_with_two_needs_of_one_city": same_city,
                "clusters": len(groups),
                "largest_cluster": max((len(g) for g in groups), default=0),
                "precision": round(quality["precision"], 4),
                "recall": round(quality["recall"], 4),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "baseline_needs": len(small),
                "dense_baseline_s": round(dense_s, 3),
                "sparse_same_needs_s": round(sparse_small_s, 3),
                "speedup_vs_dense": round(dense_s / sparse_small_s, 1),
                "dense_matrix_mb_at_needs": round(8 * len(needs) ** 2 / 2**20),
                "dense_precision": round(dense_q["precision"], 4),
                "dense_recall": round(dense_q["recall"], 4),
                "sparse_precision_same_needs": round(sparse_q["precision"], 4),
                "sparse_recall_same_needs": round(sparse_q["recall"], 4),
            }
        )
    )


if __name__ == "__main__":
    main()
