"""The match workflow: every (side x action x from-state) cell of the transition table, the
error vocabulary (403 wrong side, 404 not a party, 409 illegal/twice/stale, 422 no reason),
the audit trail, the need moving to in_partnership, and contacts shown only once approved."""

from __future__ import annotations

import pytest
from sqlmodel import select

from matchmaker.db import get_session
from matchmaker.models import (
    AuditEvent,
    Match,
    MatchEvent,
    Need,
    Organization,
)
from matchmaker.services import workflow
from matchmaker.services.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)

SIDES = ("city", "vendor", "coordinator")
ACTIONS = ("accept", "decline", "withdraw", "approve", "reject")

#: name -> the stored columns of a match in that situation
SITUATIONS: dict[str, dict[str, object]] = {
    "proposed": {"state": "proposed"},
    "city_accepted": {"state": "proposed", "city_decision": "accepted"},
    "vendor_accepted": {"state": "proposed", "vendor_decision": "accepted"},
    "confirmed": {"state": "confirmed", "city_decision": "accepted",
                  "vendor_decision": "accepted"},
    "approved": {"state": "approved", "city_decision": "accepted",
                 "vendor_decision": "accepted", "last_actor_side": "coordinator"},
    "rejected": {"state": "rejected", "city_decision": "accepted",
                 "vendor_decision": "accepted", "reason": "Anggaran tidak tersedia",
                 "last_actor_side": "coordinator"},
    "declined": {"state": "declined", "city_decision": "declined", "last_actor_side": "city"},
    "withdrawn": {"state": "withdrawn", "last_actor_side": "vendor"},
}


def expected(situation: str, side: str, action: str) -> str | int:
    """The oracle, written from the issue independently of ``workflow.RULES``: the state the
    match ends in, or the HTTP status of the refusal."""
    party = side in ("city", "vendor")
    if action in ("approve", "reject"):
        if party:
            return 403
        return {"approve": "approved", "reject": "rejected"}[action] \
            if situation == "confirmed" else 409
    if not party:
        return 403
    if action == "withdraw":
        return "withdrawn" if situation in (
            "proposed", "city_accepted", "vendor_accepted", "confirmed") else 409
    answered = {"city_accepted": "city", "vendor_accepted": "vendor"}.get(situation)
    if situation not in ("proposed", "city_accepted", "vendor_accepted") or answered == side:
        return 409  # not open for answers, or answering twice
    if action == "decline":
        return "declined"
    return "confirmed" if answered is not None else "proposed"


@pytest.fixture(autouse=True)
def _sync_mail(app):
    app.config["MAIL_ASYNC"] = False


@pytest.fixture
def parties(make, db):
    city = make.user("city_official", email="pejabat@kota.example.test", name="Ibu Sari")
    vendor = make.user("vendor", email="sales@vendor.example.test", name="Pak Budi")
    coordinator = make.user("coordinator")
    need = make.need(db.get(Organization, city.organization_id),
                     title="Penerangan jalan umum (PJU) pintar")
    offer = make.offer(db.get(Organization, vendor.organization_id),
                       title="Kontroler PJU pintar dengan dimming")
    return {"city": city, "vendor": vendor, "coordinator": coordinator,
            "need": need, "offer": offer}


def fresh(db) -> None:
    """End ``db``'s read snapshot and forget what it loaded, to see other sessions' commits."""
    db.rollback()
    db.expire_all()


def _match(make, parties, situation: str) -> Match:
    return make.match(parties["need"], parties["offer"], **SITUATIONS[situation])


def _events(db, match_id: int) -> list[MatchEvent]:
    return list(db.exec(select(MatchEvent).where(MatchEvent.match_id == match_id)
                        .order_by(MatchEvent.id)).all())


