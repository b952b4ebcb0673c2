"""Read-side queries for the match pages, queues and dashboards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from matchmaker.models import (
    Decision,
    Match,
    MatchEvent,
    MatchState,
    Need,
    NeedStatus,
    Offer,
    Organization,
    Province,
    Regency,
    User,
)

ACTIVE = (MatchState.PROPOSED, MatchState.CONFIRMED, MatchState.APPROVED)
CLOSED = (MatchState.DECLINED, MatchState.REJECTED, MatchState.WITHDRAWN)


@dataclass(frozen=True)
class MatchRow:
    match: Match
    need: Need
    offer: Offer
    city_name: str
    province_name: str | None
    province_code: str | None
    vendor_name: str


def _rows(
    session: Session, *conditions: Any, order: Any = None, limit: int = 500
) -> list[MatchRow]:
    city = Organization.__table__.alias("city_org")  # type: ignore[attr-defined]
    vendor = Organization.__table__.alias("vendor_org")  # type: ignore[attr-defined]
    query = (
        sa_select(Match, Need, Offer, city.c.name, col(Province.name), col(Province.code),
                  vendor.c.name, col(Regency.name))
        .join(Need, col(Need.id) == col(Match.need_id))
        .join(Offer, col(Offer.id) == col(Match.offer_id))
        .join(city, city.c.id == Need.organization_id)
        .join(vendor, vendor.c.id == Offer.organization_id)
        .join(Regency, col(Regency.code) == city.c.regency_code, isouter=True)
        .join(Province, col(Province.code) == col(Regency.province_code), isouter=True)
        .where(*conditions)
        .order_by(*(order if order is not None else (Match.score.desc(), Match.id)))  # type: ignore[attr-defined]
        .limit(limit)
    )
    return [
        MatchRow(match=m, need=n, offer=o, city_name=regency_name or city_name,
                 province_name=province_name, province_code=province_code,
                 vendor_name=vendor_name)
        for m, n, o, city_name, province_name, province_code, vendor_name, regency_name
        in session.execute(query).all()
    ]


def for_need(session: Session, need_id: int) -> list[MatchRow]:
    """Every match of a need, best score first (closed ones too, for the record)."""
    return _rows(session, Match.need_id == need_id)


def for_offer(session: Session, offer_id: int) -> list[MatchRow]:
    return _rows(session, Match.offer_id == offer_id)


def one(session: Session, match_id: int) -> MatchRow | None:
    rows = _rows(session, Match.id == match_id)
    return rows[0] if rows else None


def approval_queue(session: Session, *, province: str | None = None,
                   dimension: str | None = None) -> list[MatchRow]:
    """Confirmed matches waiting for a coordinator, oldest first."""
    conditions: list[Any] = [Match.state == MatchState.CONFIRMED]
    if province:
        conditions.append(Province.code == province)
    if dimension:
        conditions.append(Need.dimension == dimension)
    return _rows(session, *conditions, order=(Match.updated_at.asc(), Match.id))  # type: ignore[attr-defined]


def _party_condition(user: User) -> Any:
    if user.role == "city_official":
        return Need.organization_id == user.organization_id
    if user.role == "vendor":
        return Offer.organization_id == user.organization_id
    return True


def _waiting_condition(user: User) -> Any:
    own = Match.city_decision if user.role == "city_official" else Match.vendor_decision
    return (Match.state == MatchState.PROPOSED) & own.is_(None)  # type: ignore[union-attr]


#: list views behind the dashboard counts
VIEWS = ("waiting", "confirmed", "partnerships", "all")


def for_user(session: Session, user: User, view: str) -> list[MatchRow]:
    conditions: list[Any] = [_party_condition(user)]
    if view == "waiting":
        conditions.append(_waiting_condition(user))
    elif view == "confirmed":
        conditions.append(Match.state == MatchState.CONFIRMED)
    elif view == "partnerships":
        conditions.append(Match.state == MatchState.APPROVED)
    else:
        conditions.append(Match.state.in_(ACTIVE))  # type: ignore[attr-defined]
    return _rows(session, *conditions)


def _count(session: Session, *conditions: Any) -> int:
    query = (select(func.count()).select_from(Match)
             .join(Need, Need.id == Match.need_id)  # type: ignore[arg-type]
             .join(Offer, Offer.id == Match.offer_id)  # type: ignore[arg-type]
             .where(*conditions))
    return int(session.exec(query).one())


def _unmatched_needs_query(user: User) -> Any:
    live = Match.state.in_(ACTIVE)  # type: ignore[attr-defined]
    has_match = select(Match.id).where(Match.need_id == Need.id, live).exists()
    query = select(Need).where(Need.status == NeedStatus.OPEN, ~has_match)
    if user.role == "city_official":
        query = query.where(Need.organization_id == user.organization_id)
    return query


def unmatched_needs(session: Session, user: User) -> list[Need]:
    """Open needs without any live proposal: where the programme has gaps."""
    return list(session.exec(_unmatched_needs_query(user).order_by(Need.created_at)).all())


def counts_for(session: Session, user: User) -> dict[str, int]:
    party = _party_condition(user)
    counts = {
        "confirmed": _count(session, party, Match.state == MatchState.CONFIRMED),
        "partnerships": _count(session, party, Match.state == MatchState.APPROVED),
    }
    if user.role in ("city_official", "vendor"):
        counts["waiting"] = _count(session, party, _waiting_condition(user))
    if user.role != "vendor":
        query = _unmatched_needs_query(user).subquery()
        counts["needs_without_proposals"] = int(
            session.exec(select(func.count()).select_from(query)).one())
    return counts


def timeline(session: Session, match_id: int) -> list[tuple[MatchEvent, str | None]]:
    """The match's events, oldest first, with the actor's name (None for the engine)."""
    rows = session.exec(
        select(MatchEvent, User.name).join(User, User.id == MatchEvent.actor_id, isouter=True)  # type: ignore[arg-type]
        .where(MatchEvent.match_id == match_id).order_by(MatchEvent.at, MatchEvent.id)  # type: ignore[arg-type]
    ).all()
    return [(event, name) for event, name in rows]


def contacts(session: Session, row: MatchRow) -> dict[str, Any]:
    """Both parties' contact details; shown only for approved partnerships."""
    city = session.get(Organization, row.need.organization_id)
    vendor = session.get(Organization, row.offer.organization_id)
    people = session.exec(select(User).where(
        or_(col(User.organization_id) == row.need.organization_id,
            col(User.organization_id) == row.offer.organization_id),
        User.status == "active")).all()
    return {
        "city": city, "vendor": vendor,
        "city_people": [u for u in people if u.organization_id == row.need.organization_id],
        "vendor_people": [u for u in people if u.organization_id == row.offer.organization_id],
    }


def steps(match: Match) -> list[tuple[str, bool]]:
    """The progress indicator: proposed -> city confirmed -> vendor confirmed -> approved."""
    return [
        ("proposed", True),
        ("city_confirmed", match.city_decision == Decision.ACCEPTED),
        ("vendor_confirmed", match.vendor_decision == Decision.ACCEPTED),
        ("approved", match.state == MatchState.APPROVED),
    ]
