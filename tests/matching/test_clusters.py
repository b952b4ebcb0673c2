"""Overlap clusters: dev-set quality, average-link behaviour, the one-city rule, determinism,
and the sparse need-need similarity behind them."""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaker.matching import NeedDoc, NeedSpace, find_overlaps, similar_needs
from matchmaker.matching.clustering import average_linkage
from matchmaker.matching.evaluation import load_needs

ROOT = Path(__file__).resolve().parents[2]
DEVSET = Path(os.environ.get("MATCHMAKER_DEVSET", ROOT.parent / "shared" / "data" / "devset"))
needs_devset = pytest.mark.skipif(
    not (DEVSET / "overlap_gold.jsonl").exists(), reason="the shared dev set is absent"
)


def _devset() -> tuple[list[NeedDoc], set[tuple[str, str]]]:
    with open(DEVSET / "overlap_gold.jsonl", encoding="utf-8") as f:
        gold = {(r["a"], r["b"]) for r in map(json.loads, filter(str.strip, f))}
    return load_needs(DEVSET / "needs.jsonl"), gold


@needs_devset
def test_dev_set_clusters_reach_the_pairwise_precision_and_recall_floors() -> None:
    needs, gold = _devset()
    clusters = find_overlaps(needs)
    predicted = {p for c in clusters for p in itertools.combinations(c.need_ids, 2)}
    hits = len(predicted & gold)
    precision, recall = hits / len(predicted), hits / len(gold)
    print(
        f"dev-set clusters: {len(clusters)}, predicted pairs {len(predicted)}, "
        f"gold pairs {len(gold)}, precision {precision:.3f}, recall {recall:.3f}"
    )
    assert precision >= 0.8
    assert recall >= 0.7


@needs_devset
def test_dev_set_clusters_do_not_depend_on_input_order() -> None:
    needs, _ = _devset()
    shuffled = needs[:]
    random.Random(3).shuffle(shuffled)
    first = [c.to_dict() for c in find_overlaps(needs)]
    assert first == [c.to_dict() for c in find_overlaps(shuffled)]
    assert first == [c.to_dict() for c in find_overlaps(needs)]


@needs_devset
def test_dev_set_clusters_explain_themselves() -> None:
    needs, _ = _devset()
    by_id = {n.id: n for n in needs}
    for c in find_overlaps(needs):
        assert list(c.need_ids) == sorted(c.need_ids)
        assert c.cities == tuple(by_id[i].city for i in c.need_ids)
        assert len(set(c.cities)) == len(c.cities)
        assert 0.0 < c.min_link <= 1.0 and 0.0 < c.confidence <= 1.0
        assert c.shared_concepts, c.need_ids
        for s in c.shared_concepts:
            assert s.label_id and s.label_en and len(s.need_ids) >= 2 and s.terms
            assert set(s.need_ids) <= set(c.need_ids)
        json.dumps(c.to_dict())


def test_a_chain_whose_ends_are_unrelated_does_not_become_one_cluster() -> None:
    # A~B and B~C, A and C unrelated: single linkage would give {A, B, C}
    clusters = average_linkage(3, [(0, 1, 0.6), (1, 2, 0.55)], [0, 1, 2], 0.35)
    assert [c.members for c in clusters] == [(0, 1)]
    assert clusters[0].cohesion == pytest.approx(0.6)


def test_a_third_item_joins_when_its_mean_link_reaches_the_threshold() -> None:
    # {0, 1} then 2: mean link (0.5 + 0.3) / 2 = 0.4 >= 0.35
    clusters = average_linkage(3, [(0, 1, 0.9), (0, 2, 0.5), (1, 2, 0.3)], [0, 1, 2], 0.35)
    assert [c.members for c in clusters] == [(0, 1, 2)]
    assert clusters[0].cohesion == pytest.approx((0.9 + 0.5 + 0.3) / 3)
    assert clusters[0].min_link == pytest.approx(0.4)
    # but not when it falls short: (0.5 + 0.1) / 2 = 0.3
    clusters = average_linkage(3, [(0, 1, 0.9), (0, 2, 0.5), (1, 2, 0.1)], [0, 1, 2], 0.35)
    assert [c.members for c in clusters] == [(0, 1)]


def test_two_items_of_one_group_never_share_a_cluster() -> None:
    # 0 and 2 share a group: however strong their links, 2 goes elsewhere or alone
    pairs = [(0, 1, 0.9), (1, 2, 0.9), (0, 2, 0.9), (2, 3, 0.5)]
    clusters = average_linkage(4, pairs, [7, 8, 7, 9], 0.35)
    assert [c.members for c in clusters] == [(0, 1), (2, 3)]


def test_groups_must_label_every_item() -> None:
    with pytest.raises(ValueError):
        average_linkage(3, [], [0, 1], 0.3)


_eighths = st.integers(1, 8).map(lambda k: k / 8)  # exact sums: ties do not hang on rounding


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, float]], list[int]]:
    n = draw(st.integers(2, 14))
    edges = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=40))
    pairs = [(a, b, draw(_eighths)) for a, b in sorted(edges) if a < b]
    groups = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    return n, pairs, groups


