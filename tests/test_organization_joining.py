"""Registering into an organisation that already has verified members opens a join request:
no membership and no access to its postings until a verified member accepts it; outsiders
cannot decide, a second decision is a 409, and the coordinator sees who is already there."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from matchmaker.models import (
    AuditEvent,
    JoinRequestStatus,
    Notification,
    Organization,
    OrganizationJoinRequest,
    OrganizationKind,
    Role,
    User,
)
from tests.factories import PASSWORD


@pytest.fixture
def db(engine):
    """A session with no app context held open (see tests/test_accounts.py)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _form(email: str, **values: str) -> dict[str, str]:
    return {"name": "Rina Applicant", "email": email, "password": PASSWORD,
            "confirm": PASSWORD, "language": "id", "regency": "", "company": "", **values}


def _by_email(db, email: str) -> User:
    db.commit()
    return db.exec(select(User).where(User.email == email)).one()


def _request_of(db, user: User) -> OrganizationJoinRequest:
    db.commit()
    return db.exec(select(OrganizationJoinRequest)
                   .where(OrganizationJoinRequest.user_id == user.id)).one()


def _mail_to(app) -> list[str]:
    return [message.to[0] for message in getattr(app.extensions["mailman"], "outbox", [])]


@pytest.fixture
def vendor_org(make):
    org = make.org(OrganizationKind.VENDOR, name="PT Kota Pintar Nusantara")
    member = make.user(Role.VENDOR, organization=org, email="boss@kotapintar.example",
                       name="Bu Direktur")
    return org, member


def _assert_left_out(db, request: OrganizationJoinRequest, status: str) -> None:
    """The request is in ``status`` and its applicant still belongs to no organisation."""
    db.commit()
    assert db.get(OrganizationJoinRequest, request.id, populate_existing=True).status == status
    assert db.get(User, request.user_id, populate_existing=True).organization_id is None


def test_registering_under_an_existing_vendor_name_in_another_case_asks_its_members(
    app, client, db, vendor_org
):
    org, member = vendor_org
    response = client.post("/auth/register", data=_form(
        "rina@elsewhere.example", role="vendor", company="  pt KOTA pintar nusantara "))

    assert response.status_code == 302
    applicant = _by_email(db, "rina@elsewhere.example")
    assert applicant.organization_id is None
    request = _request_of(db, applicant)
    assert (request.organization_id, request.status) == (org.id, JoinRequestStatus.PENDING)
    assert db.exec(select(func.count()).select_from(Organization)
                   .where(Organization.kind == OrganizationKind.VENDOR)).one() == 1
    notice = db.exec(select(Notification).where(Notification.user_id == member.id)).one()
    assert (notice.kind, notice.join_request_id, notice.match_id) == (
        "join_requested", request.id, None)
    assert "boss@kotapintar.example" in _mail_to(app)


def test_a_city_official_for_a_regency_with_accounts_asks_to_join(client, db, make):
    regency = make.regency("Kota Bandung")
    org = make.org(OrganizationKind.CITY, regency_code=regency.code)
    make.user(Role.CITY_OFFICIAL, organization=org)

    response = client.post("/auth/register", data=_form(
        "staf@bandung.go.id", role="city_official", regency="Kota Bandung, Jawa Barat"))

    assert response.status_code == 302
    applicant = _by_email(db, "staf@bandung.go.id")
    assert applicant.organization_id is None
    assert _request_of(db, applicant).organization_id == org.id


def test_an_organisation_without_verified_members_is_joined_as_today(client, db, make):
    org = make.org(OrganizationKind.VENDOR, name="PT Baru")
    make.user(Role.VENDOR, organization=org, status="pending")

    client.post("/auth/register", data=_form("second@baru.example", role="vendor",
                                             company="PT Baru"))

    applicant = _by_email(db, "second@baru.example")
    assert applicant.organization_id == org.id
    assert db.exec(select(func.count()).select_from(OrganizationJoinRequest)).one() == 0


def test_a_waiting_account_cannot_touch_the_organisations_postings(client, auth, db, make,
                                                                  vendor_org):
    org, _member = vendor_org
    offer = make.offer(org)
    waiting = make.join_request(org)
    applicant = db.get(User, waiting.user_id)
    assert auth.login(applicant.email).status_code == 302

    assert client.get(f"/offers/{offer.id}/edit").status_code == 403
    assert client.post(f"/offers/{offer.id}/archive").status_code == 403
    assert client.get("/offers/mine").status_code == 403
    assert client.get("/offers/new").status_code == 403
    page = client.get("/dashboard").get_data(as_text=True)
    assert "PT Kota Pintar Nusantara" in page
    assert "menunggu" in page  # "waiting for its members' approval", in Indonesian


