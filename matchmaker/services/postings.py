"""What needs and offers have in common: ownership, optimistic edits and status changes.

A *posting* is a need (owned by a city) or an offer (owned by a vendor). Only staff of the
owning organisation with the right role may change it; an edit names the version it started
from and loses (409, with the saved version shown) if someone saved in between.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import func, update
from sqlmodel import Session, SQLModel, select

from matchmaker.models import Need, Offer, Role, User
from matchmaker.models.base import utcnow
from matchmaker.services.errors import Conflict, Forbidden, InvalidTransition, NotFound


@dataclass(frozen=True)
class PostingKind:
    """The per-kind facts the shared code needs."""

    model: type[Need] | type[Offer]
    owner_role: Role
    public_statuses: frozenset[str]
    editable_statuses: frozenset[str]
    statuses: tuple[str, ...]
    #: action -> (allowed from statuses, resulting status)
    transitions: Mapping[str, tuple[frozenset[str], str]]


def can_manage(user: User | None, posting: Need | Offer, kind: PostingKind) -> bool:
    return (
        user is not None
        and user.role == kind.owner_role
        and user.organization_id is not None
        and user.organization_id == posting.organization_id
    )


def can_view(user: User | None, posting: Need | Offer, kind: PostingKind) -> bool:
    """Published postings are public; drafts only for their owners and coordinators."""
    if posting.status in kind.public_statuses:
        return True
    if user is None:
        return False
    return user.is_coordinator or can_manage(user, posting, kind)


def _get(session: Session, kind: PostingKind, posting_id: int, *,
         fresh: bool = False) -> Need | Offer | None:
    return cast(Need | Offer | None,
                session.get(kind.model, posting_id, populate_existing=fresh))


def get_visible(session: Session, kind: PostingKind, posting_id: int, viewer: User | None) -> Any:
    posting = _get(session, kind, posting_id)
    if posting is None or not can_view(viewer, posting, kind):
        raise NotFound(_("We could not find this item."))
    return posting


def get_manageable(session: Session, kind: PostingKind, posting_id: int, actor: User) -> Any:
    """The posting ``actor`` may change: 404 if they cannot see it, 403 if not theirs."""
    posting = _get(session, kind, posting_id, fresh=True)
    if posting is None or not can_view(actor, posting, kind):
        raise NotFound(_("We could not find this item."))
    if not can_manage(actor, posting, kind):
        raise Forbidden(_("Only the owning organisation can change this."))
    return posting


def require_owner_role(actor: User, kind: PostingKind) -> int:
    if actor.role != kind.owner_role or actor.organization_id is None:
        raise Forbidden(_("Your role cannot create this."))
    return actor.organization_id


def snapshot(posting: SQLModel, fields: tuple[str, ...]) -> dict[str, object]:
    return {name: getattr(posting, name) for name in fields}


def apply_edit(
    session: Session, kind: PostingKind, posting: Any, expected_version: int,
    values: dict[str, Any], shown_fields: tuple[str, ...],
) -> None:
    """Write ``values`` only if the row still has ``expected_version`` (conditional UPDATE)."""
    if posting.status not in kind.editable_statuses:
        raise InvalidTransition(_("This item is closed and can no longer be edited."))
    model = kind.model
    result = session.execute(
        update(model)
        .where(model.id == posting.id, model.version == expected_version)  # type: ignore[arg-type]
        .values(**values, version=expected_version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        current = _get(session, kind, posting.id, fresh=True)
        raise Conflict(
            _("Someone else saved a change to this item while you were editing. "
              "Their version is shown below; your text is kept in the form."),
            details={"current": snapshot(current, shown_fields) if current else {},
                     "version": current.version if current else None},
        )


def change_status(
    session: Session, kind: PostingKind, posting: Any, action: str, *,
    before_commit: Callable[[], object] | None = None,
) -> None:
    """Apply a status action (publish, close, archive...) if the transition table allows it."""
    if action not in kind.transitions:
        raise NotFound(_("Unknown action."))
    allowed_from, target = kind.transitions[action]
    model = kind.model
    if posting.status not in allowed_from:
        raise InvalidTransition(_("This action is not possible in the item's current state."))
    stamp_field = {"closed": "closed_at", "archived": "archived_at"}.get(target)
    values: dict[str, Any] = {"status": target, "updated_at": utcnow(),
                              "version": model.version + 1}
    if stamp_field and hasattr(model, stamp_field):
        values[stamp_field] = utcnow()
    result = session.execute(
        update(model)
        .where(model.id == posting.id, model.status == posting.status)
        .values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(_("Someone else changed this item in the meantime. Reload and try again."))
    if before_commit is not None:
        before_commit()
    session.commit()
    session.refresh(posting)


def counts_by_status(session: Session, kind: PostingKind, organization_id: int) -> dict[str, int]:
    """How many of an organisation's postings are in each status (zeros included)."""
    model = kind.model
    rows = session.exec(
        select(model.status, func.count())
        .where(model.organization_id == organization_id)
        .group_by(model.status)
    ).all()
    counts = {str(status): 0 for status in kind.statuses}
    counts.update({status: n for status, n in rows})
    return counts
