"""bench/probe.py against a live in-process server: no 5xx, the owner not locked out; and its
pieces (loopback guard, form reading) on their own."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel
from werkzeug.serving import make_server

from matchmaker import passwords
from matchmaker.app import create_app
from matchmaker.db import make_engine
from matchmaker.services.demo_data import seed_demo
from matchmaker.services.seeding import seed_regions
from tests.scripts import load_script

probe = load_script("bench/probe.py", "bench_probe")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The demo data (no matching run) on its own SQLite file, served on a free port."""
    path = tmp_path_factory.mktemp("probe") / "probe.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    one_hash = passwords.hash_password(probe.DEMO_PASSWORD)
    with Session(engine) as session, pytest.MonkeyPatch.context() as patch:
        # One argon2 hash for all 35 demo users: seeding stays quick; logins verify as usual.
        patch.setattr(passwords, "hash_password", lambda _password: one_hash)
        seed_regions(session)
        seed_demo(session, password=probe.DEMO_PASSWORD)
        session.commit()
    engine.dispose()
    app = create_app({
        "TESTING": True, "SECRET_KEY": "probe-test-key", "DATABASE_URL": url,
        "MAIL_BACKEND": "locmem", "MAIL_ASYNC": False, "REDIS_URL": None,
        "LIMITER_ENABLED": True, "DB_LOCK_TIMEOUT_MS": 800, "STRICT_WRITES": True,
    })
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="probe-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", path
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("MATCHMAKER_TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="the probe's server runs on its own SQLite file: the SQLite run "
                           "covers it")
def test_probe_finds_no_5xx_and_no_lockout(demo_server, capsys):
    base, database = demo_server
    code = probe.main(["--url", base, "--sqlite-path", str(database), "--rounds", "1",
                       "--hold-seconds", "1.5", "--deadline", "45"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (code, result["5xx"], result["owner_locked_out"]) == (0, 0, False), result
    assert result["lockout"]["rotated_addresses"] is True
    assert result["lockout"]["wrong_password_statuses"] == {"200": 10}
    held = result["held_lock"]
    assert held["writes"] == held["503_with_retry_after"] > 0
    overflow = result["per_check"]["overflow"]["statuses"]
    assert overflow["404"] >= 4 * len(probe.INT_ROUTES)
    assert set(overflow) <= {"200", "404", "422"}
    assert overflow["422"] == 2  # version=2**63 in the need and the offer edit forms


@pytest.mark.parametrize("url", ["http://192.0.2.10:5000", "http://10.0.0.1", "https://127.0.0.1",
                                 "ftp://127.0.0.1:21"])
def test_probe_refuses_urls_off_this_machine(url):
    with pytest.raises(probe.ProbeError):
        probe.require_loopback(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://127.0.0.9:80",
                                 "http://[::1]:8080", "http://localhost:5000"])
def test_probe_accepts_loopback_urls(url):
    assert probe.require_loopback(url).startswith("http://")


def test_probe_refusal_is_reported_as_json_with_exit_2(capsys):
    assert probe.main(["--url", "http://192.0.2.10:5000"]) == 2
    assert "not a loopback address" in json.loads(capsys.readouterr().out)["error"]


def test_form_parser_sends_what_a_browser_sends():
    parser = probe.FormParser()
    parser.feed("""<form method="post" action="/x"><input type="hidden" name="csrf_token"
        value="t"><input name="title" value="A &amp; B"><input type="checkbox" name="c1">
        <input type="checkbox" name="c2" value="y" checked><select name="s"><option value="1">
        <option value="2" selected></select><textarea name="body">hi</textarea>
        <button type="submit" name="publish" value="1"></button><input name="off" disabled></form>
        <form method="post"><input name="q" value="z"></form>""")
    assert parser.forms == [("/x", [("csrf_token", "t"), ("title", "A & B"), ("c2", "y"),
                                    ("s", "2"), ("body", "hi")]),
                            ("", [("q", "z")])]


def test_budget_stops_the_probe():
    budget = probe.Budget(max_requests=1, deadline=float("inf"))
    budget.spend()
    with pytest.raises(probe.ProbeError, match="budget"):
        budget.spend()
