"""The ``matchmaker`` command on a fresh SQLite file: help, init-db, seed, create-user."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlmodel import Session, select

from matchmaker.app import create_app
from matchmaker.cli import main
from matchmaker.db import make_engine
from matchmaker.models import Organization, OrganizationKind, Role, User, UserStatus
from tests.conftest import CsrfClient, test_config

PASSWORD = "coordinator-pass-2026"


@pytest.fixture
def database(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def cli(tmp_path, database, monkeypatch):
    """Invoke ``matchmaker ...`` with settings from the environment only, in an empty folder."""
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    env = {
        "MATCHMAKER_DATABASE_URL": database,
        "MATCHMAKER_SECRET_KEY": "cli-test-secret-key",
        "MATCHMAKER_INSTANCE_PATH": str(tmp_path / "instance"),
        "MATCHMAKER_REDIS_URL": None,
    }
    runner = CliRunner()

    def invoke(*args: str, **extra_env: str | None):
        return runner.invoke(main, list(args), env={**env, **extra_env})

    return invoke


@pytest.fixture
def migrated(cli) -> None:
    result = cli("init-db")
    assert result.exit_code == 0, result.output


def _users(database: str) -> list[User]:
    engine = make_engine(database)
    try:
        with Session(engine) as session:
            return list(session.exec(select(User)).all())
    finally:
        engine.dispose()


def _create_coordinator(cli, email: str = "koordinator@example.com", *more: str):
    return cli("create-user", "--email", email, "--name", "Koordinator Pusat",
               "--role", "coordinator", "--password", PASSWORD, *more)


def test_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("init-db", "seed", "create-user", "run", "demo"):
        assert command in result.output


@pytest.mark.usefixtures("migrated")
def test_seeding_twice_is_idempotent(cli, database):
    first = cli("seed")
    second = cli("seed")

    assert first.exit_code == 0, first.output
    assert "Regions: 552 created, 0 updated." in first.output
    assert second.exit_code == 0, second.output
    assert "Regions: 0 created, 0 updated." in second.output


@pytest.mark.usefixtures("migrated")
def test_init_db_twice_is_harmless(cli):
    result = cli("init-db")
    assert result.exit_code == 0
    assert "latest migration" in result.output


@pytest.mark.usefixtures("migrated")
def test_create_user_makes_an_active_coordinator_who_can_log_in(cli, database):
    result = _create_coordinator(cli, "Koordinator@Example.com")

    assert result.exit_code == 0, result.output
    [user] = _users(database)
    assert (user.email, user.role, user.status) == (
        "koordinator@example.com", Role.COORDINATOR, UserStatus.ACTIVE)
    assert user.password_hash.startswith("$argon2id$")

    app = create_app(test_config(database))
    app.test_client_class = CsrfClient
    client = app.test_client()
    login = client.post("/auth/login", data={"email": "koordinator@example.com",
                                             "password": PASSWORD})
    assert login.status_code == 302
    assert client.get("/coordinator/accounts").status_code == 200
    app.extensions["db_engine"].dispose()


@pytest.mark.usefixtures("migrated")
def test_the_first_coordinator_joins_the_coordination_office(cli, database):
    assert _create_coordinator(cli).exit_code == 0
    engine = make_engine(database)
    with Session(engine) as session:
        org = session.exec(select(Organization)).one()
    engine.dispose()
    assert org.kind == OrganizationKind.COORDINATION


@pytest.mark.usefixtures("migrated")
def test_a_duplicate_email_is_a_clean_error(cli, database):
    assert _create_coordinator(cli).exit_code == 0

    result = _create_coordinator(cli, "KOORDINATOR@example.com")

    assert result.exit_code != 0
    assert "sudah terdaftar" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(_users(database)) == 1


@pytest.mark.usefixtures("migrated")
def test_a_short_password_is_a_clean_error(cli, database):
    result = cli("create-user", "--email", "a@example.com", "--name", "A", "--role",
                 "coordinator", "--password", "short")
    assert result.exit_code == 1
    assert "12 sampai 128" in result.output
    assert "Traceback" not in result.output
    assert _users(database) == []


@pytest.mark.parametrize("args,message", [
    (("--role", "emperor"), "Invalid value for '--role'"),
    (("--role", "city_official"), "register through the web form"),
    (("--role", "vendor"), "--organization is required"),
])
@pytest.mark.usefixtures("migrated")
def test_bad_role_arguments_are_usage_errors(cli, database, args, message):
    result = cli("create-user", "--email", "x@example.com", "--name", "X",
                 "--password", PASSWORD, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert _users(database) == []


def test_a_missing_secret_key_is_a_clean_error(cli):
    result = cli("init-db", MATCHMAKER_SECRET_KEY=None)
    assert result.exit_code == 1
    assert "MATCHMAKER_SECRET_KEY is not set" in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("migrated")
def test_a_vendor_can_be_created_with_its_company(cli, database):
    result = cli("create-user", "--email", "v@example.com", "--name", "V", "--role", "vendor",
                 "--organization", "PT Contoh", "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    engine = make_engine(database)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(Organization)
                             .where(Organization.kind == OrganizationKind.VENDOR)).one()
    engine.dispose()
    assert count == 1
