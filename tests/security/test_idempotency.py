"""Idempotency: re-running matching never duplicates a proposal (one row per need and offer),
never resurrects a declined or withdrawn pair and never drops one somebody acted on.
(Two runs at once: tests/security/test_concurrency.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from matchmaker.db import begin_write, get_session
from matchmaker.models import (
    Match,
)
from matchmaker.services import matching, workflow
from tests.matching_world import (
    UNRELATED_OFFER,
    event_count,
    rewrite_offer,
    stored_pair,
    stored_pairs,
)

pytestmark = pytest.mark.usefixtures("matching_settings")


def test_rerun_is_idempotent(app_ctx, db, world):
    matching.rematch_all(get_session())
    before, events = stored_pairs(db), event_count(db)
    versions = {key: m.version for key, m in before.items()}
    again = matching.rematch_all(get_session())
    after = stored_pairs(db)
    assert (again.proposed, again.withdrawn) == (0, 0)
    assert again.refreshed == 0  # nothing changed, so nothing is rewritten
    assert {key: m.version for key, m in after.items()} == versions
    assert event_count(db) == events
    matching.rematch_need(get_session(), world["pju"].id)
    matching.rematch_offer(get_session(), world["flood_offer"].id)
    assert len(stored_pairs(db)) == len(before) and event_count(db) == events


def test_a_pair_is_unique_in_the_database(db, make, world):
    make.match(world["pju"], world["pju_offer"])
    begin_write(db)
    db.add(Match(need_id=world["pju"].id, offer_id=world["pju_offer"].id,
                 engine_version="x", glossary_version="x"))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_declined_pair_is_never_resurrected(app_ctx, db, world):
    session = get_session()
    matching.rematch_all(session)
    match = stored_pair(db, world, "pju", "pju")
    workflow.transition(session, world["pju_vendor"], match.id, "decline")
    events = event_count(db)
    matching.rematch_all(session)
    matching.rematch_need(session, world["pju"].id)
    matching.rematch_offer(session, world["pju_offer"].id)
    stored = stored_pair(db, world, "pju", "pju")
    assert (stored.state, stored.vendor_decision) == ("declined", "declined")
    assert event_count(db) == events


def test_pair_withdrawn_by_a_side_is_not_resurrected(app_ctx, db, world):
    session = get_session()
    matching.rematch_all(session)
    match = stored_pair(db, world, "pju", "pju")
    workflow.transition(session, world["city_user"], match.id, "withdraw")
    matching.rematch_all(session)
    assert stored_pair(db, world, "pju", "pju").state == "withdrawn"


def test_acted_on_pair_is_kept_when_no_longer_proposed(app_ctx, db, world):
    session = get_session()
    matching.rematch_all(session)
    accepted = stored_pair(db, world, "pju", "pju")
    workflow.transition(session, world["city_user"], accepted.id, "accept")
    untouched_version = stored_pair(db, world, "flood", "flood").version
    rewrite_offer(db, world["pju_offer"], **UNRELATED_OFFER)
    rewrite_offer(db, world["flood_offer"], **UNRELATED_OFFER)
    report = matching.rematch_all(session)
    kept = stored_pair(db, world, "pju", "pju")
    assert (kept.state, kept.city_decision) == ("proposed", "accepted")
    gone = stored_pair(db, world, "flood", "flood")
    assert (gone.state, gone.reason, gone.last_actor_side) == (
        "withdrawn", "no_longer_proposed", "engine")
    assert gone.version == untouched_version + 1
    assert report.withdrawn == 1
