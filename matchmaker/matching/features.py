"""Per-document analysis: stems, glossary concepts, and the fuzzy comparison string."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .glossary import Glossary

BROADER_FACTOR = 0.35


@dataclass(slots=True)
class DocFeatures:
    """What the engine knows about one need or offer after normalisation."""

    concepts: dict[str, float]  # concept id -> weight (direct and broader)
    concept_terms: dict[str, tuple[str, ...]]  # direct concepts -> surface phrases seen
    stems: dict[str, float]  # stem -> tf weight (title and tags count double)
    head: dict[str, float]  # stems and "c:" concepts of title + tags
    surfaces: dict[str, str] = field(default_factory=dict)  # stem -> a surface form
    fuzzy_text: str = ""


def analyze(
    glossary: Glossary,
    title: str,
    description: str,
    tags: tuple[str, ...],
    *,
    keep_surfaces: bool = True,
) -> DocFeatures:
    norm = glossary.normalizer
    matched: dict[str, list[str]]
    stem_counts: dict[str, float] = defaultdict(float)
    concept_counts: dict[str, float] = defaultdict(float)
    head_counts: dict[str, float] = defaultdict(float)
    terms: dict[str, list[str]] = {}
    surfaces: dict[str, str] = {}
    head_words: list[str] = []
    fields = [(title, 2.0, True), (description, 1.0, False)] + [(t, 2.0, True) for t in tags]
    for text, weight, is_head in fields:
        if not text:
            continue
        if is_head:
            stems, surf, matched = glossary.analyze_field(text)
        else:
            stems, surf = norm.analyze(text)
            matched = glossary.match(stems, surf)
        counts = Counter(stems)
        for s, c in counts.items():
            stem_counts[s] += weight * c
            if is_head:
                head_counts[s] += c
        if is_head:
            head_words.extend(stems)
        if keep_surfaces:
            for s, sf in zip(stems, surf, strict=True):
                if s not in surfaces:
                    surfaces[s] = sf
        for cid, phrases in matched.items():
            concept_counts[cid] += weight
            if is_head:
                head_counts["c:" + cid] += 2.0
            seen = terms.setdefault(cid, [])
            for p in phrases:
                if p not in seen:
                    seen.append(p)
    concepts: dict[str, float] = {}
    gconcepts = glossary.concepts
    for cid, count in concept_counts.items():
        concepts[cid] = gconcepts[cid].weight * (1.0 + math.log(count))
    for cid in list(concepts):
        for b in gconcepts[cid].broader:
            val = BROADER_FACTOR * concepts[cid]
            if concepts.get(b, 0.0) < val:
                concepts[b] = val
                head_counts.setdefault("c:" + b, 0.5)
    stems_tf = {s: 1.0 + math.log(c) for s, c in stem_counts.items()}
    head = {k: 1.0 + math.log(c) if c >= 1 else c for k, c in head_counts.items()}
    fuzzy = " ".join(dict.fromkeys(head_words))
    return DocFeatures(
        concepts=concepts,
        concept_terms={k: tuple(v) for k, v in terms.items()},
        stems=stems_tf,
        head=head,
        surfaces=surfaces,
        fuzzy_text=fuzzy,
    )
