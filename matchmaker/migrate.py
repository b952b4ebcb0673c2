"""Running the Alembic migrations from code (``matchmaker init-db``, tests)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    url = engine.url.render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ConfigParser escaping
    cfg.attributes["engine"] = engine
    return cfg


def _quiet() -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)


def upgrade(engine: Engine, revision: str = "head") -> None:
    _quiet()
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    _quiet()
    command.downgrade(alembic_config(engine), revision)
