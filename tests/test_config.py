"""Configuration: no production start without a secret key, typed ``MATCHMAKER_*`` variables."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlmodel import Session, select

from matchmaker import config
from matchmaker.app import create_app
from matchmaker.config import ConfigError
from matchmaker.models import AuditEvent
from tests.conftest import CsrfClient, test_config
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No MATCHMAKER_* variable of the developer's shell leaks into these tests."""
    import os

    for name in list(os.environ):
        if name.startswith(config.PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path / "instance"))


def test_environment_values_are_typed():
    found = config.from_environment({
        "MATCHMAKER_MAX_CONTENT_LENGTH": "1048576",
        "MATCHMAKER_LOGIN_FAILURES_PER_WINDOW": " 5 ",
        "MATCHMAKER_REMEMBER_COOKIE_DURATION": "604800",
        "MATCHMAKER_FORCE_HTTPS": "yes",
        "MATCHMAKER_LIMITER_ENABLED": "off",
        "MATCHMAKER_TRUST_PROXY": "0",
        "MATCHMAKER_SESSION_COOKIE_SECURE": "False",
        "MATCHMAKER_LOGIN_WINDOW": "5 minutes",
        "OTHER_SETTING": "ignored",
    })
    assert found == {
        "MAX_CONTENT_LENGTH": 1048576, "LOGIN_FAILURES_PER_WINDOW": 5,
        "REMEMBER_COOKIE_DURATION": 604800, "FORCE_HTTPS": True, "LIMITER_ENABLED": False,
        "TRUST_PROXY": False, "SESSION_COOKIE_SECURE": False, "LOGIN_WINDOW": "5 minutes",
    }


@pytest.mark.parametrize("raw,expected", [("1", True), ("TRUE", True), ("on", True),
                                          ("0", False), ("false", False), ("No", False)])
def test_boolean_spellings(raw, expected):
    assert config.from_environment({"MATCHMAKER_FORCE_HTTPS": raw}) == {"FORCE_HTTPS": expected}


@pytest.mark.parametrize("name,raw", [("MATCHMAKER_MAX_CONTENT_LENGTH", "2MB"),
                                      ("MATCHMAKER_PAGE_SIZE", "twenty"),
                                      ("MATCHMAKER_FORCE_HTTPS", "ture")])
def test_an_unreadable_value_is_a_config_error_naming_the_variable(name, raw):
    with pytest.raises(ConfigError, match=name):
        config.from_environment({name: raw})


def test_explicit_settings_beat_the_environment_which_beats_the_defaults(monkeypatch):
    monkeypatch.setenv("MATCHMAKER_PAGE_SIZE", "50")
    monkeypatch.setenv("MATCHMAKER_MAX_CONTENT_LENGTH", "4096")
    settings = config.build({"TESTING": True, "PAGE_SIZE": 7})
    assert settings["PAGE_SIZE"] == 7
    assert settings["MAX_CONTENT_LENGTH"] == 4096
    assert settings["LOGIN_FAILURES_PER_WINDOW"] == 10


def test_forcing_https_makes_both_cookies_secure(monkeypatch):
    monkeypatch.setenv("MATCHMAKER_FORCE_HTTPS", "1")
    settings = config.build({"TESTING": True})
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert config.build({"TESTING": True, "FORCE_HTTPS": False})["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize("seconds", ["0", str(31 * 24 * 3600)])
def test_a_remember_cookie_outside_30_days_is_refused(monkeypatch, seconds):
    monkeypatch.setenv("MATCHMAKER_REMEMBER_COOKIE_DURATION", seconds)
    with pytest.raises(ConfigError, match="REMEMBER_COOKIE_DURATION"):
        config.build({"TESTING": True})


def _app_from_env(database_url: str, monkeypatch, **env: str):
    for name, value in env.items():
        monkeypatch.setenv(f"MATCHMAKER_{name}", value)
    overrides = test_config(database_url)
    for name in env:
        overrides.pop(name, None)
    app = create_app(overrides)
    app.test_client_class = CsrfClient
    return app


def test_the_size_limit_from_the_environment_is_enforced(database_url, monkeypatch):
    app = _app_from_env(database_url, monkeypatch, MAX_CONTENT_LENGTH="4096")
    client = app.test_client()
    response = client.post("/auth/login", data=b"a=" + b"x" * 5000,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_a_remember_duration_from_the_environment_is_used_at_login(database_url, monkeypatch,
                                                                    make):
    app = _app_from_env(database_url, monkeypatch, REMEMBER_COOKIE_DURATION="86400")
    user = make.user()
    response = app.test_client().post("/auth/login", data={"email": user.email,
                                                           "password": PASSWORD,
                                                           "remember": "y"})
    assert response.status_code == 302
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header).group(1))
    assert expires <= datetime.now(UTC) + timedelta(days=1, minutes=1)


@pytest.mark.usefixtures("app")  # empties the tables afterwards
@pytest.mark.parametrize("trust,expected_ip", [("0", "127.0.0.1"), ("1", "203.0.113.9")])
def test_forwarded_addresses_are_believed_only_behind_a_trusted_proxy(
    database_url, engine, monkeypatch, trust, expected_ip
):
    app = _app_from_env(database_url, monkeypatch, TRUST_PROXY=trust)
    app.test_client().post("/auth/login", data={"email": "nobody@example.com",
                                                "password": "whatever-123"},
                           headers={"X-Forwarded-For": "203.0.113.9"})
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.login")).one()
    assert event.ip == expected_ip
