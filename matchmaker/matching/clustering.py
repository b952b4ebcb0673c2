"""Average-linkage agglomerative clustering over a sparse list of similar pairs.

Why average linkage: single linkage (connected components of pairs above a threshold) chains
unrelated items through one shared neighbour (A~B, B~C, so A and C end up together). Here two
clusters merge only while the *mean* similarity over all their cross pairs reaches the
threshold, and pairs that are not in the list count 0, so a chain A~B~C with A and C unrelated
stays apart unless B's links are very strong.

A cannot-link constraint (a group label per item, e.g. the city) keeps two items of one group
out of one cluster. Merges happen strongest first, ties broken by the smallest item indices,
so the result depends only on the input. Each merge re-scores the merged cluster's
neighbours through a heap with stale entries skipped: O(pairs log pairs) for the sparse pair
lists the engine produces.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Cluster:
    """Items merged together (indices, sorted) and how tightly."""

    members: tuple[int, ...]
    cohesion: float  # mean similarity over all member pairs (missing pairs count 0)
    min_link: float  # the weakest average link at which two of its parts merged


def average_linkage(
    n: int,
    pairs: Iterable[tuple[int, int, float]],
    groups: Sequence[int],
    threshold: float,
) -> list[Cluster]:
    """Clusters of at least two of the items 0..n-1, most cohesive first.

    ``pairs``: (i, j, similarity) with i != j, each unordered pair at most once; similarities
    are expected in 0-1. ``groups[i]``: items sharing a group never share a cluster (their
    pairs are ignored)."""
    if len(groups) != n:
        raise ValueError("groups must give one label per item")
    adj: list[dict[int, float]] = [{} for _ in range(n)]  # neighbour -> sum of similarities
    for i, j, s in pairs:
        if i != j and s > 0.0 and groups[i] != groups[j]:
            adj[i][j] = adj[j][i] = s
    size = [1] * n
    internal = [0.0] * n  # sum of the similarities inside each cluster
    min_link = [1.0] * n
    members: list[list[int]] = [[i] for i in range(n)]
    labels: list[set[int]] = [{groups[i]} for i in range(n)]
    # each cluster's best mergeable neighbour, kept current; the heap holds one live entry
    # per cluster (older entries are recognised by their version and skipped)
    best = [-1] * n
    version = [0] * n

    def rescan(x: int) -> tuple[float, int, int, int] | None:
        """Find x's best neighbour again; the heap entry for it, if it can merge."""
        sx, top, arg = size[x], threshold, -1
        for c, total in adj[x].items():
            avg = total / (sx * size[c])
            if avg > top or (avg == top and (arg < 0 or c < arg)):
                top, arg = avg, c
        version[x] += 1
        best[x] = arg
        return (-top, min(x, arg), x, version[x]) if arg >= 0 else None

    heap = [e for e in map(rescan, range(n)) if e is not None]
    heapq.heapify(heap)
    push = heapq.heappush
    while heap:
        neg, _, a, va = heapq.heappop(heap)
        if version[a] != va:
            continue
        b = best[a]
        keep, gone = (a, b) if len(adj[a]) >= len(adj[b]) else (b, a)
        internal[keep] += internal[gone] + adj[keep].pop(gone)
        del adj[gone][keep]
        ka, kg = adj[keep], adj[gone]
        old, new = labels[keep], labels[gone]
        stale: list[int] = []
        conflict: list[int] = []
        for c, s in kg.items():
            del adj[c][gone]
            if c in ka:
                ka[c] += s
            elif old.isdisjoint(labels[c]):
                ka[c] = s
            else:
                conflict.append(c)  # would put two items of one group together
                continue
            adj[c][keep] = ka[c]
            if best[c] == gone:
                stale.append(c)
        for c in ka:
            if c not in kg and not new.isdisjoint(labels[c]):
                conflict.append(c)
            elif best[c] == keep:
                stale.append(c)
        for c in conflict:
            ka.pop(c, None)
            adj[c].pop(keep, None)
            if best[c] in (keep, gone):
                stale.append(c)
        adj[gone] = {}
        size[keep] += size[gone]
        members[keep].extend(members[gone])
        members[gone] = []
        old |= new
        min_link[keep] = min(min_link[keep], min_link[gone], -neg)
        version[gone] += 1
        best[gone] = -1
        for x in (keep, *stale):
            entry = rescan(x)
            if entry is not None:
                push(heap, entry)
    out = []
    for i in range(n):
        if size[i] >= 2 and members[i]:
            k = size[i]
            out.append(
                Cluster(
                    members=tuple(sorted(members[i])),
                    cohesion=internal[i] / (k * (k - 1) / 2),
                    min_link=min_link[i],
                )
            )
    out.sort(key=lambda c: (-c.cohesion, c.members))
    return out
