"""Corpus-level analysis: each distinct token is analysed once, documents become id arrays.

``analyze_batch`` gives the same features as :func:`features.analyze` (the per-document
reference), but for a whole list of documents at once:

1. all fields are joined with a separator and tokenised with one regex pass per chunk;
2. every distinct raw token is normalised, stemmed and mapped to stem ids once
   (:class:`Lexicon`, cached per glossary and reused by later batches);
3. documents are flat numpy arrays of stem ids; glossary phrases are matched with hashed
   n-gram lookups (longest match first, left-to-right, no overlaps, as ``Glossary.match``);
4. the per-document stem, concept and head features are aggregated with sorts and
   ``reduceat`` into CSR matrices (documents x feature ids).

What only an explanation needs (the surface phrases of concepts, surface forms of stems,
the fuzzy-comparison text) is derived lazily per document from the kept arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt
from scipy import sparse

from . import csr
from .csr import CSR
from .features import BROADER_FACTOR
from .glossary import Glossary
from .normalize import raw_tokens
from .parallel import fork_map

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
T = TypeVar("T")
R = TypeVar("R")
# tokens a lexicon learnt: (token, stem strings, surfaces); see Lexicon.learned_since
Learned: TypeAlias = list[tuple[str, tuple[str, ...], tuple[str, ...]]]

_SEP = "\x00"
# ASCII characters that always end a token; ' - _ stay inside and such tokens (and any with
# non-ASCII characters) are re-tokenised exactly by normalize.raw_tokens, once per distinct token
_SPLIT_TABLE = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) in "'-_\x00")}
)
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)
_CHUNK_DOCS = 8192
_EMPTY = np.zeros(0, dtype=np.int64)
_EMPTY_F = np.zeros(0, dtype=np.float64)
_RAW_CACHE_MAX = 500_000


class Lexicon:
    """Stem ids, the analysis of each distinct raw token, and the compiled phrase tables."""

    def __init__(self, glossary: Glossary) -> None:
        self.glossary = glossary
        self.stem_ids: dict[str, int] = {}
        self.stem_strs: list[str] = []
        self._raw: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {}
        self._learned: list[str] = []  # the tokens of _raw, in the order they were learnt
        self.concept_keys: list[str] = list(glossary.concepts)
        self.concept_index = {c: i for i, c in enumerate(self.concept_keys)}
        concepts = [glossary.concepts[c] for c in self.concept_keys]
        self.concept_weight = np.asarray([c.weight for c in concepts], dtype=np.float64)
        child = [self.concept_index[c.id] for c in concepts for _ in c.broader]
        target = [self.concept_index[b] for c in concepts for b in c.broader]
        self.broader_child = np.asarray(child, dtype=np.int64)
        self.broader_target = np.asarray(target, dtype=np.int64)
        # phrases: unique stem sequences -> the concepts they name
        seqs: dict[tuple[int, ...], list[int]] = {}
        for entries in glossary._phrases.values():
            for seq, cid in entries:
                ids = tuple(self.stem_id(s) for s in seq)
                cids = seqs.setdefault(ids, [])
                if self.concept_index[cid] not in cids:
                    cids.append(self.concept_index[cid])
        self.phrase_seqs = list(seqs)
        self.max_len = max((len(s) for s in self.phrase_seqs), default=1)
        n_p = len(self.phrase_seqs)
        self.phrase_len = np.asarray([len(s) for s in self.phrase_seqs], dtype=np.int64)
        pad = np.full((max(n_p, 1), self.max_len), -1, dtype=np.int64)
        for i, s in enumerate(self.phrase_seqs):
            pad[i, : len(s)] = s
        self.phrase_stems = pad
        cids_list = list(seqs.values())
        self.phrase_cid_ptr = np.concatenate(([0], np.cumsum([len(c) for c in cids_list]))).astype(
            np.int64
        )
        self.phrase_cids = np.asarray([c for cs in cids_list for c in cs], dtype=np.int64)
        self.phrase_cid_lists = cids_list
        self._pc_keys: IntArray | None = None
        self.first_mask = np.zeros(len(self.stem_strs) + 1, dtype=bool)
        for s in self.phrase_seqs:
            self.first_mask[s[0]] = True
        self.tables: dict[int, tuple[npt.NDArray[np.uint64], IntArray]] = {}
        if n_p:
            hashes = self._hash_rows(pad)
            for m in range(1, self.max_len + 1):
                sel = np.flatnonzero(self.phrase_len == m)
                if len(sel):
                    order = np.argsort(hashes[m - 1][sel], kind="stable")
                    self.tables[m] = (hashes[m - 1][sel][order], sel[order])
        # hashes of the first m stems of the phrases longer than m: a position whose first m
        # stems are none of these cannot start a longer match
        self.prefixes: dict[int, npt.NDArray[np.uint64]] = {}
        for m in range(1, self.max_len):
            longer = np.flatnonzero(self.phrase_len > m)
            self.prefixes[m] = np.unique(hashes[m - 1][longer]) if n_p else np.zeros(0, np.uint64)

    def phrase_concept_keys(self) -> IntArray:
        """Sorted ``phrase * n_concepts + concept`` of every phrase naming a concept."""
        if self._pc_keys is None:
            nc = max(self.n_concepts, 1)
            counts = np.diff(self.phrase_cid_ptr)
            phrase = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
            self._pc_keys = np.unique(phrase * nc + self.phrase_cids)
        return self._pc_keys

    @staticmethod
    def _hash_rows(windows: IntArray) -> list[npt.NDArray[np.uint64]]:
        """Prefix hashes of each row: hashes[m - 1] covers the first m columns."""
        h = np.zeros(windows.shape[0], dtype=np.uint64)
        out: list[npt.NDArray[np.uint64]] = []
        with np.errstate(over="ignore"):
            for m in range(windows.shape[1]):
                h = h * _HASH_MUL + (windows[:, m] + 1).astype(np.uint64)
                out.append(h)
        return out

    @property
    def n_stems(self) -> int:
        return len(self.stem_strs)

    @property
    def n_concepts(self) -> int:
        return len(self.concept_keys)

    def stem_id(self, stem: str) -> int:
        sid = self.stem_ids.get(stem)
        if sid is None:
            sid = self.stem_ids[stem] = len(self.stem_strs)
            self.stem_strs.append(stem)
        return sid

    def raw(self, token: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """(stem ids, surface of each) of one whitespace-delimited token, cached."""
        hit = self._raw.get(token)
        if hit is not None:
            return hit
        norm = self.glossary.normalizer
        subs = [token] if token.isascii() and token.isalnum() else raw_tokens(token)
        pairs = [p for sub in subs for p in norm._token(sub)]
        hit = (tuple(self.stem_id(s) for s, _ in pairs), tuple(sf for _, sf in pairs))
        if len(self._raw) < _RAW_CACHE_MAX:
            self._raw[token] = hit
            self._learned.append(token)
        return hit

    # A forked worker learns tokens in its own copy of the lexicon; it sends them back
    # (with stem strings, not ids) so that this process need not analyse them again.
    @property
    def n_learned(self) -> int:
        return len(self._learned)

    def learned_since(self, mark: int) -> Learned:
        """(token, stem strings, surfaces) of the tokens learnt after ``n_learned`` was mark."""
        strs = self.stem_strs
        out = []
        for token in self._learned[mark:]:
            ids, surfaces = self._raw[token]
            out.append((token, tuple(strs[i] for i in ids), surfaces))
        return out

    def adopt(self, learned: Learned) -> None:
        """Take tokens learnt by another process's copy (see ``learned_since``)."""
        raw = self._raw
        for token, stems, surfaces in learned:
            if token not in raw and len(raw) < _RAW_CACHE_MAX:
                raw[token] = (tuple(self.stem_id(s) for s in stems), surfaces)
                self._learned.append(token)


