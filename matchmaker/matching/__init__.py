"""Sinergi matching engine: needs of kabupaten/kota matched to vendor offers.

Pure Python (stdlib, numpy, scipy, rapidfuzz, Sastrawi). No web framework, no database.
"""

from __future__ import annotations

from .dimensions import DIMENSIONS, canonical_dimension
from .glossary import Concept, Glossary, GlossaryError, default_glossary, load_glossary
from .index import MatchIndex, propose_all
from .need_space import NeedSpace
from .overlap import find_overlaps, need_similarity, similar_needs
from .types import (
    ConceptMatch,
    EngineConfig,
    NeedDoc,
    OfferDoc,
    OverlapCluster,
    Proposal,
    SharedConcept,
    SimilarNeed,
    Weights,
)

ENGINE_VERSION = "1.0.0"

__all__ = [
    "DIMENSIONS",
    "ENGINE_VERSION",
    "Concept",
    "ConceptMatch",
    "EngineConfig",
    "Glossary",
    "GlossaryError",
    "MatchIndex",
    "NeedDoc",
    "NeedSpace",
    "OfferDoc",
    "OverlapCluster",
    "Proposal",
    "SharedConcept",
    "SimilarNeed",
    "Weights",
    "canonical_dimension",
    "default_glossary",
    "find_overlaps",
    "load_glossary",
    "need_similarity",
    "propose_all",
    "similar_needs",
]
