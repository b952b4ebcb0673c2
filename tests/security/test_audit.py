"""Audit: logins, failed logins, refusals, 429s and match transitions are recorded with time,
actor, action, target, outcome, address and request id, and no secrets."""

from __future__ import annotations

from sqlmodel import select

from matchmaker.models import (
    AuditEvent,
    Organization,
)
from tests.factories import PASSWORD


def test_match_transitions_are_audited_with_address_and_request_id(client, auth, make, db):
    city = make.user("city_official")
    match = make.match(make.need(db.get(Organization, city.organization_id)), make.offer())
    auth.login(city.email)
    response = client.post(f"/matches/{match.id}/accept", data={"version": "1"},
                           headers={"X-Request-ID": "probe-request-0001"},
                           environ_base={"REMOTE_ADDR": "10.20.30.40"})
    assert response.status_code == 302
    db.rollback()
    row = db.exec(select(AuditEvent).where(AuditEvent.action == "match.accept")).one()
    assert (row.ip, row.request_id, row.actor_id) == ("10.20.30.40", "probe-request-0001",
                                                      city.id)


def test_a_failed_login_of_an_unknown_email_records_it_hashed(client, db):
    client.post("/auth/login", data={"email": "Nobody@Example.test", "password": "x" * 12})
    db.rollback()
    row = db.exec(select(AuditEvent).where(AuditEvent.action == "auth.login")).one()
    assert row.outcome == "failed:invalid"
    email_hash = row.details["email_hash"]
    assert len(email_hash) == 32 and "nobody" not in str(row.details).casefold()
    client.post("/auth/login", data={"email": "nobody@example.test", "password": "y" * 12})
    db.rollback()
    hashes = {r.details["email_hash"] for r in db.exec(select(AuditEvent).where(
        AuditEvent.action == "auth.login"))}
    assert hashes == {email_hash}  # the same address, however written, links up


def test_rate_limited_requests_are_audited(client, make, db):
    user = make.user()
    for n in range(11):
        client.post("/auth/login", data={"email": user.email, "password": f"wrong-{n}"})
    db.rollback()
    limited = db.exec(select(AuditEvent).where(AuditEvent.action == "rate.limited")).all()
    assert [(e.outcome, e.target) for e in limited] == [("limited", "POST /auth/login")]


def _login_events(db) -> list[AuditEvent]:
    db.commit()
    return list(db.exec(select(AuditEvent).where(AuditEvent.action == "auth.login")
                        .order_by(AuditEvent.id)).all())  # type: ignore[arg-type]


def _as_text(event: AuditEvent) -> str:
    return " ".join(str(value) for value in event.model_dump().values())


def test_logins_and_failed_logins_are_audited_without_the_password(auth, client, db, make):
    user = make.user(email="audit@example.com")
    wrong = "Wrong-Secret-Passphrase-42"

    auth.login(user.email, wrong)
    auth.login("nobody@example.com", wrong)
    auth.login(user.email)

    events = _login_events(db)
    assert [(e.actor_id, e.outcome) for e in events] == [
        (user.id, "failed:invalid"), (None, "failed:invalid"), (user.id, "ok"),
    ]
    for event in events:
        assert event.at is not None
        assert event.request_id
        text = _as_text(event)
        assert wrong not in text
        assert PASSWORD not in text
        assert "argon2" not in text


def test_refused_requests_are_audited(client, auth, make, db):
    from sqlmodel import select

    from matchmaker.models import AuditEvent

    vendor = make.user("vendor")
    auth.login(vendor.email)
    assert client.get("/coordinator/accounts").status_code == 403
    db.commit()
    rows = db.exec(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert [(r.actor_id, r.target, r.outcome) for r in rows] == [
        (vendor.id, "GET /coordinator/accounts", "denied")]


def test_a_refused_write_is_audited_too(client, auth, make, db):
    """The refusal ends the request's write transaction before auditing (SQLite would
    otherwise wait on its own lock and lose the audit row)."""
    from sqlmodel import select

    from matchmaker.models import AuditEvent, Organization

    owner, other = make.user("city_official"), make.user("city_official")
    need = make.need(db.get(Organization, owner.organization_id))
    auth.login(other.email)
    assert client.post(f"/needs/{need.id}/close").status_code == 403
    db.commit()
    rows = db.exec(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert [(r.actor_id, r.target) for r in rows] == [(other.id, f"POST /needs/{need.id}/close")]


def test_a_pending_account_login_is_audited_as_failed(client, db, auth, make):
    user = make.user("vendor", status="pending")
    auth.login(user.email)
    assert [(e.actor_id, e.outcome) for e in _login_events(db)] == [(user.id, "failed:pending")]
