"""Accounts: password storage, registration, verification by a coordinator, and the audit trail."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func
from sqlmodel import Session, select

from matchmaker.models import (
    Organization,
    OrganizationKind,
    Role,
    User,
    UserStatus,
)
from tests.factories import PASSWORD
from tests.security.support import argon2_params


@pytest.fixture
def db(engine):
    """Like conftest's ``db`` but without holding an app context open: with one open, every
    test-client request shares its ``g`` (CSRF token, current user, request id, db session)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _count(db, model) -> int:
    db.commit()  # end the read snapshot (SQLite WAL) so the app's commits are visible
    return db.exec(select(func.count()).select_from(model)).one()


def _fresh(db, user: User) -> User:
    db.commit()
    found = db.get(User, user.id, populate_existing=True)
    assert found is not None
    return found


def _by_email(db, email: str) -> User:
    db.commit()
    return db.exec(select(User).where(User.email == email)).one()


# --- password storage -------------------------------------------------------------------------


# --- registration ----------------------------------------------------------------------------


def _form(email: str, **values: str) -> dict[str, str]:
    form = {
        "name": "Siti Rahmawati", "email": email, "password": PASSWORD, "confirm": PASSWORD,
        "language": "id", "regency": "", "company": "",
    }
    form.update(values)
    return form


def _city_form(email: str, regency: str = "Kota Bandung, Jawa Barat", **values: str):
    return _form(email, role="city_official", regency=regency, **values)


def _vendor_form(email: str, company: str = "PT Kota Pintar Nusantara", **values: str):
    return _form(email, role="vendor", company=company, **values)


@pytest.mark.parametrize("regency", ["Kota Bandung, Jawa Barat", "Kota Bandung", "kota bandung"])
def test_a_city_official_registers_for_a_kabupaten_kota_and_waits(client, db, regency):
    response = client.post("/auth/register", data=_city_form("siti@bandung.go.id", regency))

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login")
    user = _by_email(db, "siti@bandung.go.id")
    assert user.status == UserStatus.PENDING
    assert user.role == Role.CITY_OFFICIAL
    org = db.get(Organization, user.organization_id)
    assert org is not None
    assert org.kind == OrganizationKind.CITY
    assert org.regency_code == "32.73"


def test_a_vendor_registers_with_a_company_and_waits(client, db):
    response = client.post("/auth/register", data=_vendor_form("Budi@Vendor.example"))

    assert response.status_code == 302
    user = _by_email(db, "budi@vendor.example")
    assert user.status == UserStatus.PENDING
    assert user.role == Role.VENDOR
    org = db.get(Organization, user.organization_id)
    assert org is not None
    assert (org.kind, org.name) == (OrganizationKind.VENDOR, "PT Kota Pintar Nusantara")


def test_the_flash_after_registration_says_verification_is_needed(client):
    response = client.post("/auth/register", data=_vendor_form("flash@vendor.example"),
                           follow_redirects=True)
    assert response.status_code == 200
    assert "verif" in response.get_data(as_text=True).lower()


def test_a_duplicate_email_in_another_case_saves_nothing_and_tells_the_owner(
    app, client, db, make
):
    make.user(role=Role.VENDOR, email="taken@example.com")
    users, orgs = _count(db, User), _count(db, Organization)

    response = client.post("/auth/register", data=_city_form("TAKEN@Example.Com"))

    assert response.status_code == 302  # the answer a new e-mail gets (no enumeration)
    assert (_count(db, User), _count(db, Organization)) == (users, orgs)
    sent = getattr(app.extensions["mailman"], "outbox", [])
    assert [message.to[0] for message in sent] == ["taken@example.com"]


BAD_INPUT = {
    "no role": ({"role": ""}, "required"),
    "bad e-mail": ({"email": "not-an-email"}, "email yang valid"),
    "short password": ({"password": "short", "confirm": "short"}, "12 sampai 128"),
    "passwords differ": ({"confirm": "another-long-password"}, "tidak cocok"),
    "no regency": ({"regency": ""}, "required"),
    "unknown regency": ({"regency": "Kota Atlantis, Samudra"}, "dari daftar"),
    "vendor without company": ({"role": "vendor", "company": ""}, "required"),
}


@pytest.mark.parametrize("change,message", BAD_INPUT.values(), ids=list(BAD_INPUT))
def test_bad_registration_input_gives_422_with_a_message_and_saves_nothing(
    client, db, change, message
):
    form = {**_city_form("bad@example.com"), **change}
    orgs = _count(db, Organization)

    response = client.post("/auth/register", data=form)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(db, User) == 0
    assert _count(db, Organization) == orgs


def test_registering_as_coordinator_is_not_possible(client, db):
    response = client.post("/auth/register",
                           data=_form("boss@example.com", role="coordinator"))
    assert response.status_code == 422
    assert _count(db, User) == 0


# --- verification ----------------------------------------------------------------------------


def _register_vendor(client, db, email: str = "pending@vendor.example") -> User:
    assert client.post("/auth/register", data=_vendor_form(email)).status_code == 302
    return _by_email(db, email)


def _coordinator_client(app, make):
    coordinator = make.user(role=Role.COORDINATOR)
    client = app.test_client()
    response = client.post("/auth/login", data={"email": coordinator.email,
                                               "password": PASSWORD})
    assert response.status_code == 302
    return client, coordinator


def test_a_pending_account_cannot_log_in_and_is_told_why(client, db, auth):
    user = _register_vendor(client, db)

    response = auth.login(user.email)

    assert response.status_code == 200
    assert "menunggu verifikasi" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_a_pending_account_with_a_wrong_password_gets_the_generic_message(client, db, auth):
    user = _register_vendor(client, db)

    body = auth.login(user.email, "wrong-password-123").get_data(as_text=True)

    assert "menunggu verifikasi" not in body
    assert "kata sandi salah" in body


