"""Writes under concurrency and held locks: every write in a write transaction, a lock held
past the timeout answers 503 with Retry-After (never 500), and nothing is lost after it."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from matchmaker.db import WriteOutsideTransaction, begin_write, make_engine
from matchmaker.models import Notification, Organization
from tests.factories import PASSWORD
from tests.security.support import make_app, signed_in_client

# --- 1. every write in a write transaction; a held lock is a 503, never a 500 ----------------

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
    app.config["MAIL_ASYNC"] = False
    clients = [signed_in_client(app, user) for user in inboxes]
    ids = {user.id: [n.id for n in db.exec(select(Notification).where(
        Notification.user_id == user.id))] for user in inboxes}
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(clients))

    def work(client, user) -> None:
        barrier.wait(30)
        for round_ in range(20):
            if round_ % 2:
                response = client.post("/notifications/read-all")
            else:
                response = client.post(f"/notifications/{ids[user.id][round_ % 3]}")
            with lock:
                statuses[response.status_code] += 1

    threads = [threading.Thread(target=work, args=pair) for pair in zip(clients, inboxes,
                                                                         strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(statuses.values()) == 6 * 20
    assert set(statuses) == {302}, statuses
    db.rollback()
    assert db.exec(select(func.count()).select_from(Notification).where(
        Notification.read_at.is_(None))).one() == 0  # type: ignore[union-attr]


def _hold_write_lock(database_url: str):
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
        quick_lock_app, inboxes, database_url, request):
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
    assert db.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id,
        Notification.read_at.is_(None))).one() == 0  # type: ignore[union-attr]


# --- 2. ids and versions no column can hold --------------------------------------------------


# --- 7. undeclared fields are refused, not ignored -------------------------------------------


# --- 8. smaller items -------------------------------------------------------------------------


