"""``make demo`` tells the whole story: after matching, each of the three printed logins finds
work waiting and finished partnerships, the coordinator accounts to verify, and a second run
changes nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import col, func, select

from matchmaker.db import get_session
from matchmaker.models import Match, MatchState, Need, Notification, Offer, User, UserStatus
from matchmaker.services import demo_story, matching
from matchmaker.services.demo_data import seed_demo


@pytest.fixture
def told(app_ctx, db):
    seed_demo(db, password="demo-password-123")
    matching.rematch_all(get_session())
    return demo_story.tell(get_session())


def _rows_of(db, email: str) -> list[tuple[Match, Need, Offer]]:
    user = db.exec(select(User).where(User.email == email)).one()
    rows = db.exec(select(Match, Need, Offer).join(Need, col(Need.id) == Match.need_id)
                   .join(Offer, col(Offer.id) == Match.offer_id)).all()
    return [r for r in rows if user.organization_id in (r[1].organization_id,
                                                        r[2].organization_id)]


def test_every_scene_is_told_with_the_first_logins_in_them(told, db):
    db.commit()
    assert told.told == [scene.name for scene in demo_story.SCENES]
    states = Counter(m.state for m in db.exec(select(Match)).all())
    assert states[MatchState.APPROVED] == 2
    assert states[MatchState.CONFIRMED] == 1 and states[MatchState.REJECTED] == 1
    city = Counter(m.state for m, _, _ in _rows_of(db, demo_story.FIRST_CITY))
    assert city[MatchState.APPROVED] >= 1 and city[MatchState.CONFIRMED] >= 1
    waiting_for_city = [m for m, _, _ in _rows_of(db, demo_story.FIRST_CITY)
                        if m.vendor_decision and not m.city_decision]
    waiting_for_vendor = [m for m, _, _ in _rows_of(db, demo_story.FIRST_VENDOR)
                          if m.city_decision and not m.vendor_decision]
    assert waiting_for_city and waiting_for_vendor
    assert any(m.state == MatchState.APPROVED for m, _, _ in _rows_of(db, demo_story.FIRST_VENDOR))
    rejected = db.exec(select(Match).where(Match.state == MatchState.REJECTED)).one()
    assert rejected.reason == demo_story.REJECTION


def test_the_logins_have_unread_notices_and_the_coordinator_accounts_to_verify(told, db):
    db.commit()
    assert told.pending_accounts == len(demo_story.PENDING)
    pending = db.exec(select(func.count()).select_from(User)
                      .where(User.status == UserStatus.PENDING)).one()
    assert pending == len(demo_story.PENDING)
    for email in (demo_story.FIRST_CITY, demo_story.FIRST_VENDOR, demo_story.FIRST_COORDINATOR):
        user = db.exec(select(User).where(User.email == email)).one()
        unread = db.exec(select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, col(Notification.read_at).is_(None))).one()
        assert unread > 0, email


def test_telling_it_again_changes_nothing(told, db):
    db.commit()
    before = sorted((m.id, m.state, m.version) for m in db.exec(select(Match)).all())
    again = demo_story.tell(get_session())
    db.commit()
    assert again.skipped and not again.told
    assert sorted((m.id, m.state, m.version) for m in db.exec(select(Match)).all()) == before
