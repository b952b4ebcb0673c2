"""The in-memory match index: sparse candidate generation, then a blended, explained score."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from scipy import sparse

from .dimensions import canonical_dimension
from .features import DocFeatures, analyze
from .glossary import Glossary, default_glossary
from .types import (
    MATURITIES,
    NATIONAL,
    STAGES,
    ConceptMatch,
    EngineConfig,
    NeedDoc,
    OfferDoc,
    Proposal,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CSR: TypeAlias = Any  # scipy.sparse.csr_matrix (scipy ships no type stubs)

_DIM_CODES = {
    d: i
    for i, d in enumerate(("governance", "branding", "economy", "living", "society", "environment"))
}
_NATIONAL_NAMES = {"nasional", "national", "indonesia", "seluruh indonesia", "nationwide", "all"}
# fit of an offer's maturity for a master-plan stage (rows: stage, columns: maturity)
_MATURITY_FIT = {
    "quick_win": {"concept": 0.0, "pilot": 0.35, "proven": 0.9, "deployed": 1.0},
    "short_term": {"concept": 0.2, "pilot": 0.6, "proven": 1.0, "deployed": 1.0},
    "medium_term": {"concept": 0.5, "pilot": 0.9, "proven": 1.0, "deployed": 1.0},
    "long_term": {"concept": 0.8, "pilot": 1.0, "proven": 1.0, "deployed": 1.0},
}
CONTENT_KEYS = ("text", "concepts", "tags")
CONTEXT_KEYS = ("dimension", "region", "budget", "maturity")


def region_key(name: str) -> str:
    key = " ".join(name.casefold().replace("provinsi", " ").split())
    return NATIONAL if key in _NATIONAL_NAMES else key


class _Space:
    """A growing feature vocabulary with IDF fixed at the last rebuild."""

    def __init__(self, max_df: float = 1.0, min_docs_for_max_df: int = 1000) -> None:
        self.vocab: dict[str, int] = {}
        self.idf: FloatArray = np.zeros(0)
        self.default_idf = 1.0
        self.max_df = max_df
        self.min_docs_for_max_df = min_docs_for_max_df
        self.excluded: frozenset[str] = frozenset()

    def fit(self, docs: Sequence[dict[str, float]]) -> None:
        """Vocabulary and IDF; on large corpora, features in more than max_df of the
        documents are dropped (they would make candidate generation dense, like stop words)."""
        df_count: dict[str, int] = {}
        for d in docs:
            for key in d:
                df_count[key] = df_count.get(key, 0) + 1
        n = len(docs)
        limit = n + 1
        if n >= self.min_docs_for_max_df and self.max_df < 1.0:
            limit = int(self.max_df * n)
        self.excluded = frozenset(k for k, c in df_count.items() if c > limit)
        self.vocab = {}
        df: list[int] = []
        for key, c in df_count.items():
            if c <= limit:
                self.vocab[key] = len(df)
                df.append(c)
        self.idf = np.log((n + 1) / (np.asarray(df, dtype=np.float64) + 1)) + 1.0
        self.default_idf = math.log((n + 1) / 2) + 1.0

    def matrix(self, docs: Sequence[dict[str, float]], *, grow: bool, top: int = 0) -> CSR:
        vocab, idf = self.vocab, self.idf
        keys = [k for d in docs for k in d]
        tfs = np.fromiter((v for d in docs for v in d.values()), dtype=np.float64, count=len(keys))
        lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        if grow:
            excluded = self.excluded
            for k in keys:
                if k not in vocab and k not in excluded:
                    vocab[k] = len(vocab)
        cols = np.fromiter((vocab.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
        full_idf = np.full(max(len(vocab), 1), self.default_idf)
        full_idf[: len(idf)] = idf
        vals = tfs * full_idf[np.maximum(cols, 0)]
        vals[cols < 0] = 0.0
        rows = np.repeat(np.arange(len(docs)), lengths)
        if top:
            # keep the `top` strongest features of each document (queries only)
            order = np.lexsort((-vals, rows))
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            rank = np.arange(len(order)) - np.repeat(starts, lengths)
            keep = np.zeros(len(vals), dtype=bool)
            keep[order[rank < top]] = True
            vals[~keep] = 0.0
        norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=len(docs)))
        norms[norms == 0] = 1.0
        vals = vals / norms[rows]
        ok = vals != 0
        m = sparse.csr_matrix(
            (vals[ok], (rows[ok], cols[ok])), shape=(len(docs), max(len(vocab), 1))
        )
        m.sum_duplicates()
        return m


@dataclass(slots=True)
class _Block:
    """Matrices and attribute arrays of a set of offers (the main block or the delta)."""

    ids: list[str]
    concept_t: CSR  # features x offers
    stem_t: CSR
    head_t: CSR
    dim: IntArray
    region_mask: IntArray  # bit per province (see MatchIndex._region_bit)
    national: npt.NDArray[np.bool_]
    price_min: FloatArray
    price_max: FloatArray
    maturity: IntArray  # index in MATURITIES, -1 unknown
    fuzzy: list[str]


def _sample(prod: CSR, ni: IntArray, oi: IntArray) -> FloatArray:
    """prod[ni, oi] for a CSR matrix with sorted indices (vectorised binary search)."""
    n_cols = np.int64(prod.shape[1])
    rows = np.repeat(np.arange(prod.shape[0], dtype=np.int64), np.diff(prod.indptr))
    keys = rows * n_cols + prod.indices.astype(np.int64)
    want = ni * n_cols + oi
    pos = np.searchsorted(keys, want)
    pos_c = np.minimum(pos, max(len(keys) - 1, 0))
    if len(keys) == 0:
        return np.zeros(len(want))
    hit = keys[pos_c] == want
    return np.where(hit, prod.data[pos_c], 0.0).astype(np.float64)


def _fit_cols(m: CSR, n_cols: int) -> CSR:
    """The query matrix with exactly n_cols columns (features newer than a block are cut)."""
    if m.shape[1] == n_cols:
        return m
    if m.shape[1] > n_cols:
        return m[:, :n_cols]
    m = m.copy()
    m.resize((m.shape[0], n_cols))
    return m


class MatchIndex:
    """Offers indexed for fast, explained proposals. Not thread-safe for concurrent writes."""

    def __init__(self, glossary: Glossary | None = None, config: EngineConfig | None = None):
        self.glossary = glossary if glossary is not None else default_glossary()
        self.config = config if config is not None else EngineConfig()
        self._offers: dict[str, OfferDoc] = {}
        self._features: dict[str, DocFeatures] = {}
        self._concepts = _Space()
        self._stems = _Space(max_df=self.config.max_df)
        self._head = _Space(max_df=self.config.max_df)
        self._main: _Block | None = None
        self._main_alive: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._main_pos: dict[str, int] = {}
        self._delta_ids: list[str] = []
        self._delta: _Block | None = None
        self._delta_dirty = False
        self._region_bits: dict[str, int] = {}

    # -- building and maintenance ------------------------------------------------------------
    @classmethod
    def build(
        cls,
        offers: Iterable[OfferDoc],
        *,
        glossary: Glossary | None = None,
        config: EngineConfig | None = None,
    ) -> MatchIndex:
        index = cls(glossary, config)
        for offer in offers:
            index._offers[offer.id] = offer
            index._features[offer.id] = index._analyze(offer)
        index._rebuild()
        return index

    def _analyze(self, doc: NeedDoc | OfferDoc) -> DocFeatures:
        # surface forms are only shown for the need side of an explanation
        return analyze(
            self.glossary,
            doc.title,
            doc.description,
            tuple(doc.tags),
            keep_surfaces=isinstance(doc, NeedDoc),
        )

    def _rebuild(self) -> None:
        ids = list(self._offers)
        feats = [self._features[i] for i in ids]
        self._concepts.fit([f.concepts for f in feats])
        self._stems.fit([f.stems for f in feats])
        self._head.fit([f.head for f in feats])
        self._main = self._make_block(ids)
        self._main_alive = np.ones(len(ids), dtype=bool)
        self._main_pos = {oid: i for i, oid in enumerate(ids)}
        self._delta_ids = []
        self._delta = None
        self._delta_dirty = False

    def _make_block(self, ids: list[str]) -> _Block:
        feats = [self._features[i] for i in ids]
        offers = [self._offers[i] for i in ids]
        nan = float("nan")
        return _Block(
            ids=ids,
            concept_t=self._concepts.matrix([f.concepts for f in feats], grow=True).T.tocsr(),
            stem_t=self._stems.matrix([f.stems for f in feats], grow=True).T.tocsr(),
            head_t=self._head.matrix([f.head for f in feats], grow=True).T.tocsr(),
            dim=np.asarray(
                [_DIM_CODES.get(canonical_dimension(o.dimension) or "", -1) for o in offers],
                dtype=np.int64,
            ),
            region_mask=np.asarray([self._region_mask(o.regions) for o in offers], dtype=np.int64),
            national=np.asarray(
                [not o.regions or NATIONAL in {region_key(r) for r in o.regions} for o in offers],
                dtype=bool,
            ),
            price_min=np.asarray(
                [nan if o.price_min is None else float(o.price_min) for o in offers]
            ),
            price_max=np.asarray(
                [nan if o.price_max is None else float(o.price_max) for o in offers]
            ),
            maturity=np.asarray(
                [MATURITIES.index(o.maturity) if o.maturity in MATURITIES else -1 for o in offers],
                dtype=np.int64,
            ),
            fuzzy=[f.fuzzy_text for f in feats],
        )

    def _region_bit(self, name: str) -> int:
        key = region_key(name)
        bit = self._region_bits.get(key)
        if bit is None:
            bit = self._region_bits[key] = len(self._region_bits) % 62
        return bit

    def _region_mask(self, regions: Sequence[str]) -> int:
        mask = 0
        for r in regions:
            if region_key(r) != NATIONAL:
                mask |= 1 << self._region_bit(r)
        return mask

    def upsert(self, offer: OfferDoc) -> None:
        """Add or replace one offer (cheap: goes to a delta block until the next rebuild)."""
        self._drop(offer.id)
        self._offers[offer.id] = offer
        self._features[offer.id] = self._analyze(offer)
        self._delta_ids.append(offer.id)
        self._delta_dirty = True
        self._maybe_rebuild()

    def remove(self, offer_id: str) -> bool:
        """Remove one offer; returns False if it was not indexed."""
        if offer_id not in self._offers:
            return False
        self._drop(offer_id)
        del self._offers[offer_id]
        del self._features[offer_id]
        self._maybe_rebuild()
        return True

    def _drop(self, offer_id: str) -> None:
        pos = self._main_pos.pop(offer_id, None)
        if pos is not None:
            self._main_alive[pos] = False
        if offer_id in self._delta_ids:
            self._delta_ids.remove(offer_id)
            self._delta_dirty = True

    def _maybe_rebuild(self) -> None:
        main_n = len(self._main_alive)
        dead = main_n - int(self._main_alive.sum())
        limit = max(self.config.max_delta, main_n // 10)
        if len(self._delta_ids) + dead > limit:
            self._rebuild()

    def __len__(self) -> int:
        return len(self._offers)

    def __contains__(self, offer_id: object) -> bool:
        return offer_id in self._offers

    def offer(self, offer_id: str) -> OfferDoc:
        return self._offers[offer_id]

    @property
    def offer_ids(self) -> list[str]:
        return list(self._offers)

    # -- querying ------------------------------------------------------------------------------
    def propose(self, need: NeedDoc, k: int = 10) -> list[Proposal]:
        """The best k offers for one need, best first."""
        return self.propose_many([need], k)[need.id]

    def propose_many(
        self, needs: Sequence[NeedDoc], k: int = 10, *, exhaustive: bool = False
    ) -> dict[str, list[Proposal]]:
        """Proposals for many needs, computed in vectorised chunks.

        ``exhaustive=True`` scores every offer (for checking the candidate generator)."""
        out: dict[str, list[Proposal]] = {}
        if self._main is None:
            self._rebuild()
        if self._delta_dirty:
            self._delta = self._make_block(list(self._delta_ids)) if self._delta_ids else None
            self._delta_dirty = False
        chunk = 4 if exhaustive else 256
        for start in range(0, len(needs), chunk):
            part = needs[start : start + chunk]
            out.update(self._propose_chunk(part, k, exhaustive))
        return out

    def _query(self, needs: Sequence[NeedDoc]) -> tuple[list[DocFeatures], CSR, CSR, CSR]:
        feats = [self._analyze(n) for n in needs]
        top = self.config.query_max_features
        qc = self._concepts.matrix([f.concepts for f in feats], grow=False)
        qs = self._stems.matrix([f.stems for f in feats], grow=False, top=top)
        qh = self._head.matrix([f.head for f in feats], grow=False)
        return feats, qc, qs, qh

    def _propose_chunk(
        self, needs: Sequence[NeedDoc], k: int, exhaustive: bool
    ) -> dict[str, list[Proposal]]:
        cfg = self.config
        feats, qc, qs, qh = self._query(needs)
        blocks: list[tuple[_Block, npt.NDArray[np.bool_] | None]] = []
        assert self._main is not None
        blocks.append((self._main, self._main_alive))
        if self._delta is not None:
            blocks.append((self._delta, None))
        wc, ws = cfg.concept_feature_weight, cfg.stem_feature_weight
        wh = cfg.head_feature_weight
        pool = cfg.candidate_pool if not exhaustive else 10**9
        pool = max(pool, k)
        # per need: list of (block index, offer row, candidate score, cos_c, cos_s, cos_h)
        rows_need: list[IntArray] = []
        rows_block: list[int] = []
        rows_offer: list[IntArray] = []
        vals: list[FloatArray] = []
        for b_i, (block, alive) in enumerate(blocks):
            n_off = len(block.ids)
            if n_off == 0:
                continue
            pc = _fit_cols(qc, block.concept_t.shape[0])
            ps = _fit_cols(qs, block.stem_t.shape[0])
            ph = _fit_cols(qh, block.head_t.shape[0])
            prod_c = (pc @ block.concept_t).tocsr()
            prod_s = (ps @ block.stem_t).tocsr()
            prod_c.sort_indices()
            prod_s.sort_indices()
            prod_h = (ph @ block.head_t).tocsr()
            prod_h.sort_indices()
            score = (wc * prod_c + ws * prod_s + wh * prod_h).tocsr()
            if alive is not None and not alive.all():
                score.data[~alive[score.indices]] = 0.0
            score.eliminate_zeros()
            sel_need: list[int] = []
            sel_off: list[IntArray] = []
            for i in range(len(needs)):
                s, e = score.indptr[i], score.indptr[i + 1]
                cols = score.indices[s:e]
                if e - s > pool:
                    top = np.argpartition(-score.data[s:e], pool)[:pool]
                    cols = cols[top]
                sel_need.extend([i] * len(cols))
                sel_off.append(cols.astype(np.int64))
            if not sel_need:
                continue
            ni = np.asarray(sel_need, dtype=np.int64)
            oi = np.concatenate(sel_off)
            cos_c = _sample(prod_c, ni, oi)
            cos_s = _sample(prod_s, ni, oi)
            cos_h = _sample(prod_h, ni, oi)
            rows_need.append(ni)
            rows_block.extend([b_i] * len(ni))
            rows_offer.append(oi)
            vals.append(np.stack([cos_c, cos_s, cos_h], axis=1))
        if not vals:
            return {n.id: [] for n in needs}
        ni = np.concatenate(rows_need)
        bi = np.asarray(rows_block, dtype=np.int64)
        oi = np.concatenate(rows_offer)
        v = np.concatenate(vals)
        comps, flags_arr = self._score(needs, feats, blocks, ni, bi, oi, v)
        total: FloatArray = np.sum(np.stack(list(comps.values())), axis=0)
        result: dict[str, list[Proposal]] = {}
        order = np.lexsort((-total, ni))
        starts = np.searchsorted(ni[order], np.arange(len(needs) + 1))
        comp_keys = list(comps)
        comp_rows = np.round(np.stack([comps[key] for key in comp_keys], axis=1), 4).tolist()
        for i, need in enumerate(needs):
            idx = order[starts[i] : starts[i + 1]]
            idx = idx[total[idx] >= cfg.min_score][:k]
            ranked = self._ranked_stems(feats[i])
            result[need.id] = [
                self._proposal(
                    feats[i],
                    ranked,
                    blocks[bi[j]][0].ids[oi[j]],
                    dict(zip(comp_keys, comp_rows[j], strict=True)),
                    _flags(int(flags_arr[j])),
                )
                for j in idx.tolist()
            ]
        return result

    def _ranked_stems(self, nf: DocFeatures) -> list[str]:
        """The need's stems, rarest (most telling) first."""
        vocab, idf, dflt = self._stems.vocab, self._stems.idf, self._stems.default_idf
        n_idf = len(idf)
        excluded = self._stems.excluded

        def weight(s: str) -> float:
            if s in excluded:
                return 0.0
            j = vocab.get(s, n_idf)
            return float(idf[j]) if j < n_idf else dflt

        return sorted(nf.stems, key=weight, reverse=True)

    def _score(
        self,
        needs: Sequence[NeedDoc],
        feats: list[DocFeatures],
        blocks: list[tuple[_Block, npt.NDArray[np.bool_] | None]],
        ni: IntArray,
        bi: IntArray,
        oi: IntArray,
        v: FloatArray,
    ) -> tuple[dict[str, FloatArray], IntArray]:
        cfg = self.config
        w = cfg.weights
        fz_need = [feats[i].fuzzy_text for i in ni]
        fz_offer = [blocks[b][0].fuzzy[o] for b, o in zip(bi, oi, strict=True)]
        workers = -1 if len(fz_need) > 20_000 else 1
        fuzzy = process.cpdist(fz_need, fz_offer, scorer=fuzz.token_set_ratio, workers=workers)
        fuzzy = np.asarray(fuzzy, dtype=np.float64) / 100.0
        text = cfg.text_tfidf_share * v[:, 1] + (1 - cfg.text_tfidf_share) * fuzzy
        concepts = np.clip(v[:, 0] / 0.8, 0.0, 1.0)
        tags = np.clip(v[:, 2] / 0.8, 0.0, 1.0)
        content_w = w.text + w.concepts + w.tags
        content = (w.text * text + w.concepts * concepts + w.tags * tags) / content_w
        gate = np.clip(content / 0.35, 0.0, 1.0)

        offsets = np.cumsum([0] + [len(blk.ids) for blk, _ in blocks])
        gi = oi + offsets[bi]

        def gather(attr: str) -> Any:
            return np.concatenate([getattr(blk, attr) for blk, _ in blocks])[gi]

        off_dim = gather("dim")
        off_nat = gather("national")
        off_pmin = gather("price_min")
        off_pmax = gather("price_max")
        off_mask = gather("region_mask")
        off_mat = gather("maturity")
        need_dim = np.asarray(
            [_DIM_CODES.get(canonical_dimension(nd.dimension) or "", -1) for nd in needs]
        )[ni]
        dim = np.where((need_dim < 0) | (off_dim < 0), 0.5, (need_dim == off_dim).astype(float))
        need_bit = np.asarray(
            [self._region_bit(nd.province) if nd.province else -1 for nd in needs], dtype=np.int64
        )[ni]
        bit_mask = np.left_shift(np.int64(1), np.maximum(need_bit, 0))
        served = off_nat | (need_bit < 0) | ((off_mask & bit_mask) != 0)
        region = served.astype(np.float64)
        nan = float("nan")
        bmin = np.asarray(
            [nan if nd.budget_min is None else nd.budget_min for nd in needs], dtype=np.float64
        )[ni]
        bmax = np.asarray(
            [nan if nd.budget_max is None else nd.budget_max for nd in needs], dtype=np.float64
        )[ni]
        bmin = np.where(np.isnan(bmin), bmax, bmin)
        bmax = np.where(np.isnan(bmax), bmin, bmax)
        pmin = np.where(np.isnan(off_pmin), off_pmax, off_pmin)
        pmax = np.where(np.isnan(off_pmax), off_pmin, off_pmax)
        unknown = np.isnan(bmin) | np.isnan(pmin)
        with np.errstate(invalid="ignore", divide="ignore"):
            above = ~unknown & (pmin > bmax)
            below = ~unknown & (pmax < bmin)
            ratio = np.where(above, pmin / np.maximum(bmax, 1.0), 1.0)
            budget = np.where(above, np.clip(1.0 - np.log10(ratio), 0.0, 1.0), 1.0)
        budget = np.where(below, 0.85, budget)
        budget = np.where(unknown, cfg.budget_unknown, budget)
        need_stage = np.asarray(
            [STAGES.index(nd.stage) if nd.stage in STAGES else -1 for nd in needs], dtype=np.int64
        )[ni]
        table = np.asarray([[_MATURITY_FIT[st][mt] for mt in MATURITIES] for st in STAGES])
        known = (need_stage >= 0) & (off_mat >= 0)
        fit = table[np.maximum(need_stage, 0), np.maximum(off_mat, 0)]
        maturity = np.where(known, fit, cfg.maturity_unknown)
        flag_bits = (
            (~served) * 1
            + above * 2
            + below * 4
            + np.isnan(pmin) * 8
            + (~np.isnan(pmin) & np.isnan(bmin)) * 16
            + (known & (fit < 0.5)) * 32
            + (dim == 0.0) * 64
            + (v[:, 0] == 0.0) * 128
        ).astype(np.int64)
        comps = {
            "text": w.text * text,
            "concepts": w.concepts * concepts,
            "tags": w.tags * tags,
            "dimension": w.dimension * dim * gate,
            "region": w.region * region * gate,
            "budget": w.budget * budget * gate,
            "maturity": w.maturity * maturity * gate,
        }
        if w.total > 0 and abs(w.total - 100.0) > 1e-9:
            comps = {key: c * (100.0 / w.total) for key, c in comps.items()}
        flags = flag_bits
        return comps, flags

    def _proposal(
        self,
        nf: DocFeatures,
        ranked_stems: list[str],
        offer_id: str,
        components: dict[str, float],
        flags: tuple[str, ...],
    ) -> Proposal:
        of = self._features[offer_id]
        shared = shared_concepts(self.glossary, nf, of)
        offer_stems = of.stems
        common = [s for s in ranked_stems if s in offer_stems][:8]
        terms = tuple(nf.surfaces.get(s, s) for s in common)
        score = min(100.0, max(0.0, sum(components.values())))
        return Proposal(
            offer_id=offer_id,
            score=round(score, 4),
            components=components,
            shared_concepts=shared,
            shared_terms=terms,
            flags=flags,
            explanation=explain(score, shared, terms, flags),
        )


