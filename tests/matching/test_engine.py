"""Index, scoring components, explanations, region and budget fit, upsert/remove."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest

from matchmaker.matching import (
    ENGINE_VERSION,
    MatchIndex,
    NeedDoc,
    OfferDoc,
    Proposal,
    canonical_dimension,
    propose_all,
)

NEED = NeedDoc(
    id="n1",
    title="Jalan gelap malam hari",
    description="Banyak lampu jalan mati, warga takut.",
    tags=("PJU", "lampu jalan"),
    dimension="smart living",
    province="Nusa Tenggara Timur",
    city="Kota Kupang",
    budget_min=500_000_000,
    budget_max=2_000_000_000,
    stage="quick_win",
    lang="id",
)
NATIONAL = OfferDoc(
    id="o-national",
    title="Smart street lighting retrofit",
    description="LED street lights with a central management system and dimming.",
    tags=("street lighting", "LED"),
    dimension="living",
    price_min=800_000_000,
    price_max=1_500_000_000,
    maturity="deployed",
    lang="en",
)
REGIONAL = OfferDoc(
    id="o-regional",
    title="Smart street lighting retrofit for Sumatra",
    description="LED street lights with a central management system and dimming.",
    tags=("street lighting", "LED"),
    dimension="living",
    regions=("Riau", "Jambi"),
    price_min=800_000_000,
    price_max=1_500_000_000,
    maturity="deployed",
    lang="en",
)
EXPENSIVE = OfferDoc(
    id="o-expensive",
    title="Penerangan jalan umum tenaga surya",
    description="PJU tenaga surya lengkap dengan tiang dan baterai.",
    tags=("PJU", "surya"),
    dimension="living",
    price_min=30_000_000_000,
    price_max=60_000_000_000,
    maturity="concept",
    lang="id",
)
OTHER = OfferDoc(
    id="o-other",
    title="Aplikasi bank sampah",
    description="Nasabah menabung sampah.",
    tags=("bank sampah",),
    dimension="environment",
    lang="id",
)


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    return MatchIndex.build([NATIONAL, REGIONAL, EXPENSIVE, OTHER])


def by_id(props: list[Proposal]) -> dict[str, Proposal]:
    return {p.offer_id: p for p in props}


def test_import_is_clean() -> None:
    code = (
        "import sys, matchmaker.matching\n"
        "bad = [m for m in ('flask', 'sqlmodel', 'sqlalchemy') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    assert ENGINE_VERSION


def test_canonical_dimension() -> None:
    assert canonical_dimension("smart governance") == "governance"
    assert canonical_dimension("Smart-Environment") == "environment"
    assert canonical_dimension("living") == "living"
    assert canonical_dimension("unknown") is None
    assert canonical_dimension(None) is None


def test_cross_language_match_and_explanation(index: MatchIndex) -> None:
    props = index.propose(NEED, k=4)
    assert props[0].offer_id == "o-national"
    best = props[0]
    assert abs(sum(best.components.values()) - best.score) < 0.01
    assert set(best.components) == {
        "text",
        "concepts",
        "tags",
        "dimension",
        "region",
        "budget",
        "maturity",
    }
    concept = best.shared_concepts[0]
    assert concept.concept_id == "street-lighting"
    assert concept.label_id and concept.label_en
    assert concept.need_terms and concept.offer_terms
    data = best.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert "summary_en" in data["explanation"] and "summary_id" in data["explanation"]
    assert by_id(props).get("o-other") is None or by_id(props)["o-other"].score < 20


def test_region_fit(index: MatchIndex) -> None:
    props = by_id(index.propose(NEED, k=4))
    assert "outside_region" in props["o-regional"].flags
    assert "outside_region" not in props["o-national"].flags
    assert props["o-regional"].components["region"] == 0.0
    assert props["o-national"].score > props["o-regional"].score


def test_budget_and_maturity_fit(index: MatchIndex) -> None:
    props = by_id(index.propose(NEED, k=4))
    expensive = props["o-expensive"]
    assert "price_above_budget" in expensive.flags
    assert "maturity_low_for_stage" in expensive.flags
    assert expensive.components["budget"] < props["o-national"].components["budget"]
    other = props.get("o-other")
    if other is not None:
        assert "price_unknown" in other.flags
        assert "dimension_mismatch" in other.flags


def test_upsert_and_remove_are_incremental() -> None:
    idx = MatchIndex.build([REGIONAL, OTHER])
    assert len(idx) == 2
    idx.upsert(NATIONAL)
    assert len(idx) == 3
    assert idx.propose(NEED, k=1)[0].offer_id == "o-national"
    idx.upsert(
        NATIONAL.__class__(
            **{
                **_fields(NATIONAL),
                "title": "Aplikasi kasir kafe",
                "description": "Kasir untuk kafe.",
                "tags": (),
            }
        )
    )
    assert idx.propose(NEED, k=1)[0].offer_id == "o-regional"
    assert idx.remove("o-regional") is True
    assert idx.remove("o-regional") is False
    assert "o-regional" not in {p.offer_id for p in idx.propose(NEED, k=5)}
    assert len(idx) == 2


def test_propose_all_and_rebuild_threshold() -> None:
    from matchmaker.matching import EngineConfig

    idx = MatchIndex.build([OTHER], config=EngineConfig(max_delta=1))
    idx.upsert(NATIONAL)
    idx.upsert(EXPENSIVE)  # crosses max_delta: full rebuild
    result = propose_all(idx, [NEED], k=2)
    assert [p.offer_id for p in result["n1"]][0] in {"o-national", "o-expensive"}


def _fields(doc: OfferDoc) -> dict[str, object]:
    return {name: getattr(doc, name) for name in doc.__dataclass_fields__}


def _slow_in_this_process(monkeypatch: Any, owner: Any, name: str) -> list[int]:
    """Make ``owner.name`` slow in this process only, so that forked workers take tasks;
    returns the list of calls made here."""
    parent, real = os.getpid(), getattr(owner, name)
    calls: list[int] = []

    def slow(*args: Any) -> Any:
        if os.getpid() == parent:
            calls.append(1)
            time.sleep(0.05)
        return real(*args)

    monkeypatch.setattr(owner, name, slow)
    return calls


def _forked_needs(word: str) -> list[NeedDoc]:
    """Needs in several provinces, each with a word no analysis has seen yet."""
    base = _fields(NEED)
    return [
        NeedDoc(**{**base, "id": f"n{i}", "province": p, "title": f"PJU {word}{i}qz"})  # type: ignore[arg-type]
        for i, p in enumerate(["Riau", "Jambi", "Bali", None, "Aceh"])
    ]


def test_a_forked_rematch_gives_the_same_proposals(monkeypatch: pytest.MonkeyPatch) -> None:
    from matchmaker.matching import batch, parallel
    from matchmaker.matching import index as index_module

    if not parallel.can_fork():
        pytest.skip("no fork on this platform")
    idx = MatchIndex.build([NATIONAL, REGIONAL, EXPENSIVE, OTHER])
    idx.upsert(OfferDoc(id="o-delta", title="Lampu jalan LED", description="PJU hemat energi."))
    needs = _forked_needs("fork")
    lexicon = batch.lexicon_for(idx.glossary)
    mark = lexicon.n_learned
    with monkeypatch.context() as patch:
        patch.setattr(index_module, "_MIN_NEEDS_PER_WORKER", 1)
        patch.setattr(index_module, "_CHUNK_NEEDS", 1)  # a task per need
        here = _slow_in_this_process(patch, MatchIndex, "_raw")
        two = idx.propose_many(needs, k=3, workers=2)
    assert len(here) < len(needs)  # a worker took some needs
    # the new words of the needs a worker read were learnt here too, once
    learned = [token for token, _, _ in lexicon.learned_since(mark)]
    assert len(learned) == len(set(learned))
    assert {f"fork{i}qz" for i in range(len(needs))} <= set(learned)
    one = {k: [p.to_dict() for p in v] for k, v in propose_all(idx, needs, k=3).items()}
    assert {k: [p.to_dict() for p in v] for k, v in two.items()} == one
    assert list(two) == [n.id for n in needs]  # in the order asked
    assert all(isinstance(p, Proposal) for v in two.values() for p in v)


def test_a_forked_build_gives_the_same_proposals(monkeypatch: pytest.MonkeyPatch) -> None:
    from matchmaker.matching import EngineConfig, batch, parallel

    if not parallel.can_fork():
        pytest.skip("no fork on this platform")
    offers = [NATIONAL, REGIONAL, EXPENSIVE, OTHER]
    needs = _forked_needs("build")
    one = {
        k: [p.to_dict() for p in v] for k, v in propose_all(MatchIndex.build(offers), needs).items()
    }
    monkeypatch.setattr(batch, "_MIN_DOCS_PER_PART", 1)  # 4 parts
    here = _slow_in_this_process(monkeypatch, batch, "analyze_batch")
    forked = MatchIndex.build(offers, config=EngineConfig(workers=2))
    assert len(here) < 4  # a worker analysed some parts
    got = {k: [p.to_dict() for p in v] for k, v in propose_all(forked, needs).items()}
    assert got == one


def test_prune_postings_keeps_the_heaviest_offers_per_feature() -> None:
    import numpy as np
    from scipy import sparse

    from matchmaker.matching.index import _prune_postings

    post = sparse.csr_matrix(
        np.asarray([[0.1, 0.5, 0.0, 0.3, 0.2], [0.0, 0.4, 0.0, 0.0, 0.0]], dtype=np.float32)
    )
    cut = _prune_postings(post, 2)
    assert cut.toarray().tolist() == [
        pytest.approx([0.0, 0.5, 0.0, 0.3, 0.0]),
        pytest.approx([0.0, 0.4, 0.0, 0.0, 0.0]),
    ]
    assert cut.has_sorted_indices
    assert _prune_postings(post, 0) is post


def test_top_mask_keeps_at_least_pool_best_per_row() -> None:
    import numpy as np

    from matchmaker.matching.index import _top_mask

    rng = np.random.default_rng(0)
    rows = np.repeat(np.arange(5), [50, 3, 0, 200, 10])
    vals = rng.random(len(rows))
    vals[rows == 4] = 0.5  # all tied
    keep = _top_mask(rows, vals, 5, 8)
    for r in range(5):
        v, k = vals[rows == r], keep[rows == r]
        assert k.sum() >= min(8, len(v))
        if len(v):
            best = np.sort(v)[::-1][: min(8, len(v))]
            assert set(best) <= set(v[k])  # the true top 8 are always kept
            assert k.sum() <= max(8, len(v) // 4) or r == 4


def test_offer_terms_of_shared_concepts_match_the_per_row_reference(index: MatchIndex) -> None:
    for props in index.propose_many([NEED], k=10).values():
        for p in props:
            a, row = index._loc[p.offer_id]
            terms = a.concept_terms(row)
            for cm in p.shared_concepts:
                assert cm.offer_terms == terms[cm.concept_id]


def test_rowwise_matches_the_scipy_elementwise_product() -> None:
    import numpy as np
    from scipy import sparse

    from matchmaker.matching.csr import rowwise as _rowwise

    rng = np.random.default_rng(1)
    a = sparse.random(30, 40, density=0.2, format="csr", random_state=rng)
    b = sparse.random(30, 40, density=0.3, format="csr", random_state=rng)
    a.sort_indices()
    b.sort_indices()
    rows, cols, ia, ib = _rowwise(a, b)
    got = sparse.csr_matrix((a.data[ia] * b.data[ib], (rows, cols)), shape=(30, 40))
    assert np.allclose(got.toarray(), a.multiply(b).toarray())
