"""The demo tells the whole story, not only its first step: after matching, some proposals
are taken further through the real workflow (the same transitions, notifications and audit
as clicks would make), so every demo login finds work waiting and finished partnerships.

Kota Bandung (``pemda@``) and PT Cahaya Kota (``vendor@``) are put in as many scenes as their
proposals allow, so the three logins printed by ``make demo`` see each state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from matchmaker.models import (
    Language,
    Match,
    MatchEvent,
    MatchState,
    Need,
    Offer,
    Role,
    User,
    UserStatus,
)
from matchmaker.services import accounts, workflow

FIRST_CITY, FIRST_VENDOR, FIRST_COORDINATOR = (
    "pemda@sinergi.example", "vendor@sinergi.example", "koordinator@sinergi.example")
PENDING_PASSWORD = "pending-demo-account-2026"
REJECTION = ("Anggaran kota untuk tahun ini sudah terserap program lain; "
             "ajukan kembali pada siklus APBD berikutnya.")


@dataclass(frozen=True)
class Scene:
    """One proposal taken to a state by a list of (side, action) steps."""

    name: str
    steps: tuple[tuple[str, str], ...]
    reason: str | None = None


#: in the order they are cast: the rarer states first, so the first logins get them
SCENES = (
    Scene("approved partnership", (("city", "accept"), ("vendor", "accept"),
                                   ("coordinator", "approve"))),
    Scene("waiting for approval", (("city", "accept"), ("vendor", "accept"))),
    Scene("waiting for the vendor", (("city", "accept"),)),
    Scene("waiting for the city", (("vendor", "accept"),)),
    Scene("rejected with a reason", (("city", "accept"), ("vendor", "accept"),
                                     ("coordinator", "reject")), reason=REJECTION),
    Scene("second approved partnership", (("city", "accept"), ("vendor", "accept"),
                                          ("coordinator", "approve"))),
)

#: people asking for an account: a new city, a new company, and someone joining Bandung
PENDING = (
    accounts.Registration(email="dinas.kominfo@surabaya.example", name="Wulan Sari",
                          password=PENDING_PASSWORD, role=Role.CITY_OFFICIAL,
                          regency_code="35.78"),
    accounts.Registration(email="direktur@sinyaldesa.example", name="Hadi Kurniawan",
                          password=PENDING_PASSWORD, role=Role.VENDOR,
                          company="PT Sinyal Desa Digital", language=Language.EN),
    accounts.Registration(email="staf.baru@bandung.example", name="Citra Lestari",
                          password=PENDING_PASSWORD, role=Role.CITY_OFFICIAL,
                          regency_code="32.73"),
)


@dataclass
class StoryReport:
    told: list[str] = field(default_factory=list)
    pending_accounts: int = 0
    skipped: bool = False


def already_told(session: Session) -> bool:
    """Has anyone (the story or a person) acted on a proposal yet?"""
    acted = select(MatchEvent.id).where(MatchEvent.actor_side != "engine").limit(1)
    return session.exec(acted).first() is not None


def _staff(session: Session) -> dict[int, list[User]]:
    """Active demo users by organisation, the first-listed logins first."""
    users = session.exec(select(User).where(User.status == UserStatus.ACTIVE)
                         .order_by(col(User.id))).all()
    by_org: dict[int, list[User]] = {}
    for user in users:
        if user.organization_id is not None:
            by_org.setdefault(user.organization_id, []).append(user)
    return by_org


def _preference(first_city_org: int | None, first_vendor_org: int | None,
                ) -> Callable[[tuple[Match, Need, Offer]], tuple[int, float]]:
    def key(row: tuple[Match, Need, Offer]) -> tuple[int, float]:
        match, need, offer = row
        involved = ((need.organization_id == first_city_org)
                    + (offer.organization_id == first_vendor_org))
        return (-involved, -match.score)
    return key


def tell(session: Session) -> StoryReport:
    """Take proposals through the scenes and open the pending accounts; once only."""
    report = StoryReport()
    if already_told(session):
        report.skipped = True
        return report
    staff = _staff(session)
    first = {u.email: u for u in session.exec(select(User).where(
        col(User.email).in_([FIRST_CITY, FIRST_VENDOR, FIRST_COORDINATOR]))).all()}
    coordinator = first.get(FIRST_COORDINATOR)
    rows = list(session.exec(
        select(Match, Need, Offer).join(Need, col(Need.id) == Match.need_id)
        .join(Offer, col(Offer.id) == Match.offer_id)
        .where(Match.state == MatchState.PROPOSED)).all())
    city_org = first[FIRST_CITY].organization_id if FIRST_CITY in first else None
    vendor_org = first[FIRST_VENDOR].organization_id if FIRST_VENDOR in first else None
    rows.sort(key=_preference(city_org, vendor_org))
    used_needs: set[int] = set()
    for scene in SCENES:
        for match, need, offer in rows:
            if (need.id in used_needs or need.organization_id not in staff
                    or offer.organization_id not in staff):
                continue
            actors = {"city": staff[need.organization_id][0],
                      "vendor": staff[offer.organization_id][0], "coordinator": coordinator}
            assert match.id is not None and need.id is not None
            for side, action in scene.steps:
                actor = actors[side]
                assert actor is not None, "the demo needs a coordinator"
                workflow.transition(session, actor, match.id, action,
                                    reason=scene.reason if action == "reject" else None)
            used_needs.add(need.id)
            report.told.append(scene.name)
            break
    for registration in PENDING:
        if accounts.register(session, registration) is not None:
            report.pending_accounts += 1
    return report
