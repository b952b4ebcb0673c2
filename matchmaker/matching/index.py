"""The in-memory match index: sparse candidate generation, then a blended, explained score."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from scipy import sparse

from . import csr
from .batch import Analysis, Learned, analyze_batch, analyze_parts, learning, lexicon_for
from .context import (
    FLAG_NAMES,
    NO_SHARED_CONCEPTS,
    NeedAttrs,
    OfferAttrs,
    PairContext,
    RegionBits,
    pair_context,
)
from .csr import CSR
from .features import DocFeatures
from .glossary import Glossary, default_glossary
from .parallel import can_fork, fork_map, gc_paused
from .spaces import IdfSpace
from .types import (
    ConceptMatch,
    EngineConfig,
    NeedDoc,
    OfferDoc,
    Proposal,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_MIN_NEEDS_PER_WORKER = 512  # smaller batches are not worth a fork
_CHUNK_NEEDS = 256  # needs scored together (one sparse product); a worker's unit of work
COMPONENT_KEYS = ("text", "concepts", "tags", "dimension", "region", "budget", "maturity")
# (concept id, need terms, offer terms): a ConceptMatch before the glossary labels are added
_ConceptKey = tuple[str, tuple[str, ...], tuple[str, ...]]
# a proposal in compact form: offer id, score, components (COMPONENT_KEYS order),
# shared concepts, shared terms, flag bits
_Raw = tuple[str, float, list[float], tuple[_ConceptKey, ...], tuple[str, ...], int]


@dataclass(slots=True)
class _Block:
    """Matrices and attribute arrays of a set of offers (the main block or the delta)."""

    ids: list[str]
    src: _Sources  # where each offer's analysis lives (explanations)
    widths: tuple[int, int, int]  # concept, stem and head columns
    mat: CSR  # offers x (concepts | stems | head), each part L2-normalised
    post: CSR  # the same transposed (features x offers), weighted, float32 (exhaustive)
    cand: CSR  # post with each feature's list cut to its strongest offers (candidates)
    groups: CSR  # (concepts | stems | head) x 3 indicator
    attrs: OfferAttrs  # context attributes (dimension, regions, price, maturity)
    fuzzy: npt.NDArray[np.object_]  # normalised title + tags (rapidfuzz), str per offer
    stems: CSR  # offers x stem ids, all stems (shared terms), data 1
    direct: CSR  # offers x concepts named directly (shared concepts), data: concept value


@dataclass(slots=True)
class _Sources:
    """Where the features of each offer of a block live: row ``rows[i]`` of
    ``analyses[which[i]]`` (a build makes one analysis, each upsert one more)."""

    analyses: list[Analysis]
    which: IntArray
    rows: IntArray

    @classmethod
    def of(cls, locs: Sequence[tuple[Analysis, int]]) -> _Sources:
        index: dict[int, int] = {}
        analyses: list[Analysis] = []
        for a, _ in locs:
            if id(a) not in index:
                index[id(a)] = len(analyses)
                analyses.append(a)
        n = len(locs)
        which = np.fromiter((index[id(a)] for a, _ in locs), np.int64, n)
        rows = np.fromiter((r for _, r in locs), np.int64, n)
        return cls(analyses, which, rows)

    def parts(self, at: IntArray | None = None) -> list[tuple[Analysis, IntArray, IntArray]]:
        """(analysis, positions in ``at``, rows) per analysis, for the entries ``at``
        (default: every offer)."""
        which = self.which if at is None else self.which[at]
        rows = self.rows if at is None else self.rows[at]
        if len(self.analyses) == 1:
            return [(self.analyses[0], np.arange(len(which)), rows)]
        out = []
        for j in np.unique(which).tolist():
            sel = np.flatnonzero(which == j)
            out.append((self.analyses[j], sel, rows[sel]))
        return out

    def gather(self, attr: str, width: int) -> CSR:
        """One feature matrix of every offer (in block order), ``width`` wide."""
        blocks, where = [], []
        for a, sel, rows in self.parts():
            m = getattr(a, attr)
            if not (len(rows) == a.n_docs and np.array_equal(rows, np.arange(a.n_docs))):
                m = csr.take(m, rows)
            blocks.append(csr.widen(m, width))
            where.append(sel)
        if len(blocks) == 1:
            out = blocks[0]
        else:
            out = sparse.vstack(blocks, format="csr")
            out.has_sorted_indices = True  # each row is one of the (sorted) input rows
        order = np.concatenate(where) if where else np.zeros(0, dtype=np.int64)
        if np.array_equal(order, np.arange(len(order))):
            return out
        inv = np.empty(len(order), dtype=np.int64)
        inv[order] = np.arange(len(order))
        return csr.take(out, inv)

    def fuzzy_texts(self) -> list[str]:
        out = [""] * len(self.rows)
        for a, sel, rows in self.parts():
            for k, t in zip(sel.tolist(), a.fuzzy_texts(rows), strict=True):
                out[k] = t
        return out


class MatchIndex:
    """Offers indexed for fast, explained proposals. Not thread-safe for concurrent writes."""

    def __init__(self, glossary: Glossary | None = None, config: EngineConfig | None = None):
        self.glossary = glossary if glossary is not None else default_glossary()
        self.config = config if config is not None else EngineConfig()
        self._lex = lexicon_for(self.glossary)
        self._offers: dict[str, OfferDoc] = {}
        self._loc: dict[str, tuple[Analysis, int]] = {}
        self._concepts = IdfSpace()
        self._stems = IdfSpace(max_df=self.config.max_df)
        self._head = IdfSpace(max_df=self.config.max_df)
        self._main: _Block | None = None
        self._main_alive: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._main_pos: dict[str, int] = {}
        self._delta_ids: list[str] = []
        self._delta: _Block | None = None
        self._delta_dirty = False
        self._regions = RegionBits()
        self._rank_idf_cache: FloatArray | None = None
        self._rank_idf_key = -1
        self._fuzzy_threads = -1  # rapidfuzz threads for large batches (1 in forked workers)

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
        with gc_paused():
            for offer in offers:
                index._offers[offer.id] = offer
            docs = list(index._offers.values())
            texts = [(d.title, d.description, d.tags) for d in docs]
            analysis = analyze_parts(index.glossary, texts, index.config.workers)
            index._loc = {o.id: (analysis, i) for i, o in enumerate(docs)}
            rows = np.arange(len(docs), dtype=np.int64)
            index._rebuild(_Sources([analysis], np.zeros(len(docs), dtype=np.int64), rows))
        return index

    def _analyze(self, docs: Sequence[NeedDoc | OfferDoc]) -> Analysis:
        return analyze_batch(self.glossary, [(d.title, d.description, d.tags) for d in docs])

    def _rebuild(self, src: _Sources | None = None) -> None:
        """Refit the IDF of every space and rebuild the main block (the delta is merged);
        ``src``: where the offers' analyses are, if already known."""
        ids = list(self._offers)
        self._main = self._make_block(ids, refit=True, src=src)
        self._main_alive = np.ones(len(ids), dtype=bool)
        self._main_pos = {oid: i for i, oid in enumerate(ids)}
        self._delta_ids = []
        self._delta = None
        self._delta_dirty = False

    def _make_block(
        self, ids: list[str], *, refit: bool = False, src: _Sources | None = None
    ) -> _Block:
        if src is None:
            src = _Sources.of([self._loc[i] for i in ids])
        offers = [self._offers[i] for i in ids]
        C, V = self._lex.n_concepts, self._lex.n_stems
        concepts, stems = src.gather("concepts", C), src.gather("stems", V)
        head = src.gather("head", C + V)
        if refit:
            self._concepts.fit(concepts)
            self._stems.fit(stems)
            self._head.fit(head)
        mc = self._concepts.transform(concepts, grow=True)
        ms = self._stems.transform(stems, grow=True)
        mh = self._head.transform(head, grow=True)
        cfg = self.config
        mat = csr.hstack([mc, ms, mh])
        col_w = np.concatenate(
            (
                np.full(C, cfg.concept_feature_weight),
                np.full(V, cfg.stem_feature_weight),
                np.full(C + V, cfg.head_feature_weight),
            )
        )
        weighted = mat.copy()
        weighted.data = (weighted.data * col_w[weighted.indices]).astype(np.float32)
        post = weighted.T.tocsr()
        post.sort_indices()
        cand = _prune_postings(post, cfg.posting_cap)
        group_of = np.concatenate((np.zeros(C), np.ones(V), np.full(C + V, 2))).astype(np.int64)
        groups = sparse.csr_matrix(
            (np.ones(len(group_of)), (np.arange(len(group_of)), group_of)),
            shape=(len(group_of), 3),
        )
        return _Block(
            ids=ids,
            src=src,
            widths=(C, V, C + V),
            mat=mat,
            post=post,
            cand=cand,
            groups=groups,
            attrs=OfferAttrs.of(offers, self._regions),
            fuzzy=np.asarray(src.fuzzy_texts(), dtype=object),
            stems=csr.ones(stems),
            direct=csr.ones(src.gather("direct", C)).multiply(concepts).tocsr(),
        )

    def upsert(self, offer: OfferDoc) -> None:
        """Add or replace one offer (cheap: goes to a delta block until the next rebuild)."""
        self._drop(offer.id)
        self._offers[offer.id] = offer
        self._loc[offer.id] = (self._analyze([offer]), 0)
        self._delta_ids.append(offer.id)
        self._delta_dirty = True
        self._maybe_rebuild()

    def remove(self, offer_id: str) -> bool:
        """Remove one offer; returns False if it was not indexed."""
        if offer_id not in self._offers:
            return False
        self._drop(offer_id)
        del self._offers[offer_id]
        del self._loc[offer_id]
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
        self,
        needs: Sequence[NeedDoc],
        k: int = 10,
        *,
        exhaustive: bool = False,
        workers: int | None = None,
    ) -> dict[str, list[Proposal]]:
        """Proposals for many needs, computed in vectorised chunks.

        ``workers`` (default ``config.workers``) > 1 splits large batches over forked
        processes (POSIX ``fork`` only; elsewhere, or for small batches, one process is used).
        ``exhaustive=True`` scores every offer (for checking the candidate generator)."""
        self._prepare()
        n_workers = self.config.workers if workers is None else workers
        n_workers = max(1, min(n_workers, len(needs) // _MIN_NEEDS_PER_WORKER))
        size = 4 if exhaustive else _CHUNK_NEEDS
        chunks = [needs[i : i + size] for i in range(0, len(needs), size)]
        out: dict[str, list[Proposal]] = {}

        def compute(part: Sequence[NeedDoc]) -> dict[str, list[_Raw]]:
            return self._raw(part, k, exhaustive)

        def collect(_: int, result: tuple[dict[str, list[_Raw]], Learned]) -> None:
            raw, learned = result
            self._lex.adopt(learned)  # the words of the needs a worker read
            out.update(self._materialise(raw))

        forking = n_workers > 1 and can_fork()
        self._fuzzy_threads = 1 if forking else -1  # the other cores run workers
        try:
            with gc_paused():
                fork_map(
                    learning(self._lex, compute),
                    chunks,
                    n_workers,
                    collect,
                    in_child=self._in_worker,
                )
        finally:
            self._fuzzy_threads = -1
        return {n.id: out[n.id] for n in needs}

    def _in_worker(self) -> None:
        self._fuzzy_threads = 1

    def _prepare(self) -> None:
        if self._main is None:
            self._rebuild()
        if self._delta_dirty:
            self._delta = self._make_block(list(self._delta_ids)) if self._delta_ids else None
            self._delta_dirty = False

    def _raw(self, needs: Sequence[NeedDoc], k: int, exhaustive: bool) -> dict[str, list[_Raw]]:
        out: dict[str, list[_Raw]] = {}
        query = self._query(needs)
        chunk = 4 if exhaustive else _CHUNK_NEEDS
        for start in range(0, len(needs), chunk):
            rows = np.arange(start, min(start + chunk, len(needs)))
            out.update(self._propose_chunk(needs, query, rows, k, exhaustive))
        return out

    def _materialise(self, raw: dict[str, list[_Raw]]) -> dict[str, list[Proposal]]:
        """Proposals from compact records (made here, not in the workers: building them is
        cheaper than pickling them)."""
        concepts = self.glossary.concepts
        keys = COMPONENT_KEYS
        labels: dict[str, tuple[str, str, str | None]] = {}
        # the summary depends only on the rounded score, the first 3 concepts and the flags
        explained: dict[tuple[int, tuple[str, ...], int], dict[str, Any]] = {}
        out: dict[str, list[Proposal]] = {}
        for need_id, recs in raw.items():
            props = []
            for oid, score, comps, shared_keys, terms, bits in recs:
                shared = []
                for cid, need_terms, offer_terms in shared_keys:
                    lab = labels.get(cid)
                    if lab is None:
                        c = concepts[cid]
                        lab = labels[cid] = (c.label_id, c.label_en, c.dimension)
                    shared.append(ConceptMatch(cid, *lab, need_terms, offer_terms))
                sc = tuple(shared)
                flags = _flags(bits)
                e_key = (round(score), tuple([key[0] for key in shared_keys[:3]]), bits)
                expl = explained.get(e_key)
                if expl is None:
                    expl = explained[e_key] = explain(score, sc, terms, flags)
                components = dict(zip(keys, comps, strict=True))
                props.append(
                    Proposal(oid, round(score, 4), components, sc, terms, flags, expl.copy())
                )
            out[need_id] = props
        return out

    def _query(self, needs: Sequence[NeedDoc]) -> _Query:
        a = self._analyze(needs)
        C, V = self._lex.n_concepts, self._lex.n_stems
        parts = (
            self._concepts.transform(csr.widen(a.concepts, C), grow=False),
            self._stems.transform(
                csr.widen(a.stems, V),
                grow=False,
                top=self.config.query_max_features,
                first=a.stem_first,
            ),
            self._head.transform(csr.widen(a.head, C + V), grow=False),
        )
        n = len(needs)
        rows = np.concatenate(
            [np.repeat(np.arange(n, dtype=np.int64), np.diff(m.indptr)) for m in parts]
        )
        part = np.concatenate([np.full(m.nnz, i, dtype=np.int64) for i, m in enumerate(parts)])
        col = np.concatenate([m.indices.astype(np.int64) for m in parts])
        val = np.concatenate([m.data for m in parts])
        order = np.lexsort((col, part, rows))
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
        return _Query(a, ptr, part[order], col[order], val[order])

    def _propose_chunk(
        self,
        needs: Sequence[NeedDoc],
        query: _Query,
        rows: IntArray,
        k: int,
        exhaustive: bool,
    ) -> dict[str, list[_Raw]]:
        cfg = self.config
        part = [needs[i] for i in rows.tolist()]
        blocks: list[tuple[_Block, npt.NDArray[np.bool_] | None]] = []
        assert self._main is not None
        blocks.append((self._main, self._main_alive))
        if self._delta is not None:
            blocks.append((self._delta, None))
        pool = cfg.candidate_pool if not exhaustive else 10**9
        pool = max(pool, k)
        r0, r1 = int(rows[0]), int(rows[-1]) + 1
        lo, hi = int(query.ptr[r0]), int(query.ptr[r1])
        q_row = np.repeat(np.arange(r1 - r0, dtype=np.int64), np.diff(query.ptr[r0 : r1 + 1]))
        q_part, q_col, q_val = query.part[lo:hi], query.col[lo:hi], query.val[lo:hi]
        col_w = np.asarray(
            [cfg.concept_feature_weight, cfg.stem_feature_weight, cfg.head_feature_weight]
        )
        need_attrs = NeedAttrs.of(part, self._regions)
        rows_need: list[IntArray] = []
        rows_block: list[IntArray] = []
        rows_offer: list[IntArray] = []
        vals: list[FloatArray] = []
        contexts: list[PairContext] = []
        for b_i, (block, alive) in enumerate(blocks):
            n_off = len(block.ids)
            if n_off == 0:
                continue
            wc, ws, wh = block.widths
            ok = q_col < np.asarray(block.widths)[q_part]
            gcol = np.asarray([0, wc, wc + ws])[q_part] + q_col
            q = csr.from_sorted(q_row[ok], gcol[ok], q_val[ok], len(rows), wc + ws + wh)
            qw = csr.from_sorted(
                q_row[ok],
                gcol[ok],
                (q_val * col_w[q_part])[ok].astype(np.float32),
                len(rows),
                wc + ws + wh,
            )
            score = qw @ (block.post if exhaustive else block.cand)
            # content alone cannot tell apart the many offers with the same programme: take a
            # wide pool by content, then keep the best `pool` by content + context points
            ni, oi, val = _top_per_row(score, pool * cfg.context_pool_factor, alive)
            if not len(ni):
                continue
            ctx = pair_context(cfg, need_attrs, block.attrs, ni, oi)
            if not exhaustive and len(ni) > pool:
                chosen = _context_pool(cfg, ctx, val, ni, len(part), pool)
                ni, oi, ctx = ni[chosen], oi[chosen], ctx.take(chosen)
            qt, mt = csr.take(q, ni), csr.take(block.mat, oi)
            p_row, p_col, p_ia, p_ib = csr.rowwise(qt, mt)
            prod = qt.data[p_ia] * mt.data[p_ib]
            cos = np.asarray(
                np.bincount(
                    p_row * 3 + block.groups.indices[p_col], weights=prod, minlength=3 * len(ni)
                ),
                dtype=np.float64,
            ).reshape(len(ni), 3)
            rows_need.append(ni)
            rows_block.append(np.full(len(ni), b_i, dtype=np.int64))
            rows_offer.append(oi)
            vals.append(cos)
            contexts.append(ctx)
        if not vals:
            return {n.id: [] for n in part}
        ni = np.concatenate(rows_need)
        bi = np.concatenate(rows_block)
        oi = np.concatenate(rows_offer)
        v = np.concatenate(vals)
        fz_need = query.analysis.fuzzy_texts(rows)
        context = PairContext.concat(contexts)
        comps = self._score(len(part), fz_need, blocks, ni, bi, oi, v, context, k)
        flags_arr = context.flags | np.where(v[:, 0] == 0.0, NO_SHARED_CONCEPTS, 0)
        stack = np.stack([comps[key] for key in COMPONENT_KEYS])
        total: FloatArray = np.sum(stack, axis=0)
        order = np.lexsort((-total, ni))
        starts = np.searchsorted(ni[order], np.arange(len(part) + 1))
        rank = np.arange(len(order)) - starts[ni[order]]
        sel = order[(rank < k) & (total[order] >= cfg.min_score)]  # by need, best first
        comp_rows = np.ascontiguousarray(np.round(stack[:, sel].T, 4))
        scores = np.clip(comp_rows.sum(axis=1), 0.0, 100.0)
        s_ni, s_bi, s_oi, s_flags = ni[sel], bi[sel], oi[sel], flags_arr[sel]
        # explanations of the kept pairs: shared concepts and terms via sparse products
        a = query.analysis
        shared: list[tuple[_ConceptKey, ...]] = [()] * len(sel)
        terms: list[tuple[str, ...]] = [()] * len(sel)
        need_stems, need_surf = self._ranked_stems(a, rows)
        need_direct = csr.take(a.direct, rows)
        # the concept value of each directly named concept, entry by entry of need_direct
        cv = csr.take(csr.widen(a.concepts, need_direct.shape[1]), rows)
        _, _, v_ia, v_ib = csr.rowwise(cv, need_direct)
        dval = np.zeros(need_direct.nnz)
        dval[v_ib] = cv.data[v_ia]
        need_value = csr.from_parts(
            dval, need_direct.indices, need_direct.indptr, need_direct.shape
        )
        keys = self._lex.concept_keys
        nc = max(len(keys), 1)
        ids: list[str] = [""] * len(sel)
        for b_i, (block, _) in enumerate(blocks):
            at = np.flatnonzero(s_bi == b_i)
            if not len(at):
                continue
            pn, po = s_ni[at], s_oi[at]
            for j, o in zip(at.tolist(), po.tolist(), strict=True):
                ids[j] = block.ids[o]
            # shared terms: need stems (valued by rank) present in the offer, best 8
            width = max(need_stems.shape[1], block.stems.shape[1])
            ns_t = csr.take(csr.widen(need_stems, width), pn)
            t_row, _, t_ia, _ = csr.rowwise(ns_t, csr.take(csr.widen(block.stems, width), po))
            t_data = ns_t.data[t_ia]
            t_cnt = np.bincount(t_row, minlength=len(at))
            t_ord = np.lexsort((t_data, t_row))
            t_rank = np.arange(len(t_ord)) - np.repeat(np.cumsum(t_cnt) - t_cnt, t_cnt)
            keep = t_ord[t_rank < 8]
            t_ptr = np.searchsorted(t_row[keep], np.arange(len(at) + 1)).tolist()
            words = [need_surf[d] for d in (t_data[keep].astype(np.int64) - 1).tolist()]
            for q, j in enumerate(at.tolist()):
                terms[j] = tuple(words[t_ptr[q] : t_ptr[q + 1]])
            # shared concepts: named directly on both sides, by -(need + offer value), then
            # by first appearance in the need
            od = csr.take(csr.widen(block.direct, need_direct.shape[1]), po)
            nd = csr.take(need_direct, pn)
            c_row, c_col, c_ia, c_ib = csr.rowwise(nd, od)
            if not len(c_row):
                continue
            nv_on_nd = csr.take(need_value, pn).data  # entries as in nd
            f_data = nd.data[c_ia]
            v_data = nv_on_nd[c_ia] + od.data[c_ib]
            cnt = np.bincount(c_row, minlength=len(at))
            c_ord = np.lexsort((f_data, -v_data, c_row))
            cids = c_col[c_ord].tolist()
            c_ptr = np.concatenate(([0], np.cumsum(cnt))).tolist()
            has = np.flatnonzero(cnt).tolist()
            # offer-side terms only for the shared (offer, concept) pairs
            p_q = np.repeat(np.arange(len(at), dtype=np.int64), cnt)
            ot_all: list[tuple[str, ...]] = [()] * len(p_q)
            c_arr = np.asarray(cids, dtype=np.int64)
            for oa, es, orows in block.src.parts(po[p_q]):
                got = oa.terms_for(orows, c_arr[es])
                for e, t in zip(es.tolist(), got, strict=True):
                    ot_all[e] = t
            # need-side terms once per (need, concept): a need shares a concept with many offers
            n_key, n_at = np.unique(pn[p_q] * nc + c_arr, return_inverse=True)
            n_terms = a.terms_for(rows[n_key // nc], n_key % nc)
            nt_all = [n_terms[i] for i in n_at.tolist()]
            for q in has:
                lo_q, hi_q = c_ptr[q], c_ptr[q + 1]
                shared[int(at[q])] = tuple(
                    (keys[c], nt_all[e], ot_all[e])
                    for c, e in zip(cids[lo_q:hi_q], range(lo_q, hi_q), strict=True)
                )
        result: dict[str, list[_Raw]] = {}
        bounds = np.searchsorted(s_ni, np.arange(len(part) + 1)).tolist()
        recs = list(
            zip(
                ids,
                scores.tolist(),
                comp_rows.tolist(),
                shared,
                terms,
                s_flags.tolist(),
                strict=True,
            )
        )
        for i, need in enumerate(part):
            result[need.id] = recs[bounds[i] : bounds[i + 1]]
        return result

    def _ranked_stems(self, a: Analysis, rows: IntArray) -> tuple[CSR, list[str]]:
        """Stems of the needs `rows`, valued 1 + their index in (need, rarest first, first
        appearance) order, and the surface form at each index."""
        m = csr.take(a.stems, rows)
        counts = np.diff(m.indptr).astype(np.int64)
        ent = csr.ranges(a.stems.indptr[rows].astype(np.int64), counts)
        first = a.stem_first[ent]
        sid = m.indices.astype(np.int64)
        idf = self._rank_idf()
        w = np.where(sid < len(idf), idf[np.minimum(sid, len(idf) - 1)], 0.0)
        e_row = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
        order = np.lexsort((first, -w, e_row))
        pos = np.empty(len(order), dtype=np.float64)
        pos[order] = np.arange(1, len(order) + 1)
        surf = a.surfaces
        words = [surf[i] for i in a.seq_surface[first[order]].tolist()]
        return csr.from_parts(pos, m.indices, m.indptr, m.shape), words

    def _rank_idf(self) -> FloatArray:
        """Per stem id: its IDF for ranking shared terms (0 when excluded)."""
        sp = self._stems
        sp.ensure(self._lex.n_stems)
        if self._rank_idf_cache is None or self._rank_idf_key != sp.version:
            idf = np.where(sp.fitted, sp.idf, sp.default_idf)
            idf[sp.excluded] = 0.0
            self._rank_idf_cache, self._rank_idf_key = idf, sp.version
        return self._rank_idf_cache

    def _score(
        self,
        n_needs: int,
        fz_texts: list[str],
        blocks: list[tuple[_Block, npt.NDArray[np.bool_] | None]],
        ni: IntArray,
        bi: IntArray,
        oi: IntArray,
        v: FloatArray,
        context: PairContext,
        k: int,
    ) -> dict[str, FloatArray]:
        """The points of every component for the pairs (content cosines ``v``)."""
        cfg = self.config
        w = cfg.weights
        concepts = np.clip(v[:, 0] / 0.8, 0.0, 1.0)
        tags = np.clip(v[:, 2] / 0.8, 0.0, 1.0)
        content_w = w.text + w.concepts + w.tags

        def components(fuzzy: FloatArray) -> dict[str, FloatArray]:
            text = cfg.text_tfidf_share * v[:, 1] + (1 - cfg.text_tfidf_share) * fuzzy
            content = (w.text * text + w.concepts * concepts + w.tags * tags) / content_w
            gate = np.clip(content / 0.35, 0.0, 1.0)
            comps = {
                "text": w.text * text,
                "concepts": w.concepts * concepts,
                "tags": w.tags * tags,
                "dimension": w.dimension * context.dimension * gate,
                "region": w.region * context.region * gate,
                "budget": w.budget * context.budget * gate,
                "maturity": w.maturity * context.maturity * gate,
            }
            if w.total > 0 and abs(w.total - 100.0) > 1e-9:
                comps = {key: c * (100.0 / w.total) for key, c in comps.items()}
            return comps

        # the score as a function of the fuzzy similarity alone (the rest is fixed)
        scale = 100.0 / w.total if w.total > 0 and abs(w.total - 100.0) > 1e-9 else 1.0
        fixed_text = cfg.text_tfidf_share * v[:, 1]
        fixed_rest = w.concepts * concepts + w.tags * tags
        context_points = context.points(cfg)

        def total(fuzzy: FloatArray) -> FloatArray:
            content = w.text * (fixed_text + (1 - cfg.text_tfidf_share) * fuzzy) + fixed_rest
            gate = np.clip(content / (0.35 * content_w), 0.0, 1.0)
            out: FloatArray = scale * (content + gate * context_points)
            return out

        fz_need_all = np.asarray(fz_texts, dtype=object)

        def similarity(at: IntArray) -> FloatArray:
            """rapidfuzz token_set_ratio (0-1) of the pairs ``at``."""
            fz_offer = np.empty(len(at), dtype=object)
            for b, (blk, _) in enumerate(blocks):
                sel = bi[at] == b
                fz_offer[sel] = blk.fuzzy[oi[at][sel]]
            workers = self._fuzzy_threads if len(at) > 20_000 else 1
            sim = process.cpdist(
                fz_need_all[ni[at]].tolist(),
                fz_offer.tolist(),
                scorer=fuzz.token_set_ratio,
                workers=workers,
            )
            return np.asarray(sim, dtype=np.float64) / 100.0

        # The fuzzy similarity only moves a pair's score between its scores at 0 and at 1
        # (`lower`, `upper`). It is computed first for the k best pairs of each need by
        # `lower`; their exact scores set the bar (the k-th of them), and then only for the
        # other pairs whose `upper` reaches that bar: the rest cannot enter the top k.
        lower = total(np.zeros(len(ni)))
        upper = total(np.ones(len(ni)))
        order = np.lexsort((-lower, ni))
        starts = np.searchsorted(ni[order], np.arange(n_needs + 1))
        rank = np.arange(len(order)) - starts[ni[order]]
        first = order[rank < k]  # sorted by need
        fuzzy = np.zeros(len(ni))
        if len(first):
            fuzzy[first] = similarity(first)
        exact = total(fuzzy)
        bar = np.full(n_needs, -np.inf)  # fewer than k pairs: every pair is returned
        counts = np.bincount(ni[first], minlength=n_needs)
        has = np.flatnonzero(counts)
        if len(has):
            lowest = np.minimum.reduceat(exact[first], (np.cumsum(counts) - counts)[has])
            bar[has] = np.where(counts[has] >= k, lowest, -np.inf)
        done = np.zeros(len(ni), dtype=bool)
        done[first] = True
        todo = np.flatnonzero((upper >= bar[ni] - 1e-9) & ~done)
        if len(todo):
            fuzzy[todo] = similarity(todo)
        return components(fuzzy)


@dataclass(slots=True)
class _Query:
    """Query features of a batch of needs: entries sorted by (need, part, column)."""

    analysis: Analysis
    ptr: IntArray  # entries of need i: ptr[i]:ptr[i + 1]
    part: IntArray  # 0 concepts, 1 stems, 2 head
    col: IntArray  # column within the part
    val: FloatArray


def _prune_postings(post: CSR, cap: int) -> CSR:
    """Impact-ordered pruning: each feature (row) keeps its `cap` heaviest offers, so that
    umbrella concepts found in half the corpus do not make every need score every offer."""
    lengths = np.diff(post.indptr)
    long = np.flatnonzero(lengths > cap)
    if cap <= 0 or not len(long):
        return post
    keep = np.ones(post.nnz, dtype=bool)
    for r in long.tolist():
        s, e = int(post.indptr[r]), int(post.indptr[r + 1])
        drop = np.argpartition(post.data[s:e], e - s - cap)[: e - s - cap]
        keep[s + drop] = False
    rows = np.repeat(np.arange(post.shape[0], dtype=np.int64), lengths)[keep]
    return csr.from_sorted(rows, post.indices[keep], post.data[keep], post.shape[0], post.shape[1])


def _context_pool(
    cfg: EngineConfig,
    context: PairContext,
    val: npt.NDArray[Any],
    ni: IntArray,
    n_needs: int,
    pool: int,
) -> npt.NDArray[np.bool_]:
    """The `pool` best candidates per need by an estimate of the final score: content from
    the candidate product, plus the gated context points."""
    w = cfg.weights
    col_w = cfg.concept_feature_weight + cfg.stem_feature_weight + cfg.head_feature_weight
    content = np.asarray(val, dtype=np.float64) / max(col_w, 1e-9)
    gate = np.clip(content / 0.35, 0.0, 1.0)
    estimate = (w.text + w.concepts + w.tags) * content + gate * context.points(cfg)
    return _top_mask(ni, estimate, n_needs, pool)


def _top_mask(
    rows: IntArray, vals: npt.NDArray[Any], n_rows: int, pool: int
) -> npt.NDArray[np.bool_]:
    """Entries among the `pool` best of their row (`rows` sorted ascending): each longer row
    finds its pool-th best value with a partial sort, and every entry that reaches it is kept
    (ties at the edge add a few, never fewer)."""
    if not len(vals):
        return np.zeros(0, dtype=bool)
    bounds = np.searchsorted(rows, np.arange(n_rows + 1))
    thr = np.full(n_rows, -np.inf, dtype=vals.dtype)
    ends = bounds[1:].tolist()
    for r in np.flatnonzero(np.diff(bounds) > pool).tolist():
        s, e = int(bounds[r]), ends[r]
        thr[r] = np.partition(vals[s:e], e - s - pool)[e - s - pool]
    out: npt.NDArray[np.bool_] = vals >= thr[rows]
    return out


def _top_per_row(
    score: CSR, pool: int, alive: npt.NDArray[np.bool_] | None
) -> tuple[IntArray, IntArray, npt.NDArray[Any]]:
    """(row, column, value) of (about) the `pool` best positive entries of each row, in row
    order; ties at a row's edge may add a few."""
    data, indices, indptr = score.data, score.indices, score.indptr
    if alive is not None and not alive.all():
        data = np.where(alive[indices], data, 0)
    lengths = np.diff(indptr)
    rows = np.repeat(np.arange(score.shape[0], dtype=np.int64), lengths)
    ok = data > 0
    if int(lengths.max(initial=0)) > pool:
        ok &= _top_mask(rows, data, score.shape[0], pool)
    at = np.flatnonzero(ok)
    return rows[at], indices[at].astype(np.int64), data[at]


_FLAG_CACHE: dict[int, tuple[str, ...]] = {}


def _flags(bits: int) -> tuple[str, ...]:
    hit = _FLAG_CACHE.get(bits)
    if hit is None:
        hit = _FLAG_CACHE[bits] = tuple(n for i, n in enumerate(FLAG_NAMES) if bits >> i & 1)
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
    index: MatchIndex, needs: Sequence[NeedDoc], k: int = 10, *, workers: int | None = None
) -> dict[str, list[Proposal]]:
    """Proposals for every need (a full rematch); see ``MatchIndex.propose_many``."""
    return index.propose_many(needs, k, workers=workers)
