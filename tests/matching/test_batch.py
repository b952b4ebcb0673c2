"""The corpus-level analyser gives the same features as the per-document reference."""

from __future__ import annotations

import math
import os
import time
from typing import Any

import numpy as np
import pytest

from matchmaker.matching import MatchIndex, NeedDoc, OfferDoc, default_glossary, propose_all
from matchmaker.matching.batch import analyze_batch
from matchmaker.matching.features import analyze

DOCS: list[tuple[str, str, tuple[str, ...]]] = [
    ("Jalan gelap malam hari", "Banyak lampu jalan mati, warga takut. PJU rusak.", ("PJU",)),
    ("e-Office & e-Budgeting", "Sistem e-office utk dinas; m-banking_x real-time", ("e-gov",)),
    ("Smart street lighting", "LED street lights with a central management system.", ()),
    ("Café ‘Pasar’ — retribusi", "Retribusi pasar tdk transparan… pemetaan “UMKM”", ("pasar",)),
    ("", "Don't  forget: ''quoted'' a''b x'y kabupaten/kota", ("", "bank sampah")),
    ("Nul\x00byte", "split\x00here ＰＪＵ fullwidth", ("tag\x00x",)),
    ("Penerangn jalan umum tenaga surya", "Lampu merah tdk sinkron di persimpangan", ()),
]


def _close(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(math.isclose(a[k], b[k], rel_tol=1e-9) for k in a)


def _assert_same_as_reference(a: Any, row: int, doc: tuple[str, str, tuple[str, ...]]) -> None:
    """Row `row` of the batch analysis `a` has the features of the per-document reference."""
    g = default_glossary()
    lx = a.lexicon
    ref = analyze(g, *doc)
    st = a.stems
    lo, hi = st.indptr[row], st.indptr[row + 1]
    got_stems = dict(zip([lx.stem_strs[c] for c in st.indices[lo:hi]], st.data[lo:hi], strict=True))
    assert _close(got_stems, ref.stems)
    assert list(np.diff(st.indices[lo:hi]) > 0) == [True] * (hi - lo - 1)  # sorted
    assert _close(a.concept_values(row), ref.concepts)
    hd = a.head
    got_head = {}
    for c, v in zip(
        hd.indices[hd.indptr[row] : hd.indptr[row + 1]],
        hd.data[hd.indptr[row] : hd.indptr[row + 1]],
        strict=True,
    ):
        key = "c:" + lx.concept_keys[c] if c < lx.n_concepts else lx.stem_strs[c - lx.n_concepts]
        got_head[key] = v
    assert _close(got_head, ref.head)
    assert a.concept_terms(row) == ref.concept_terms
    assert list(a.concept_terms(row)) == list(ref.concept_terms)
    direct = a.direct.indices[a.direct.indptr[row] : a.direct.indptr[row + 1]]
    assert {lx.concept_keys[c] for c in direct} == set(ref.concept_terms)
    assert a.fuzzy_text(row) == ref.fuzzy_text
    assert a.fuzzy_texts(np.asarray([row])) == [ref.fuzzy_text]
    ids, surfaces = a.ordered_stems(row)
    assert [lx.stem_strs[i] for i in ids] == list(ref.stems)
    assert dict(zip([lx.stem_strs[i] for i in ids], surfaces, strict=True)) == ref.surfaces


@pytest.mark.parametrize("batched", [True, False])
def test_batch_matches_reference(batched: bool) -> None:
    docs = DOCS if batched else DOCS[:1]
    a = analyze_batch(default_glossary(), docs)
    for row, doc in enumerate(docs):
        _assert_same_as_reference(a, row, doc)


def test_upsert_remove_and_rebuild_keep_results() -> None:
    offers = [
        OfferDoc(id=f"o{i}", title=t, description=d, tags=tags, dimension="living")
        for i, (t, d, tags) in enumerate(DOCS)
    ]
    need = NeedDoc(id="n", title="Lampu jalan mati", description="PJU rusak, jalan gelap")
    full = MatchIndex.build(offers)
    inc = MatchIndex.build(offers[:3])
    for o in offers[3:]:
        inc.upsert(o)
    inc.upsert(offers[0])  # replace: main row tombstoned, new copy in the delta
    inc.remove("o2")
    full.remove("o2")
    got = [p.offer_id for p in inc.propose(need, k=10)]
    want = [p.offer_id for p in full.propose(need, k=10)]
    assert set(got) == set(want)
    inc._rebuild()  # IDF refitted without o2: same as a fresh build of the same offers
    fresh = MatchIndex.build([o for o in offers if o.id != "o2"])
    assert [p.to_dict() for p in propose_all(inc, [need])["n"]] == [
        p.to_dict() for p in propose_all(fresh, [need])["n"]
    ]


def test_terms_of_pairs_agree_with_the_per_document_terms() -> None:
    """The explanations read concept terms per (document, concept) pair in bulk."""
    import numpy as np

    a = analyze_batch(default_glossary(), DOCS)
    lx = a.lexicon
    rows, cids, want = [], [], []
    for row in range(len(DOCS)):
        found = a.concept_terms(row)
        for key in [*found, "street-lighting", "traffic-signals"]:  # absent ones give ()
            rows.append(row)
            cids.append(lx.concept_index[key])
            want.append(found.get(key, ()))
    assert a.terms_for(np.asarray(rows), np.asarray(cids)) == want
    assert ("jalan gelap", "lampu jalan mati", "pju") in want  # once each, in text order
    assert () in want


def test_parts_analysed_in_forked_workers_share_one_stem_numbering(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Children meet new words first and number them in their own copy of the lexicon;
    the parts that come back use this process's numbering."""
    from matchmaker.matching import batch, parallel

    if not parallel.can_fork():
        pytest.skip("no fork on this platform")
    monkeypatch.setattr(batch, "_MIN_DOCS_PER_PART", 1)
    parent, analyse = os.getpid(), batch.analyze_batch

    def slow_here(*args: Any) -> batch.Analysis:
        if os.getpid() == parent:
            time.sleep(0.2)  # the child claims parts meanwhile
        return analyse(*args)

    monkeypatch.setattr(batch, "analyze_batch", slow_here)
    renumbered = []
    adopt = batch.Analysis._renumber_stems

    def record(self: batch.Analysis, lexicon: Any, mapping: Any) -> None:
        renumbered.append(not np.array_equal(mapping, np.arange(len(mapping))))
        adopt(self, lexicon, mapping)

    monkeypatch.setattr(batch.Analysis, "_renumber_stems", record)
    g = default_glossary()
    # words no analysis has seen yet, different in every part
    docs = [(f"{t} zq{i}x", f"{d} kata{i}baru", tags) for i, (t, d, tags) in enumerate(DOCS * 3)]
    mark = batch.lexicon_for(g).n_learned
    a = batch.analyze_parts(g, docs, workers=2)  # 4 parts, joined
    assert a.n_docs == len(docs) and a.lexicon is batch.lexicon_for(g)
    for row, doc in enumerate(docs):
        _assert_same_as_reference(a, row, doc)
    assert len(renumbered) == 4
    assert any(renumbered)  # a child's part really was renamed
    # the words the children read are known here too (not analysed again)
    learned = {token for token, _, _ in batch.lexicon_for(g).learned_since(mark)}
    assert {f"zq{i}x" for i in range(len(docs))} <= learned
