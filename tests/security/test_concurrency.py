"""Concurrency (the "concurrency" row of the security promises): people acting at the same
moment never get a 500.

* Two people acting on the same match at once: exactly one state change, the other gets a
  409. Many barrier-started rounds, each person on their own test client. Also two full
  matching runs at once.
* Every write runs in a write transaction: six people marking notifications read at once get
  no 5xx, a lock held past the timeout answers 503 with Retry-After (never 500), and nothing
  is lost after it; no write lock is held while argon2 hashes a password.
* The storm (``storm.py``): six people of four roles run every POST route of the app, 20
  rounds each, all at once: no 5xx, and the data is consistent afterwards.

Run on SQLite by default and on PostgreSQL with ``MATCHMAKER_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, func, select

from matchmaker import passwords
from matchmaker.db import WriteOutsideTransaction, begin_write, get_session, make_engine
from matchmaker.models import Match, MatchEvent, Notification, Organization, OutboundEmail
from matchmaker.services import matching, notifications
from tests.factories import PASSWORD
from tests.racing import race
from tests.security import storm
from tests.security.support import make_app, signed_in_client

ROUNDS = 20


def _unread(db: Session, *conditions: Any) -> int:
    return db.exec(select(func.count()).select_from(Notification).where(
        Notification.read_at.is_(None), *conditions)).one()  # type: ignore[union-attr]


# --- two people acting on one match at the same moment ------------------------------------

def _post(client: Any, token: str, match_id: int, action: str, version: int,
          reason: str | None = None) -> Callable[[], int]:
    data = {"csrf_token": token, "version": str(version)}
    if reason:
        data["reason"] = reason
    return lambda: client.post(f"/matches/{match_id}/{action}", data=data).status_code


def _state_changes(db: Session, match_id: int) -> int:
    return db.exec(select(func.count()).select_from(MatchEvent).where(
        MatchEvent.match_id == match_id, MatchEvent.action != "propose")).one()


@pytest.fixture
def parties(make, db):
    city = make.user("city_official")
    vendor = make.user("vendor")
    return {
        "city": city, "vendor": vendor,
        "coordinator": make.user("coordinator"), "coordinator2": make.user("coordinator"),
        "city_org": db.get(Organization, city.organization_id),
        "offer": make.offer(db.get(Organization, vendor.organization_id)),
    }


def _rounds(app, make, db, parties, situation: dict[str, Any],
            racers: list[tuple[str, str, str | None]]) -> Counter[int]:
    clients = {}
    for role, _action, _reason in racers:
        client = signed_in_client(app, parties[role])
        clients[role] = (client, client.csrf_token())
    statuses: Counter[int] = Counter()
    for _round in range(ROUNDS):
        need = make.need(parties["city_org"])
        match = make.match(need, parties["offer"], **situation)
        match_id, version = match.id, match.version
        results = race([_post(*clients[role], match_id, action, version, reason)
                        for role, action, reason in racers])
        assert all(isinstance(r, int) for r in results), results
        assert sorted(results) == [302, 409], results
        statuses.update(results)
        db.rollback()
        db.expire_all()
        assert db.get(Match, match_id).version == version + 1
        assert _state_changes(db, match_id) == 1
    return statuses


def test_city_and_vendor_accepting_at_once(app, make, db, parties):
    statuses = _rounds(app, make, db, parties, {"state": "proposed"},
                       [("city", "accept", None), ("vendor", "accept", None)])
    assert statuses == {302: ROUNDS, 409: ROUNDS}
    # one side's answer was lost to the race, so nothing may be confirmed
    assert db.exec(select(func.count()).select_from(Match).where(
        Match.state == "confirmed")).one() == 0


def test_two_coordinators_approving_and_rejecting_at_once(app, make, db, parties):
    confirmed = {"state": "confirmed", "city_decision": "accepted",
                 "vendor_decision": "accepted"}
    _rounds(app, make, db, parties, confirmed,
            [("coordinator", "approve", None),
             ("coordinator2", "reject", "Tidak sesuai RPJMD")])
    states = Counter(db.exec(select(Match.state)).all())
    assert sum(states.values()) == ROUNDS
    assert set(states) <= {"approved", "rejected"}


def test_e_mails_of_raced_transitions_are_sent_once(app, make, db, parties):
    _rounds(app, make, db, parties, {"state": "proposed"},
            [("city", "accept", None), ("vendor", "withdraw", None)])
    db.rollback()
    rows = db.exec(select(OutboundEmail)).all()
    outbox = app.extensions["mailman"].outbox  # flask_mailman's locmem backend
    assert len(rows) == ROUNDS and {row.status for row in rows} == {"sent"}
    assert sorted(message.to[0] for message in outbox) == sorted(row.to for row in rows)


def test_two_full_matching_runs_at_once(app, make, db, parties):
    for title in ("Penerangan jalan umum LED pintar", "PJU hemat energi dengan dimming",
                  "Lampu jalan pintar untuk kawasan pusat kota"):
        make.need(parties["city_org"], title=title)
    for title in ("Kontroler PJU pintar", "Lampu jalan LED tenaga surya"):
        make.offer(title=title)

    def run() -> int:
        with app.test_request_context():
            return matching.rematch_all(get_session()).proposed

    for _round in range(3):
        results = race([run, run])
        assert all(isinstance(r, int) for r in results), results
    db.rollback()
    pairs = db.exec(select(Match.need_id, Match.offer_id)).all()
    assert pairs and len(pairs) == len(set(pairs))
    assert sum(results) == 0  # the last rounds found everything stored already
    assert db.exec(select(func.count()).select_from(MatchEvent)).one() == len(pairs)


# --- every write in a write transaction; a held lock is a 503, never a 500 ----------------

def test_a_write_outside_begin_write_is_refused_in_strict_mode(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'strict.db'}", strict_writes=True)
    with Session(engine) as session:
        begin_write(session)
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
        session.commit()
        session.execute(text("SELECT x FROM t")).all()  # reads need nothing
        with pytest.raises(WriteOutsideTransaction):
            session.execute(text("UPDATE t SET x = 2"))
        session.rollback()
    engine.dispose()


@pytest.fixture
def inboxes(make, db):
    """Six people with a match each and a few unread notifications."""
    need = make.need()
    users = []
    for _ in range(6):
        user = make.user("vendor")
        match = make.match(need, make.offer(db.get(Organization, user.organization_id)))
        db.add_all([Notification(user_id=user.id, match_id=match.id, kind="proposed")
                    for _ in range(3)])
        users.append(user)
    db.commit()
    return users


def test_six_people_marking_notifications_read_at_once_never_get_a_5xx(app, inboxes, db):
    clients = [signed_in_client(app, user) for user in inboxes]
    ids = {user.id: [n.id for n in db.exec(select(Notification).where(
        Notification.user_id == user.id))] for user in inboxes}

    def work(client: Any, user: Any) -> Counter[int]:
        statuses: Counter[int] = Counter()
        for round_ in range(ROUNDS):
            if round_ % 2:
                response = client.post("/notifications/read-all")
            else:
                response = client.post(f"/notifications/{ids[user.id][round_ % 3]}")
            statuses[response.status_code] += 1
        return statuses

    results = race([lambda c=client, u=user: work(c, u)
                    for client, user in zip(clients, inboxes, strict=True)])
    assert all(isinstance(r, Counter) for r in results), results
    statuses = sum(results, Counter())
    assert statuses == {302: 6 * ROUNDS}, statuses
    db.rollback()
    assert _unread(db) == 0


def _hold_write_lock(database_url: str) -> Callable[[], None]:
    """Hold the database's write lock (SQLite) or a write lock on the tables a login and a
    notification write touch (PostgreSQL) from another connection, as a long writer would.
    Returns the function that releases it."""
    engine = make_engine(database_url)
    session = Session(engine)
    if engine.dialect.name == "sqlite":
        begin_write(session)
    else:
        session.execute(text("LOCK TABLE users, notification, audit_event IN EXCLUSIVE MODE"))

    def release() -> None:
        session.rollback()
        session.close()
        engine.dispose()

    return release


@pytest.fixture
def held_lock(database_url):
    release = _hold_write_lock(database_url)
    yield
    release()


@pytest.fixture
def quick_lock_app(database_url):
    return make_app(database_url, DB_LOCK_TIMEOUT_MS=300)


def test_a_lock_held_past_the_timeout_is_503_with_retry_after_and_reads_still_work(
        quick_lock_app, inboxes, request):
    user = inboxes[0]
    client = signed_in_client(quick_lock_app, user)
    request.getfixturevalue("held_lock")
    response = client.post("/notifications/read-all")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "Nothing was saved" in response.get_data(as_text=True) or \
        "Tidak ada yang tersimpan" in response.get_data(as_text=True)
    assert client.get("/needs/").status_code == 200  # reading is not blocked
    login = quick_lock_app.test_client().post(
        "/auth/login", data={"email": inboxes[1].email, "password": PASSWORD})
    assert login.status_code == 503
    assert "Retry-After" in login.headers


def test_nothing_is_lost_once_the_lock_is_released(quick_lock_app, inboxes, database_url, db):
    user = inboxes[0]
    client = signed_in_client(quick_lock_app, user)
    release = _hold_write_lock(database_url)
    assert client.post("/notifications/read-all").status_code == 503
    release()
    assert client.post("/notifications/read-all").status_code == 302
    db.rollback()
    assert _unread(db, Notification.user_id == user.id) == 0


@pytest.fixture
def writers_during_hashing(database_url, monkeypatch):
    """Make every argon2 hash and check first try a write from another connection that may
    wait 50 ms for the lock; returns whether each of those writes got through."""
    engine = make_engine(database_url, lock_timeout_ms=50)
    outcomes: list[bool] = []

    def another_writer() -> None:
        with Session(engine) as session:
            try:
                begin_write(session)
                session.execute(text("UPDATE users SET name = name"))
                outcomes.append(True)
            except OperationalError:
                outcomes.append(False)
            session.rollback()

    def probing(function: Callable[..., Any]) -> Callable[..., Any]:
        def probe(*args: Any) -> Any:
            another_writer()
            return function(*args)
        return probe

    for name in ("hash_password", "verify_password"):
        monkeypatch.setattr(passwords, name, probing(getattr(passwords, name)))
    yield outcomes
    engine.dispose()


@pytest.mark.parametrize("flow", ["login", "registration", "password change"])
def test_no_write_lock_is_held_while_a_password_is_hashed(app, make, writers_during_hashing,
                                                         flow):
    user = make.user("vendor")
    if flow == "login":
        response = app.test_client().post("/auth/login", data={"email": user.email,
                                                               "password": PASSWORD})
    elif flow == "registration":
        response = app.test_client().post("/auth/register", data={
            "role": "vendor", "name": "Rina", "email": "rina@example.com",
            "company": "PT Baru Sekali", "password": PASSWORD, "confirm": PASSWORD,
            "language": "id"})
    else:
        client = signed_in_client(app, user)
        writers_during_hashing.clear()
        response = client.post("/auth/password", data={
            "current": PASSWORD, "password": "a-brand-new-passphrase",
            "confirm": "a-brand-new-passphrase"})
    assert response.status_code == 302
    assert writers_during_hashing and all(writers_during_hashing), writers_during_hashing


# --- the storm: everyone runs every write at once --------------------------------------------

STORM_TIMEOUT = 300


def test_every_post_route_has_a_storm_recipe(app):
    missing = storm.post_endpoints(app) - set(storm.RECIPES)
    assert not missing, (f"POST routes without a recipe in tests/security/storm.py: "
                         f"{sorted(missing)}; add one so the storm covers them")
    assert set(storm.RECIPES) <= storm.post_endpoints(app), "recipes for routes that are gone"


@pytest.fixture
def cheap_hashing(monkeypatch):
    """Argon2 at a fraction of its production cost (0.16 s a hash here): the storm is about
    lock contention, and hundreds of full-cost hashes would not fit in its time."""
    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))


@pytest.fixture
def storm_people(app, make, db, cheap_hashing):
    """Six people: two officials of one city, one of another, two vendors, a coordinator,
    with open needs and published offers already matched."""
    for setting in ("PASSWORD_RESET_REQUESTS_PER_EMAIL", "PASSWORD_RESET_REQUESTS_PER_ADDRESS",
                    "PASSWORD_RESET_ATTEMPTS_PER_ADDRESS"):
        app.config[setting] = 10_000  # the storm is not a brute-force attempt
    city_a, city_b = make.org("city"), make.org("city")
    users = {"city_a1": make.user("city_official", organization=city_a),
             "city_a2": make.user("city_official", organization=city_a),
             "city_b": make.user("city_official", organization=city_b),
             "vendor_x": make.user("vendor"), "vendor_y": make.user("vendor"),
             "coordinator": make.user("coordinator")}
    for org, titles in ((city_a, ("Penerangan jalan umum LED pintar", "PJU hemat energi")),
                        (city_b, ("Lampu jalan pintar untuk pusat kota", "PJU pintar"))):
        for title in titles:
            make.need(org, title=title)
    for key in ("vendor_x", "vendor_y"):
        org = db.get(Organization, users[key].organization_id)
        for title in ("Kontroler PJU pintar", "Lampu jalan LED tenaga surya"):
            make.offer(org, title=title)
    with app.test_request_context():
        assert matching.rematch_all(get_session()).proposed > 0
    return [storm.Person(key=key, role=user.role, user_id=user.id, email=user.email,
                         organization_id=user.organization_id, client=app.test_client(),
                         visitor=app.test_client())
            for key, user in users.items()]


def test_six_people_running_every_write_at_once_never_get_a_5xx(app, engine, db, storm_people):
    the_storm = storm.Storm(app=app, engine=engine, people=storm_people)
    started = time.perf_counter()
    results = race([lambda p=person: the_storm.run_person(p) for person in storm_people],
                   timeout=STORM_TIMEOUT)
    the_storm.seconds = time.perf_counter() - started
    figures = the_storm.figures()
    print("storm:", json.dumps(figures))
    assert [r for r in results if r is not None] == [], "a person's round broke off"
    failures = {name: {s: n for s, n in statuses.items() if s >= 500}
                for name, statuses in the_storm.statuses.items()}
    assert not {name: f for name, f in failures.items() if f}, figures
    # Every route did real work at least once, and no recipe sent a broken form.
    assert {name for name, statuses in the_storm.statuses.items()
            if statuses[302]} == set(storm.RECIPES), figures
    assert not {name for name, statuses in the_storm.statuses.items() if statuses[400]}, figures
    with app.app_context():
        notifications.deliver_outbox(app, limit=100_000)  # anything still queued
    db.rollback()
    assert storm.inconsistencies(db, app.extensions["mailman"].outbox) == []
