"""The smart-city vocabulary shared by needs and offers (Kominfo's six dimensions and their
sub-elements, master-plan stages, solution maturity)."""

from __future__ import annotations

from enum import StrEnum


class Dimension(StrEnum):
    GOVERNANCE = "governance"
    BRANDING = "branding"
    ECONOMY = "economy"
    LIVING = "living"
    SOCIETY = "society"
    ENVIRONMENT = "environment"


SUB_ELEMENTS: dict[Dimension, tuple[str, ...]] = {
    Dimension.GOVERNANCE: ("public_services", "bureaucracy", "public_policy"),
    Dimension.BRANDING: ("tourism", "regional_business", "city_appearance"),
    Dimension.ECONOMY: ("industry", "welfare", "financial_ecosystem"),
    Dimension.LIVING: ("spatial_harmony", "health", "transport"),
    Dimension.SOCIETY: ("community", "learning", "public_security"),
    Dimension.ENVIRONMENT: ("protection", "waste", "energy"),
}


class Stage(StrEnum):
    """Master-plan stage, from what can be done now to the long horizon."""

    QUICK_WIN = "quick_win"
    SHORT_TERM = "short_term"
    MEDIUM_TERM = "medium_term"
    LONG_TERM = "long_term"


class Maturity(StrEnum):
    CONCEPT = "concept"
    PILOT = "pilot"
    PROVEN = "proven"
    DEPLOYED = "deployed"


class NeedStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    IN_PARTNERSHIP = "in_partnership"
    CLOSED = "closed"


class OfferStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


NATIONAL = "nasional"