@settings(max_examples=200, deadline=None)
@given(_graphs(), st.sampled_from([0.2, 0.35, 0.5]), st.randoms(use_true_random=False))
def test_clusters_respect_groups_and_threshold_whatever_the_pair_order(
    graph: tuple[int, list[tuple[int, int, float]], list[int]],
    threshold: float,
    rnd: random.Random,
) -> None:
    n, pairs, groups = graph
    clusters = average_linkage(n, pairs, groups, threshold)
    seen: set[int] = set()
    for c in clusters:
        assert len(c.members) >= 2
        assert len({groups[m] for m in c.members}) == len(c.members)
        assert not seen & set(c.members)
        seen |= set(c.members)
        assert c.min_link >= threshold
    shuffled = [(b, a, s) if rnd.random() < 0.5 else (a, b, s) for a, b, s in pairs]
    rnd.shuffle(shuffled)
    assert average_linkage(n, shuffled, groups, threshold) == clusters


NEEDS = [
    NeedDoc(
        "a", "Jalan gelap malam hari", "Lampu jalan banyak mati.", ("PJU",), city="Kota Kupang"
    ),
    NeedDoc(
        "b",
        "Smart street lighting",
        "Replace old street lights with LED and a central dashboard.",
        ("street lighting",),
        city="Kota Samarinda",
    ),
    NeedDoc(
        "c",
        "Penerangan jalan umum",
        "PJU tenaga surya di jalan desa.",
        ("PJU",),
        city="Kota Kupang",
    ),
    NeedDoc(
        "d",
        "Peringatan dini banjir",
        "Sensor AWLR dan sirine banjir di sungai.",
        ("banjir", "EWS"),
        city="Kota Manado",
    ),
]


def test_need_space_pairs_equal_the_dense_product_above_the_floor() -> None:
    space = NeedSpace(NEEDS)
    dense = (space.vectors @ space.vectors.T).toarray()
    for floor in (1e-9, 0.1, 0.3):
        p = space.pairs(floor, cross_city=False)
        got = {
            (i, j): s
            for i, j, s in zip(p.i.tolist(), p.j.tolist(), p.similarity.tolist(), strict=True)
        }
        want = {
            (i, j): float(dense[i, j])
            for i in range(len(NEEDS))
            for j in range(i + 1, len(NEEDS))
            if dense[i, j] >= floor
        }
        assert got.keys() == want.keys()
        assert all(got[k] == pytest.approx(want[k]) for k in want)
    cross = space.pairs(1e-9)
    assert (0, 2) not in set(zip(cross.i.tolist(), cross.j.tolist(), strict=True))  # both in Kupang


def test_need_space_keeps_only_each_needs_strongest_links_when_asked() -> None:
    space = NeedSpace(NEEDS)
    everything = space.pairs(1e-9, cross_city=False)
    capped = space.pairs(1e-9, cross_city=False, per_need=1)
    assert 0 < len(capped) < len(everything)
    keys = zip(everything.i.tolist(), everything.j.tolist(), strict=True)
    sims = dict(zip(keys, everything.similarity.tolist(), strict=True))
    kept = set(zip(capped.i.tolist(), capped.j.tolist(), strict=True))
    for row in range(len(NEEDS)):
        mine = {k: v for k, v in sims.items() if row in k}
        if mine:
            top = max(mine.values())
            assert any(mine[k] == top for k in kept if row in k)


def test_similar_needs_flag_the_same_city_and_skip_the_need_itself() -> None:
    found = similar_needs(NEEDS, "a", floor=0.05)
    ids = [s.need_id for s in found]
    assert "a" not in ids
    assert set(ids) >= {"b", "c"}
    assert {s.need_id: s.same_city for s in found}["c"] is True
    assert {s.need_id: s.same_city for s in found}["b"] is False
    assert [s.similarity for s in found] == sorted((s.similarity for s in found), reverse=True)
    lighting = next(s for s in found if s.need_id == "b")
    assert "street-lighting" in {c.concept_id for c in lighting.shared_concepts}
    assert all(s.similarity >= 0.05 for s in found)
    assert similar_needs(NEEDS, "a", floor=0.99) == []


def test_similar_needs_of_a_draft_use_the_same_vectors() -> None:
    space = NeedSpace(NEEDS)
    draft = NeedDoc(
        "new", "Lampu jalan mati", "PJU rusak di banyak ruas.", ("PJU",), city="Kota Kupang"
    )
    found = space.similar(draft, k=2, floor=0.05)
    assert len(found) == 2
    assert found[0].need_id in {"a", "c"} and found[0].same_city
    stored = space.similar("a", floor=0.0, k=10)
    again = NeedSpace(NEEDS).similar(NEEDS[0], floor=0.0, k=10)
    assert [(s.need_id, s.similarity) for s in stored] == [(s.need_id, s.similarity) for s in again]
    assert np.isclose(sum(s.similarity for s in stored), sum(s.similarity for s in again))
