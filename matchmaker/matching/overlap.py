"""Cross-city overlap detection: needs from different cities describing the same programme."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from .features import DocFeatures, analyze
from .glossary import Glossary, default_glossary
from .index import shared_concepts
from .spaces import TermSpace
from .types import ConceptMatch, EngineConfig, NeedDoc, OverlapCluster


def _city_key(need: NeedDoc) -> str:
    return " ".join((need.city or f"?{need.id}").casefold().split())


def _similarity_matrix(
    needs: Sequence[NeedDoc], glossary: Glossary, config: EngineConfig
) -> tuple[list[DocFeatures], np.ndarray]:
    feats = [analyze(glossary, n.title, n.description, tuple(n.tags)) for n in needs]
    cspace, sspace = TermSpace(), TermSpace()
    cspace.fit([f.concepts for f in feats])
    sspace.fit([f.stems for f in feats])
    qc = cspace.matrix([f.concepts for f in feats], grow=False)
    qs = sspace.matrix([f.stems for f in feats], grow=False)
    share = config.overlap_concept_share
    sim = share * (qc @ qc.T).toarray() + (1 - share) * (qs @ qs.T).toarray()
    cities = [_city_key(n) for n in needs]
    same = np.asarray([[a == b for b in cities] for a in cities], dtype=bool)
    sim[same] = 0.0
    return feats, sim


def need_similarity(
    needs: Sequence[NeedDoc],
    *,
    glossary: Glossary | None = None,
    config: EngineConfig | None = None,
) -> dict[tuple[str, str], float]:
    """Similarity 0-1 of every pair of needs from different cities, keyed (a, b) with a < b."""
    g = glossary if glossary is not None else default_glossary()
    cfg = config if config is not None else EngineConfig()
    if len(needs) < 2:
        return {}
    _, sim = _similarity_matrix(needs, g, cfg)
    out: dict[tuple[str, str], float] = {}
    cities = [_city_key(n) for n in needs]
    for i in range(len(needs)):
        for j in range(i + 1, len(needs)):
            if cities[i] == cities[j]:
                continue
            a, b = sorted((needs[i].id, needs[j].id))
            out[(a, b)] = float(sim[i, j])
    return out


def find_overlaps(
    needs: Sequence[NeedDoc],
    *,
    glossary: Glossary | None = None,
    config: EngineConfig | None = None,
    threshold: float | None = None,
) -> list[OverlapCluster]:
    """Clusters of needs (from different cities) that share a programme, strongest first.

    Two needs link when their similarity reaches the threshold and they name at least one
    common glossary concept; clusters are the connected components of those links."""
    g = glossary if glossary is not None else default_glossary()
    cfg = config if config is not None else EngineConfig()
    thr = cfg.overlap_threshold if threshold is None else threshold
    if len(needs) < 2:
        return []
    feats, sim = _similarity_matrix(needs, g, cfg)
    parent = list(range(len(needs)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    links: list[tuple[int, int]] = []
    ii, jj = np.nonzero(np.triu(sim >= thr, k=1))
    for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
        if not set(feats[i].concept_terms) & set(feats[j].concept_terms):
            continue
        links.append((i, j))
        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(needs)):
        groups.setdefault(find(i), []).append(i)
    clusters: list[OverlapCluster] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        mset = set(members)
        pair_scores: dict[tuple[str, str], float] = {}
        for i, j in links:
            if i in mset:
                a, b = sorted((needs[i].id, needs[j].id))
                pair_scores[(a, b)] = round(float(sim[i, j]) * 100, 2)
        counts: Counter[str] = Counter()
        for i in members:
            counts.update(list(feats[i].concept_terms))
        # concepts shared by at least two members, with the terms of the first two holders
        shared: list[ConceptMatch] = []
        for cid, cnt in counts.most_common():
            if cnt < 2:
                break
            holders = [i for i in members if cid in feats[i].concept_terms][:2]
            pair = shared_concepts(g, feats[holders[0]], feats[holders[1]])
            shared.extend(c for c in pair if c.concept_id == cid)
        score = sum(pair_scores.values()) / len(pair_scores)
        clusters.append(
            OverlapCluster(
                need_ids=tuple(sorted(needs[i].id for i in members)),
                shared_concepts=tuple(shared),
                score=round(score, 2),
                pair_scores=pair_scores,
            )
        )
    clusters.sort(key=lambda c: (-c.score, c.need_ids))
    return clusters
