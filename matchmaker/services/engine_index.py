"""The matching engine's in-memory index, kept per process and refreshed from the database.

The index is derived data. Every offer change bumps ``EngineState.offer_seq`` and stamps the
offer with it; a process whose cached index is behind reloads just the offers stamped after
its own sequence. Several workers or hosts thus converge on the same index.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from matchmaker import matching
from matchmaker.models import (
    EngineState,
    Need,
    Offer,
    OfferRegion,
    OfferStatus,
    Organization,
    Province,
    Regency,
)


@dataclass
class _Cached:
    index: matching.MatchIndex
    epoch: str
    seq: int


_cache: dict[str, _Cached] = {}
_lock = threading.Lock()
_glossary: matching.Glossary | None = None


def glossary() -> matching.Glossary:
    """The concept glossary, loaded once per process."""
    global _glossary
    if _glossary is None:
        _glossary = matching.load_glossary()
    return _glossary


def _state(session: Session) -> EngineState:
    state = session.get(EngineState, 1)
    if state is None:
        try:
            with session.begin_nested():  # another writer may create it at the same moment
                state = EngineState(id=1, epoch=uuid.uuid4().hex, offer_seq=0)
                session.add(state)
        except IntegrityError:
            state = session.get(EngineState, 1, populate_existing=True)
            assert state is not None
    return state


def bump_offer(session: Session, offer_id: int) -> int:
    """Record that ``offer_id`` changed (inside the caller's write transaction)."""
    state = _state(session)
    result = session.execute(
        update(EngineState).where(col(EngineState.id) == 1)
        .values(offer_seq=col(EngineState.offer_seq) + 1)
        .returning(col(EngineState.offer_seq))
    )
    seq = int(result.scalar_one())
    session.execute(update(Offer).where(Offer.id == offer_id).values(index_seq=seq))  # type: ignore[arg-type]
    state.offer_seq = seq
    return seq


def offer_docs(session: Session, offers: list[Offer]) -> list[matching.OfferDoc]:
    ids = [o.id for o in offers if o.id is not None]
    regions: dict[int, list[str]] = {}
    org_names: dict[int, str] = {}
    if ids:
        for offer_id, name in session.exec(
            select(OfferRegion.offer_id, Province.name)
            .join(Province, Province.code == OfferRegion.province_code)  # type: ignore[arg-type]
            .where(OfferRegion.offer_id.in_(ids))  # type: ignore[attr-defined]
        ).all():
            regions.setdefault(offer_id, []).append(name)
        org_ids = {o.organization_id for o in offers}
        org_names = {org_id: name for org_id, name in session.exec(
            select(Organization.id, Organization.name).where(col(Organization.id).in_(org_ids))
        ).all() if org_id is not None}
    return [
        matching.OfferDoc(
            id=str(o.id), title=o.title, description=o.description, tags=tuple(o.tags),
            dimension=o.dimension,
            regions=(matching.types.NATIONAL,) if o.national else tuple(regions.get(o.id or 0, ())),
            price_min=o.price_min, price_max=o.price_max, maturity=o.maturity,
            organization=org_names.get(o.organization_id),
        )
        for o in offers
    ]


def need_docs(session: Session, needs: list[Need]) -> list[matching.NeedDoc]:
    org_ids = {n.organization_id for n in needs}
    places: dict[int, tuple[str | None, str | None]] = {}
    if org_ids:
        for org_id, regency_name, province_name in session.exec(
            select(Organization.id, Regency.name, Province.name)
            .join(Regency, Regency.code == Organization.regency_code, isouter=True)  # type: ignore[arg-type]
            .join(Province, Province.code == Regency.province_code, isouter=True)  # type: ignore[arg-type]
            .where(Organization.id.in_(org_ids))  # type: ignore[union-attr]
        ).all():
            if org_id is not None:
                places[org_id] = (regency_name, province_name)
    return [
        matching.NeedDoc(
            id=str(n.id), title=n.title, description=n.description, tags=tuple(n.tags),
            dimension=n.dimension, city=places.get(n.organization_id, (None, None))[0],
            province=places.get(n.organization_id, (None, None))[1],
            budget_min=n.budget_min, budget_max=n.budget_max, stage=n.stage,
        )
        for n in needs
    ]


def _published(session: Session, *conditions: object) -> list[Offer]:
    return list(session.exec(select(Offer).where(*conditions)).all())  # type: ignore[arg-type]


def current_index(session: Session) -> matching.MatchIndex:
    """This process's index, brought up to date with the database first."""
    # the stamp must come from the database, not from what a long-lived session loaded earlier
    state = session.get(EngineState, 1, populate_existing=True)
    epoch, seq = (state.epoch, state.offer_seq) if state else ("", 0)
    key = str(session.get_bind().engine.url)
    with _lock:
        cached = _cache.get(key)
        if cached is None or cached.epoch != epoch or cached.seq > seq:
            offers = _published(session, Offer.status == OfferStatus.PUBLISHED)
            index = matching.MatchIndex.build(offer_docs(session, offers), glossary=glossary())
            cached = _Cached(index=index, epoch=epoch, seq=seq)
            _cache[key] = cached
        elif cached.seq < seq:
            changed = _published(session, Offer.index_seq > cached.seq)
            live = [o for o in changed if o.status == OfferStatus.PUBLISHED]
            for doc in offer_docs(session, live):
                cached.index.upsert(doc)
            for offer in changed:
                if offer.status != OfferStatus.PUBLISHED:
                    cached.index.remove(str(offer.id))
            cached.seq = seq
        return cached.index


def forget() -> None:
    """Drop every cached index (tests, or after a bulk import)."""
    with _lock:
        _cache.clear()
