"""Full-text indexes for searching needs and offers on SQLite (FTS5).

Each posting table gets an external-content FTS5 table over its folded ``search_text``, kept in
step by triggers, so a search looks up words in an inverted index instead of scanning every
row. Other databases search with ``LIKE`` (see ``services/listings.py``).
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

INDEXED_TABLES = ("need", "offer")


def fts_table(table: str) -> str:
    return f"{table}_fts"


def _known(table: str) -> str:
    """Table names are spliced into DDL (identifiers cannot be bound): only our own two."""
    if table not in INDEXED_TABLES:
        raise ValueError(f"no full-text index is defined for table {table!r}")
    return table


def create_statements(table: str) -> list[str]:
    # Bandit B608 accepted (docs/security-checks.md): the only names spliced in are
    # ``_known`` table names and their ``_fts`` suffix; no request value reaches this DDL.
    fts = fts_table(_known(table))
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_text, content='{table}', "
        f"content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "  # nosec B608
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "  # nosec B608
        f"INSERT INTO {fts}({fts}, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF search_text ON {table} BEGIN "  # nosec B608
        f"INSERT INTO {fts}({fts}, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # nosec B608
    ]


def drop_statements(table: str) -> list[str]:
    fts = fts_table(_known(table))
    return [f"DROP TRIGGER IF EXISTS {fts}_{suffix}" for suffix in ("ai", "ad", "au")] + [
        f"DROP TABLE IF EXISTS {fts}"
    ]


def is_fts_name(name: str | None) -> bool:
    """Tables that belong to an FTS index (Alembic's comparison ignores them)."""
    return bool(name) and any(str(name).startswith(fts_table(t)) for t in INDEXED_TABLES)


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic hook: leave the FTS tables (made by raw DDL) out of schema comparisons."""
    return not (type_ == "table" and is_fts_name(name))


def register(table: Table) -> None:
    """Create the index with the table when ``create_all`` runs on SQLite (tests)."""
    for statement in create_statements(table.name):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
