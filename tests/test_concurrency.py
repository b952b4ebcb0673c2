"""Two people acting on the same match at the same moment: exactly one state change, the other
gets a 409, never a 500. Many barrier-started rounds, each person on their own test client;
run on SQLite by default and on PostgreSQL with ``MATCHMAKER_TEST_DATABASE_URL``. Also two full
matching runs at once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import func, select

from matchmaker.db import get_session
from matchmaker.models import Match, MatchEvent, Organization, OutboundEmail
from matchmaker.services import matching
from tests.racing import race as _race

ROUNDS = 20


@pytest.fixture(autouse=True)
def _sync_mail(app):
    app.config["MAIL_ASYNC"] = False


def _client(app, user) -> tuple[Any, str]:
    """A test client of its own, logged in as ``user``, and its CSRF token."""
    client = app.test_client()
    token = client.csrf_token()
    response = client.post("/auth/login", data={"email": user.email,
                                                "password": "correct-horse-battery",
                                                "csrf_token": token})
    assert response.status_code == 302
    return client, client.csrf_token()


def _post(client, token: str, match_id: int, action: str, version: int,
          reason: str | None = None) -> Callable[[], int]:
    data = {"csrf_token": token, "version": str(version)}
    if reason:
        data["reason"] = reason
    return lambda: client.post(f"/matches/{match_id}/{action}", data=data).status_code


def _state_changes(db, match_id: int) -> int:
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
    clients = {role: _client(app, parties[role]) for role, _action, _reason in racers}
    statuses: Counter[int] = Counter()
    for _round in range(ROUNDS):
        need = make.need(parties["city_org"])
        match = make.match(need, parties["offer"], **situation)
        match_id, version = match.id, match.version
        results = _race([_post(*clients[role], match_id, action, version, reason)
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
        results = _race([run, run])
        assert all(isinstance(r, int) for r in results), results
    db.rollback()
    pairs = db.exec(select(Match.need_id, Match.offer_id)).all()
    assert pairs and len(pairs) == len(set(pairs))
    assert sum(results) == 0  # the last rounds found everything stored already
    assert db.exec(select(func.count()).select_from(MatchEvent)).one() == len(pairs)