def _check_cell(make, db, parties, situation: str, side: str, action: str) -> None:
    need = make.need(db.get(Organization, parties["city"].organization_id))
    match = make.match(need, parties["offer"], **SITUATIONS[situation])
    match_id, state, version = match.id, match.state, match.version
    cell = (situation, side, action)
    outcome = expected(situation, side, action)
    before = len(_events(db, match_id))
    reason = "Tidak sesuai prioritas daerah" if action == "reject" else None
    session = get_session()
    if isinstance(outcome, int):
        with pytest.raises(DomainError) as info:
            workflow.transition(session, parties[side], match_id, action, reason=reason,
                                expected_version=version)
        assert info.value.status_code == outcome, cell
        session.rollback()
        fresh(db)
        stored = db.get(Match, match_id)
        assert (stored.state, stored.version) == (state, version), cell
        assert len(_events(db, match_id)) == before, cell
        return
    workflow.transition(session, parties[side], match_id, action, reason=reason,
                        expected_version=version)
    fresh(db)
    stored = db.get(Match, match_id)
    assert (stored.state, stored.version) == (outcome, version + 1), cell
    assert stored.last_actor_side == side, cell
    events = _events(db, match_id)
    assert len(events) == before + 1, cell
    event = events[-1]
    assert (event.actor_id, event.actor_side, event.action) == (parties[side].id, side, action)
    assert (event.from_state, event.to_state, event.reason) == (state, outcome, reason), cell
    assert event.at is not None
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == f"match.{action}",
                                             AuditEvent.target == f"match:{match_id}")).all()
    assert len(audit) == 1 and audit[0].actor_id == parties[side].id, cell
    assert audit[0].details == {"from": state, "to": outcome}, cell


@pytest.mark.parametrize("situation", sorted(SITUATIONS))
def test_transition_table(app_ctx, make, db, parties, situation):
    """Each side tries each action on a match in ``situation`` (a fresh match per try)."""
    for side in SIDES:
        for action in ACTIONS:
            _check_cell(make, db, parties, situation, side, action)


@pytest.mark.parametrize("situation", sorted(SITUATIONS))
@pytest.mark.parametrize("side", SIDES)
def test_allowed_actions_agree_with_the_table(make, parties, situation, side):
    match = _match(make, parties, situation)
    offered = set(workflow.allowed_actions(match, side))
    assert offered == {a for a in ACTIONS if isinstance(expected(situation, side, a), str)}


def test_both_orders_reach_confirmed(app_ctx, make, db, parties):
    for first, second in (("city", "vendor"), ("vendor", "city")):
        need = make.need(db.get(Organization, parties["city"].organization_id))
        match = make.match(need, parties["offer"])
        session = get_session()
        workflow.transition(session, parties[first], match.id, "accept")
        middle = workflow.transition(session, parties[second], match.id, "accept")
        assert middle.state == "confirmed"
        assert [e.to_state for e in _events(db, match.id)] == [
            "proposed", "proposed", "confirmed"]


def test_approval_moves_the_need_into_partnership(app_ctx, make, db, parties):
    match = _match(make, parties, "confirmed")
    workflow.transition(get_session(), parties["coordinator"], match.id, "approve")
    fresh(db)
    need = db.get(Need, parties["need"].id)
    assert need.status == "in_partnership"
    assert need.version == 2


def test_rejection_keeps_the_need_open_and_records_the_reason(app_ctx, make, db, parties):
    match = _match(make, parties, "confirmed")
    workflow.transition(get_session(), parties["coordinator"], match.id, "reject",
                        reason="  Anggaran 2025 belum tersedia  ")
    fresh(db)
    assert db.get(Need, parties["need"].id).status == "open"
    stored = db.get(Match, match.id)
    assert (stored.state, stored.reason) == ("rejected", "Anggaran 2025 belum tersedia")
    assert _events(db, match.id)[-1].reason == "Anggaran 2025 belum tersedia"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reject_without_reason_is_422(app_ctx, make, parties, reason):
    match = _match(make, parties, "confirmed")
    with pytest.raises(ValidationFailed):
        workflow.transition(get_session(), parties["coordinator"], match.id, "reject",
                            reason=reason)


def test_overlong_reason_is_422(app_ctx, make, parties):
    match = _match(make, parties, "proposed")
    with pytest.raises(ValidationFailed):
        workflow.transition(get_session(), parties["city"], match.id, "decline",
                            reason="x" * 1001)


