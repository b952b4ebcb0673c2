"""Cross-city overlap detection: needs from different cities describing the same programme.

The similarity lives in :mod:`need_space` (sparse, thresholded), the grouping in
:mod:`clustering` (average linkage, no two needs of one city together); this module joins
them into explained :class:`OverlapCluster` results.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .clustering import average_linkage
from .glossary import Glossary
from .need_space import NeedSpace
from .types import EngineConfig, NeedDoc, OverlapCluster, SimilarNeed


def need_similarity(
    needs: Sequence[NeedDoc],
    *,
    glossary: Glossary | None = None,
    config: EngineConfig | None = None,
    floor: float = 0.0,
) -> dict[tuple[str, str], float]:
    """Similarity 0-1 of the pairs of needs from different cities that reach ``floor``
    (with 0, every pair sharing any feature), keyed (a, b) with a < b; absent pairs are 0."""
    if len(needs) < 2:
        return {}
    space = NeedSpace(needs, glossary=glossary, config=config)
    p = space.pairs(floor)
    ids = space.ids
    out: dict[tuple[str, str], float] = {}
    for i, j, s in zip(p.i.tolist(), p.j.tolist(), p.similarity.tolist(), strict=True):
        a, b = (ids[i], ids[j]) if ids[i] < ids[j] else (ids[j], ids[i])
        out[(a, b)] = s
    return out


def similar_needs(
    needs: Sequence[NeedDoc],
    need: NeedDoc | str,
    *,
    k: int = 10,
    floor: float = 0.2,
    glossary: Glossary | None = None,
    config: EngineConfig | None = None,
) -> list[SimilarNeed]:
    """The needs of ``needs`` most similar to ``need`` (one of them by id, or a draft),
    same-city ones flagged; build a :class:`NeedSpace` once to ask about many needs."""
    space = NeedSpace(needs, glossary=glossary, config=config)
    return space.similar(need, k=k, floor=floor)


def find_overlaps(
    needs: Sequence[NeedDoc],
    *,
    glossary: Glossary | None = None,
    config: EngineConfig | None = None,
    threshold: float | None = None,
) -> list[OverlapCluster]:
    """Clusters of needs from different cities that share a programme, most cohesive first.

    Pairs that reach ``overlap_pair_floor`` and name a glossary concept in common are merged by
    average linkage until no two clusters average ``threshold`` (``overlap_threshold``)."""
    if len(needs) < 2:
        return []
    cfg = config if config is not None else EngineConfig()
    thr = cfg.overlap_threshold if threshold is None else threshold
    ordered = sorted(needs, key=lambda n: n.id)  # the result does not depend on input order
    space = NeedSpace(ordered, glossary=glossary, config=cfg)
    p = space.pairs(
        min(cfg.overlap_pair_floor, thr), shared_concept=True, per_need=cfg.overlap_neighbors
    )
    groups = average_linkage(
        len(ordered),
        list(zip(p.i.tolist(), p.j.tolist(), p.similarity.tolist(), strict=True)),
        space.city_codes.tolist(),
        thr,
    )
    label = np.full(len(ordered), -1, dtype=np.int64)
    for g, c in enumerate(groups):
        label[list(c.members)] = g
    inside = (label[p.i] >= 0) & (label[p.i] == label[p.j])
    pair_scores: list[dict[tuple[str, str], float]] = [{} for _ in groups]
    ids = space.ids
    for i, j, s in zip(
        p.i[inside].tolist(), p.j[inside].tolist(), p.similarity[inside].tolist(), strict=True
    ):
        pair_scores[int(label[i])][(ids[i], ids[j])] = s  # rows follow sorted ids: a < b
    concepts = space.shared_concepts([c.members for c in groups])
    return [
        OverlapCluster(
            need_ids=tuple(ids[r] for r in c.members),
            cities=tuple(ordered[r].city or "" for r in c.members),
            shared_concepts=shared,
            confidence=round(c.cohesion, 4),
            min_link=round(c.min_link, 4),
            pair_scores=scores,
        )
        for c, shared, scores in zip(groups, concepts, pair_scores, strict=True)
    ]
