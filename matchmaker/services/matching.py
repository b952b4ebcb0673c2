"""Turning engine proposals into persisted matches, for one need, one offer or everything.

Rules (see README, "Match states"): a pair is stored once; re-running updates only untouched
proposals; it never resurrects a pair someone declined and never drops a pair either side has
acted on; untouched proposals whose need closed, whose offer was archived, or which the engine
no longer proposes are withdrawn by the engine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import insert, text, update
from sqlmodel import Session, col, select

from matchmaker import matching
from matchmaker.db import begin_write
from matchmaker.models import (
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
from matchmaker.services import engine_index, notifications

log = logging.getLogger("matchmaker.matching")
ENGINE = "engine"
RUN_LOCK_KEY = 0x5E_4E_61  # any constant shared by every process of this application


@dataclass
class RunReport:
    proposed: int = 0
    refreshed: int = 0
    withdrawn: int = 0
    needs: int = 0
    seconds: float = 0.0
    notified: int = 0
    touched_matches: list[int] = field(default_factory=list)


def _settings() -> tuple[int, float, float]:
    cfg = current_app.config
    return (int(cfg.get("MATCH_TOP_K", 10)), float(cfg.get("MATCH_MIN_SCORE", 35)),
            float(cfg.get("PROPOSAL_NOTIFY_MIN", 60)))


def _event(session: Session, match: Match, action: str, from_state: str | None,
           to_state: str, reason: str | None = None) -> None:
    assert match.id is not None
    session.add(MatchEvent(match_id=match.id, actor_side=ENGINE, action=action,
                           from_state=from_state, to_state=to_state, reason=reason))


def _changed(match: Match, proposal: matching.Proposal, glossary_version: str) -> bool:
    return (match.score != round(proposal.score, 2)
            or match.engine_version != matching.ENGINE_VERSION
            or match.glossary_version != glossary_version)


def _apply_proposal(match: Match, proposal: matching.Proposal, glossary_version: str) -> None:
    match.score = round(proposal.score, 2)
    match.components = {k: round(v, 2) for k, v in proposal.components.items()}
    match.explanation = proposal.to_dict()
    match.engine_version = matching.ENGINE_VERSION
    match.glossary_version = glossary_version
    match.updated_at = utcnow()


StaffCache = dict[tuple[int, str], list[User]]


def _staff(session: Session, cache: StaffCache, organization_id: int, role: Role) -> list[User]:
    """An organisation's active staff, looked up once per run (not once per proposal)."""
    key = (organization_id, role.value)
    if key not in cache:
        cache[key] = notifications.staff(session, organization_id, role)
    return cache[key]


def _insert_new(
    session: Session, need: Need, new: list[tuple[int, matching.Proposal]],
    offers: dict[int, Offer], report: RunReport, cache: StaffCache, glossary_version: str,
) -> None:
    """Store a need's new pairs, their first events and notifications in bulk INSERTs
    (building ORM objects one by one cost milliseconds per proposal)."""
    _, _, notify_min = _settings()
    now = utcnow()
    rows = [{
        "need_id": need.id, "offer_id": offer_id, "state": MatchState.PROPOSED.value,
        "city_decision": None, "vendor_decision": None, "score": round(p.score, 2),
        "components": {k: round(v, 2) for k, v in p.components.items()},
        "explanation": p.to_dict(), "engine_version": matching.ENGINE_VERSION,
        "glossary_version": glossary_version, "reason": None, "last_actor_side": ENGINE,
        "created_at": now, "updated_at": now, "version": 1,
    } for offer_id, p in new]
    stored = session.execute(
        insert(Match).returning(col(Match.id), col(Match.offer_id), col(Match.score)), rows
    ).all()
    session.execute(insert(MatchEvent), [{
        "match_id": match_id, "at": now, "actor_id": None, "actor_side": ENGINE,
        "action": "propose", "from_state": None, "to_state": MatchState.PROPOSED.value,
        "reason": None} for match_id, _, _ in stored])
    report.proposed += len(stored)
    told = []
    for match_id, offer_id, score in stored:
        if score >= notify_min and offer_id in offers:
            users = [*_staff(session, cache, need.organization_id, Role.CITY_OFFICIAL),
                     *_staff(session, cache, offers[offer_id].organization_id, Role.VENDOR)]
            told.append((users, match_id, "proposed"))
    report.notified += notifications.notify_many(session, told)


