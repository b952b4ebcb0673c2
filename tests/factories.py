"""Factories that build valid rows with sensible defaults; tests override what they care about."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session, select

from matchmaker import passwords
from matchmaker.db import begin_write
from matchmaker.models import (
    JoinRequestStatus,
    Match,
    MatchEvent,
    Need,
    NeedInput,
    NeedStatus,
    Offer,
    OfferInput,
    OfferStatus,
    Organization,
    OrganizationJoinRequest,
    OrganizationKind,
    Regency,
    Role,
    User,
    UserStatus,
)
from matchmaker.services import needs, offers

PASSWORD = "correct-horse-battery"
_HASH = passwords.hash_password(PASSWORD)
_counter = itertools.count(1)

ROLE_ORG_KIND = {
    Role.CITY_OFFICIAL: OrganizationKind.CITY,
    Role.VENDOR: OrganizationKind.VENDOR,
    Role.COORDINATOR: OrganizationKind.COORDINATION,
    Role.ADMIN: OrganizationKind.COORDINATION,
}

NEED_DEFAULTS: dict[str, Any] = {
    "title": "Smart street lighting",
    "description": "We need connected LED street lights with remote dimming for the city.",
    "dimension": "environment", "tags": ["lighting", "energy"], "budget_min": 100_000_000,
    "budget_max": 500_000_000, "stage": "short_term",
}
OFFER_DEFAULTS: dict[str, Any] = {
    "title": "Connected LED street lights",
    "description": "Street lights with remote dimming and fault alerts, deployed nationwide.",
    "dimension": "environment", "tags": ["lighting", "iot"], "price_min": 50_000_000,
    "price_max": 300_000_000, "maturity": "proven",
}


class Factory:
    def __init__(self, session: Session) -> None:
        self.session = session

    def regency(self, name: str | None = None) -> Regency:
        query = select(Regency).order_by(Regency.code)  # type: ignore[arg-type]
        if name:
            query = select(Regency).where(Regency.name == name)
        found = self.session.exec(query.offset(0 if name else next(_counter) % 500)).first()
        assert found is not None, f"no regency {name!r}"
        return found

    def org(self, kind: str = OrganizationKind.VENDOR, **values: Any) -> Organization:
        n = next(_counter)
        if kind == OrganizationKind.CITY and "regency_code" not in values:
            values["regency_code"] = self._free_regency().code
        begin_write(self.session)
        org = Organization(kind=kind, name=values.pop("name", f"Organisation {n}"), **values)
        self.session.add(org)
        self.session.commit()
        return org

    def _free_regency(self) -> Regency:
        taken = set(self.session.exec(select(Organization.regency_code)).all())
        for regency in self.session.exec(select(Regency).order_by(Regency.code)).all():  # type: ignore[arg-type]
            if regency.code not in taken:
                return regency
        raise AssertionError("no free regency left")

    def user(
        self, role: str = Role.CITY_OFFICIAL, *, status: str = UserStatus.ACTIVE,
        organization: Organization | None = None, member: bool = True, **values: Any,
    ) -> User:
        """An account of ``organization`` (a new one by default); ``member=False`` makes one
        that belongs to no organisation (say, one waiting for a join request)."""
        n = next(_counter)
        if organization is None and member:
            organization = self.org(ROLE_ORG_KIND[Role(role)])
        begin_write(self.session)
        user = User(
            email=values.pop("email", f"user{n}@example.test"),
            name=values.pop("name", f"User {n}"),
            role=role, status=status,
            organization_id=organization.id if organization and member else None,
            password_hash=values.pop("password_hash", _HASH), **values,
        )
        self.session.add(user)
        self.session.commit()
        return user

    def join_request(self, organization: Organization, user: User | None = None, *,
                     status: str = JoinRequestStatus.PENDING, **values: Any,
                     ) -> OrganizationJoinRequest:
        """A request to join ``organization``, by a new verified account outside it unless
        ``user`` is given."""
        if user is None:
            role = Role.CITY_OFFICIAL if organization.kind == OrganizationKind.CITY else Role.VENDOR
            user = self.user(role, member=False)
        begin_write(self.session)
        assert user.id is not None and organization.id is not None
        request = OrganizationJoinRequest(user_id=user.id, organization_id=organization.id,
                                          status=status, **values)
        self.session.add(request)
        self.session.commit()
        return request

    def need(self, organization: Organization | None = None, *,
             status: str = NeedStatus.OPEN, **values: Any) -> Need:
        """A need of ``organization`` (a new city by default), valid unless overridden."""
        organization = organization or self.org(OrganizationKind.CITY)
        data = NeedInput.model_validate({**NEED_DEFAULTS, **values})
        begin_write(self.session)
        assert organization.id is not None
        need = needs.new_need(self.session, organization.id, data, status)
        self.session.commit()
        return need

    def offer(self, organization: Organization | None = None, *,
              status: str = OfferStatus.PUBLISHED, **values: Any) -> Offer:
        """An offer of ``organization`` (a new vendor by default), national unless told."""
        organization = organization or self.org(OrganizationKind.VENDOR)
        data = OfferInput.model_validate({**OFFER_DEFAULTS, **values})
        begin_write(self.session)
        assert organization.id is not None
        offer = offers.new_offer(self.session, organization.id, data, status)
        self.session.commit()
        return offer

    def match(self, need: Need, offer: Offer, *, state: str = "proposed",
              score: float = 75.0, **values: Any) -> Match:
        """A stored proposal between ``need`` and ``offer`` with a small explanation."""
        begin_write(self.session)
        assert need.id is not None and offer.id is not None
        match = Match(
            need_id=need.id, offer_id=offer.id, state=state, score=score,
            components={"concepts": score * 0.6, "region": score * 0.4},
            explanation={"shared_concepts": [], "flags": []},
            engine_version="test", glossary_version="test", **values,
        )
        self.session.add(match)
        self.session.flush()
        self.session.add(MatchEvent(match_id=match.id, actor_side="engine", action="propose",
                                    to_state=state))
        self.session.commit()
        return match
