"""Public value types of the matching engine: documents, configuration and results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STAGES = ("quick_win", "short_term", "medium_term", "long_term")
MATURITIES = ("concept", "pilot", "proven", "deployed")
NATIONAL = "nasional"


@dataclass(frozen=True, slots=True)
class NeedDoc:
    """A need posted by a kabupaten/kota."""

    id: str
    title: str
    description: str
    tags: tuple[str, ...] = ()
    dimension: str | None = None
    province: str | None = None
    city: str | None = None
    budget_min: int | None = None
    budget_max: int | None = None
    stage: str | None = None
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class OfferDoc:
    """An offer posted by a technology vendor."""

    id: str
    title: str
    description: str
    tags: tuple[str, ...] = ()
    dimension: str | None = None
    regions: tuple[str, ...] = (NATIONAL,)
    price_min: int | None = None
    price_max: int | None = None
    maturity: str | None = None
    lang: str | None = None
    organization: str | None = None


@dataclass(frozen=True, slots=True)
class Weights:
    """Points each component can contribute; they add up to the 0-100 score."""

    text: float = 22.0
    concepts: float = 36.0
    tags: float = 8.0
    dimension: float = 4.0
    region: float = 18.0
    budget: float = 7.0
    maturity: float = 5.0

    def as_dict(self) -> dict[str, float]:
        return {
            "text": self.text,
            "concepts": self.concepts,
            "tags": self.tags,
            "dimension": self.dimension,
            "region": self.region,
            "budget": self.budget,
            "maturity": self.maturity,
        }

    @property
    def total(self) -> float:
        return sum(self.as_dict().values())


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Every weight and threshold of the engine in one place."""

    weights: Weights = field(default_factory=Weights)
    # candidate generation
    candidate_pool: int = 100
    context_pool_factor: int = 8  # pool x this by content, then the pool by content + context
    concept_feature_weight: float = 3.0
    stem_feature_weight: float = 1.0
    head_feature_weight: float = 1.0  # title + tags
    posting_cap: int = 2000  # offers kept per feature for candidates, heaviest first (0: all)
    query_max_features: int = 16  # strongest stem features of a need used for retrieval
    max_df: float = 0.005  # stems in > 0.5 % of >= 1000 offers are ignored like stop words
    # re-ranking
    min_score: float = 0.0
    text_tfidf_share: float = 0.7  # the rest is the rapidfuzz title/tag similarity
    budget_unknown: float = 0.5  # budget fit when either side has no range
    maturity_unknown: float = 0.6  # maturity fit when maturity or stage is unknown
    # overlap detection (need-need similarity and clusters)
    overlap_threshold: float = 0.3  # average-linkage stopping threshold (dev-set sweep)
    overlap_concept_share: float = 0.65  # the rest is the stem cosine
    overlap_pair_floor: float = 0.1  # pairs below this count as 0 (kept sparse)
    overlap_neighbors: int = 30  # a need's strongest links kept for clustering (0: all)
    overlap_max_df: float = 0.05  # features in > 5 % of >= 1000 needs are ignored
    # processes for large propose_all/propose_many batches (forked; 1 where fork is missing)
    workers: int = 1
    # incremental index maintenance
    max_delta: int = 2000


@dataclass(frozen=True, slots=True)
class ConceptMatch:
    """A glossary concept found on both sides of a pair."""

    concept_id: str
    label_id: str
    label_en: str
    dimension: str | None
    need_terms: tuple[str, ...]
    offer_terms: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "concept_id": self.concept_id,
            "label_id": self.label_id,
            "label_en": self.label_en,
            "dimension": self.dimension,
            "need_terms": list(self.need_terms),
            "offer_terms": list(self.offer_terms),
        }


@dataclass(frozen=True, slots=True)
class Proposal:
    """One offer proposed for one need, with the reasons."""

    offer_id: str
    score: float
    components: dict[str, float]
    shared_concepts: tuple[ConceptMatch, ...] = ()
    shared_terms: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    explanation: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "offer_id": self.offer_id,
            "score": round(self.score, 2),
            "components": {k: round(v, 2) for k, v in self.components.items()},
            "shared_concepts": [c.to_dict() for c in self.shared_concepts],
            "shared_terms": list(self.shared_terms),
            "flags": list(self.flags),
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class SharedConcept:
    """A glossary concept named directly by several needs, with the words each used."""

    concept_id: str
    label_id: str
    label_en: str
    dimension: str | None
    need_ids: tuple[str, ...]  # the needs naming it, sorted
    terms: tuple[str, ...]  # surface phrases seen across those needs, first seen first

    def to_dict(self) -> dict[str, Any]:
        return {
            "concept_id": self.concept_id,
            "label_id": self.label_id,
            "label_en": self.label_en,
            "dimension": self.dimension,
            "need_ids": list(self.need_ids),
            "terms": list(self.terms),
        }


@dataclass(frozen=True, slots=True)
class OverlapCluster:
    """Needs from different cities that describe the same programme.

    ``confidence`` is the mean similarity (0-1) over every pair of members (pairs the engine
    found unrelated count 0), ``min_link`` the weakest average link at which two parts were
    merged. Budgets, regions, stages and urgencies are the service's to join by need id."""

    need_ids: tuple[str, ...]  # sorted
    cities: tuple[str, ...]  # the city of each need, aligned with need_ids
    shared_concepts: tuple[SharedConcept, ...]  # named by >= 2 members, most holders first
    confidence: float
    min_link: float
    pair_scores: dict[tuple[str, str], float]  # similarity 0-1 of member pairs above the floor

    @property
    def score(self) -> float:
        """The confidence on the 0-100 scale used by proposals."""
        return round(self.confidence * 100, 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "need_ids": list(self.need_ids),
            "cities": list(self.cities),
            "shared_concepts": [c.to_dict() for c in self.shared_concepts],
            "confidence": round(self.confidence, 4),
            "min_link": round(self.min_link, 4),
            "score": self.score,
            "pair_scores": [
                {"a": a, "b": b, "similarity": round(s, 4)}
                for (a, b), s in self.pair_scores.items()
            ],
        }


@dataclass(frozen=True, slots=True)
class SimilarNeed:
    """Another need close to a given one (for "already solved nearby" and duplicate
    warnings); same-city needs are included and flagged."""

    need_id: str
    similarity: float  # 0-1
    same_city: bool
    shared_concepts: tuple[SharedConcept, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "need_id": self.need_id,
            "similarity": round(self.similarity, 4),
            "same_city": self.same_city,
            "shared_concepts": [c.to_dict() for c in self.shared_concepts],
        }
