"""Need-need similarity as sparse vectors: concept and stem TF-IDF side by side.

Each need becomes one L2-combined row ``[sqrt(share) x concepts | sqrt(1 - share) x stems]``,
so a dot product of two rows is ``share x concept cosine + (1 - share) x stem cosine``. All
pairs above a floor come from a blocked sparse self-product (:func:`csr.pairs_above`); on
1,000+ needs, features held by more than ``overlap_max_df`` of them are dropped like stop
words so that product stays sparse. Nothing is n x n.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import csr
from .batch import Analysis, analyze_batch
from .csr import CSR
from .glossary import Glossary, default_glossary
from .spaces import IdfSpace
from .types import EngineConfig, NeedDoc, SharedConcept, SimilarNeed

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_DIGITS = 9  # similarities are rounded so ties do not depend on summation order


def city_key(need: NeedDoc) -> str:
    """The city as compared (case and spacing ignored); a need without a city is its own."""
    return " ".join((need.city or f"?{need.id}").casefold().split())


@dataclass(frozen=True, slots=True)
class Pairs:
    """Need pairs (row i < row j) with their similarity, sorted by (i, j)."""

    i: IntArray
    j: IntArray
    similarity: FloatArray

    def __len__(self) -> int:
        return len(self.i)


def _strongest(rows: IntArray, vals: FloatArray, k: int) -> npt.NDArray[np.bool_]:
    """Which entries (grouped by row, values in 0-1) are among the k largest of their row;
    ties keep the storage order."""
    base = rows.min(initial=0)
    order = np.argsort((rows - base) + (1.0 - vals) * 0.5, kind="stable")
    first = np.searchsorted(rows[order], rows[order], side="left")
    ranked = np.zeros(len(order), dtype=bool)
    ranked[order] = np.arange(len(order)) - first < k
    return ranked


class NeedSpace:
    """The similarity vectors of a fixed list of needs (row k is ``needs[k]``)."""

    def __init__(
        self,
        needs: Sequence[NeedDoc],
        *,
        glossary: Glossary | None = None,
        config: EngineConfig | None = None,
    ) -> None:
        self.glossary = glossary if glossary is not None else default_glossary()
        self.config = config if config is not None else EngineConfig()
        self.needs = list(needs)
        self.ids = [n.id for n in self.needs]
        self.row_of = {nid: k for k, nid in enumerate(self.ids)}
        if len(self.row_of) != len(self.ids):
            raise ValueError("need ids must be unique")
        keys = [city_key(n) for n in self.needs]
        codes: dict[str, int] = {}
        self.city_codes = np.fromiter(
            (codes.setdefault(k, len(codes)) for k in keys), np.int64, len(keys)
        )
        self._concepts = IdfSpace(max_df=self.config.overlap_max_df)
        self._stems = IdfSpace(max_df=self.config.overlap_max_df)
        self.analysis = self._analyze(self.needs)
        self._stem_width = self.analysis.stems.shape[1]
        self._concepts.fit(self.analysis.concepts)
        self._stems.fit(self.analysis.stems)
        self.vectors = self._vectors(self.analysis, grow=False)
        self.direct = csr.ones(self.analysis.direct)

    def _analyze(self, needs: Sequence[NeedDoc]) -> Analysis:
        return analyze_batch(self.glossary, [(n.title, n.description, n.tags) for n in needs])

    def _vectors(self, a: Analysis, *, grow: bool) -> CSR:
        share = self.config.overlap_concept_share
        qc = self._concepts.transform(a.concepts, grow=grow)
        qs = self._stems.transform(csr.widen(a.stems, self._stem_width), grow=grow)
        qc.data *= math.sqrt(share)
        qs.data *= math.sqrt(1.0 - share)
        return csr.hstack([qc, qs])

    def pairs(
        self,
        floor: float,
        *,
        cross_city: bool = True,
        shared_concept: bool = False,
        per_need: int = 0,
    ) -> Pairs:
        """Pairs whose similarity reaches ``floor`` (> 0); optionally only pairs of different
        cities, only pairs among the ``per_need`` strongest of at least one of their two needs
        (0: all), and of those only pairs naming a glossary concept in common."""
        floor = max(floor, 1e-12)
        codes = self.city_codes
        n = len(self.ids)
        out_i, out_j, out_v = [], [], []
        for lo, block in csr.row_blocks(self.vectors, self.vectors):
            r, c, v = csr.entries(block, lo)
            v = np.round(np.minimum(v, 1.0), _DIGITS).astype(np.float64)
            keep = (v >= floor) & (c != r if per_need else c > r)
            if cross_city:
                keep &= codes[r] != codes[c]
            r, c, v = r[keep], c[keep], v[keep]
            if per_need:
                top = _strongest(r, v, per_need)
                r, c, v = np.minimum(r, c)[top], np.maximum(r, c)[top], v[top]
            out_i.append(r)
            out_j.append(c)
            out_v.append(v)
        i = np.concatenate(out_i) if out_i else np.zeros(0, dtype=np.int64)
        j = np.concatenate(out_j) if out_j else np.zeros(0, dtype=np.int64)
        v = np.concatenate(out_v) if out_v else np.zeros(0)
        key, first = np.unique(i * n + j, return_index=True)  # a pair kept by both ends once
        i, j, v = key // max(n, 1), key % max(n, 1), v[first]
        if shared_concept and len(i):
            rows, _, _, _ = csr.rowwise(csr.take(self.direct, i), csr.take(self.direct, j))
            has = np.zeros(len(i), dtype=bool)
            has[rows] = True
            i, j, v = i[has], j[has], v[has]
        return Pairs(i, j, v)

    def shared_concepts(
        self, groups: Sequence[Sequence[int]], min_holders: int = 2
    ) -> list[tuple[SharedConcept, ...]]:
        """For each group of rows, the concepts named directly by at least ``min_holders`` of
        them, with the words used (one vectorised pass over all groups)."""
        lens = np.fromiter((len(g) for g in groups), np.int64, len(groups))
        rows = np.fromiter((r for g in groups for r in g), np.int64, int(lens.sum()))
        label = np.repeat(np.arange(len(groups), dtype=np.int64), lens)
        sub = csr.take(self.direct, rows)
        per_row = np.diff(sub.indptr).astype(np.int64)
        e_row, e_label = np.repeat(rows, per_row), np.repeat(label, per_row)
        e_cid = sub.indices.astype(np.int64)
        width = max(self.direct.shape[1], 1)
        key = e_label * width + e_cid
        _, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
        ok = counts[inv] >= min_holders
        e_row, e_label, e_cid = e_row[ok], e_label[ok], e_cid[ok]
        terms = self.analysis.terms_for(e_row, e_cid)
        found: list[list[tuple[str, int, tuple[str, ...]]]] = [[] for _ in groups]
        keys = self.analysis.lexicon.concept_keys
        for r, g, c, t in zip(e_row.tolist(), e_label.tolist(), e_cid.tolist(), terms, strict=True):
            found[g].append((self.ids[r], c, t))
        return [self._assemble(f, keys) for f in found]

    def _assemble(
        self, found: list[tuple[str, int, tuple[str, ...]]], keys: list[str]
    ) -> tuple[SharedConcept, ...]:
        """SharedConcepts from (need id, concept index, terms) entries."""
        holders: dict[int, list[str]] = {}
        seen: dict[int, list[str]] = {}
        for nid, c, t in found:
            holders.setdefault(c, []).append(nid)
            words = seen.setdefault(c, [])
            words.extend(w for w in t if w not in words)
        concepts = self.glossary.concepts
        order = sorted(
            holders, key=lambda c: (-len(holders[c]), -concepts[keys[c]].weight, keys[c])
        )
        return tuple(
            SharedConcept(
                keys[c],
                concepts[keys[c]].label_id,
                concepts[keys[c]].label_en,
                concepts[keys[c]].dimension,
                tuple(sorted(holders[c])),
                tuple(seen[c]),
            )
            for c in order
        )

    def similar(self, need: NeedDoc | str, *, k: int = 10, floor: float = 0.2) -> list[SimilarNeed]:
        """The ``k`` needs most similar to ``need`` (an id of this space, or a new need, e.g.
        a draft being posted), similarity >= floor, best first (ties by id). Needs of the same
        city are included and flagged; the need itself is not."""
        if isinstance(need, str):
            qrow = self.row_of[need]
            doc, a, direct = self.needs[qrow], self.analysis, self.direct
            query = csr.take(self.vectors, np.asarray([qrow], dtype=np.int64))
        else:
            doc, qrow = need, 0
            a = self._analyze([need])
            query = csr.widen(self._vectors(a, grow=False), self.vectors.shape[1])
            direct = csr.ones(a.direct)
        sims = np.round((self.vectors @ query.T).toarray().ravel(), _DIGITS)
        if doc.id in self.row_of:
            sims[self.row_of[doc.id]] = 0.0
        cand = np.flatnonzero(sims >= max(floor, 1e-12))
        ids = np.asarray(self.ids, dtype=object)
        cand = cand[np.lexsort((ids[cand], -sims[cand]))][: max(k, 0)]
        mine = set(direct.indices[direct.indptr[qrow] : direct.indptr[qrow + 1]].tolist())
        keys = self.analysis.lexicon.concept_keys
        city = city_key(doc)
        out = []
        for r in cand.tolist():
            theirs = self.direct.indices[self.direct.indptr[r] : self.direct.indptr[r + 1]]
            common = np.asarray(sorted(mine & set(theirs.tolist())), dtype=np.int64)
            found = [
                *zip(
                    [doc.id] * len(common),
                    common.tolist(),
                    a.terms_for(np.full(len(common), qrow, dtype=np.int64), common),
                    strict=True,
                ),
                *zip(
                    [self.ids[r]] * len(common),
                    common.tolist(),
                    self.analysis.terms_for(np.full(len(common), r, dtype=np.int64), common),
                    strict=True,
                ),
            ]
            out.append(
                SimilarNeed(
                    self.ids[r],
                    float(sims[r]),
                    city_key(self.needs[r]) == city,
                    self._assemble(found, keys),
                )
            )
        return out
