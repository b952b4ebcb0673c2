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
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Cluster:
    """Items merged together (indices, sorted) and how tightly."""

    members: tuple[int, ...]
    cohesion: float  # mean similarity over all member pairs (missing pairs count 0)
    min_link: float  # the weakest average link at which two of its parts merged


def average_linkage(
    n: int,
    pairs: Sequence[tuple[int, int, float]],
    groups: Sequence[int],
    threshold: float,
) -> list[Cluster]:
    """Clusters of at least two of the items 0..n-1, largest cohesion first.

    ``pairs``: (i, j, similarity) with i != j, each unordered pair at most once; similarities
    are expected in 0-1. ``groups[i]``: items sharing a group never share a cluster (their
    pairs are ignored)."""
    if len(groups) != n:
        raise ValueError("groups must give one label per item")
    adj: list[dict[int, float]] = [{} for _ in range(n)]
    for i, j, s in pairs:
        if i == j or groups[i] == groups[j] or s <= 0.0:
            continue
        adj[i][j] = adj[j][i] = s
    size = [1] * n
    internal = [0.0] * n  # sum of similarities inside each cluster
    min_link = [1.0] * n
    members: list[list[int]] = [[i] for i in range(n)]
    labels: list[set[int]] = [{groups[i]} for i in range(n)]
    version = [0] * n
    heap = [
        (-s, i, j, 0, 0) for i in range(n) for j, s in adj[i].items() if i < j and s >= threshold
    ]
    heapq.heapify(heap)
    while heap:
        neg, a, b, va, vb = heapq.heappop(heap)
        if version[a] != va or version[b] != vb or b not in adj[a]:
            continue  # one side has changed (or died) since this entry was pushed
        keep, gone = (a, b) if len(adj[a]) >= len(adj[b]) else (b, a)
        link = -neg
        internal[keep] += internal[gone] + adj[keep].pop(gone)
        del adj[gone][keep]
        for c, s in adj[gone].items():
            del adj[c][gone]
            total = adj[keep].get(c, 0.0) + s
            adj[keep][c] = total
            adj[c][keep] = total
        adj[gone] = {}
        size[keep] += size[gone]
        members[keep].extend(members[gone])
        members[gone] = []
        labels[keep] |= labels[gone]
        min_link[keep] = min(min_link[keep], min_link[gone], link)
        version[keep] += 1
        version[gone] = -1
        mine = labels[keep]
        for c in [c for c in adj[keep] if not mine.isdisjoint(labels[c])]:
            del adj[keep][c]  # would put two items of one group together: never mergeable
            del adj[c][keep]
        for c, total in adj[keep].items():
            avg = total / (size[keep] * size[c])
            if avg >= threshold:
                lo, hi = (keep, c) if keep < c else (c, keep)
                heapq.heappush(heap, (-avg, lo, hi, version[lo], version[hi]))
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
