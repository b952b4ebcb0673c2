"""Who is told what about a match: in-app notifications per transition (and nobody outside
the match), the bell's unread count, mark all read, opening one; e-mail through the outbox,
the per-user opt-out, and a failing mail server that never undoes a transition."""

from __future__ import annotations

import logging
import smtplib

import pytest
from flask_mailman.backends.locmem import EmailBackend as LocmemEmailBackend
from sqlalchemy import event
from sqlmodel import select

from matchmaker.app import create_app
from matchmaker.db import begin_write, get_engine, get_session
from matchmaker.models import (
    Match,
    Notification,
    Organization,
    OutboundEmail,
    User,
)
from matchmaker.services import matching, notifications, workflow
from tests.conftest import test_config


class FailingEmailBackend(LocmemEmailBackend):
    """The locmem backend, refusing the next ``failures`` sends like a mail server that is down."""

    failures = 0

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        if FailingEmailBackend.failures > 0:
            FailingEmailBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("mail server went away")
        return super().send_messages(messages)


BACKEND_PATH = f"{__name__}.FailingEmailBackend"


@pytest.fixture(autouse=True)
def _sync_mail(app):
    app.config["MAIL_ASYNC"] = False


@pytest.fixture
def people(make, db):
    city = make.user("city_official", email="kominfo@kota.example.test")
    city_org = db.get(Organization, city.organization_id)
    vendor = make.user("vendor", email="sales@vendor.example.test")
    vendor_org = db.get(Organization, vendor.organization_id)
    return {
        "city": city, "city2": make.user("city_official", organization=city_org),
        "vendor": vendor, "vendor2": make.user("vendor", organization=vendor_org),
        "coordinator": make.user("coordinator"),
        "pending_city": make.user("city_official", organization=city_org, status="pending"),
        "other_city": make.user("city_official"), "other_vendor": make.user("vendor"),
        "need": make.need(city_org, title="Penerangan jalan umum (PJU) pintar"),
        "offer": make.offer(vendor_org, title="Kontroler PJU pintar LoRaWAN"),
    }


def _received(db, people) -> dict[str, list[str]]:
    """name -> the kinds of notifications that person has, oldest first."""
    db.rollback()
    db.expire_all()
    by_user = {user.id: name for name, user in people.items() if isinstance(user, User)}
    received: dict[str, list[str]] = {name: [] for name in by_user.values()}
    for item in db.exec(select(Notification).order_by(Notification.id)).all():
        received[by_user[item.user_id]].append(item.kind)
    return {name: kinds for name, kinds in received.items() if kinds}


def _mailbox(app) -> list[str]:
    return [message.to[0] for message in getattr(app.extensions["mailman"], "outbox", [])]


@pytest.mark.parametrize(("steps", "expected"), [
    ([("city", "accept")], {"vendor": ["city_accepted"], "vendor2": ["city_accepted"]}),
    ([("vendor", "accept")], {"city": ["vendor_accepted"], "city2": ["vendor_accepted"]}),
    ([("city", "decline")], {"vendor": ["city_declined"], "vendor2": ["city_declined"]}),
    ([("vendor", "decline")], {"city": ["vendor_declined"], "city2": ["vendor_declined"]}),
    ([("vendor", "withdraw")], {"city": ["withdrawn"], "city2": ["withdrawn"]}),
    ([("city", "accept"), ("vendor", "accept")],
     {"vendor": ["city_accepted"], "vendor2": ["city_accepted"],
      "city": ["vendor_accepted"], "city2": ["vendor_accepted"],
      "coordinator": ["confirmed"]}),
    ([("city", "accept"), ("vendor", "accept"), ("coordinator", "approve")],
     {"vendor": ["city_accepted", "approved"], "vendor2": ["city_accepted", "approved"],
      "city": ["vendor_accepted", "approved"], "city2": ["vendor_accepted", "approved"],
      "coordinator": ["confirmed"]}),
    ([("vendor", "accept"), ("city", "accept"), ("coordinator", "reject")],
     {"city": ["vendor_accepted", "rejected"], "city2": ["vendor_accepted", "rejected"],
      "vendor": ["city_accepted", "rejected"], "vendor2": ["city_accepted", "rejected"],
      "coordinator": ["confirmed"]}),
])
def test_each_transition_notifies_the_right_people(app, app_ctx, make, db, people, steps,
                                                   expected):
    match = make.match(people["need"], people["offer"])
    for actor, action in steps:
        workflow.transition(get_session(), people[actor], match.id, action,
                            reason="Tidak ada anggaran" if action == "reject" else None)
    assert _received(db, people) == expected
    notified = {people[name].email for name in expected}
    assert sorted(_mailbox(app)) == sorted(
        people[name].email for name, kinds in expected.items() for _kind in kinds)
    assert set(_mailbox(app)) == notified  # never an outsider, a pending account, the actor