def learning(lexicon: Lexicon, fn: Callable[[T], R]) -> Callable[[T], tuple[R, Learned]]:
    """``fn`` made to return also what ``lexicon`` learnt since the previous call (or since
    now): a forked worker's results then carry the tokens for this process to adopt."""
    state = {"mark": lexicon.n_learned}

    def run(task: T) -> tuple[R, Learned]:
        result = fn(task)
        learned = lexicon.learned_since(state["mark"])
        state["mark"] = lexicon.n_learned
        return result, learned

    return run


def lexicon_for(glossary: Glossary) -> Lexicon:
    lx = glossary._lexicon
    if lx is None:
        lx = glossary._lexicon = Lexicon(glossary)
    assert isinstance(lx, Lexicon)
    return lx


class Analysis:
    """The features of a batch of documents (rows), as CSR matrices and flat arrays."""

    def __init__(
        self,
        lexicon: Lexicon,
        n_docs: int,
        stems: CSR,
        stem_first: IntArray,
        concepts: CSR,
        head: CSR,
        seq: IntArray,
        seq_surface: IntArray,
        surfaces: list[str],
        head_pos: IntArray,
        head_ptr: IntArray,
        match_pos: IntArray,
        match_len: IntArray,
        match_phrase: IntArray,
        match_ptr: IntArray,
        direct: CSR | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.n_docs = n_docs
        self.stems = stems  # docs x stem ids: 1 + log(weighted count), all stems
        self.stem_first = stem_first  # per stem entry: position of its first occurrence
        self.concepts = concepts  # docs x concept index: direct and broader weights
        self.head = head  # docs x (concepts + stem ids): title + tag features
        self.seq = seq  # stem id per position (-1 separates fields)
        self.seq_surface = seq_surface  # surface id per position
        self.surfaces = surfaces
        self.head_pos = head_pos  # positions of title + tag stems, per document (head_ptr)
        self.head_ptr = head_ptr
        self.match_pos = match_pos  # kept phrase matches, per document (match_ptr)
        self.match_len = match_len
        self.match_phrase = match_phrase
        self.match_ptr = match_ptr
        # docs x concept index, direct concepts only; value: 1 + index of the first match
        # that names the concept (order of appearance, as in concept_terms)
        self.direct = (
            direct if direct is not None else csr.from_sorted(_EMPTY, _EMPTY, _EMPTY_F, n_docs, 1)
        )
        self._fuzzy: list[str | None] = [None] * n_docs
        self._joined: dict[int, str] = {}  # multi-word surface (terms_for) by sequence hash

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the lexicon: a forked analyser sends its result back, and the
        receiver attaches its own lexicon (:func:`analyze_parts`)."""
        state = self.__dict__.copy()
        state["lexicon"] = None
        return state

    def _renumber_stems(self, lexicon: Lexicon, mapping: IntArray) -> None:
        """Adopt ``lexicon`` whose stem ids are ``mapping[id]`` of the ids used so far (the
        analysis was made by another process's copy of the lexicon)."""
        self.lexicon = lexicon
        if np.array_equal(mapping, np.arange(len(mapping))):
            return
        V, C = lexicon.n_stems, lexicon.n_concepts
        self.seq = np.where(self.seq >= 0, mapping[np.maximum(self.seq, 0)], self.seq)
        self.stems, self.stem_first = csr.renumber(self.stems, mapping, 0, V, self.stem_first)
        self.head, _ = csr.renumber(self.head, mapping, C, C + V, None)

    # -- lazy, per document (explanations and fuzzy comparison) ------------------------------
    def fuzzy_text(self, row: int) -> str:
        hit = self._fuzzy[row]
        if hit is None:
            lo, hi = self.head_ptr[row], self.head_ptr[row + 1]
            strs = self.lexicon.stem_strs
            ids = self.seq[self.head_pos[lo:hi]].tolist()
            hit = self._fuzzy[row] = " ".join(dict.fromkeys(strs[i] for i in ids))
        return hit

    def fuzzy_texts(self, rows: IntArray) -> list[str]:
        """``fuzzy_text`` of many rows at once (vectorised; fills the per-row cache)."""
        rows = np.asarray(rows, dtype=np.int64)
        fz = self._fuzzy
        todo = np.unique(rows[[fz[r] is None for r in rows.tolist()]]) if len(rows) else rows
        if len(todo):
            counts = self.head_ptr[todo + 1] - self.head_ptr[todo]
            pos = self.head_pos[csr.ranges(self.head_ptr[todo], counts)]
            doc = np.repeat(np.arange(len(todo), dtype=np.int64), counts)
            stem = self.seq[pos]
            # first occurrence of each (doc, stem), in order of appearance
            _, first = np.unique(doc * (int(stem.max(initial=0)) + 1) + stem, return_index=True)
            first.sort()
            strs = self.lexicon.stem_strs
            words = [strs[i] for i in stem[first].tolist()]
            ptr = np.searchsorted(doc[first], np.arange(len(todo) + 1)).tolist()
            for j, r in enumerate(todo.tolist()):
                fz[r] = " ".join(words[ptr[j] : ptr[j + 1]])
        return [fz[r] or "" for r in rows.tolist()]

    def terms_for(self, rows: IntArray, cids: IntArray) -> list[tuple[str, ...]]:
        """For each (row, concept id) pair, ``concept_terms(row)[concept]`` (or ``()``),
        computed only from the phrase matches of that concept (no per-row dictionaries)."""
        n = len(rows)
        if not n:
            return []
        lx = self.lexicon
        nc = max(lx.n_concepts, 1)
        keyset = lx.phrase_concept_keys()
        rows = np.asarray(rows, dtype=np.int64)
        starts = self.match_ptr[rows]
        counts = self.match_ptr[rows + 1] - starts
        idx = csr.ranges(starts, counts)
        pair = np.repeat(np.arange(n, dtype=np.int64), counts)
        key = self.match_phrase[idx] * nc + np.repeat(np.asarray(cids, dtype=np.int64), counts)
        at = np.minimum(np.searchsorted(keyset, key), max(len(keyset) - 1, 0))
        ok = keyset[at] == key if len(keyset) else np.zeros(len(key), dtype=bool)
        idx, pair = idx[ok], pair[ok]
        surf, seq_surface = self.surfaces, self.seq_surface
        pos = self.match_pos[idx]
        mlen = self.match_len[idx]
        # surfaces repeated within a pair are dropped before the Python loop: one-word ones by
        # surface id, longer ones by a hash of their surface-id sequence (negative keys)
        sid = seq_surface[pos].astype(np.int64)
        multi = np.flatnonzero(mlen > 1)
        if len(multi):
            h = np.zeros(len(multi), dtype=np.uint64)
            m_pos, m_len = pos[multi], mlen[multi]
            last = len(seq_surface) - 1
            with np.errstate(over="ignore"):
                for j in range(int(m_len.max())):
                    at_j = seq_surface[np.minimum(m_pos + j, last)].astype(np.int64) + 1
                    h = h * _HASH_MUL + np.where(j < m_len, at_j, 0).astype(np.uint64)
            sid[multi] = -1 - (h >> np.uint64(2)).astype(np.int64)
        # each distinct surface id becomes its string once; equal strings share one key
        uniq, inv = np.unique(sid, return_inverse=True)
        joined = self._joined
        strings: list[str] = []
        first = np.zeros(len(uniq), dtype=np.int64)
        first[inv] = np.arange(len(inv))  # any occurrence: they share their surface
        for si, p0, m in zip(uniq.tolist(), pos[first].tolist(), mlen[first].tolist(), strict=True):
            if m == 1:
                strings.append(surf[si])
                continue
            got = joined.get(si)
            if got is None:
                ids = seq_surface[p0 : p0 + m].tolist()
                got = joined[si] = " ".join(dict.fromkeys([surf[i] for i in ids]))
            strings.append(got)
        key_of: dict[str, int] = {}
        skey = np.fromiter(
            (key_of.setdefault(t, len(key_of)) for t in strings), np.int64, len(strings)
        )[inv]
        # the first occurrence of each (pair, string), in order of appearance
        order = np.lexsort((np.arange(len(pair)), skey, pair))
        keep = np.ones(len(pair), dtype=bool)
        if len(order) > 1:
            same = (pair[order[1:]] == pair[order[:-1]]) & (skey[order[1:]] == skey[order[:-1]])
            keep[order[1:][same]] = False
        pair, skey = pair[keep], skey[keep]
        table = np.asarray(list(key_of), dtype=object)
        words = table[skey].tolist() if len(skey) else []
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(pair, minlength=n), out=ptr[1:])
        bounds = ptr.tolist()
        return [tuple(words[bounds[q] : bounds[q + 1]]) for q in range(n)]

    def concept_terms(self, row: int) -> dict[str, tuple[str, ...]]:
        """Direct concepts -> surface phrases, in order of appearance (one document; the
        engine itself asks :meth:`terms_for` for the pairs it explains)."""
        lx = self.lexicon
        keys, cid_lists = lx.concept_keys, lx.phrase_cid_lists
        found: dict[str, list[str]] = {}
        lo, hi = int(self.match_ptr[row]), int(self.match_ptr[row + 1])
        surf, seq_surface = self.surfaces, self.seq_surface
        for pos, m, p in zip(
            self.match_pos[lo:hi].tolist(),
            self.match_len[lo:hi].tolist(),
            self.match_phrase[lo:hi].tolist(),
            strict=True,
        ):
            ids = seq_surface[pos : pos + m].tolist()
            surface = " ".join(dict.fromkeys([surf[i] for i in ids]))
            for c in cid_lists[p]:
                terms = found.setdefault(keys[c], [])
                if surface not in terms:
                    terms.append(surface)
        return {k: tuple(v) for k, v in found.items()}

    def concept_values(self, row: int) -> dict[str, float]:
        lo, hi = self.concepts.indptr[row], self.concepts.indptr[row + 1]
        keys = self.lexicon.concept_keys
        return {
            keys[c]: v
            for c, v in zip(
                self.concepts.indices[lo:hi].tolist(),
                self.concepts.data[lo:hi].tolist(),
                strict=True,
            )
        }

    def ordered_stems(self, row: int) -> tuple[list[int], list[str]]:
        """Stem ids in order of first appearance, with the surface of that appearance."""
        lo, hi = self.stems.indptr[row], self.stems.indptr[row + 1]
        first = self.stem_first[lo:hi]
        order = np.argsort(first, kind="stable")
        ids = self.stems.indices[lo:hi][order]
        surf = self.surfaces
        return ids.tolist(), [surf[i] for i in self.seq_surface[first[order]].tolist()]


def _stack_fields(
    docs: Sequence[tuple[str, str, Sequence[str]]],
) -> tuple[list[str], IntArray, FloatArray, npt.NDArray[np.bool_]]:
    """Field texts (title, description, tags... of each document) and per-field data."""
    texts = [t or "" for d in docs for t in (d[0], d[1], *d[2])]
    nf = np.fromiter((2 + len(d[2]) for d in docs), np.int64, len(docs))
    field_doc = np.repeat(np.arange(len(docs), dtype=np.int64), nf)
    kind = np.arange(len(texts), dtype=np.int64) - np.repeat(np.cumsum(nf) - nf, nf)
    return texts, field_doc, np.where(kind == 1, 1.0, 2.0), kind != 1


def _tokenize(lx: Lexicon, texts: list[str]) -> tuple[IntArray, IntArray, list[str]]:
    """Stem ids and surface ids per position; a -1 stem ends each field."""
    local: dict[str, int] = {_SEP: 0}
    chunks: list[IntArray] = []
    for start in range(0, len(texts), _CHUNK_DOCS):
        part = texts[start : start + _CHUNK_DOCS]
        toks = (" \x00 ".join(part) + " \x00").translate(_SPLIT_TABLE).split()
        if toks.count(_SEP) != len(part):  # a text holds the separator itself
            part = [t.replace(_SEP, " ") for t in part]
            toks = (" \x00 ".join(part) + " \x00").translate(_SPLIT_TABLE).split()
        for t in dict.fromkeys(toks):
            if t not in local:
                local[t] = len(local)
        chunks.append(np.fromiter(map(local.__getitem__, toks), np.int64, len(toks)))
    tok = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    infos = [((-1,), ("",))] + [lx.raw(t) for t in list(local)[1:]]
    n_st = np.fromiter((len(i[0]) for i in infos), np.int64, len(infos))
    flat = np.fromiter((s for i in infos for s in i[0]), np.int64, int(n_st.sum()))
    surfaces = [sf for i in infos for sf in i[1]]
    off = np.cumsum(n_st) - n_st
    idx = csr.ranges(off[tok], n_st[tok])
    return flat[idx], idx, surfaces


def _match_phrases(lx: Lexicon, seq: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Kept phrase matches (position, length, phrase), as ``Glossary.match`` finds them."""
    empty = np.zeros(0, dtype=np.int64)
    if not lx.tables or len(seq) == 0:
        return empty, empty, empty
    padded = np.concatenate((seq, np.full(lx.max_len, -1, dtype=np.int64)))
    mask = lx.first_mask
    valid = (seq >= 0) & (seq < len(mask))
    is_first = np.zeros(len(seq), dtype=bool)
    is_first[valid] = mask[seq[valid]]
    start = np.flatnonzero(is_first)
    best_len = np.zeros(len(start), dtype=np.int64)
    best_p = np.full(len(start), -1, dtype=np.int64)
    live = np.arange(len(start))  # candidates that can still start a (longer) match
    cand = start
    h = np.zeros(len(start), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for m in range(1, lx.max_len + 1):
            h = h * _HASH_MUL + (padded[cand + m - 1] + 1).astype(np.uint64)
            table = lx.tables.get(m)
            if table is not None:
                keys, pids = table
                j = np.minimum(np.searchsorted(keys, h), len(keys) - 1)
                hit = np.flatnonzero(keys[j] == h)
                p = pids[j[hit]]
                ok = np.ones(len(hit), dtype=bool)
                for t in range(m):  # hashes can collide: compare the stems
                    ok &= padded[cand[hit] + t] == lx.phrase_stems[p, t]
                best_len[live[hit[ok]]] = m
                best_p[live[hit[ok]]] = p[ok]
            prefixes = lx.prefixes.get(m)
            if prefixes is None or not len(prefixes):
                break
            at = np.minimum(np.searchsorted(prefixes, h), len(prefixes) - 1)
            go_on = np.flatnonzero(prefixes[at] == h)
            live, cand, h = live[go_on], cand[go_on], h[go_on]
            if not len(live):
                break
    found = best_p >= 0
    pos, length, phrase = start[found], best_len[found], best_p[found]
    # greedy left to right: a match is kept when it starts after the end of the last kept one
    end = pos + length
    kept = np.ones(len(pos), dtype=bool)
    for _ in range(len(pos) + 1):
        prev = np.maximum.accumulate(np.concatenate(([0], np.where(kept, end, 0)[:-1])))
        new = pos >= prev
        if np.array_equal(new, kept):
            break
        kept = new
    return pos[kept], length[kept], phrase[kept]


def _group(keys: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Stable order of keys, start of each group in that order, and the group keys."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], sk[1:] != sk[:-1]))) if len(sk) else sk
    return order, starts, sk[starts]


def analyze_batch(glossary: Glossary, docs: Sequence[tuple[str, str, Sequence[str]]]) -> Analysis:
    """Features of (title, description, tags) documents; row i is docs[i]."""
    lx = lexicon_for(glossary)
    n = len(docs)
    texts, field_doc, field_weight, field_head = _stack_fields(docs)
    seq, seq_surface, surfaces = _tokenize(lx, texts)
    is_sep = seq < 0
    field_of_pos: IntArray = np.cumsum(is_sep) - is_sep
    pos_doc = field_doc[field_of_pos] if len(seq) else np.zeros(0, dtype=np.int64)
    V = lx.n_stems
    C = lx.n_concepts

    # stems: weighted counts, head counts, first position
    pos = np.flatnonzero(~is_sep)
    doc_p = pos_doc[pos]
    order, starts, gkeys = _group(doc_p * V + seq[pos])
    fw = field_weight[field_of_pos[pos]][order]
    fh = field_head[field_of_pos[pos]][order].astype(np.float64)
    wsum = np.add.reduceat(fw, starts) if len(starts) else fw
    hcount = np.add.reduceat(fh, starts) if len(starts) else fh
    s_doc, s_stem = gkeys // max(V, 1), gkeys % max(V, 1)
    stems = csr.from_sorted(s_doc, s_stem, 1.0 + np.log(wsum), n, V)
    stem_first = pos[order[starts]]

    # concepts: one count per field (weighted), broader concepts get a share
    mpos, mlen, mph = _match_phrases(lx, seq)
    ncid = lx.phrase_cid_ptr[mph + 1] - lx.phrase_cid_ptr[mph]
    m_field: IntArray = np.repeat(field_of_pos[mpos], ncid)
    m_cid = lx.phrase_cids[csr.ranges(lx.phrase_cid_ptr[mph], ncid)]
    fc = np.unique(m_field * C + m_cid)
    f_of, c_of = fc // C, fc % C
    order_c, starts_c, ckeys = _group(field_doc[f_of] * C + c_of)
    cw = np.add.reduceat(field_weight[f_of][order_c], starts_c) if len(starts_c) else np.zeros(0)
    ch = (
        np.add.reduceat(2.0 * field_head[f_of][order_c], starts_c) if len(starts_c) else np.zeros(0)
    )
    d_doc, d_cid = ckeys // C, ckeys % C
    dkeys, dfirst = np.unique(field_doc[m_field] * C + m_cid, return_index=True)
    direct = csr.from_sorted(dkeys // C, dkeys % C, dfirst + 1.0, n, C)
    d_val = lx.concept_weight[d_cid] * (1.0 + np.log(np.maximum(cw, 1e-300)))
    # broader: value = max(own direct value, BROADER_FACTOR x the direct value of a child)
    b_doc_l: list[IntArray] = []
    b_cid_l: list[IntArray] = []
    b_val_l: list[FloatArray] = []
    if len(lx.broader_child) and len(d_cid):
        child_ptr = np.zeros(C + 1, dtype=np.int64)
        corder = np.argsort(lx.broader_child, kind="stable")
        np.cumsum(np.bincount(lx.broader_child, minlength=C), out=child_ptr[1:])
        nb = child_ptr[d_cid + 1] - child_ptr[d_cid]
        idx = corder[csr.ranges(child_ptr[d_cid], nb)]
        b_doc_l.append(np.repeat(d_doc, nb))
        b_cid_l.append(lx.broader_target[idx])
        b_val_l.append(BROADER_FACTOR * np.repeat(d_val, nb))
    all_doc = np.concatenate([d_doc, *b_doc_l])
    all_cid = np.concatenate([d_cid, *b_cid_l])
    all_val = np.concatenate([d_val, *b_val_l])
    is_direct = np.zeros(len(all_doc), dtype=bool)
    is_direct[: len(d_doc)] = True
    order_u, starts_u, ukeys = _group(all_doc * C + all_cid)
    u_val = np.maximum.reduceat(all_val[order_u], starts_u) if len(starts_u) else all_val
    dv = np.where(is_direct, all_val, 0.0)[order_u]
    u_direct_val = np.maximum.reduceat(dv, starts_u) if len(starts_u) else dv
    bv = np.where(is_direct, 0.0, all_val)[order_u]
    u_broader_val = np.maximum.reduceat(bv, starts_u) if len(starts_u) else bv
    u_raised = u_broader_val > u_direct_val
    u_doc, u_cid = ukeys // C, ukeys % C
    concepts = csr.from_sorted(u_doc, u_cid, u_val, n, C)

    # head: stems and concepts of title + tags
    in_head = hcount > 0
    hd_stem_doc, hd_stem_col = s_doc[in_head], C + s_stem[in_head]
    hd_stem_val = 1.0 + np.log(hcount[in_head])
    # concepts direct in a head field; broader ones raised by a child get 0.5
    ch_full = np.zeros(len(ukeys))
    if len(ckeys):
        ch_full[np.searchsorted(ukeys, ckeys)] = ch
    hc_mask = (ch_full > 0) | u_raised
    hc_val = np.where(ch_full > 0, 1.0 + np.log(np.maximum(ch_full, 1e-300)), 0.5)[hc_mask]
    h_doc = np.concatenate((u_doc[hc_mask], hd_stem_doc))
    h_col = np.concatenate((u_cid[hc_mask], hd_stem_col))
    h_val = np.concatenate((hc_val, hd_stem_val))
    h_order = np.argsort(h_doc * (C + V) + h_col, kind="stable")
    head = csr.from_sorted(h_doc[h_order], h_col[h_order], h_val[h_order], n, C + V)

    # lazy explanation data
    head_pos = pos[field_head[field_of_pos[pos]]]
    head_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pos_doc[head_pos], minlength=n), out=head_ptr[1:])
    match_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pos_doc[mpos], minlength=n), out=match_ptr[1:])
    return Analysis(
        lx,
        n,
        stems,
        stem_first,
        concepts,
        head,
        seq,
        seq_surface.astype(np.int32),
        surfaces,
        head_pos,
        head_ptr,
        mpos,
        mlen,
        mph,
        match_ptr,
        direct,
    )


_MIN_DOCS_PER_PART = 4096  # smaller batches are not worth a fork


def analyze_parts(
    glossary: Glossary, docs: Sequence[tuple[str, str, Sequence[str]]], workers: int = 1
) -> Analysis:
    """``analyze_batch`` of ``docs`` in contiguous parts shared over ``workers`` forked
    processes, then joined; fuzzy texts are made in the same pass.

    A child numbers the stems it meets first with its own copy of the lexicon; they are
    renamed to this process's ids on arrival, so every part uses one numbering."""
    lx = lexicon_for(glossary)
    n_parts = min(2 * workers, len(docs) // _MIN_DOCS_PER_PART) if workers > 1 else 1
    if n_parts <= 1:
        bounds = [0, len(docs)]
    else:
        bounds = np.linspace(0, len(docs), n_parts + 1).astype(int).tolist()
    base = lx.n_stems

    def analyse(span: tuple[int, int]) -> tuple[Analysis, list[str]]:
        a = analyze_batch(glossary, docs[span[0] : span[1]])
        a.fuzzy_texts(np.arange(a.n_docs))
        return a, lx.stem_strs[base:]

    parts: list[Analysis | None] = [None] * (len(bounds) - 1)

    def adopt(i: int, result: tuple[tuple[Analysis, list[str]], Learned]) -> None:
        (a, new), learned = result
        mapping = np.arange(base + len(new), dtype=np.int64)
        mapping[base:] = [lx.stem_id(s) for s in new]
        a._renumber_stems(lx, mapping)
        lx.adopt(learned)
        parts[i] = a

    spans = list(zip(bounds[:-1], bounds[1:], strict=True))
    fork_map(learning(lx, analyse), spans, workers, adopt)
    done = [a for a in parts if a is not None]
    return done[0] if len(done) == 1 else concat_analyses(done)


def concat_analyses(parts: Sequence[Analysis]) -> Analysis:
    """One analysis of the documents of ``parts`` (in order; same lexicon): positions,
    surface ids and pointers are shifted, matrices stacked. Queries then gather features from
    one place, which is simpler and faster than from several."""
    lx = parts[0].lexicon
    pos_off = np.cumsum([0] + [len(p.seq) for p in parts])
    surf_off = np.cumsum([0] + [len(p.surfaces) for p in parts])

    def stack(attr: str, width: int) -> CSR:
        mats = [getattr(p, attr) for p in parts]
        out = sparse.vstack(
            [csr.from_parts(m.data, m.indices, m.indptr, (m.shape[0], width)) for m in mats],
            format="csr",
        )
        return csr.from_parts(out.data, out.indices, out.indptr, out.shape)

    def shifted(attr: str, offsets: IntArray) -> IntArray:
        return np.concatenate(
            [getattr(p, attr) + off for p, off in zip(parts, offsets[:-1], strict=True)]
        )

    def pointers(attr: str, entries: str) -> IntArray:
        ends = np.cumsum([0] + [len(getattr(p, entries)) for p in parts])
        tails = [getattr(p, attr)[1:] + off for p, off in zip(parts, ends[:-1], strict=True)]
        return np.concatenate([np.zeros(1, dtype=np.int64), *tails])

    V, C = lx.n_stems, lx.n_concepts
    out = Analysis(
        lx,
        sum(p.n_docs for p in parts),
        stack("stems", V),
        shifted("stem_first", pos_off),
        stack("concepts", C),
        stack("head", C + V),
        np.concatenate([p.seq for p in parts]),
        shifted("seq_surface", surf_off).astype(np.int32),
        [sf for p in parts for sf in p.surfaces],
        shifted("head_pos", pos_off),
        pointers("head_ptr", "head_pos"),
        shifted("match_pos", pos_off),
        np.concatenate([p.match_len for p in parts]),
        np.concatenate([p.match_phrase for p in parts]),
        pointers("match_ptr", "match_pos"),
        stack("direct", C),
    )
    out._fuzzy = [t for p in parts for t in p._fuzzy]
    return out
