"""The corpus-level analyser gives the same features as the per-document reference."""

from __future__ import annotations

import math

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


@pytest.mark.parametrize("batched", [True, False])
def test_batch_matches_reference(batched: bool) -> None:
    g = default_glossary()
    docs = DOCS if batched else DOCS[:1]
    a = analyze_batch(g, docs)
    lx = a.lexicon
    for row, (title, desc, tags) in enumerate(docs):
        ref = analyze(g, title, desc, tags)
        st = a.stems
        got_stems = {
            lx.stem_strs[c]: v
            for c, v in zip(
                st.indices[st.indptr[row] : st.indptr[row + 1]],
                st.data[st.indptr[row] : st.indptr[row + 1]],
                strict=True,
            )
        }
        assert _close(got_stems, ref.stems)
        assert _close(a.concept_values(row), ref.concepts)
        hd = a.head
        got_head = {}
        for c, v in zip(
            hd.indices[hd.indptr[row] : hd.indptr[row + 1]],
            hd.data[hd.indptr[row] : hd.indptr[row + 1]],
            strict=True,
        ):
            key = (
                "c:" + lx.concept_keys[c] if c < lx.n_concepts else lx.stem_strs[c - lx.n_concepts]
            )
            got_head[key] = v
        assert _close(got_head, ref.head)
        assert a.concept_terms(row) == ref.concept_terms
        assert list(a.concept_terms(row)) == list(ref.concept_terms)
        assert a.fuzzy_text(row) == ref.fuzzy_text
        ids, surfaces = a.ordered_stems(row)
        assert [lx.stem_strs[i] for i in ids] == list(ref.stems)
        assert dict(zip([lx.stem_strs[i] for i in ids], surfaces, strict=True)) == ref.surfaces


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