def _withdraw(session: Session, match: Match, reason: str, report: RunReport) -> None:
    result = session.execute(
        update(Match).where(Match.id == match.id, Match.version == match.version)  # type: ignore[arg-type]
        .values(state=MatchState.WITHDRAWN, last_actor_side=ENGINE, reason=reason,
                version=match.version + 1, updated_at=utcnow())
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        _event(session, match, "withdraw", MatchState.PROPOSED, MatchState.WITHDRAWN, reason)
        report.withdrawn += 1


def _persist(
    session: Session, need: Need, proposals: Iterable[matching.Proposal],
    offers: dict[int, Offer], report: RunReport, only_offer: int | None = None,
    staff_cache: StaffCache | None = None, known: dict[int, list[Match]] | None = None,
) -> None:
    """Reconcile stored matches of ``need`` (``known``: preloaded) with the engine's current
    proposals."""
    top_k, min_score, notify_min = _settings()
    glossary_version = engine_index.glossary().version
    cache: StaffCache = {} if staff_cache is None else staff_cache
    wanted = {int(p.offer_id): p for p in proposals if p.score >= min_score}
    existing = {m.offer_id: m for m in (
        known[need.id or 0] if known is not None
        else session.exec(select(Match).where(Match.need_id == need.id)).all())}
    new: list[tuple[int, matching.Proposal]] = []
    for offer_id, proposal in wanted.items():
        if only_offer is not None and offer_id != only_offer:
            continue
        match = existing.get(offer_id)
        if match is None:
            new.append((offer_id, proposal))
        elif match.state == MatchState.PROPOSED and not match.touched:
            if _changed(match, proposal, glossary_version):  # skip no-op UPDATEs on re-runs
                _apply_proposal(match, proposal, glossary_version)
                report.refreshed += 1
        elif match.state == MatchState.WITHDRAWN and match.last_actor_side == ENGINE:
            _apply_proposal(match, proposal, glossary_version)
            match.state, match.reason, match.version = MatchState.PROPOSED, None, match.version + 1
            _event(session, match, "propose", MatchState.WITHDRAWN, MatchState.PROPOSED)
            report.proposed += 1
    if new:
        _insert_new(session, need, new, offers, report, cache, glossary_version)
    for offer_id, match in existing.items():
        if only_offer is not None and offer_id != only_offer:
            continue
        if offer_id not in wanted and match.state == MatchState.PROPOSED and not match.touched:
            _withdraw(session, match, "no_longer_proposed", report)


def _open_needs(session: Session, need_ids: list[int] | None = None) -> list[Need]:
    query = select(Need).where(Need.status == NeedStatus.OPEN)
    if need_ids is not None:
        query = query.where(Need.id.in_(need_ids))  # type: ignore[union-attr]
    return list(session.exec(query.order_by(Need.id)).all())  # type: ignore[arg-type]


def _offers_by_id(session: Session, ids: Iterable[int]) -> dict[int, Offer]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(select(Offer).where(Offer.id.in_(wanted))).all()  # type: ignore[union-attr]
    return {o.id: o for o in rows if o.id is not None}


def _run(session: Session, needs: list[Need], report: RunReport,
         only_offer: int | None = None) -> None:
    top_k, _, _ = _settings()
    index = engine_index.current_index(session)
    docs = engine_index.need_docs(session, needs)
    by_need = matching.propose_all(index, docs, k=top_k) if docs else {}
    offer_ids = {int(p.offer_id) for props in by_need.values() for p in props}
    offers = _offers_by_id(session, offer_ids)
    staff_cache: StaffCache = {}
    known: dict[int, list[Match]] = {need.id: [] for need in needs if need.id is not None}
    for start in range(0, len(needs), 500):  # the stored pairs of every need, in a few queries
        ids = [need.id for need in needs[start:start + 500]]
        for match in session.exec(select(Match).where(col(Match.need_id).in_(ids))).all():
            known[match.need_id or 0].append(match)  # need_id is one of ids: never None here
    for need in needs:
        _persist(session, need, by_need.get(str(need.id), []), offers, report, only_offer,
                 staff_cache, known)
    report.needs += len(needs)


def _withdraw_untouched(session: Session, report: RunReport, **where: int) -> None:
    query = select(Match).where(Match.state == MatchState.PROPOSED)
    for column, value in where.items():
        query = query.where(getattr(Match, column) == value)
    for match in session.exec(query).all():
        if not match.touched:
            _withdraw(session, match, "posting_closed", report)


def _begin_run(session: Session) -> None:
    """Open a run's write transaction; runs queue behind each other so two of them never
    insert the same pair (SQLite's BEGIN IMMEDIATE already does this; PostgreSQL takes a
    transaction-scoped advisory lock before the run reads anything)."""
    begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RUN_LOCK_KEY})


