"""Joining an organisation that already has verified members: a registration into it opens
a join request, and only those members may approve (the account joins) or decline it.

Without this, anyone registering under an existing company name (or for a regency that
already has accounts) would control that organisation's postings once a coordinator
verified them. Every decision is one conditional UPDATE, so two members deciding at once
give one decision and a 409, and it is audited.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import update
from sqlmodel import Session, col, select

from matchmaker.db import begin_write
from matchmaker.models import (
    JoinRequestStatus,
    Organization,
    OrganizationJoinRequest,
    User,
    UserStatus,
)
from matchmaker.models.base import utcnow
from matchmaker.services import audit, notifications
from matchmaker.services.errors import Conflict, Forbidden, NotFound


@dataclass(frozen=True)
class JoinRequestRow:
    """A join request with the person asking and the organisation asked."""

    request: OrganizationJoinRequest
    applicant: User
    organization: Organization


def verified_members(session: Session, organization_id: int) -> list[User]:
    """The organisation's verified (active) accounts: the people who may admit others."""
    return list(session.exec(
        select(User).where(User.organization_id == organization_id,
                           User.status == UserStatus.ACTIVE).order_by(col(User.name))
    ).all())


def members_by_organization(session: Session, organization_ids: set[int]) -> dict[int, list[User]]:
    """Every account (verified or not) of each organisation, for the coordinator's review."""
    found: dict[int, list[User]] = defaultdict(list)
    if organization_ids:
        for user in session.exec(select(User).where(
                col(User.organization_id).in_(organization_ids)).order_by(col(User.name))):
            assert user.organization_id is not None
            found[user.organization_id].append(user)
    return found


def open_request(session: Session, applicant: User, organization: Organization,
                 members: list[User]) -> OrganizationJoinRequest:
    """Ask ``members`` to let ``applicant`` in; inside the caller's transaction."""
    assert applicant.id is not None and organization.id is not None
    request = OrganizationJoinRequest(user_id=applicant.id, organization_id=organization.id)
    session.add(request)
    session.flush()
    assert request.id is not None
    notifications.notify_join_request(session, members, request.id, "join_requested")
    audit.record(session, "organization.join_request", actor_id=applicant.id,
                 target=f"organization:{organization.id}",
                 details={"join_request": request.id})
    return request


def _rows(session: Session, *conditions: Any) -> list[JoinRequestRow]:
    rows = session.exec(
        select(OrganizationJoinRequest, User, Organization)
        .join(User, col(User.id) == OrganizationJoinRequest.user_id)
        .join(Organization, col(Organization.id) == OrganizationJoinRequest.organization_id)
        .where(*conditions)
        .order_by(col(OrganizationJoinRequest.created_at), col(OrganizationJoinRequest.id))
    ).all()
    return [JoinRequestRow(request, user, org) for request, user, org in rows]


def pending_for_organization(session: Session, organization_id: int) -> list[JoinRequestRow]:
    return _rows(session, OrganizationJoinRequest.organization_id == organization_id,
                 OrganizationJoinRequest.status == JoinRequestStatus.PENDING)


def pending_requests(session: Session) -> list[JoinRequestRow]:
    """Every undecided join request (the coordinator's verification screen)."""
    return _rows(session, OrganizationJoinRequest.status == JoinRequestStatus.PENDING)


def request_of(session: Session, user_id: int) -> JoinRequestRow | None:
    """The account's own join request, decided or not (its dashboard tells the state)."""
    rows = _rows(session, OrganizationJoinRequest.user_id == user_id)
    return rows[0] if rows else None


def decide(session: Session, member: User, request_id: int, *, approve: bool
           ) -> OrganizationJoinRequest:
    """A verified member of the organisation approves or declines a pending request.

    Unknown request: 404. Someone outside that organisation, or not verified: 403 (audited
    by the error handler like every refusal). Already decided (also by a colleague a moment
    ago): 409, and nothing changes.
    """
    begin_write(session)
    try:
        request = session.get(OrganizationJoinRequest, request_id, populate_existing=True)
        if request is None:
            raise NotFound(_("This request to join does not exist."))
        if member.status != UserStatus.ACTIVE or member.organization_id != request.organization_id:
            raise Forbidden(_("Only verified members of this organisation can decide."))
        status = JoinRequestStatus.APPROVED if approve else JoinRequestStatus.DECLINED
        changed = session.execute(
            update(OrganizationJoinRequest)
            .where(col(OrganizationJoinRequest.id) == request_id,
                   col(OrganizationJoinRequest.status) == JoinRequestStatus.PENDING)
            .values(status=status, decided_at=utcnow(), decided_by_id=member.id)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(_("This request has already been decided."))
        if approve:
            session.execute(update(User).where(col(User.id) == request.user_id,
                                               col(User.organization_id).is_(None))
                            .values(organization_id=request.organization_id))
        applicant = session.get(User, request.user_id, populate_existing=True)
        assert applicant is not None
        notifications.notify_join_request(
            session, [applicant], request_id, "join_approved" if approve else "join_declined")
        audit.record(session, "organization.join_decide", actor_id=member.id,
                     target=f"join_request:{request_id}",
                     details={"decision": status.value, "user": request.user_id})
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(request)
    return request
