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
from matchmaker import search_index
from matchmaker.db import make_engine
from matchmaker.migrate import downgrade, upgrade
from matchmaker.search_index import include_name
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
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_name": include_name})
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


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_every_revision_downgrades_and_upgrades_again(empty_engine):
    """Walk down one revision at a time to the base, then back up to head."""
    upgrade(empty_engine)
    head = _revision(empty_engine)
    seen = [head]
    while _revision(empty_engine) is not None:
        downgrade(empty_engine, "-1")
        assert _revision(empty_engine) not in seen, "downgrade -1 did not move back"
        seen.append(_revision(empty_engine))
    assert len(seen) >= 5  # 0001..0005 and the base
    upgrade(empty_engine)
    assert _revision(empty_engine) == head
    assert _pending_changes(empty_engine) == []


def test_migrated_sqlite_keeps_the_search_index_in_step(empty_engine):
    if empty_engine.dialect.name != "sqlite":
        pytest.skip("the FTS5 search index exists on SQLite only; PostgreSQL searches with LIKE")
    from sqlalchemy import text

    upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO province(code, name) VALUES ('31', 'DKI Jakarta')"))
        conn.execute(text("INSERT INTO organization(kind, name, created_at) "
                          "VALUES ('city', 'Pemkot', '2026-01-01')"))
        conn.execute(text(
            "INSERT INTO need(id, organization_id, title, description, dimension, tags, "
            "unbudgeted, stage, priority, status, search_text, created_at, updated_at, version) "
            "VALUES (1, 1, 't', 'd', 'living', '[]', 1, 'quick_win', 2, 'open', "
            "'lampu jalan pintar', '2026-01-01', '2026-01-01', 1)"))
        conn.execute(text("UPDATE need SET search_text = 'sirene banjir' WHERE id = 1"))

    def hits(word: str) -> list[int]:
        with empty_engine.connect() as conn:
            return list(conn.execute(text(
                "SELECT rowid FROM need_fts WHERE need_fts MATCH :w"), {"w": word}).scalars())

    assert hits("banjir") == [1]
    assert hits("lampu") == []
    with empty_engine.begin() as conn:
        conn.execute(text("DELETE FROM need WHERE id = 1"))
    assert hits("banjir") == []


@pytest.mark.parametrize("table", ["user", "need; DROP TABLE need", ""])
def test_full_text_ddl_refuses_tables_without_an_index(table):
    # The table name is spliced into DDL (bandit B608, docs/security-checks.md): only ours.
    with pytest.raises(ValueError, match="no full-text index"):
        search_index.create_statements(table)
    with pytest.raises(ValueError, match="no full-text index"):
        search_index.drop_statements(table)
