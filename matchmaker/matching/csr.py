"""Small CSR-matrix operations for the engine, without scipy's per-call checks.

The engine works with documents x features matrices (scipy ``csr_matrix``) whose indices are
always sorted within rows. Building or slicing them through scipy's public constructors
re-validates every index, which dominated single-need queries against 100,000-offer
matrices; these helpers assemble the arrays directly and keep indices sorted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import sparse

CSR: TypeAlias = Any  # scipy.sparse.csr_matrix (scipy ships no type stubs)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_EMPTY = np.zeros(0, dtype=np.int64)


def ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """Concatenation of ``arange(s, s + c)`` for every (s, c), vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    offsets = np.repeat(starts - (ends - counts), counts)
    return offsets + np.arange(total, dtype=np.int64)


_MAXPRINT = sparse.csr_matrix((1, 1)).maxprint


def from_sorted(rows: IntArray, cols: IntArray, vals: FloatArray, n_rows: int, n_cols: int) -> CSR:
    """CSR from entries already sorted by (row, col) and unique."""
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return from_parts(vals, cols, indptr, (n_rows, max(n_cols, 1)))


def from_parts(
    data: npt.NDArray[Any], indices: npt.NDArray[Any], indptr: IntArray, shape: tuple[int, int]
) -> CSR:
    """CSR from its arrays (indices sorted within rows, all < shape[1]), without scipy's
    constructor checks: they scan every index, which dominates small queries against the
    large offer matrices. int32 indices (all our matrices are far below 2**31 entries)."""
    m = sparse.csr_matrix.__new__(sparse.csr_matrix)
    m._shape = (int(shape[0]), int(shape[1]))
    m.maxprint = _MAXPRINT
    m.data = np.asarray(data)
    m.indices = np.asarray(indices).astype(np.int32, copy=False)
    m.indptr = np.asarray(indptr).astype(np.int32, copy=False)
    m.has_sorted_indices = True
    return m


def take(m: CSR, rows: IntArray) -> CSR:
    """m[rows] without scipy's indexing overhead (sorted indices are kept)."""
    ptr = m.indptr
    starts = ptr[rows].astype(np.int64)
    lens = ptr[rows + 1].astype(np.int64) - starts
    idx = ranges(starts, lens)
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lens, out=indptr[1:])
    return from_parts(m.data[idx], m.indices[idx], indptr, (len(rows), m.shape[1]))


def widen(m: CSR, width: int) -> CSR:
    """The same rows with exactly `width` columns (features newer than `width` are cut)."""
    if m.shape[1] == width:
        return m
    if m.shape[1] > width:
        keep = m.indices < width
        rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))[keep]
        return from_sorted(rows, m.indices[keep], m.data[keep], m.shape[0], width)
    out = from_parts(m.data, m.indices, m.indptr, (m.shape[0], width))
    out.has_sorted_indices = bool(m.has_sorted_indices)
    return out


def hstack(parts: Sequence[CSR]) -> CSR:
    """Rows side by side (column blocks), keeping sorted indices."""
    out = sparse.hstack(parts, format="csr")
    out.sort_indices()
    return out


def ones(m: CSR) -> CSR:
    """The same pattern with every value 1."""
    out = m.copy()
    out.data = np.ones(len(out.data))
    return out


def rowwise(a: CSR, b: CSR) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Entries present in the same row and column of `a` and `b` (same number of rows,
    sorted unique indices): their row, column and positions in a.data and b.data, in (row,
    column) order. An element-wise product without building scipy matrices."""
    w = np.int64(max(a.shape[1], b.shape[1]) + 1)
    ra = np.repeat(np.arange(a.shape[0], dtype=np.int64), np.diff(a.indptr))
    rb = np.repeat(np.arange(b.shape[0], dtype=np.int64), np.diff(b.indptr))
    ka = ra * w + a.indices
    kb = rb * w + b.indices
    if not len(ka) or not len(kb):
        e = np.zeros(0, dtype=np.int64)
        return e, e, e, e
    pos = np.minimum(np.searchsorted(ka, kb), len(ka) - 1)
    ib = np.flatnonzero(ka[pos] == kb)
    return rb[ib], b.indices[ib].astype(np.int64), pos[ib], ib


def renumber(
    m: CSR, mapping: IntArray, offset: int, width: int, carried: IntArray | None
) -> tuple[CSR, IntArray]:
    """``m`` with columns ``offset + id`` renamed ``offset + mapping[id]`` (columns below
    ``offset`` kept), ``width`` wide, rows re-sorted; ``carried`` (one value per entry)
    follows the entries."""
    cols = m.indices.astype(np.int64)
    moved = cols >= offset
    cols[moved] = offset + mapping[cols[moved] - offset]
    rows = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))
    order = np.lexsort((cols, rows))
    extra = carried[order] if carried is not None else _EMPTY
    return from_sorted(rows[order], cols[order], m.data[order], m.shape[0], width), extra


def row_blocks(
    m: CSR, other: CSR, chunk: int = 1024, *, sort: bool = False
) -> Iterator[tuple[int, CSR]]:
    """``m @ other.T`` a block of ``chunk`` rows at a time (first row, block; indices sorted
    if asked), so a caller can threshold it at once and memory never holds n x n."""
    ot = other.T.tocsr()
    for lo in range(0, m.shape[0], chunk):
        block = take(m, np.arange(lo, min(lo + chunk, m.shape[0]), dtype=np.int64)) @ ot
        if sort:
            block.sort_indices()
        yield lo, block


def entries(block: CSR, offset: int = 0) -> tuple[IntArray, IntArray, FloatArray]:
    """Row (plus offset), column and value of every stored entry, in storage order."""
    rows = np.repeat(np.arange(block.shape[0], dtype=np.int64) + offset, np.diff(block.indptr))
    return rows, block.indices.astype(np.int64), np.asarray(block.data, dtype=np.float64)
