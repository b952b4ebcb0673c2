"""Factories that build valid rows with sensible defaults; tests override what they care about."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session, select

from matchmaker import passwords
from matchmaker.db import begin_write
from matchmaker.models import Organization, OrganizationKind, Regency, Role, User, UserStatus

PASSWORD = "correct-horse-battery"
_HASH = passwords.hash_password(PASSWORD)
_counter = itertools.count(1)

ROLE_ORG_KIND = {
    Role.CITY_OFFICIAL: OrganizationKind.CITY,
    Role.VENDOR: OrganizationKind.VENDOR,
    Role.COORDINATOR: OrganizationKind.COORDINATION,
    Role.ADMIN: OrganizationKind.COORDINATION,
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
        organization: Organization | None = None, **values: Any,
    ) -> User:
        n = next(_counter)
        if organization is None:
            organization = self.org(ROLE_ORG_KIND[Role(role)])
        begin_write(self.session)
        user = User(
            email=values.pop("email", f"user{n}@example.test"),
            name=values.pop("name", f"User {n}"),
            role=role, status=status, organization_id=organization.id,
            password_hash=values.pop("password_hash", _HASH), **values,
        )
        self.session.add(user)
        self.session.commit()
        return user
