"""Account use cases: registration, login, verification by a coordinator, passwords, profile.

Services own their transactions: each public function commits (or raises a DomainError and
leaves nothing half-saved). Web concerns (flash, login_user, redirects) stay in the views.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from matchmaker import passwords
from matchmaker.db import begin_write
from matchmaker.models import (
    Language,
    Organization,
    OrganizationJoinRequest,
    OrganizationKind,
    Regency,
    Role,
    User,
    UserStatus,
)
from matchmaker.models.base import utcnow
from matchmaker.services import audit, memberships, notifications
from matchmaker.services.errors import Conflict, Forbidden, NotFound, ValidationFailed


@dataclass(frozen=True)
class Registration:
    """What a person fills in to ask for an account."""

    email: str
    name: str
    password: str
    role: Role
    language: Language = Language.ID
    regency_code: str | None = None
    company: str | None = None


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def find_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def check_password_rules(password: str) -> None:
    """The one rule every new password meets (registration, change, reset)."""
    if not passwords.MIN_LENGTH <= len(password) <= passwords.MAX_LENGTH:
        raise ValidationFailed(
            _("The password must be %(min)d to %(max)d characters long.",
              min=passwords.MIN_LENGTH, max=passwords.MAX_LENGTH)
        )


def _organization_for(session: Session, reg: Registration) -> Organization:
    """The organisation the registration names: the existing one (a city by its regency, a
    vendor by its case-folded name) or a new, not yet added one. Refuses bad choices."""
    if reg.role == Role.CITY_OFFICIAL:
        regency = session.get(Regency, reg.regency_code) if reg.regency_code else None
        if regency is None:
            raise ValidationFailed(_("Choose your kabupaten/kota from the list."))
        org = session.exec(
            select(Organization).where(Organization.regency_code == regency.code)
        ).first()
        return org or Organization(kind=OrganizationKind.CITY, name=f"Pemerintah {regency.name}",
                                   regency_code=regency.code)
    if reg.role == Role.VENDOR:
        company = (reg.company or "").strip()
        if not 2 <= len(company) <= 150:
            raise ValidationFailed(_("Enter your company's name."))
        org = session.exec(
            select(Organization).where(
                Organization.kind == OrganizationKind.VENDOR,
                func.lower(Organization.name) == company.casefold(),
            )
        ).first()
        return org or Organization(kind=OrganizationKind.VENDOR, name=company)
    raise Forbidden(_("Coordinator accounts are created by an administrator."))


def register(session: Session, reg: Registration) -> User | None:
    """Ask for an account, answered the same way whether or not the e-mail has one.

    A new e-mail gets a ``pending`` account that a coordinator must verify. If the named
    organisation already has verified members, the account does not join it: it opens a
    join request those members decide. An e-mail that already has an account creates
    nothing; its owner is sent a notice instead (returns None). The password is hashed
    either way, so both answers take about as long.
    """
    check_password_rules(reg.password)
    password_hash = passwords.hash_password(reg.password)
    for attempt in (1, 2):
        begin_write(session)
        try:
            org = _organization_for(session, reg)
            existing = find_by_email(session, reg.email)
            user = None
            if existing is None:
                user = _create_pending(session, reg, org, password_hash)
            else:
                _tell_owner_of_attempt(session, existing)
            session.commit()
            return user
        except IntegrityError as exc:
            # A concurrent registration took the e-mail or the new organisation's regency
            # first: try once more, which now takes the existing-e-mail or joining path.
            session.rollback()
            if attempt == 2:
                raise Conflict(_("Please try again in a moment.")) from exc
        except BaseException:
            session.rollback()
            raise
    raise AssertionError("unreachable")


def _create_pending(session: Session, reg: Registration, org: Organization,
                    password_hash: str) -> User:
    members = memberships.verified_members(session, org.id) if org.id is not None else []
    if org.id is None:
        session.add(org)
        session.flush()
    user = User(
        email=normalise_email(reg.email), name=reg.name.strip(), role=reg.role,
        organization_id=None if members else org.id, language=reg.language,
        password_hash=password_hash, status=UserStatus.PENDING,
    )
    session.add(user)
    session.flush()
    if members:
        memberships.open_request(session, user, org, members)
    audit.record(session, "account.register", actor_id=user.id, target=f"user:{user.id}")
    return user


def _tell_owner_of_attempt(session: Session, owner: User) -> None:
    """Someone registered with an address that has an account: tell its owner, by e-mail
    only, and show the visitor the usual answer (no account enumeration)."""
    with force_locale(owner.language):
        subject = _("Someone tried to register with your e-mail address")
        body = render_template("email/registration_notice.txt", name=owner.name,
                               link=notifications.absolute_url("auth.login"))
    notifications.queue_email(session, owner.email, subject, body)
    audit.record(session, "account.register", target=f"user:{owner.id}",
                 outcome="failed:email_taken")


def create_user(
    session: Session, *, email: str, name: str, password: str, role: Role,
    organization: Organization | None = None, language: Language = Language.ID,
) -> User:
    """Create an already active account (CLI, seeding): no verification step."""
    check_password_rules(password)
    if find_by_email(session, email) is not None:
        raise Conflict(_("An account with this e-mail address already exists."))
    user = User(
        email=normalise_email(email), name=name.strip(), role=role,
        organization_id=organization.id if organization else None, language=language,
        password_hash=passwords.hash_password(password), status=UserStatus.ACTIVE,
        verified_at=utcnow(),
    )
    session.add(user)
    session.commit()
    return user


class LoginOutcome:
    """Why a login attempt failed, without telling an attacker whether the account exists."""

    OK = "ok"
    INVALID = "invalid"
    PENDING = "pending"
    SUSPENDED = "suspended"


def authenticate(
    session: Session, email: str, password: str, *, ip: str | None = None,
    request_id: str | None = None,
) -> tuple[str, User | None]:
    """Check credentials. Unknown e-mail and wrong password both give ``INVALID`` in the same
    time; a correct password on an unverified or suspended account says so. The password is
    checked before the write transaction opens: argon2 takes a tenth of a second, and every
    other writer would wait for it."""
    user = find_by_email(session, email)
    upgraded = None
    if user is None:
        passwords.burn_time_for_unknown_user(password)
        outcome = LoginOutcome.INVALID
    else:
        ok, upgraded = passwords.verify_password(user.password_hash, password)
        if not ok:
            outcome = LoginOutcome.INVALID
        elif user.status == UserStatus.PENDING:
            outcome = LoginOutcome.PENDING
        elif user.status == UserStatus.SUSPENDED:
            outcome = LoginOutcome.SUSPENDED
        else:
            outcome = LoginOutcome.OK
    checked = (user.password_hash, user.status) if user is not None else None
    begin_write(session)
    if user is not None:
        session.refresh(user)
        if (user.password_hash, user.status) != checked:
            # changed (a reset, a suspension) while the password was being checked
            outcome, upgraded = LoginOutcome.INVALID, None
    if user is not None and upgraded:
        user.password_hash = upgraded
    if user is not None and outcome == LoginOutcome.OK:
        user.last_login_at = utcnow()
    audit.record(
        session, "auth.login", actor_id=user.id if user else None,
        target=f"user:{user.id}" if user else None,
        outcome="ok" if outcome == LoginOutcome.OK else f"failed:{outcome}",
        ip=ip, request_id=request_id,
        details=None if user else {"email_hash": audit.pseudonym(normalise_email(email))},
    )
    session.commit()
    return outcome, (user if outcome == LoginOutcome.OK else None)


def end_all_sessions(session: Session, user: User) -> None:
    """Invalidate every session and remember cookie of ``user`` (logout, password change)."""
    begin_write(session)
    fresh = session.get(User, user.id, populate_existing=True)
    if fresh is None:
        raise NotFound(_("Account not found."))
    fresh.session_version += 1
    audit.record(session, "auth.logout", actor_id=fresh.id, target=f"user:{fresh.id}")
    session.commit()


def change_password(session: Session, user: User, current: str, new: str) -> User:
    ok, _upgraded = passwords.verify_password(user.password_hash, current)
    if not ok:
        raise ValidationFailed(_("Your current password is not correct."))
    check_password_rules(new)
    new_hash = passwords.hash_password(new)  # slow: before the write lock is taken
    begin_write(session)
    fresh = session.get(User, user.id, populate_existing=True)
    if fresh is None:
        raise NotFound(_("Account not found."))
    fresh.password_hash = new_hash
    fresh.session_version += 1
    audit.record(session, "account.password_change", actor_id=fresh.id, target=f"user:{fresh.id}")
    session.commit()
    return fresh


def update_profile(
    session: Session, user: User, *, name: str, language: Language, email_notifications: bool
) -> User:
    begin_write(session)
    fresh = session.get(User, user.id, populate_existing=True)
    if fresh is None:
        raise NotFound(_("Account not found."))
    fresh.name = name.strip()
    fresh.language = language
    fresh.email_notifications = email_notifications
    session.commit()
    return fresh


def set_language(session: Session, user: User, language: Language) -> None:
    begin_write(session)
    fresh = session.get(User, user.id, populate_existing=True)
    if fresh is not None:
        fresh.language = language
        session.commit()


@dataclass(frozen=True)
class PendingAccount:
    """An account waiting for verification, with what the coordinator needs to judge it:
    the organisation it belongs to (or asks to join) and who is already in it."""

    user: User
    organization: Organization | None
    join_request: OrganizationJoinRequest | None
    members: list[User]


def pending_accounts(session: Session) -> list[PendingAccount]:
    users = list(session.exec(
        select(User).where(User.status == UserStatus.PENDING).order_by(col(User.created_at))
    ).all())
    join_requests = {row.applicant.id: row for row in memberships.pending_requests(session)}
    org_ids = {u.organization_id for u in users if u.organization_id is not None}
    org_ids |= {row.organization.id for row in join_requests.values() if row.organization.id}
    orgs = {o.id: o for o in session.exec(
        select(Organization).where(col(Organization.id).in_(org_ids))).all()} if org_ids else {}
    members = memberships.members_by_organization(session, org_ids)
    pending = []
    for user in users:
        row = join_requests.get(user.id)
        org_id = row.organization.id if row else user.organization_id
        others = [m for m in members.get(org_id, []) if m.id != user.id] if org_id else []
        pending.append(PendingAccount(user, orgs.get(org_id), row.request if row else None,
                                      others))
    return pending


def _pending_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise NotFound(_("Account not found."))
    if user.status != UserStatus.PENDING:
        raise Conflict(_("This account has already been decided."))
    return user


def verify_account(session: Session, coordinator: User, user_id: int) -> User:
    """A coordinator activates a pending account."""
    begin_write(session)
    user = _pending_user(session, user_id)
    user.status = UserStatus.ACTIVE
    user.status_reason = None
    user.verified_at = utcnow()
    user.verified_by_id = coordinator.id
    audit.record(session, "account.verify", actor_id=coordinator.id, target=f"user:{user.id}")
    session.commit()
    return user


def reject_account(session: Session, coordinator: User, user_id: int, reason: str) -> User:
    """A coordinator refuses a pending account; the reason is kept and shown at login."""
    reason = reason.strip()
    if not 3 <= len(reason) <= 500:
        raise ValidationFailed(_("Give a reason of 3 to 500 characters."))
    begin_write(session)
    user = _pending_user(session, user_id)
    user.status = UserStatus.SUSPENDED
    user.status_reason = reason
    user.verified_by_id = coordinator.id
    audit.record(session, "account.reject", actor_id=coordinator.id, target=f"user:{user.id}",
                 details={"reason": reason})
    session.commit()
    return user
