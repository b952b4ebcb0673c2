"""All table models; importing this package registers them on ``SQLModel.metadata``."""

from matchmaker.models.audit import AuditEvent
from matchmaker.models.catalog import (
    NATIONAL,
    SUB_ELEMENTS,
    Dimension,
    Maturity,
    NeedStatus,
    OfferStatus,
    Stage,
)
from matchmaker.models.join_request import JoinRequestStatus, OrganizationJoinRequest
from matchmaker.models.match import (
    Decision,
    EngineState,
    Match,
    MatchEvent,
    MatchState,
    Notification,
    OutboundEmail,
    OutboxStatus,
)
from matchmaker.models.need import Need, NeedCreate, NeedInput, NeedPublic, NeedUpdate
from matchmaker.models.offer import (
    Offer,
    OfferCreate,
    OfferInput,
    OfferPublic,
    OfferRegion,
    OfferUpdate,
)
from matchmaker.models.organization import Organization, OrganizationKind
from matchmaker.models.password_reset import PasswordResetToken
from matchmaker.models.region import Province, Regency
from matchmaker.models.synergy import (
    InitiativeState,
    JointInitiative,
    JointInitiativeMember,
    MembershipStatus,
    OverlapDismissal,
)
from matchmaker.models.user import Language, Role, User, UserStatus
from matchmaker.search_index import register as _register_search_index

for _table in (Need.__table__, Offer.__table__):  # type: ignore[attr-defined]
    _register_search_index(_table)

__all__ = [
    "Decision",
    "EngineState",
    "Match",
    "MatchEvent",
    "MatchState",
    "Notification",
    "OutboundEmail",
    "OutboxStatus",
    "NATIONAL",
    "SUB_ELEMENTS",
    "Dimension",
    "Maturity",
    "Need",
    "NeedCreate",
    "NeedInput",
    "NeedPublic",
    "NeedStatus",
    "NeedUpdate",
    "Offer",
    "OfferCreate",
    "OfferInput",
    "OfferPublic",
    "OfferRegion",
    "OfferStatus",
    "OfferUpdate",
    "Stage",
    "AuditEvent",
    "InitiativeState",
    "JointInitiative",
    "JointInitiativeMember",
    "Language",
    "MembershipStatus",
    "OverlapDismissal",
    "JoinRequestStatus",
    "Organization",
    "OrganizationJoinRequest",
    "OrganizationKind",
    "PasswordResetToken",
    "Province",
    "Regency",
    "Role",
    "User",
    "UserStatus",
]
