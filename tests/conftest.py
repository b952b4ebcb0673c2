"""Shared fixtures, flaskr style: ``app``, ``client``, ``runner``, ``auth``, plus ``db`` and
factories. The database is SQLite in a temporary folder, or PostgreSQL (a fresh schema per run)
when ``MATCHMAKER_TEST_DATABASE_URL`` names one. Every test starts from empty tables except
the real regions, which are loaded once."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

import matchmaker.models  # noqa: F401  (registers the tables)
from matchmaker.app import create_app
from matchmaker.db import make_engine
from matchmaker.services.seeding import seed_regions
from tests import factories
from tests.i18n_support import compile_stale_catalogs

#: shared worlds as plugins: the matching world, and the browser fixtures (``web``,
#: ``live_server``, ``chromium_browser``) for tests marked browser
pytest_plugins = ["tests.matching_world", "tests.browser_plugin"]

PG_URL = os.environ.get("MATCHMAKER_TEST_DATABASE_URL", "")
KEEP_TABLES = {"province", "regency"}
_CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any]:
    """A URL for a new empty database (or schema) and a function that drops it."""
    if PG_URL:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))

        def drop() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

        return _with_search_path(PG_URL, schema), drop
    path = tmp_path_factory.mktemp("db") / "test.db"
    return f"sqlite:///{path}", lambda: None


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Only compiled catalogs are read: compile a missing or outdated ``.mo`` (as ``make
    translations`` does) so a fresh checkout is tested in Indonesian too."""
    compile_stale_catalogs()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, drop = fresh_database_url(tmp_path_factory)
    yield url
    drop()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    SQLModel.metadata.create_all(engine)  # tests only; the app itself migrates with Alembic
    with Session(engine) as session:
        seed_regions(session)
    yield engine
    engine.dispose()


def _empty_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                conn.execute(table.delete())


def test_config(database_url: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "MAIL_BACKEND": "locmem",
        "MAIL_ASYNC": False,  # deliver e-mail in the request, so tests see it deterministically
        "REDIS_URL": None,
        "STRICT_WRITES": True,  # a write outside begin_write() fails the test (SQLite)
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture
def app(engine: Engine, database_url: str) -> Iterator[Flask]:
    app = create_app(test_config(database_url))
    app.test_client_class = CsrfClient
    yield app
    _empty_tables(engine)


@pytest.fixture
def db(app: Flask, engine: Engine) -> Iterator[Session]:
    """A session on the test database for arranging data and checking results.

    It deliberately pushes no app context: a context left pushed would be shared by every
    test-client request (Flask reuses it), hiding per-request state bugs. Tests that call
    services directly use ``app_ctx``.
    """
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    """A request context for calling services directly (they translate their messages)."""
    with app.test_request_context():
        yield


@pytest.fixture
def client(app: Flask) -> CsrfClient:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


class CsrfClient(FlaskClient):
    """A test client that adds the session's CSRF token to form posts unless told not to.

    Pass ``csrf=False`` to send a form without a token (to test the refusal).
    """

    def csrf_token(self, path: str = "/") -> str:
        """The session's CSRF token, read from the form on ``path`` (the start page)."""
        page = self.get(path, follow_redirects=True).get_data(as_text=True)
        match = _CSRF_RE.search(page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:
        data = kwargs.get("data")
        if data is None and "json" not in kwargs:
            data = {}
        if csrf and isinstance(data, dict) and "csrf_token" not in data:
            kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        return super().post(*args, **kwargs)


class AuthActions:
    def __init__(self, client: CsrfClient) -> None:
        self._client = client

    def login(self, email: str, password: str = factories.PASSWORD, **extra: Any) -> Any:
        return self._client.post("/auth/login", data={"email": email, "password": password,
                                                      **extra})

    def logout(self) -> Any:
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client: CsrfClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make(db: Session) -> factories.Factory:
    """Factories bound to the test session: ``make.user(role=...)``, ``make.org(...)``."""
    return factories.Factory(db)
