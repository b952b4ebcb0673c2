"""The fixtures themselves: an empty database per test with the real regions loaded."""

from sqlalchemy import func
from sqlmodel import select

from matchmaker.models import Province, Regency, User


def test_regions_are_loaded_once_and_complete(db):
    assert db.exec(select(func.count()).select_from(Province)).one() == 38
    assert db.exec(select(func.count()).select_from(Regency)).one() == 514


def test_each_test_starts_without_users(db, make):
    make.user()
    assert db.exec(select(func.count()).select_from(User)).one() == 1


def test_previous_test_left_nothing_behind(db):
    assert db.exec(select(func.count()).select_from(User)).one() == 0
