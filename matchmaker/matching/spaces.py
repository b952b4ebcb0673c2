"""IDF-weighted feature spaces: string-keyed (overlap detector) and integer-keyed (index)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

from . import csr
from .csr import CSR

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class TermSpace:
    """A string-keyed feature vocabulary with IDF (used by the overlap detector)."""

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


class IdfSpace:
    """IDF over integer feature ids (columns), fixed at the last rebuild.

    Features in more than ``max_df`` of >= 1000 documents are excluded (like stop words);
    features first seen after the rebuild (delta offers) get the default IDF."""

    def __init__(self, max_df: float = 1.0, min_docs_for_max_df: int = 1000) -> None:
        self.max_df = max_df
        self.min_docs_for_max_df = min_docs_for_max_df
        self.idf: FloatArray = np.zeros(0)
        self.known: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.excluded: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.fitted: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.default_idf = 1.0
        self.version = 0  # changes whenever idf, known or excluded change

    def fit(self, m: CSR) -> None:
        n, width = m.shape[0], m.shape[1]
        df = np.bincount(m.indices, minlength=width)[:width]
        limit = n + 1
        if n >= self.min_docs_for_max_df and self.max_df < 1.0:
            limit = int(self.max_df * n)
        self.default_idf = math.log((n + 1) / 2) + 1.0
        self.excluded = df > limit
        self.known = (df > 0) & ~self.excluded
        self.fitted = self.known.copy()
        self.idf = np.where(self.known, np.log((n + 1) / (df + 1.0)) + 1.0, self.default_idf)
        self.version += 1

    def ensure(self, width: int) -> None:
        extra = width - len(self.idf)
        if extra > 0:
            self.version += 1
            self.idf = np.concatenate((self.idf, np.full(extra, self.default_idf)))
            no = np.zeros(extra, dtype=bool)
            self.known = np.concatenate((self.known, no))
            self.excluded = np.concatenate((self.excluded, no))
            self.fitted = np.concatenate((self.fitted, no))

    def transform(self, m: CSR, *, grow: bool, top: int = 0, first: IntArray | None = None) -> CSR:
        """TF-IDF rows, L2-normalised; unknown features are dropped (or learnt if grow)."""
        self.ensure(m.shape[1])
        n = m.shape[0]
        cols = m.indices.astype(np.int64)
        if grow:
            new = ~self.known[cols] & ~self.excluded[cols]
            if new.any():
                self.known[cols[new]] = True
                self.version += 1
        vals = m.data * self.idf[cols] * self.known[cols]
        lengths = np.diff(m.indptr).astype(np.int64)
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        if top and len(vals):
            # keep the `top` strongest features of each document, ties by first appearance
            tie = first if first is not None else np.arange(len(vals))
            order = np.lexsort((tie, -vals, rows))
            starts = np.repeat(m.indptr[:-1].astype(np.int64), lengths)
            rank = np.arange(len(order)) - starts
            keep = np.zeros(len(vals), dtype=bool)
            keep[order[rank < top]] = True
            vals = np.where(keep, vals, 0.0)
        norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=n))
        norms[norms == 0] = 1.0
        vals = vals / norms[rows]
        ok = vals != 0
        return csr.from_sorted(rows[ok], cols[ok], vals[ok], n, m.shape[1])
