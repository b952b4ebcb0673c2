"""Persisting the engine's proposals: each pair stored once, re-runs idempotent, declined pairs
never resurrected, acted-on pairs never dropped, untouched proposals withdrawn when a posting
closes (and back when it reopens), incremental runs per need and per offer, and the per-process
index catching up with offers changed elsewhere."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from matchmaker import matching as engine
from matchmaker.db import begin_write, get_session
from matchmaker.models import (
    EngineState,
    Match,
    MatchEvent,
    Need,
    NeedUpdate,
    Offer,
    OfferCreate,
    OfferUpdate,
)
from matchmaker.services import engine_index, matching, needs, offers, workflow
from tests.matching_world import FLOOD_NEED, PJU_OFFER, stored_pair, stored_pairs

pytestmark = pytest.mark.usefixtures("matching_settings")


def test_full_run_proposes_the_fitting_pairs_once(app_ctx, db, world):
    report = matching.rematch_all(get_session())
    pairs = stored_pairs(db)
    assert (world["pju"].id, world["pju_offer"].id) in pairs
    assert (world["flood"].id, world["flood_offer"].id) in pairs
    assert (world["pju"].id, world["flood_offer"].id) not in pairs  # lights are not floods
    assert report.proposed == len(pairs)
    for match in pairs.values():
        assert match.state == "proposed" and match.score >= 30
        assert match.engine_version and match.glossary_version and match.explanation
    events = db.exec(select(MatchEvent)).all()
    assert sorted(e.match_id for e in events) == sorted(m.id for m in pairs.values())
    assert {(e.actor_side, e.action, e.to_state) for e in events} == {
        ("engine", "propose", "proposed")}


def test_rerun_refreshes_untouched_proposals_made_by_an_older_engine(app_ctx, db, world):
    from matchmaker import matching as engine

    matching.rematch_all(get_session())
    stale = next(iter(stored_pairs(db).values()))
    begin_write(db)
    db.get(Match, stale.id).engine_version = "0.0.1"
    db.commit()
    again = matching.rematch_all(get_session())
    assert again.refreshed == 1
    db.expire_all()
    assert db.get(Match, stale.id).engine_version == engine.ENGINE_VERSION


def test_confirmed_and_approved_pairs_survive_a_closed_posting(app_ctx, db, make, world):
    session = get_session()
    matching.rematch_all(session)
    match = stored_pair(db, world, "pju", "pju")
    for user in (world["city_user"], world["pju_vendor"]):
        workflow.transition(session, user, match.id, "accept")
    offers.act(session, world["pju_vendor"], world["pju_offer"].id, "archive")
    matching.rematch_all(session)
    assert stored_pair(db, world, "pju", "pju").state == "confirmed"


def test_closing_a_need_withdraws_its_untouched_proposals_and_reopening_brings_them_back(
    app_ctx, db, world
):
    session = get_session()
    matching.rematch_all(session)
    before = stored_pair(db, world, "flood", "flood")
    match_id, version = before.id, before.version
    needs.act(session, world["city_user"], world["flood"].id, "close")
    closed = stored_pair(db, world, "flood", "flood")
    assert (closed.state, closed.reason, closed.last_actor_side) == (
        "withdrawn", "posting_closed", "engine")
    assert stored_pair(db, world, "pju", "pju").state == "proposed"  # the other need is untouched
    needs.act(session, world["city_user"], world["flood"].id, "reopen")
    back = stored_pair(db, world, "flood", "flood")
    assert back.id == match_id and back.state == "proposed" and back.reason is None
    assert back.version == version + 2
    actions = [(e.action, e.from_state, e.to_state) for e in db.exec(
        select(MatchEvent).where(MatchEvent.match_id == match_id).order_by(MatchEvent.id))]
    assert actions == [("propose", None, "proposed"), ("withdraw", "proposed", "withdrawn"),
                       ("propose", "withdrawn", "proposed")]


def test_closing_a_need_keeps_pairs_someone_acted_on(app_ctx, db, world):
    session = get_session()
    matching.rematch_all(session)
    match = stored_pair(db, world, "flood", "flood")
    workflow.transition(session, world["flood_vendor"], match.id, "accept")
    needs.act(session, world["city_user"], world["flood"].id, "close")
    assert stored_pair(db, world, "flood", "flood").state == "proposed"


def test_archiving_an_offer_withdraws_and_republishing_restores(app_ctx, db, world):
    session = get_session()
    matching.rematch_all(session)
    offers.act(session, world["pju_vendor"], world["pju_offer"].id, "archive")
    gone = stored_pair(db, world, "pju", "pju")
    assert (gone.state, gone.reason) == ("withdrawn", "posting_closed")
    assert stored_pair(db, world, "flood", "flood").state == "proposed"
    matching.rematch_all(session)  # a full run does not bring an archived offer back
    assert stored_pair(db, world, "pju", "pju").state == "withdrawn"
    offers.act(session, world["pju_vendor"], world["pju_offer"].id, "publish")
    assert stored_pair(db, world, "pju", "pju").state == "proposed"


def test_full_run_withdraws_proposals_of_postings_closed_behind_its_back(app_ctx, db, world):
    session = get_session()
    matching.rematch_all(session)
    begin_write(db)
    db.get(Offer, world["flood_offer"].id).status = "archived"
    engine_index.bump_offer(db, world["flood_offer"].id)
    db.commit()
    report = matching.rematch_all(session)
    assert stored_pair(db, world, "flood", "flood").state == "withdrawn"
    assert report.withdrawn == 1
    assert stored_pair(db, world, "pju", "pju").state == "proposed"


def test_rematch_offer_changes_only_that_offers_pairs(app_ctx, db, make, world):
    session = get_session()
    matching.rematch_need(session, world["pju"].id)
    assert set(stored_pairs(db)) == {(world["pju"].id, world["pju_offer"].id)}
    report = matching.rematch_offer(session, world["flood_offer"].id)
    assert set(stored_pairs(db)) == {(world["pju"].id, world["pju_offer"].id),
                               (world["flood"].id, world["flood_offer"].id)}
    assert report.proposed == 1


def test_index_sees_offers_published_by_another_process(app_ctx, db, make, world):
    session = get_session()
    matching.rematch_all(session)  # this process now holds an index (and EngineState)
    engine_index.current_index(session)
    held = session.get(EngineState, 1)  # a long-lived session keeps what it loaded
    seq = held.offer_seq
    # "another process": its own session and engine, publishing a second flood offer
    other_vendor = make.user("vendor")
    with Session(db.get_bind(), expire_on_commit=False) as other:
        begin_write(other)
        data = OfferCreate.model_validate(
            {"dimension": "environment", "maturity": "proven", "national": True,
             "title": "Sensor tinggi muka air sungai dan peringatan dini banjir",
             "description": "Sensor ultrasonik tinggi muka air, curah hujan, dan sirene "
             "peringatan dini banjir terhubung ke pusat kendali.",
             "tags": ["banjir", "sensor", "peringatan dini"]})
        new = offers.new_offer(other, other_vendor.organization_id, data, "published")
        other.commit()
    assert new.index_seq > seq
    matching.rematch_need(session, world["flood"].id)
    assert (world["flood"].id, new.id) in stored_pairs(db)
    engine_index.forget()  # a fresh process builds the same index from the database
    assert matching.rematch_need(session, world["flood"].id).proposed == 0


def test_index_drops_offers_archived_by_another_process(app_ctx, db, world):
    session = get_session()
    matching.rematch_all(session)
    begin_write(db)
    db.get(Offer, world["pju_offer"].id).status = "archived"
    engine_index.bump_offer(db, world["pju_offer"].id)
    db.commit()
    assert str(world["pju_offer"].id) not in {
        p.offer_id for p in _proposals_for(session, world["pju"])}


def _proposals_for(session, need):
    index = engine_index.current_index(session)
    docs = engine_index.need_docs(session, [need])
    return engine.propose_all(index, docs, k=10).get(str(need.id), [])


def test_editing_a_need_rematches_it(app_ctx, db, world):
    session = get_session()
    matching.rematch_all(session)
    data = NeedUpdate.model_validate({**_need_fields(world["pju"]), **FLOOD_NEED,
                                      "version": world["pju"].version})
    needs.update(session, world["city_user"], world["pju"].id, data)
    pju_pju = stored_pair(db, world, "pju", "pju")
    assert (pju_pju.state, pju_pju.reason) == ("withdrawn", "no_longer_proposed")
    assert (world["pju"].id, world["flood_offer"].id) in stored_pairs(db)


def test_editing_an_offer_rematches_it(app_ctx, db, world):
    session = get_session()
    matching.rematch_all(session)
    offer = db.get(Offer, world["flood_offer"].id)
    data = OfferUpdate.model_validate({
        "dimension": "environment", "maturity": "proven", "national": True,
        "version": offer.version, **PJU_OFFER})
    offers.update(session, world["flood_vendor"], offer.id, data)
    assert (world["pju"].id, offer.id) in stored_pairs(db)
    assert stored_pair(db, world, "flood", "flood").state == "withdrawn"


def _need_fields(need) -> dict[str, object]:
    return {"dimension": need.dimension, "stage": need.stage, "budget_min": need.budget_min,
            "budget_max": need.budget_max}


def test_posting_a_need_through_the_web_proposes_offers(client, auth, db, world):
    assert auth.login(world["city_user"].email).status_code == 302
    response = client.post("/needs/new", data={
        "title": "PJU tenaga surya untuk jalan desa",
        "description": "Kami mencari lampu PJU LED dengan kontrol dimming dan pemantauan "
        "lampu padam dari pusat kendali, untuk ruas jalan yang belum berlistrik.",
        "dimension": "environment", "tags": "PJU, LED", "budget_min": "100000000",
        "budget_max": "900000000", "stage": "short_term", "priority": "2", "publish": "y",
    })
    assert response.status_code == 302
    db.rollback()
    new = db.exec(select(Need).where(Need.title == "PJU tenaga surya untuk jalan desa")).one()
    assert (new.id, world["pju_offer"].id) in stored_pairs(db)


def test_publishing_an_offer_through_the_web_proposes_it(client, auth, db, world):
    vendor = world["flood_vendor"]
    assert auth.login(vendor.email).status_code == 302
    response = client.post("/offers/new", data={
        "title": "Smart LED street light controller", "description": "Remote dimming of LED "
        "street lights (PJU), outage alerts and an energy dashboard for city operators.",
        "dimension": "environment", "tags": "PJU, LED, dimming", "national": "y",
        "maturity": "deployed", "price_min": "50000000", "price_max": "500000000",
        "publish": "y",
    })
    assert response.status_code == 302
    db.rollback()
    new = db.exec(select(Offer).where(Offer.title == "Smart LED street light controller")).one()
    assert (world["pju"].id, new.id) in stored_pairs(db)