def test_new_proposals_above_the_threshold_notify_both_sides(app, app_ctx, db, people):
    app.config.update(MATCH_MIN_SCORE=30, PROPOSAL_NOTIFY_MIN=50)
    report = matching.rematch_all(get_session())
    assert report.proposed == 1 and report.notified == 4
    assert _received(db, people) == {name: ["proposed"] for name in
                                     ("city", "city2", "vendor", "vendor2")}
    db.rollback()
    match_id = db.exec(select(Match.id)).one()
    assert {n.match_id for n in db.exec(select(Notification)).all()} == {match_id}
    matching.rematch_all(get_session())  # a re-run tells nobody again
    assert len(db.exec(select(Notification)).all()) == 4


def test_proposals_below_the_threshold_are_silent(app, app_ctx, db, people):
    app.config.update(MATCH_MIN_SCORE=30, PROPOSAL_NOTIFY_MIN=100.5)
    assert matching.rematch_all(get_session()).proposed == 1
    assert _received(db, people) == {}
    assert _mailbox(app) == []


def _login(client, auth, user):
    auth.logout()
    assert auth.login(user.email).status_code == 302


def _bell(client) -> str | None:
    page = client.get("/dashboard").get_data(as_text=True)
    marker = 'data-unread="'
    if marker not in page:
        return None
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


def test_bell_counts_unread_and_mark_all_read_clears_it(client, auth, make, db, people):
    match = make.match(people["need"], people["offer"])
    for kind in ("proposed", "vendor_accepted", "withdrawn"):
        db.add(Notification(user_id=people["city"].id, match_id=match.id, kind=kind))
    db.add(Notification(user_id=people["city2"].id, match_id=match.id, kind="proposed"))
    db.commit()
    _login(client, auth, people["city"])
    assert _bell(client) == "3"
    page = client.get("/notifications/").get_data(as_text=True)
    items = [n.id for n in db.exec(select(Notification).where(
        Notification.user_id == people["city"].id)).all()]
    assert all(f'action="/notifications/{item}"' in page for item in items)
    assert 'action="/notifications/read-all"' in page
    assert client.post("/notifications/read-all").status_code == 302
    assert _bell(client) is None
    db.rollback()
    unread = db.exec(select(Notification).where(Notification.read_at.is_(None))).all()
    assert [n.user_id for n in unread] == [people["city2"].id]  # only one's own


def test_opening_a_notification_marks_it_read_and_shows_its_match(client, auth, make, db,
                                                                   people):
    match = make.match(people["need"], people["offer"])
    mine = Notification(user_id=people["vendor"].id, match_id=match.id, kind="city_accepted")
    other = Notification(user_id=people["vendor"].id, match_id=match.id, kind="proposed")
    db.add_all([mine, other])
    db.commit()
    _login(client, auth, people["vendor"])
    assert client.get(f"/notifications/{mine.id}").status_code == 405  # a GET never writes
    response = client.post(f"/notifications/{mine.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/matches/{match.id}")
    db.rollback()
    db.expire_all()
    assert db.get(Notification, mine.id).read_at is not None
    assert db.get(Notification, other.id).read_at is None
    assert _bell(client) == "1"


def test_someone_elses_notification_is_404_and_stays_unread(client, auth, make, db, people):
    match = make.match(people["need"], people["offer"])
    item = Notification(user_id=people["city"].id, match_id=match.id, kind="proposed")
    db.add(item)
    db.commit()
    for name in ("city2", "other_city"):
        _login(client, auth, people[name])
        assert client.post(f"/notifications/{item.id}").status_code == 404
    db.rollback()
    db.expire_all()
    assert db.get(Notification, item.id).read_at is None


def test_e_mail_is_sent_through_the_outbox(app, app_ctx, make, db, people):
    match = make.match(people["need"], people["offer"])
    workflow.transition(get_session(), people["city"], match.id, "accept")
    db.rollback()
    rows = db.exec(select(OutboundEmail).order_by(OutboundEmail.to)).all()
    assert [(r.to, r.status, r.attempts) for r in rows] == [
        (people["vendor"].email, "sent", 1), (people["vendor2"].email, "sent", 1)]
    message = app.extensions["mailman"].outbox[0]
    assert message.subject.startswith("[Sinergi] ")
    assert f"/matches/{match.id}" in message.body


