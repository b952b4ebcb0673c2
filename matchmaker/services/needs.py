"""Use cases for a city's needs: post, edit (optimistically locked), publish, close, view."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlmodel import Session

from matchmaker.db import begin_write
from matchmaker.models import (
    Need,
    NeedCreate,
    NeedInput,
    NeedStatus,
    NeedUpdate,
    Organization,
    Regency,
    User,
)
from matchmaker.models.catalog import Dimension
from matchmaker.services import matching, postings
from matchmaker.services.errors import ValidationFailed
from matchmaker.text import search_document

EDITABLE_FIELDS = ("title", "description", "dimension", "sub_element", "tags", "budget_min",
                   "budget_max", "unbudgeted", "target_date", "stage", "priority")

KIND = postings.PostingKind(
    model=Need,
    owner_role="city_official",  # type: ignore[arg-type]
    public_statuses=frozenset({NeedStatus.OPEN, NeedStatus.IN_PARTNERSHIP, NeedStatus.CLOSED}),
    editable_statuses=frozenset({NeedStatus.DRAFT, NeedStatus.OPEN}),
    statuses=tuple(NeedStatus),
    transitions={
        "publish": (frozenset({NeedStatus.DRAFT}), NeedStatus.OPEN),
        "close": (frozenset({NeedStatus.DRAFT, NeedStatus.OPEN}), NeedStatus.CLOSED),
        "reopen": (frozenset({NeedStatus.CLOSED}), NeedStatus.OPEN),
    },
)


def _search_text(session: Session, values: dict[str, object], organization_id: int) -> str:
    org = session.get(Organization, organization_id)
    regency = session.get(Regency, org.regency_code) if org and org.regency_code else None
    tags = values.get("tags") or []
    return search_document([str(values["title"]), str(values["description"]),
                            " ".join(tags) if isinstance(tags, list) else "",
                            org.name if org else None, regency.name if regency else None])


def _values(data: NeedInput) -> dict[str, object]:
    values = data.model_dump(include=set(EDITABLE_FIELDS))
    values["dimension"] = Dimension(values["dimension"]).value
    values["stage"] = str(values["stage"])
    return values


def create(session: Session, actor: User, data: NeedCreate) -> Need:
    """Post a need for the actor's own city; the owner never comes from the input."""
    organization_id = postings.require_owner_role(actor, KIND)
    org = session.get(Organization, organization_id)
    if org is None or org.regency_code is None:
        raise ValidationFailed(_("Your account is not linked to a kabupaten/kota."))
    begin_write(session)
    need = new_need(session, organization_id, data,
                    NeedStatus.OPEN if data.publish else NeedStatus.DRAFT, actor.id)
    session.commit()
    assert need.id is not None
    matching.after_need_saved(session, need.id)
    return need


def new_need(session: Session, organization_id: int, data: NeedInput, status: str,
             created_by_id: int | None = None) -> Need:
    """Add a need row built from validated input (the caller commits)."""
    values = _values(data)
    need = Need.model_validate({
        **values, "organization_id": organization_id, "created_by_id": created_by_id,
        "status": status, "search_text": _search_text(session, values, organization_id),
    })
    session.add(need)
    session.flush()
    return need


def update(session: Session, actor: User, need_id: int, data: NeedUpdate) -> Need:
    begin_write(session)
    need: Need = postings.get_manageable(session, KIND, need_id, actor)
    values = _values(data)
    values["search_text"] = _search_text(session, values, need.organization_id)
    postings.apply_edit(session, KIND, need, data.version, values, EDITABLE_FIELDS)
    session.commit()
    matching.after_need_saved(session, need_id)
    session.refresh(need)
    return need


def act(session: Session, actor: User, need_id: int, action: str) -> Need:
    """publish / close / reopen; closing keeps the need and its history."""
    begin_write(session)
    need: Need = postings.get_manageable(session, KIND, need_id, actor)
    postings.change_status(session, KIND, need, action)
    matching.after_need_saved(session, need_id)
    return need


def get_for_viewer(session: Session, need_id: int, viewer: User | None) -> Need:
    need: Need = postings.get_visible(session, KIND, need_id, viewer)
    return need


def counts_by_status(session: Session, organization_id: int) -> dict[str, int]:
    return postings.counts_by_status(session, KIND, organization_id)


def can_manage(user: User | None, need: Need) -> bool:
    return postings.can_manage(user, need, KIND)