def rematch_need(session: Session, need_id: int) -> RunReport:
    """Match one need after it was opened or edited (or withdraw if it is no longer open)."""
    report, started = RunReport(), time.perf_counter()
    _begin_run(session)
    need = session.get(Need, need_id, populate_existing=True)
    if need is None:
        return report
    if need.status == NeedStatus.OPEN:
        _run(session, [need], report)
    else:
        _withdraw_untouched(session, report, need_id=need_id)
    session.commit()
    report.seconds = time.perf_counter() - started
    return report


def rematch_offer(session: Session, offer_id: int) -> RunReport:
    """Match one offer after it was published or edited: every open need is ranked again and
    only this offer's pairs change (withdrawn everywhere if the offer is no longer live)."""
    report, started = RunReport(), time.perf_counter()
    _begin_run(session)
    offer = session.get(Offer, offer_id, populate_existing=True)
    if offer is None:
        return report
    if offer.status == OfferStatus.PUBLISHED:
        _run(session, _open_needs(session), report, only_offer=offer_id)
    else:
        _withdraw_untouched(session, report, offer_id=offer_id)
    session.commit()
    report.seconds = time.perf_counter() - started
    return report


def rematch_all(session: Session) -> RunReport:
    """Full run (``matchmaker match``, the coordinator's button): every open need, every live
    offer; untouched proposals of closed needs or archived offers are withdrawn."""
    report, started = RunReport(), time.perf_counter()
    _begin_run(session)
    dead = select(Match).join(Need).join(Offer).where(
        Match.state == MatchState.PROPOSED,
        (col(Need.status) != NeedStatus.OPEN) | (col(Offer.status) != OfferStatus.PUBLISHED),
    )
    for match in session.exec(dead).all():
        if not match.touched:
            _withdraw(session, match, "posting_closed", report)
    _run(session, _open_needs(session), report)
    session.commit()
    report.seconds = time.perf_counter() - started
    return report


def _after_save(kind: str, rematch: Callable[[Session, int], RunReport], session: Session,
                item_id: int) -> RunReport | None:
    """Rematch after a posting was saved. Matching is derived data: a failure is logged and
    the save stands ('matchmaker match' catches up)."""
    try:
        report = rematch(session, item_id)
    except Exception:  # noqa: BLE001
        session.rollback()
        log.exception("Matching after saving %s %s failed", kind, item_id)
        return None
    notifications.dispatch(current_app._get_current_object())  # type: ignore[attr-defined]
    return report


def after_need_saved(session: Session, need_id: int) -> RunReport | None:
    return _after_save("need", rematch_need, session, need_id)


def after_offer_saved(session: Session, offer_id: int) -> RunReport | None:
    return _after_save("offer", rematch_offer, session, offer_id)
