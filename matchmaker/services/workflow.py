"""The match workflow: one transition table, enforced in one place.

    proposed --city accepts--> proposed (city ✓) --vendor accepts--> confirmed   (either order)
    proposed --either side declines--> declined
    proposed | confirmed --either side withdraws--> withdrawn
    confirmed --coordinator approves--> approved   (the need moves to in_partnership)
    confirmed --coordinator rejects (reason)--> rejected

Every transition is a conditional UPDATE on the match's ``version``: of two people acting on
the same match at the same moment exactly one wins and the other gets a 409.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import update
from sqlmodel import Session

from matchmaker.db import begin_write
from matchmaker.models import (
    Decision,
    Match,
    MatchEvent,
    MatchState,
    Need,
    NeedStatus,
    Offer,
    OfferStatus,
    Role,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.services import audit, notifications
from matchmaker.services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)

CITY, VENDOR, COORDINATOR = "city", "vendor", "coordinator"
ACTIONS = ("accept", "decline", "withdraw", "approve", "reject")
MAX_REASON = 1000
#: action -> the past tense the notification kinds use (notifications.KINDS)
PAST = {"accept": "accepted", "decline": "declined", "approve": "approved",
        "reject": "rejected"}


@dataclass(frozen=True)
class Rule:
    sides: frozenset[str]
    from_states: frozenset[str]
    needs_reason: bool = False


RULES: dict[str, Rule] = {
    "accept": Rule(frozenset({CITY, VENDOR}), frozenset({MatchState.PROPOSED})),
    "decline": Rule(frozenset({CITY, VENDOR}), frozenset({MatchState.PROPOSED})),
    "withdraw": Rule(frozenset({CITY, VENDOR}),
                     frozenset({MatchState.PROPOSED, MatchState.CONFIRMED})),
    "approve": Rule(frozenset({COORDINATOR}), frozenset({MatchState.CONFIRMED})),
    "reject": Rule(frozenset({COORDINATOR}), frozenset({MatchState.CONFIRMED}),
                   needs_reason=True),
}


def side_of(user: User | None, need: Need, offer: Offer) -> str | None:
    """Which party ``user`` acts for on this match, if any."""
    if user is None:
        return None
    if user.is_coordinator:
        return COORDINATOR
    if user.role == Role.CITY_OFFICIAL and user.organization_id == need.organization_id:
        return CITY
    if user.role == Role.VENDOR and user.organization_id == offer.organization_id:
        return VENDOR
    return None


def load(session: Session, match_id: int, viewer: User | None, *,
         fresh: bool = False) -> tuple[Match, Need, Offer, str]:
    """The match with its need and offer, if ``viewer`` is a party to it (else 404)."""
    match = session.get(Match, match_id, populate_existing=fresh)
    if match is None:
        raise NotFound(_("We could not find this match."))
    need = session.get(Need, match.need_id, populate_existing=fresh)
    offer = session.get(Offer, match.offer_id, populate_existing=fresh)
    assert need is not None and offer is not None
    side = side_of(viewer, need, offer)
    if side is None:
        raise NotFound(_("We could not find this match."))
    return match, need, offer, side


def allowed_actions(match: Match, side: str) -> list[str]:
    """The actions ``side`` may take now (for showing buttons)."""
    actions = []
    for name, rule in RULES.items():
        if side not in rule.sides or match.state not in rule.from_states:
            continue
        own = match.city_decision if side == CITY else match.vendor_decision
        if name in ("accept", "decline") and own is not None:
            continue
        actions.append(name)
    return actions


def _next_state(match: Match, side: str, action: str) -> tuple[str, dict[str, object]]:
    """The state after ``action`` and the columns it sets."""
    if action in ("accept", "decline"):
        own = "city_decision" if side == CITY else "vendor_decision"
        if getattr(match, own) is not None:  # a change of mind after accepting is a withdrawal
            raise InvalidTransition(_("You have already answered this proposal."))
        if action == "decline":
            return MatchState.DECLINED, {own: Decision.DECLINED}
        other = match.vendor_decision if side == CITY else match.city_decision
        state = MatchState.CONFIRMED if other == Decision.ACCEPTED else MatchState.PROPOSED
        return state, {own: Decision.ACCEPTED}
    return {"withdraw": MatchState.WITHDRAWN, "approve": MatchState.APPROVED,
            "reject": MatchState.REJECTED}[action], {}


def _notify(session: Session, match: Match, need: Need, offer: Offer, side: str,
            action: str, new_state: str) -> None:
    city = notifications.staff(session, need.organization_id, Role.CITY_OFFICIAL)
    vendor = notifications.staff(session, offer.organization_id, Role.VENDOR)
    if action in ("accept", "decline"):
        other = vendor if side == CITY else city
        notifications.notify(session, other, match, f"{side}_{PAST[action]}")
        if new_state == MatchState.CONFIRMED:
            notifications.notify(session, notifications.coordinators(session), match,
                                 "confirmed")
    elif action == "withdraw":
        notifications.notify(session, vendor if side == CITY else city, match, "withdrawn")
    else:
        notifications.notify(session, [*city, *vendor], match, PAST[action])


def _check(rule: Rule, match: Match, side: str, expected_version: int | None) -> None:
    if side not in rule.sides:
        raise Forbidden(_("Your role cannot do this on this match."))
    if expected_version is not None and expected_version != match.version:
        raise Conflict(_("This match changed while you were looking at it. "
                         "Reload the page to see its current state."))
    if match.state not in rule.from_states:
        raise InvalidTransition(_("This is not possible in the match's current state."))


def _check_still_live(need: Need, offer: Offer) -> None:
    """A partnership needs a need that is still open and an offer still published."""
    if (need.status not in (NeedStatus.OPEN, NeedStatus.IN_PARTNERSHIP)
            or offer.status != OfferStatus.PUBLISHED):
        raise InvalidTransition(_("The need was closed or the offer archived after both sides "
                                  "confirmed; this match can only be rejected or withdrawn."))


def transition(
    session: Session, actor: User, match_id: int, action: str, *,
    reason: str | None = None, expected_version: int | None = None,
) -> Match:
    """Apply ``action`` for ``actor``; raise NotFound/Forbidden/InvalidTransition/Conflict."""
    rule = RULES.get(action)
    if rule is None:
        raise NotFound(_("Unknown action."))
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_REASON:
        raise ValidationFailed(_("The reason may have at most 1,000 characters."))
    if rule.needs_reason and not reason:
        raise ValidationFailed(_("Give a reason for the rejection."))
    begin_write(session)
    try:
        match, need, offer, side = load(session, match_id, actor, fresh=True)
        _check(rule, match, side, expected_version)
        if action == "approve":
            _check_still_live(need, offer)
        new_state, columns = _next_state(match, side, action)
    except DomainError:
        session.rollback()  # release the write lock before the refusal is answered (and audited)
        raise
    from_state, version = match.state, match.version
    result = session.execute(
        update(Match).where(Match.id == match_id, Match.version == version)  # type: ignore[arg-type]
        .values(state=new_state, version=version + 1, updated_at=utcnow(),
                last_actor_side=side, reason=reason if reason else Match.reason, **columns)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(_("Someone else acted on this match at the same moment. "
                         "Reload the page to see its current state."))
    session.add(MatchEvent(match_id=match_id, actor_id=actor.id, actor_side=side, action=action,
                           from_state=from_state, to_state=new_state, reason=reason))
    audit.record(session, f"match.{action}", actor_id=actor.id, target=f"match:{match_id}",
                 details={"from": from_state, "to": new_state})
    if new_state == MatchState.APPROVED and need.status == NeedStatus.OPEN:
        session.execute(update(Need).where(Need.id == need.id, Need.status == NeedStatus.OPEN)  # type: ignore[arg-type]
                        .values(status=NeedStatus.IN_PARTNERSHIP, version=Need.version + 1,
                                updated_at=utcnow()))
    session.refresh(match)
    _notify(session, match, need, offer, side, action, new_state)
    session.commit()
    notifications.dispatch(current_app._get_current_object())  # type: ignore[attr-defined]
    return match