def test_stale_version_is_409_and_changes_nothing(app_ctx, make, db, parties):
    match = _match(make, parties, "proposed")
    with pytest.raises(Conflict) as info:
        workflow.transition(get_session(), parties["city"], match.id, "accept",
                            expected_version=match.version + 5)
    assert not isinstance(info.value, InvalidTransition)
    fresh(db)
    assert db.get(Match, match.id).version == match.version


def test_answering_twice_is_409(app_ctx, make, parties):
    match = _match(make, parties, "proposed")
    session = get_session()
    workflow.transition(session, parties["vendor"], match.id, "accept")
    for action in ("accept", "decline"):
        with pytest.raises(InvalidTransition):
            workflow.transition(session, parties["vendor"], match.id, action)
        session.rollback()


def test_party_of_another_organisation_gets_404(app_ctx, make, parties):
    match = _match(make, parties, "proposed")
    session = get_session()
    for role in ("city_official", "vendor"):
        with pytest.raises(NotFound):
            workflow.transition(session, make.user(role), match.id, "accept")
        session.rollback()


def test_vendor_of_the_city_side_cannot_act_for_the_city(app_ctx, make, db, parties):
    """A vendor account inside the city's organisation is still no city official."""
    odd = make.user("vendor", organization=db.get(Organization, parties["city"].organization_id))
    match = _match(make, parties, "proposed")
    with pytest.raises(NotFound):
        workflow.transition(get_session(), odd, match.id, "accept")


def test_unknown_match_and_action(app_ctx, parties):
    session = get_session()
    with pytest.raises(NotFound):
        workflow.transition(session, parties["city"], 999_999, "accept")
    session.rollback()
    with pytest.raises(NotFound):
        workflow.transition(session, parties["city"], 1, "merge")


# --- through the web routes -------------------------------------------------------------

def _login(client, auth, user):
    auth.logout()
    assert auth.login(user.email).status_code == 302


def test_web_accept_with_version_redirects_and_records(client, auth, make, db, parties):
    match = _match(make, parties, "proposed")
    _login(client, auth, parties["city"])
    response = client.post(f"/matches/{match.id}/accept", data={"version": match.version})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/matches/{match.id}")
    fresh(db)
    assert db.get(Match, match.id).city_decision == "accepted"
    page = client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert "Ibu Sari" in page  # the timeline names who acted


