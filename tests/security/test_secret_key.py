"""Secret key: production refuses to start without MATCHMAKER_SECRET_KEY."""

from __future__ import annotations

import pytest

from matchmaker.app import create_app
from matchmaker.config import ConfigError


@pytest.mark.parametrize("secret", [None, ""])
def test_the_app_refuses_to_start_in_production_without_a_secret_key(database_url, secret):
    with pytest.raises(ConfigError, match="MATCHMAKER_SECRET_KEY"):
        create_app({"DATABASE_URL": database_url, "SECRET_KEY": secret})


def test_a_production_app_takes_its_secret_key_from_the_environment(database_url, monkeypatch):
    monkeypatch.setenv("MATCHMAKER_SECRET_KEY", "k" * 64)
    app = create_app({"DATABASE_URL": database_url})
    assert app.config["SECRET_KEY"] == "k" * 64
    assert not app.debug and not app.testing


@pytest.mark.parametrize("mode", ["DEBUG", "TESTING"])
def test_debug_and_test_runs_start_without_a_secret_key(database_url, monkeypatch, mode):
    monkeypatch.setenv(f"MATCHMAKER_{mode}", "1")
    app = create_app({"DATABASE_URL": database_url})
    assert app.config["SECRET_KEY"]