def test_members_see_the_request_and_accepting_it_makes_the_account_a_member(
    app, client, auth, db, make, vendor_org
):
    org, member = vendor_org
    request = make.join_request(org)
    applicant = db.get(User, request.user_id)
    auth.login(member.email)

    page = client.get("/organization/").get_data(as_text=True)
    assert applicant.name in page and applicant.email in page

    response = client.post(f"/organization/requests/{request.id}/approve")

    assert response.status_code == 302
    db.commit()
    assert db.get(User, applicant.id, populate_existing=True).organization_id == org.id
    decided = db.get(OrganizationJoinRequest, request.id, populate_existing=True)
    assert (decided.status, decided.decided_by_id) == (JoinRequestStatus.APPROVED, member.id)
    assert applicant.email in _mail_to(app)
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "organization.join_decide",
                                            AuditEvent.actor_id == member.id)).first()


def test_declining_keeps_the_account_out_and_tells_the_applicant(app, client, auth, db, make,
                                                                 vendor_org):
    org, member = vendor_org
    request = make.join_request(org)
    applicant = db.get(User, request.user_id)
    auth.login(member.email)

    assert client.post(f"/organization/requests/{request.id}/decline").status_code == 302

    db.commit()
    assert db.get(User, applicant.id, populate_existing=True).organization_id is None
    assert db.get(OrganizationJoinRequest, request.id,
                  populate_existing=True).status == JoinRequestStatus.DECLINED
    notice = db.exec(select(Notification).where(Notification.user_id == applicant.id)).one()
    assert notice.kind == "join_declined"
    assert applicant.email in _mail_to(app)
    auth.logout()
    auth.login(applicant.email)
    assert "menolak" in client.get("/dashboard").get_data(as_text=True)  # "declined"


@pytest.mark.parametrize("outsider", ["other vendor", "city", "pending member"])
def test_only_verified_members_of_that_organisation_decide(client, auth, db, make, vendor_org,
                                                           outsider):
    org, _member = vendor_org
    request = make.join_request(org)
    person = {
        "other vendor": lambda: make.user(Role.VENDOR),
        "city": lambda: make.user(Role.CITY_OFFICIAL),
        # a member who is not verified yet cannot log in at all
        "pending member": lambda: make.user(Role.VENDOR, organization=org, status="pending"),
    }[outsider]()
    login = auth.login(person.email)

    response = client.post(f"/organization/requests/{request.id}/approve")

    expected = 403 if login.status_code == 302 else 302  # not logged in: sent to login
    assert response.status_code == expected
    _assert_left_out(db, request, JoinRequestStatus.PENDING)


def test_deciding_an_unknown_request_is_404_and_a_second_decision_409(client, auth, db, make,
                                                                     vendor_org):
    org, member = vendor_org
    request = make.join_request(org)
    auth.login(member.email)

    assert client.post("/organization/requests/999999/approve").status_code == 404
    assert client.post(f"/organization/requests/{request.id}/maybe").status_code == 404
    assert client.post(f"/organization/requests/{request.id}/decline").status_code == 302
    again = client.post(f"/organization/requests/{request.id}/approve")

    assert again.status_code == 409
    _assert_left_out(db, request, JoinRequestStatus.DECLINED)


def test_the_applicant_notification_opens_the_organisation_page(client, auth, db, make,
                                                                vendor_org):
    org, member = vendor_org
    request = make.join_request(org)
    auth.login(member.email)
    client.post(f"/organization/requests/{request.id}/approve")
    auth.logout()
    applicant = db.get(User, request.user_id)
    auth.login(applicant.email)
    db.commit()
    notice = db.exec(select(Notification).where(Notification.user_id == applicant.id)).one()

    assert "PT Kota Pintar Nusantara" in client.get("/notifications/").get_data(as_text=True)
    response = client.post(f"/notifications/{notice.id}")
    assert response.headers["Location"].endswith("/organization/")
    assert "PT Kota Pintar Nusantara" in client.get("/organization/").get_data(as_text=True)


def test_the_coordinator_screen_names_existing_members_and_join_requests(
    client, auth, db, make, vendor_org
):
    _org, member = vendor_org
    client.post("/auth/register", data=_form("rina@elsewhere.example", role="vendor",
                                             company="PT Kota Pintar Nusantara"))
    fresh = make.org(OrganizationKind.VENDOR, name="PT Sendiri")
    lone = make.user(Role.VENDOR, organization=fresh, status="pending")
    coordinator = make.user(Role.COORDINATOR)
    auth.login(coordinator.email)

    page = client.get("/coordinator/accounts").get_data(as_text=True)

    assert "rina@elsewhere.example" in page
    assert member.name in page and member.email in page
    assert lone.email in page and "PT Sendiri" in page
    assert "Permintaan bergabung" in page  # the join requests section, in Indonesian
