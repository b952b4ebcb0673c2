"""All table models; importing this package registers them on ``SQLModel.metadata``."""

from matchmaker.models.audit import AuditEvent
from matchmaker.models.organization import Organization, OrganizationKind
from matchmaker.models.region import Province, Regency
from matchmaker.models.user import Language, Role, User, UserStatus

__all__ = [
    "AuditEvent",
    "Language",
    "Organization",
    "OrganizationKind",
    "Province",
    "Regency",
    "Role",
    "User",
    "UserStatus",
]
