"""Use cases for a vendor's offers: post, edit (optimistically locked), publish, archive, view."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete
from sqlmodel import Session, select

from matchmaker.db import begin_write
from matchmaker.models import (
    Offer,
    OfferCreate,
    OfferInput,
    OfferRegion,
    OfferStatus,
    OfferUpdate,
    Organization,
    Province,
    User,
)
from matchmaker.models.catalog import Dimension
from matchmaker.services import engine_index, matching, postings
from matchmaker.services.errors import ValidationFailed
from matchmaker.text import search_document

EDITABLE_FIELDS = ("title", "description", "dimension", "sub_element", "tags", "price_min",
                   "price_max", "national", "maturity", "references")

KIND = postings.PostingKind(
    model=Offer,
    owner_role="vendor",  # type: ignore[arg-type]
    public_statuses=frozenset({OfferStatus.PUBLISHED, OfferStatus.ARCHIVED}),
    editable_statuses=frozenset({OfferStatus.DRAFT, OfferStatus.PUBLISHED}),
    statuses=tuple(OfferStatus),
    transitions={
        "publish": (frozenset({OfferStatus.DRAFT, OfferStatus.ARCHIVED}), OfferStatus.PUBLISHED),
        "archive": (frozenset({OfferStatus.DRAFT, OfferStatus.PUBLISHED}), OfferStatus.ARCHIVED),
    },
)


def _checked_regions(session: Session, codes: list[str]) -> list[str]:
    if not codes:
        return []
    known = set(session.exec(select(Province.code).where(Province.code.in_(codes))).all())  # type: ignore[attr-defined]
    unknown = sorted(set(codes) - known)
    if unknown:
        raise ValidationFailed(_("Unknown province code: %(codes)s", codes=", ".join(unknown)),
                               details={"field": "regions"})
    return sorted(known)


def _search_text(session: Session, values: dict[str, object], organization_id: int) -> str:
    org = session.get(Organization, organization_id)
    tags = values.get("tags") or []
    return search_document([str(values["title"]), str(values["description"]),
                            " ".join(tags) if isinstance(tags, list) else "",
                            org.name if org else None])


def _values(data: OfferInput) -> dict[str, object]:
    values = data.model_dump(include=set(EDITABLE_FIELDS))
    values["dimension"] = Dimension(values["dimension"]).value
    values["maturity"] = str(values["maturity"])
    return values


def _set_regions(session: Session, offer_id: int, codes: list[str]) -> None:
    session.execute(delete(OfferRegion).where(OfferRegion.offer_id == offer_id))  # type: ignore[arg-type]
    for code in codes:
        session.add(OfferRegion(offer_id=offer_id, province_code=code))


def create(session: Session, actor: User, data: OfferCreate) -> Offer:
    """Post an offer for the actor's own company; the owner never comes from the input."""
    organization_id = postings.require_owner_role(actor, KIND)
    begin_write(session)
    offer = new_offer(session, organization_id, data,
                      OfferStatus.PUBLISHED if data.publish else OfferStatus.DRAFT, actor.id)
    session.commit()
    assert offer.id is not None
    matching.after_offer_saved(session, offer.id)
    return offer


def new_offer(session: Session, organization_id: int, data: OfferInput, status: str,
              created_by_id: int | None = None) -> Offer:
    """Add an offer row (and its served provinces) from validated input; the caller commits."""
    regions = _checked_regions(session, data.regions)
    values = _values(data)
    offer = Offer.model_validate({
        **values, "organization_id": organization_id, "created_by_id": created_by_id,
        "status": status, "search_text": _search_text(session, values, organization_id),
    })
    session.add(offer)
    session.flush()
    assert offer.id is not None
    _set_regions(session, offer.id, regions)
    engine_index.bump_offer(session, offer.id)
    return offer


def update(session: Session, actor: User, offer_id: int, data: OfferUpdate) -> Offer:
    begin_write(session)
    offer: Offer = postings.get_manageable(session, KIND, offer_id, actor)
    regions = _checked_regions(session, data.regions)
    values = _values(data)
    values["search_text"] = _search_text(session, values, offer.organization_id)
    postings.apply_edit(session, KIND, offer, data.version, values, EDITABLE_FIELDS)
    assert offer.id is not None
    _set_regions(session, offer.id, regions)
    engine_index.bump_offer(session, offer.id)
    session.commit()
    matching.after_offer_saved(session, offer_id)
    session.refresh(offer)
    return offer


def act(session: Session, actor: User, offer_id: int, action: str) -> Offer:
    """publish / archive; archiving keeps the offer and its history."""
    begin_write(session)
    offer: Offer = postings.get_manageable(session, KIND, offer_id, actor)
    postings.change_status(session, KIND, offer, action,
                           before_commit=lambda: engine_index.bump_offer(session, offer_id))
    matching.after_offer_saved(session, offer_id)
    return offer


def get_for_viewer(session: Session, offer_id: int, viewer: User | None) -> Offer:
    offer: Offer = postings.get_visible(session, KIND, offer_id, viewer)
    return offer


def region_codes(session: Session, offer_id: int) -> list[str]:
    return list(session.exec(
        select(OfferRegion.province_code).where(OfferRegion.offer_id == offer_id)
        .order_by(OfferRegion.province_code)
    ).all())


def counts_by_status(session: Session, organization_id: int) -> dict[str, int]:
    return postings.counts_by_status(session, KIND, organization_id)


def can_manage(user: User | None, offer: Offer) -> bool:
    return postings.can_manage(user, offer, KIND)