def test_web_safe_back_link_only(client, auth, make, parties):
    match = _match(make, parties, "proposed")
    _login(client, auth, parties["city"])
    response = client.post(f"/matches/{match.id}/accept",
                           data={"version": match.version, "back": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_web_stale_version_is_409_page(client, auth, make, db, parties):
    match = _match(make, parties, "proposed")
    _login(client, auth, parties["vendor"])
    response = client.post(f"/matches/{match.id}/accept",
                           data={"version": match.version + 1})
    assert response.status_code == 409
    assert "Reload the page" in response.get_data(as_text=True) or \
        "Muat ulang" in response.get_data(as_text=True)
    fresh(db)
    assert db.get(Match, match.id).vendor_decision is None


def test_web_answering_twice_is_409(client, auth, make, parties):
    match = _match(make, parties, "proposed")
    _login(client, auth, parties["vendor"])
    assert client.post(f"/matches/{match.id}/accept",
                       data={"version": match.version}).status_code == 302
    again = client.post(f"/matches/{match.id}/decline", data={"version": match.version + 1})
    assert again.status_code == 409


WEB_REFUSALS = {
    "coordinator": [("proposed", "accept", 403), ("proposed", "decline", 403),
                    ("confirmed", "withdraw", 403), ("proposed", "approve", 409)],
    "city": [("confirmed", "approve", 403), ("confirmed", "reject", 403),
             ("approved", "withdraw", 409)],
    "vendor": [("confirmed", "approve", 403), ("declined", "accept", 409)],
}


@pytest.mark.parametrize("role", sorted(WEB_REFUSALS))
def test_web_refusals(client, auth, make, db, parties, role):
    _login(client, auth, parties[role])
    for situation, action, status in WEB_REFUSALS[role]:
        need = make.need(db.get(Organization, parties["city"].organization_id))
        match = make.match(need, parties["offer"], **SITUATIONS[situation])
        response = client.post(f"/matches/{match.id}/{action}",
                               data={"version": match.version, "reason": "Alasan tertulis"})
        assert response.status_code == status, (situation, action)
        fresh(db)
        assert db.get(Match, match.id).version == match.version


def test_web_other_organisation_gets_404(client, auth, make, parties):
    match = _match(make, parties, "proposed")
    for role in ("city_official", "vendor"):
        _login(client, auth, make.user(role))
        assert client.post(f"/matches/{match.id}/accept",
                           data={"version": match.version}).status_code == 404
        assert client.get(f"/matches/{match.id}").status_code == 404


def test_web_reject_without_reason_is_422(client, auth, make, db, parties):
    match = _match(make, parties, "confirmed")
    _login(client, auth, parties["coordinator"])
    response = client.post(f"/matches/{match.id}/reject",
                           data={"version": match.version, "reason": " "})
    assert response.status_code == 422
    fresh(db)
    assert db.get(Match, match.id).state == "confirmed"


def test_web_unknown_action_is_404(client, auth, make, parties):
    match = _match(make, parties, "proposed")
    _login(client, auth, parties["city"])
    assert client.post(f"/matches/{match.id}/merge").status_code == 404


def test_web_full_journey_to_partnership(client, auth, make, db, parties):
    match = _match(make, parties, "proposed")
    version = match.version
    for role, action in (("vendor", "accept"), ("city", "accept"), ("coordinator", "approve")):
        _login(client, auth, parties[role])
        response = client.post(f"/matches/{match.id}/{action}", data={"version": version})
        assert response.status_code == 302, (role, action)
        version += 1
    fresh(db)
    assert db.get(Match, match.id).state == "approved"
    assert db.get(Need, parties["need"].id).status == "in_partnership"
    assert [e.action for e in _events(db, match.id)] == ["propose", "accept", "accept", "approve"]
    page = client.get(f"/matches/{match.id}").get_data(as_text=True)
    timeline = page[page.index('class="timeline"'):]
    assert timeline.count("<li>") == 4
    assert "Ibu Sari" in timeline and "Pak Budi" in timeline


@pytest.mark.parametrize("situation", ["confirmed", "approved", "rejected"])
def test_contacts_only_once_approved(client, auth, make, parties, situation):
    match = _match(make, parties, situation)
    shown = situation == "approved"
    for viewer, other in (("city", "vendor"), ("vendor", "city")):
        _login(client, auth, parties[viewer])
        page = client.get(f"/matches/{match.id}").get_data(as_text=True)
        assert (parties[other].email in page) is shown, (viewer, situation)


def test_contacts_never_shown_to_outsiders(client, auth, make, parties):
    match = _match(make, parties, "approved")
    _login(client, auth, make.user("vendor"))
    response = client.get(f"/matches/{match.id}")
    assert response.status_code == 404
    assert parties["city"].email not in response.get_data(as_text=True)


@pytest.mark.parametrize("closing", ["need", "offer"])
def test_a_confirmed_match_cannot_be_approved_once_its_need_closed_or_offer_archived(
        app_ctx, db, make, closing):
    from matchmaker.models import Match, Organization

    city, vendor = make.user("city_official"), make.user("vendor")
    coordinator = make.user("coordinator")
    need = make.need(db.get(Organization, city.organization_id),
                     status="closed" if closing == "need" else "open")
    offer = make.offer(db.get(Organization, vendor.organization_id),
                       status="archived" if closing == "offer" else "published")
    match = make.match(need, offer, state="confirmed", city_decision="accepted",
                       vendor_decision="accepted")
    with pytest.raises(InvalidTransition):
        workflow.transition(get_session(), coordinator, match.id, "approve")
    rejected = workflow.transition(get_session(), coordinator, match.id, "reject",
                                   reason="Kebutuhan sudah ditutup")
    assert rejected.state == "rejected"
    db.expire_all()
    assert db.get(Match, match.id).state == "rejected"
