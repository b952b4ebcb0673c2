"""Alembic: ``upgrade head`` on an empty database yields exactly the models, and every
migration downgrades cleanly (on SQLite, or PostgreSQL when the tests run there)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import matchmaker.models  # noqa: F401
from matchmaker.db import make_engine
from matchmaker.migrate import downgrade, upgrade
from tests.conftest import fresh_database_url


@pytest.fixture
def empty_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url, drop = fresh_database_url(tmp_path_factory)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop()


def _pending_changes(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_upgrade_head_matches_the_models(empty_engine):
    upgrade(empty_engine)
    assert _pending_changes(empty_engine) == []


def test_downgrade_to_base_and_back(empty_engine):
    upgrade(empty_engine)
    downgrade(empty_engine, "base")
    tables = set(inspect(empty_engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade(empty_engine)
    assert _pending_changes(empty_engine) == []


def test_each_step_downgrades_one_revision(empty_engine):
    upgrade(empty_engine)
    before = set(inspect(empty_engine).get_table_names())
    downgrade(empty_engine, "-1")
    after = set(inspect(empty_engine).get_table_names())
    assert after < before, "downgrade -1 removed nothing"
    upgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) == before