_FLAG_NAMES = (
    "outside_region",
    "price_above_budget",
    "price_below_budget",
    "price_unknown",
    "budget_unknown",
    "maturity_low_for_stage",
    "dimension_mismatch",
    "no_shared_concepts",
)
_FLAG_CACHE: dict[int, tuple[str, ...]] = {}


def _flags(bits: int) -> tuple[str, ...]:
    hit = _FLAG_CACHE.get(bits)
    if hit is None:
        hit = _FLAG_CACHE[bits] = tuple(n for i, n in enumerate(_FLAG_NAMES) if bits >> i & 1)
    return hit


def shared_concepts(glossary: Glossary, a: DocFeatures, b: DocFeatures) -> tuple[ConceptMatch, ...]:
    """Concepts named on both sides (directly), strongest first."""
    bt = b.concept_terms
    common = [c for c in a.concept_terms if c in bt]
    if not common:
        return ()
    if len(common) > 1:
        ac, bc = a.concepts, b.concepts
        common.sort(key=lambda c: -(ac.get(c, 0.0) + bc.get(c, 0.0)))
    concepts = glossary.concepts
    return tuple(
        ConceptMatch(
            cid,
            concepts[cid].label_id,
            concepts[cid].label_en,
            concepts[cid].dimension,
            a.concept_terms[cid],
            bt[cid],
        )
        for cid in common
    )


def explain(
    score: float,
    concepts: tuple[ConceptMatch, ...],
    terms: tuple[str, ...],
    flags: tuple[str, ...],
) -> dict[str, Any]:
    """A short bilingual explanation; the structured reasons are the Proposal's own fields
    (components, shared_concepts, shared_terms, flags), which the app renders itself."""
    top = concepts[:3]
    labels_en = ", ".join(c.label_en for c in top) or "-"
    labels_id = ", ".join(c.label_id for c in top) or "-"
    note = f" [{', '.join(flags)}]" if flags else ""
    return {
        "summary_en": f"Score {score:.0f}/100. Shared concepts: {labels_en}.{note}",
        "summary_id": f"Skor {score:.0f}/100. Konsep yang sama: {labels_id}.{note}",
    }


def propose_all(
    index: MatchIndex, needs: Sequence[NeedDoc], k: int = 10
) -> dict[str, list[Proposal]]:
    """Proposals for every need (a full rematch)."""
    return index.propose_many(needs, k)
