"""Database engine and per-request sessions.

SQLite is the embedded default: WAL so readers never block the writer, a generous busy timeout
and foreign keys on. Write services open their transaction with :func:`begin_write` so that on
SQLite the write lock is taken up front (``BEGIN IMMEDIATE``); PostgreSQL needs nothing extra.
Both databases wait at most ``lock_timeout_ms`` for a lock (SQLite's busy timeout, PostgreSQL's
``lock_timeout``); past it the request answers 503 with Retry-After (see ``errors.py``).

With ``strict_writes`` (tests) a write statement on SQLite outside a :func:`begin_write`
transaction raises, so a service that forgets it fails its tests instead of failing under load.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

LOCK_TIMEOUT_MS = 10_000
_BEGIN_OPTION = "sqlite_begin"
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteOutsideTransaction(RuntimeError):
    """A write on SQLite that did not start with :func:`begin_write` (strict mode only)."""


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, lock_timeout_ms: int = LOCK_TIMEOUT_MS,
                strict_writes: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url`` with our lock timeout and SQLite transaction handling applied."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, lock_timeout_ms, strict_writes)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    _configure_postgresql(engine, lock_timeout_ms)
    return engine


def _configure_postgresql(engine: Engine, lock_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
        dbapi_connection.commit()


def _configure_sqlite(engine: Engine, lock_timeout_ms: int, strict_writes: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.info["begin_mode"] = mode
        conn.exec_driver_sql(f"BEGIN {mode}")

    if strict_writes:
        @event.listens_for(engine, "before_cursor_execute")
        def _only_in_write_transactions(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
            if verb in _WRITE_VERBS and conn.info.get("begin_mode") != "IMMEDIATE":
                raise WriteOutsideTransaction(
                    f"{verb} outside begin_write(): {statement[:80]!r}")


def begin_write(session: Session) -> None:
    """Start a write transaction that holds the write lock from its first statement.

    Any read-only transaction already open in ``session`` (the user loader's, say) is ended
    first. On SQLite this issues ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout
    instead of failing when one upgrades a stale read snapshot.
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={_BEGIN_OPTION: "IMMEDIATE"})


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"],
                         lock_timeout_ms=int(app.config.get("DB_LOCK_TIMEOUT_MS",
                                                            LOCK_TIMEOUT_MS)),
                         strict_writes=bool(app.config.get("STRICT_WRITES")))
    app.extensions["db_engine"] = engine
    app.teardown_appcontext(_close_session)


def get_engine(app: Flask | None = None) -> Engine:
    engine: Engine = (app or current_app).extensions["db_engine"]
    return engine


def get_session() -> Session:
    """The session of the current request (or app context), opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(app: Flask | None = None, *, write: bool = True) -> Iterator[Session]:
    """A standalone session for CLI commands, scripts and side records (audit rows); commits
    on success. ``write`` opens it as a write transaction (:func:`begin_write`)."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        try:
            if write:
                begin_write(session)
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