def test_a_coordinator_verifies_an_account_which_can_then_log_in(app, client, db, auth, make):
    user = _register_vendor(client, db)
    coordinator_client, coordinator = _coordinator_client(app, make)

    listing = coordinator_client.get("/coordinator/accounts")
    assert listing.status_code == 200
    assert user.email in listing.get_data(as_text=True)

    response = coordinator_client.post(f"/coordinator/accounts/{user.id}/verify", data={})
    assert response.status_code == 302

    verified = _fresh(db, user)
    assert verified.status == UserStatus.ACTIVE
    assert verified.verified_by_id == coordinator.id
    assert verified.verified_at is not None
    login = auth.login(user.email)
    assert login.status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_verifying_an_account_twice_is_a_409(app, client, db, make):
    user = _register_vendor(client, db)
    coordinator_client, _ = _coordinator_client(app, make)
    url = f"/coordinator/accounts/{user.id}/verify"

    assert coordinator_client.post(url, data={}).status_code == 302
    again = coordinator_client.post(url, data={})

    assert again.status_code == 409
    assert _fresh(db, user).status == UserStatus.ACTIVE


def test_verifying_an_unknown_account_is_a_404(app, make):
    coordinator_client, _ = _coordinator_client(app, make)
    assert coordinator_client.post("/coordinator/accounts/999999/verify",
                                   data={}).status_code == 404


def test_a_rejected_account_is_suspended_keeps_the_reason_and_cannot_log_in(
    app, client, db, auth, make
):
    user = _register_vendor(client, db)
    coordinator_client, coordinator = _coordinator_client(app, make)
    reason = "Perusahaan tidak terdaftar di OSS"

    response = coordinator_client.post(f"/coordinator/accounts/{user.id}/reject",
                                       data={"reason": reason})

    assert response.status_code == 302
    rejected = _fresh(db, user)
    assert rejected.status == UserStatus.SUSPENDED
    assert rejected.status_reason == reason
    assert rejected.verified_by_id == coordinator.id
    login = auth.login(user.email)
    assert login.status_code == 200
    assert "tidak aktif" in login.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_rejecting_without_a_reason_is_a_422_and_changes_nothing(app, client, db, make):
    user = _register_vendor(client, db)
    coordinator_client, _ = _coordinator_client(app, make)

    response = coordinator_client.post(f"/coordinator/accounts/{user.id}/reject",
                                       data={"reason": ""})

    assert response.status_code == 422
    assert _fresh(db, user).status == UserStatus.PENDING


@pytest.mark.parametrize("role", [Role.CITY_OFFICIAL, Role.VENDOR])
def test_non_coordinators_get_403_on_coordinator_pages(client, db, auth, make, role):
    pending = make.user(role=Role.VENDOR, status=UserStatus.PENDING)
    user = make.user(role=role)
    assert auth.login(user.email).status_code == 302

    assert client.get("/coordinator/accounts").status_code == 403
    assert client.post(f"/coordinator/accounts/{pending.id}/verify", data={}).status_code == 403
    assert client.post(f"/coordinator/accounts/{pending.id}/reject",
                       data={"reason": "nope nope"}).status_code == 403
    assert _fresh(db, pending).status == UserStatus.PENDING


@pytest.mark.parametrize("role", [Role.CITY_OFFICIAL, Role.VENDOR])
def test_every_coordinator_route_answers_403_to_other_roles(app, client, auth, make, role):
    """Walks ``app.url_map``, so a coordinator page added later is covered too."""
    auth.login(make.user(role=role).email)
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/coordinator/")]
    assert rules
    for rule in rules:
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:[^:<>]+:)?{name}>", "1", url)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method == "POST":
                response = client.post(url, data={"reason": "abc"})
            else:
                response = client.open(url, method=method)
            assert response.status_code == 403, (method, url)


def test_an_admin_may_verify_accounts(client, db, auth, make):
    pending = make.user(role=Role.VENDOR, status=UserStatus.PENDING)
    admin = make.user(role=Role.ADMIN)
    auth.login(admin.email)
    assert client.post(f"/coordinator/accounts/{pending.id}/verify", data={}).status_code == 302
    assert _fresh(db, pending).status == UserStatus.ACTIVE


def test_anonymous_visitors_are_sent_to_login_from_coordinator_pages(client):
    response = client.get("/coordinator/accounts")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


# --- audit -----------------------------------------------------------------------------------


def test_login_of_a_rejected_account_tells_the_reason(client, auth, make, db):
    user = make.user("vendor", status="suspended", status_reason="Bukan perusahaan terdaftar")
    body = auth.login(user.email).get_data(as_text=True)
    assert "Bukan perusahaan terdaftar" in body
    wrong = auth.login(user.email, "not-the-password").get_data(as_text=True)
    assert "Bukan perusahaan terdaftar" not in wrong


def test_registration_stores_an_argon2id_hash_with_default_parameters(client, db):
    response = client.post("/auth/register", data=_vendor_form("hash@example.com"))
    assert response.status_code == 302
    user = _by_email(db, "hash@example.com")
    assert user.password_hash.startswith("$argon2id$v=19$")
    assert PASSWORD not in user.password_hash
    defaults = PasswordHasher()
    assert argon2_params(user.password_hash) == {
        "m": defaults.memory_cost, "t": defaults.time_cost, "p": defaults.parallelism,
    }