def test_a_delivery_pass_claims_its_e_mails_in_one_write_transaction(app, app_ctx, db):
    """Not one transaction per e-mail: under load each of them waits for the write lock."""
    session = get_session()
    begin_write(session)
    for n in range(30):
        notifications.queue_email(session, f"person{n}@example.com", "Halo", "Isi")
    session.commit()
    transactions = []
    listener = lambda conn: transactions.append(conn)  # noqa: E731
    event.listen(get_engine(app), "begin", listener)
    try:
        assert notifications.deliver_outbox(app) == (30, 0)
    finally:
        event.remove(get_engine(app), "begin", listener)
    assert len(transactions) == 1
    assert len(app.extensions["mailman"].outbox) == 30
    db.rollback()
    assert {row.status for row in db.exec(select(OutboundEmail))} == {"sent"}


def test_no_e_mail_for_users_who_turned_it_off(app, app_ctx, make, db, people):
    quiet = db.get(User, people["vendor2"].id)
    quiet.email_notifications = False
    db.add(quiet)
    db.commit()
    match = make.match(people["need"], people["offer"])
    workflow.transition(get_session(), people["city"], match.id, "accept")
    db.rollback()
    assert [r.to for r in db.exec(select(OutboundEmail)).all()] == [people["vendor"].email]
    assert _mailbox(app) == [people["vendor"].email]
    assert _received(db, people)["vendor2"] == ["city_accepted"]  # still told in the app


@pytest.fixture
def failing_app(app, database_url):
    """A second app on the same database whose mail server fails on demand."""
    FailingEmailBackend.failures = 0
    broken = create_app(test_config(database_url, MAIL_BACKEND=BACKEND_PATH, MAIL_ASYNC=False))
    broken.test_client_class = app.test_client_class
    yield broken
    FailingEmailBackend.failures = 0


def _outbox_rows(db) -> list[OutboundEmail]:
    db.rollback()
    db.expire_all()
    return list(db.exec(select(OutboundEmail).order_by(OutboundEmail.id)).all())


def test_failing_mail_server_keeps_the_transition_and_retries_later(
    failing_app, make, db, people, caplog
):
    match = make.match(people["need"], people["offer"])
    FailingEmailBackend.failures = 10
    client = failing_app.test_client()
    assert client.post("/auth/login", data={"email": people["vendor"].email,
                                            "password": "correct-horse-battery"}
                       ).status_code == 302
    with caplog.at_level(logging.WARNING, logger="matchmaker.notifications"):
        response = client.post(f"/matches/{match.id}/accept", data={"version": match.version})
    assert response.status_code == 302
    db.rollback()
    db.expire_all()
    assert db.get(Match, match.id).vendor_decision == "accepted"
    rows = _outbox_rows(db)
    assert {r.to for r in rows} == {people["city"].email, people["city2"].email}
    assert {(r.status, r.attempts) for r in rows} == {("pending", 1)}
    assert all("mail server went away" in (r.last_error or "") for r in rows)
    assert any("failed (attempt 1)" in record.getMessage() for record in caplog.records)
    assert _received(db, people) == {"city": ["vendor_accepted"], "city2": ["vendor_accepted"]}

    FailingEmailBackend.failures = 0
    assert notifications.deliver_outbox(failing_app) == (2, 0)
    rows = _outbox_rows(db)
    assert {(r.status, r.attempts) for r in rows} == {("sent", 2)}
    assert all(r.sent_at is not None for r in rows)
    assert sorted(_mailbox(failing_app)) == sorted(r.to for r in rows)
    assert notifications.deliver_outbox(failing_app) == (0, 0)  # nothing is sent twice


def test_an_e_mail_gives_up_after_max_attempts(failing_app, make, db, people):
    match = make.match(people["need"], people["offer"])
    FailingEmailBackend.failures = 1000
    with failing_app.test_request_context():
        workflow.transition(get_session(), people["city"], match.id, "withdraw")
    for _attempt in range(notifications.MAX_ATTEMPTS + 2):
        notifications.deliver_outbox(failing_app)
    rows = _outbox_rows(db)
    assert [(r.status, r.attempts) for r in rows] == [("failed", notifications.MAX_ATTEMPTS)] * 2
    assert db.get(Match, match.id).state == "withdrawn"
    assert _mailbox(failing_app) == []
