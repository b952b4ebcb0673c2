"""The defects an outside probe of the demo found (hardening issue), each pinned by a test:
writes under concurrency and held locks, out-of-range ids and versions, undeclared form fields,
and the smaller items (target dates, CSRF expiry, cookies, audit details, demo hashes)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from matchmaker.app import create_app
from matchmaker.db import WriteOutsideTransaction, begin_write, make_engine
from matchmaker.models import AuditEvent, Match, Need, Notification, Organization, User
from tests.conftest import CsrfClient, test_config
from tests.factories import PASSWORD

HUGE = (2**31, 2**63, 9223372036854775808, 10**30)


def fresh(db, model, row_id):
    """The row as the database has it now (a new snapshot, nothing cached)."""
    db.rollback()
    db.expire_all()
    return db.get(model, row_id)


def _app(database_url: str, **overrides):
    app = create_app(test_config(database_url, **overrides))
    app.test_client_class = CsrfClient
    return app


def _client(app, user):
    client = app.test_client()
    assert client.post("/auth/login", data={"email": user.email,
                                            "password": PASSWORD}).status_code == 302
    return client


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
    clients = [_client(app, user) for user in inboxes]
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
    return _app(database_url, DB_LOCK_TIMEOUT_MS=300)


def test_a_lock_held_past_the_timeout_is_503_with_retry_after_and_reads_still_work(
        quick_lock_app, inboxes, database_url, request):
    user = inboxes[0]
    client = _client(quick_lock_app, user)
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
    client = _client(quick_lock_app, user)
    release = _hold_write_lock(database_url)
    assert client.post("/notifications/read-all").status_code == 503
    release()
    assert client.post("/notifications/read-all").status_code == 302
    db.rollback()
    assert db.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id,
        Notification.read_at.is_(None))).one() == 0  # type: ignore[union-attr]


def test_opening_a_notification_is_a_post_not_a_get(client, auth, inboxes, db):
    item = db.exec(select(Notification).where(Notification.user_id == inboxes[0].id)).first()
    auth.login(inboxes[0].email)
    assert client.get(f"/notifications/{item.id}").status_code == 405
    assert fresh(db, Notification, item.id).read_at is None


# --- 2. ids and versions no column can hold --------------------------------------------------

def _int_rules(app):
    for rule in app.url_map.iter_rules():
        names = [name for name, conv in rule._converters.items()
                 if type(conv).__name__ == "DatabaseIdConverter"]
        if names:
            yield rule, names


@pytest.mark.parametrize("huge", HUGE)
def test_every_int_route_answers_404_to_an_id_no_column_can_hold(app, make, huge):
    rules = list(_int_rules(app))
    assert len(rules) >= 10
    anonymous, coordinator = app.test_client(), _client(app, make.user("coordinator"))
    city = _client(app, make.user("city_official"))
    for rule, names in rules:
        path = rule.build({name: 1 for name in names} | {"action": "accept"}
                          if "action" in rule.arguments else {name: 1 for name in names})[1]
        path = path.replace("/1", f"/{huge}")
        for browser in (anonymous, coordinator, city):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = browser.open(path, method=method)
                assert response.status_code == 404, (method, path, response.status_code)


def test_zero_and_negative_ids_are_404(client):
    for path in ("/needs/0", "/needs/-1", "/offers/0", "/matches/0"):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize("version", ["9223372036854775808", "2147483648", "0", "-1", "1e3"])
def test_an_out_of_range_version_on_edit_is_422_and_changes_nothing(client, auth, make, db,
                                                                    version):
    user = make.user("city_official")
    need = make.need(db.get(Organization, user.organization_id))
    auth.login(user.email)
    data = {"title": "Penerangan jalan umum pintar", "description": "PJU pintar yang hemat "
            "energi dan dapat dipantau dari pusat kendali kota.", "dimension": "environment",
            "tags": "PJU", "budget_min": "100", "budget_max": "200", "stage": "quick_win",
            "priority": "2", "version": version}
    assert client.post(f"/needs/{need.id}/edit", data=data).status_code == 422
    assert fresh(db, Need, need.id).version == 1


@pytest.mark.parametrize("version", ["9223372036854775808", "2147483648", "0", "abc"])
def test_an_out_of_range_version_on_a_match_action_is_422_and_changes_nothing(
        client, auth, make, db, version):
    city = make.user("city_official")
    match = make.match(make.need(db.get(Organization, city.organization_id)), make.offer())
    auth.login(city.email)
    assert client.post(f"/matches/{match.id}/accept",
                       data={"version": version}).status_code == 422
    assert fresh(db, Match, match.id).state == "proposed"


# --- 7. undeclared fields are refused, not ignored -------------------------------------------

FORGED = ("status", "organization_id", "id", "user_id")


@pytest.mark.parametrize("field", FORGED)
def test_one_button_actions_refuse_undeclared_fields(client, auth, make, db, field):
    city = make.user("city_official")
    need = make.need(db.get(Organization, city.organization_id))
    match = make.match(need, make.offer())
    auth.login(city.email)
    for path in (f"/needs/{need.id}/close", "/notifications/read-all",
                 f"/matches/{match.id}/accept"):
        response = client.post(path, data={field: "1", "version": str(match.version)}
                               if "matches" in path else {field: "1"})
        assert response.status_code == 422, path
    assert fresh(db, Need, need.id).status == "open"
    assert db.get(Match, match.id).state == "proposed"


def test_version_is_refused_where_it_does_not_belong(client, auth, make, db):
    city = make.user("city_official")
    need = make.need(db.get(Organization, city.organization_id))
    auth.login(city.email)
    assert client.post(f"/needs/{need.id}/close", data={"version": "1"}).status_code == 422
    assert client.post("/auth/profile", data={"name": "Nama Baru", "language": "id",
                                              "version": "3"}).status_code == 422
    assert fresh(db, Need, need.id).status == "open"
    assert db.get(User, city.id).name != "Nama Baru"


def test_the_language_switch_accepts_its_next_field(client):
    assert client.post("/language", data={"language": "en", "next": "/needs/"}).status_code \
        == 302


# --- 8. smaller items -------------------------------------------------------------------------

NEED = {"title": "Penerangan jalan umum pintar", "description": "PJU pintar yang hemat energi "
        "dan dapat dipantau dari pusat kendali kota.", "dimension": "environment",
        "tags": "PJU", "budget_min": "100", "budget_max": "200", "stage": "quick_win",
        "priority": "2"}


def test_a_new_need_cannot_target_a_date_in_the_past(client, auth, make, db):
    user = make.user("city_official", language="en")
    auth.login(user.email)
    past = (date.today() - timedelta(days=2)).isoformat()
    response = client.post("/needs/new", data={**NEED, "target_date": past, "publish": "y"})
    assert response.status_code == 422
    assert "Choose a target date from" in response.get_data(as_text=True)
    future = (date.today() + timedelta(days=30)).isoformat()
    assert client.post("/needs/new", data={**NEED, "target_date": future}).status_code == 302
    db.rollback()
    assert db.exec(select(func.count()).select_from(Need)).one() == 1


def test_an_edit_may_keep_a_passed_date_but_not_one_before_2000(client, auth, make, db):
    user = make.user("city_official")
    need = make.need(db.get(Organization, user.organization_id))
    auth.login(user.email)
    edit = {**NEED, "version": "1"}
    assert client.post(f"/needs/{need.id}/edit",
                       data={**edit, "target_date": "1999-12-31"}).status_code == 422
    assert client.post(f"/needs/{need.id}/edit",
                       data={**edit, "target_date": "2024-01-31"}).status_code == 302
    assert fresh(db, Need, need.id).target_date == date(2024, 1, 31)


def test_csrf_tokens_expire(database_url, make):
    assert create_app(test_config(database_url)).config["WTF_CSRF_TIME_LIMIT"]
    app = _app(database_url, WTF_CSRF_TIME_LIMIT=1)
    client = app.test_client()
    token = client.csrf_token()
    time.sleep(2.1)
    response = client.post("/auth/login", data={"email": "a@example.test", "password": "x",
                                                "csrf_token": token})
    assert response.status_code == 400


def _cookie(response, name: str) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_the_language_cookie_is_secure_when_https_is_forced(database_url, make):
    app = _app(database_url, FORCE_HTTPS=True)
    user = make.user()
    client = app.test_client()
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/"}}
    login = client.post("/auth/login", data={"email": user.email, "password": PASSWORD},
                        **https)
    assert "Secure" in _cookie(login, "lang")
    switch = client.post("/language", data={"language": "en"}, **https)
    assert "Secure" in _cookie(switch, "lang")
    profile = client.post("/auth/profile", data={"name": "Nama", "language": "id"}, **https)
    assert "Secure" in _cookie(profile, "lang")


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


def test_demo_users_get_distinct_password_hashes(app, db):
    from matchmaker.db import session_scope
    from matchmaker.services.demo_data import seed_demo

    with app.app_context(), session_scope(app) as session:
        seed_demo(session, password="sinergi-demo-2026")
    db.rollback()
    hashes = db.exec(select(User.password_hash)).all()
    assert len(hashes) > 3 and len(set(hashes)) == len(hashes)
