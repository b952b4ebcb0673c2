"""A bounded probe of three hardening promises against a running Sinergi server (loopback only).

1. ``concurrent_writes``: six logged-in users POST ``/notifications/read-all``, open a
   notification and switch language at the same moment, several rounds: never a 5xx
   ("database is locked" used to answer 500). ``held_lock``: while the probe itself holds
   SQLite's write lock (only when it knows the database file), those writes answer 503 with
   Retry-After, never 500.
2. ``overflow``: every ``<int:...>`` route with 9223372036854775808 (one past SQLite's and
   PostgreSQL's BIGINT), as visitor and as each role, and ``version=9223372036854775808`` in the
   need and offer edit forms: 404 or 422, never 500.
4. ``lockout``: ten wrong passwords for one account, each from another loopback address
   (the client socket is bound to 127.0.0.2, 127.0.0.3 ...; X-Forwarded-For is ignored
   unless ``MATCHMAKER_TRUST_PROXY`` is on), then the owner logs in from a fresh browser and
   from the browser that logged in before: both must get in.

By default it starts its own demo server (``matchmaker demo``) on a free port with a temporary
SQLite database; ``--url`` probes a running demo server instead (loopback only), ``--source``
starts the server from another checkout. It sends a few hundred requests (at most
``--max-requests``), gives up ``--deadline`` seconds after the server is up, and prints one
JSON object as its last line:
``{"5xx": n, "per_check": {...}, "owner_locked_out": bool, ...}``. ``5xx`` counts every 5xx
except the 503s with Retry-After that the held-lock check asks for. Exit 1 on any counted 5xx
or a lockout, 2 when the probe cannot run.

    python bench/probe.py
    python bench/probe.py --url http://127.0.0.1:5000 --sqlite-path instance/sinergi.db
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIG = "9223372036854775808"  # 2**63
DEMO_PASSWORD = "sinergi-demo-2026"
CITY, VENDOR, COORDINATOR = ("pemda@sinergi.example", "vendor@sinergi.example",
                             "koordinator@sinergi.example")
#: Six demo users for the concurrent writes; the lockout's owner is not among them.
WRITERS = (CITY, VENDOR, COORDINATOR, "siti.aminah@banyuwangikab.example",
           "andi.syamsuddin@makassar.example", "ridwan.siregar@pemkomedan.example")
LOCKOUT_OWNER = "yudi.permana@bandung.example"
#: Every ``<int:...>`` route (tests/test_access.py lists them all), with its method.
INT_ROUTES = (
    ("GET", "/needs/{n}"), ("GET", "/needs/{n}/edit"), ("POST", "/needs/{n}/edit"),
    ("POST", "/needs/{n}/publish"), ("POST", "/needs/{n}/close"),
    ("GET", "/needs/{n}/proposals"),
    ("GET", "/offers/{n}"), ("GET", "/offers/{n}/edit"), ("POST", "/offers/{n}/edit"),
    ("POST", "/offers/{n}/publish"), ("POST", "/offers/{n}/archive"),
    ("GET", "/offers/{n}/proposals"),
    ("GET", "/matches/{n}"), ("POST", "/matches/{n}/confirm"), ("POST", "/matches/{n}/approve"),
    ("POST", "/notifications/{n}"),
    ("POST", "/coordinator/accounts/{n}/verify"), ("POST", "/coordinator/accounts/{n}/reject"),
)


class ProbeError(RuntimeError):
    """The probe cannot go on (server not up, budget spent, a demo login refused)."""


@dataclass
class Budget:
    """The bound on the whole probe: so many requests, so many seconds."""

    max_requests: int
    deadline: float
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def spend(self) -> None:
        with self.lock:
            self.sent += 1
            if self.sent > self.max_requests:
                raise ProbeError(f"request budget of {self.max_requests} spent")
        if time.monotonic() > self.deadline:
            raise ProbeError("deadline passed")


@dataclass
class Tally:
    """Statuses per check; 5xx counted apart."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    expected_503: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, check: str, status: int) -> None:
        with self.lock:
            self.statuses.setdefault(check, Counter())[status] += 1

    def fivexx(self, check: str) -> int:
        counted = sum(n for s, n in self.statuses.get(check, Counter()).items() if s >= 500)
        return counted - self.expected_503[check]

    def summary(self) -> dict[str, object]:
        return {check: {"requests": sum(c.values()), "5xx": self.fivexx(check),
                        "statuses": {str(s): n for s, n in sorted(c.items())}}
                for check, c in self.statuses.items()}


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


class Browser:
    """One visitor: its own cookies and, optionally, its own loopback source address."""

    def __init__(self, base: str, budget: Budget, tally: Tally, source: str | None = None):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.budget, self.tally, self.source = budget, tally, source
        self.cookies: dict[str, str] = {}

    def request(self, check: str, method: str, path: str,
                fields: list[tuple[str, str]] | None = None) -> Response:
        self.budget.spend()
        conn = http.client.HTTPConnection(
            self.host, self.port, timeout=30,
            source_address=(self.source, 0) if self.source else None)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", "replace")
            for cookie in raw.msg.get_all("Set-Cookie") or []:
                self._keep(cookie)
            response = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        finally:
            conn.close()
        self.tally.add(check, response.status)
        if os.environ.get("PROBE_TRACE"):
            print(check, method, path, response.status, file=sys.stderr)
        return response

    def _keep(self, header: str) -> None:
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        expired = re.search(r"max-age=0\b|expires=thu, 01 jan 1970", header, re.I)
        if expired or not value:
            self.cookies.pop(name.strip(), None)
        else:
            self.cookies[name.strip()] = value

    def forms(self, check: str, page: str) -> dict[str, list[tuple[str, str]]]:
        """Each form on ``page`` by the path it posts to, with the fields a browser sends."""
        response = self.request(check, "GET", page)
        parser = FormParser()
        parser.feed(response.body)
        return {urllib.parse.urlsplit(action).path or urllib.parse.urlsplit(page).path: fields
                for action, fields in reversed(parser.forms)}

    def form(self, check: str, page: str, action: str) -> list[tuple[str, str]]:
        found = self.forms(check, page)
        if action not in found:
            raise ProbeError(f"no form posting to {action} on {page}")
        return found[action]

    def csrf(self, check: str, page: str = "/auth/login") -> str:
        response = self.request(check, "GET", page)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.body) or \
            re.search(r'value="([^"]+)"[^>]*name="csrf_token"', response.body)
        if not match:
            raise ProbeError(f"no CSRF token on {page} ({response.status})")
        return match.group(1)

    def login(self, check: str, email: str, password: str = DEMO_PASSWORD) -> Response:
        fields = [(k, v) for k, v in self.form(check, "/auth/login", "/auth/login")
                  if k not in ("email", "password")]
        return self.request(check, "POST", "/auth/login",
                            fields + [("email", email), ("password", password)])

    def logged_in(self, check: str, email: str) -> Browser:
        response = self.login(check, email)
        if response.status != 302:
            raise ProbeError(f"demo login {email} answered {response.status}")
        return self


class FormParser(HTMLParser):
    """Collects each form's action and the fields a browser would submit."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._fields = []
            self.forms.append((a.get("action", ""), self._fields))
        if self._fields is None or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select is not None:
            if self._select_value is None or "selected" in a:
                self._select_value = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._fields.append((name, ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self._fields:
            name, value = self._fields[-1]
            self._fields[-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self._fields is not None:
            self._fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._fields = None


def require_loopback(url: str) -> str:
    """Only a server on this machine may be probed."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ProbeError(f"--url must be http://HOST:PORT, got {url!r}")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 80)}
    except socket.gaierror as exc:
        raise ProbeError(f"cannot resolve {parts.hostname}: {exc}") from exc
    if not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise ProbeError(f"refusing to probe {url}: not a loopback address")
    return f"http://{parts.hostname}:{parts.port or 80}"


def loopback_sources(count: int) -> list[str | None]:
    """127.0.0.2, 127.0.0.3 ... where the system lets a socket bind to them (Linux does)."""
    found: list[str | None] = []
    for last in range(2, 2 + count):
        address = f"127.0.0.{last}"
        with socket.socket() as sock:
            try:
                sock.bind((address, 0))
            except OSError:
                return [None] * count
        found.append(address)
    return found


# -- the checks ---------------------------------------------------------------------------------

def _at_once(jobs: list[tuple[Browser, str, list[tuple[str, str]]]], check: str) -> None:
    """POST every job at the same moment (a barrier), one thread each."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def post(browser: Browser, path: str, fields: list[tuple[str, str]]) -> None:
        try:
            barrier.wait(timeout=30)
            browser.request(check, "POST", path, fields)
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=post, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise ProbeError(f"{check}: {errors[0]}")


def _write_jobs(writers: list[Browser], check: str) -> list[tuple[Browser, str,
                                                                  list[tuple[str, str]]]]:
    jobs = []
    for number, browser in enumerate(writers):
        forms = browser.forms(check, "/notifications/")
        # The read-all button shows only while something is unread; the token is the same.
        token = next((dict(f)["csrf_token"] for f in forms.values() if "csrf_token" in dict(f)),
                     None)
        if token is None:
            raise ProbeError("no CSRF token on /notifications/")
        jobs.append((browser, "/notifications/read-all", [("csrf_token", token)]))
        opened = next((path for path in forms if re.fullmatch(r"/notifications/\d+", path)), None)
        if opened is not None:
            jobs.append((browser, opened, forms[opened]))
        language = "en" if number % 2 else "id"
        jobs.append((browser, "/language", [("csrf_token", token), ("language", language),
                                            ("next", "/dashboard")]))
    return jobs


def check_concurrent_writes(writers: list[Browser], rounds: int) -> None:
    for _ in range(rounds):
        _at_once(_write_jobs(writers, "concurrent_writes"), "concurrent_writes")


def check_held_lock(writers: list[Browser], tally: Tally, database: Path,
                    hold_seconds: float) -> dict[str, object]:
    """Hold SQLite's write lock while the six users write: each must get 503 + Retry-After."""
    jobs = [job for job in _write_jobs(writers, "held_lock") if job[1].endswith("read-all")]
    answers: list[Response] = []
    original = Browser.request

    def recording(self: Browser, check: str, method: str, path: str,
                  fields: list[tuple[str, str]] | None = None) -> Response:
        response = original(self, check, method, path, fields)
        if check == "held_lock" and method == "POST":
            answers.append(response)
        return response

    conn = sqlite3.connect(database, timeout=5, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("BEGIN IMMEDIATE")
        release = threading.Timer(hold_seconds, conn.rollback)
        release.start()
        Browser.request = recording  # type: ignore[method-assign]
        try:
            _at_once(jobs, "held_lock")
        finally:
            Browser.request = original  # type: ignore[method-assign]
            release.join()
    finally:
        conn.close()
    with_retry = sum(1 for r in answers if r.status == 503 and r.headers.get("retry-after"))
    tally.expected_503["held_lock"] += with_retry
    return {"writes": len(answers), "503_with_retry_after": with_retry,
            "held_seconds": hold_seconds}


def _edit_form(browser: Browser, kind: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The edit form of one of this user's own postings that can still be edited."""
    page = browser.request("overflow", "GET", f"/{kind}/mine").body
    for item in dict.fromkeys(re.findall(rf'href="/{kind}/(\d+)"', page)):
        path = f"/{kind}/{item}/edit"
        forms = browser.forms("overflow", path)
        if path in forms:
            return path, forms[path]
    return None


def check_overflow(visitor: Browser, users: dict[str, Browser]) -> None:
    for browser in (visitor, users[CITY], users[VENDOR], users[COORDINATOR]):
        token = browser.csrf("overflow", "/needs/")
        for method, template in INT_ROUTES:
            path = template.format(n=BIG)
            browser.request("overflow", method, path,
                            [("csrf_token", token)] if method == "POST" else None)
    for email, kind in ((CITY, "needs"), (VENDOR, "offers")):
        browser = users[email]
        found = _edit_form(browser, kind)
        if found is None:
            raise ProbeError(f"{email} has no {kind} left to edit")
        path, fields = found
        edited = [(k, BIG if k == "version" else v) for k, v in fields]
        if "version" not in dict(fields):
            edited.append(("version", BIG))
        browser.request("overflow", "POST", path, edited)


def check_lockout(base: str, budget: Budget, tally: Tally, attempts: int) -> dict[str, object]:
    known = Browser(base, budget, tally).logged_in("lockout", LOCKOUT_OWNER)
    known.request("lockout", "POST", "/auth/logout", [("csrf_token", known.csrf("lockout",
                                                                                 "/dashboard"))])
    sources = loopback_sources(attempts)
    refused = Counter[int]()
    for source in sources:
        attacker = Browser(base, budget, tally, source=source)
        wrong = "wrong-" + secrets.token_hex(4)
        refused[attacker.login("lockout", LOCKOUT_OWNER, wrong).status] += 1
    fresh = Browser(base, budget, tally).login("lockout", LOCKOUT_OWNER)
    again = known.login("lockout", LOCKOUT_OWNER)
    return {"wrong_passwords": attempts, "rotated_addresses": sources[0] is not None,
            "wrong_password_statuses": {str(s): n for s, n in sorted(refused.items())},
            "owner_fresh_browser_status": fresh.status,
            "owner_known_browser_status": again.status,
            "owner_locked_out": fresh.status != 302 or again.status != 302}


# -- the server ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def demo_server(source: Path, lock_timeout_ms: int, wait: float) -> Iterator[tuple[str, Path]]:
    """``matchmaker demo`` on a free loopback port with a temporary SQLite database."""
    with tempfile.TemporaryDirectory(prefix="sinergi-probe-") as tmp:
        database = Path(tmp) / "probe.db"
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(source), "MATCHMAKER_INSTANCE_PATH": tmp,
               "MATCHMAKER_DATABASE_URL": f"sqlite:///{database}",
               "MATCHMAKER_SECRET_KEY": secrets.token_hex(32),
               "MATCHMAKER_DB_LOCK_TIMEOUT_MS": str(lock_timeout_ms),
               "MATCHMAKER_MAIL_FILE_PATH": str(Path(tmp) / "mail")}
        for name in ("MATCHMAKER_REDIS_URL", "MATCHMAKER_TRUST_PROXY", "MATCHMAKER_DEBUG"):
            env.pop(name, None)
        log = open(Path(tmp) / "server.log", "w+", encoding="utf-8")  # noqa: SIM115
        server = subprocess.Popen(
            [sys.executable, "-c", "from matchmaker.cli import main; main()", "demo",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, server, wait, log)
            yield base, database
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()


def _wait_until_up(base: str, server: subprocess.Popen[bytes], wait: float, log: object) -> None:
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    end = time.monotonic() + wait
    while time.monotonic() < end:
        if server.poll() is not None:
            log.seek(0)  # type: ignore[attr-defined]
            tail = log.read()[-2000:]  # type: ignore[attr-defined]
            raise ProbeError(f"demo server exited with {server.returncode}: {tail}")
        try:
            conn = http.client.HTTPConnection(host or "127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise ProbeError(f"demo server not up within {wait:.0f} s")


# -- main ---------------------------------------------------------------------------------------

def probe(base: str, database: Path | None, args: argparse.Namespace,
          started: float) -> dict[str, object]:
    budget = Budget(args.max_requests, started + args.deadline)
    tally = Tally()
    users = {email: Browser(base, budget, tally).logged_in("logins", email)
             for email in WRITERS}
    writers = list(users.values())
    check_concurrent_writes(writers, args.rounds)
    held: dict[str, object] = {"skipped": "no SQLite database file known (--sqlite-path)"}
    if database is not None:
        held = check_held_lock(writers, tally, database, args.hold_seconds)
    check_overflow(Browser(base, budget, tally), users)
    lockout = check_lockout(base, budget, tally, args.attempts)
    per_check = tally.summary()
    fivexx = sum(int(c["5xx"]) for c in per_check.values())  # type: ignore[call-overload]
    return {"url": base, "seconds": round(time.monotonic() - started, 1),
            "requests": budget.sent, "held_lock": held, "lockout": lockout,
            "per_check": per_check, "owner_locked_out": lockout["owner_locked_out"],
            "5xx": fivexx}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="probe this running demo server (loopback only)")
    parser.add_argument("--sqlite-path", type=Path,
                        help="with --url: the server's SQLite file, for the held-lock check")
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="checkout whose matchmaker package the own server runs")
    parser.add_argument("--rounds", type=int, default=5, help="concurrent write rounds")
    parser.add_argument("--attempts", type=int, default=10, help="wrong passwords")
    parser.add_argument("--hold-seconds", type=float, default=2.5)
    parser.add_argument("--lock-timeout-ms", type=int, default=1000,
                        help="the own server's DB_LOCK_TIMEOUT_MS (below --hold-seconds)")
    parser.add_argument("--max-requests", type=int, default=600)
    parser.add_argument("--deadline", type=float, default=60,
                        help="seconds of probing, once the server is up")
    parser.add_argument("--start-timeout", type=float, default=90,
                        help="seconds the own demo server may take to migrate, seed and match")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        if args.url:
            result = probe(require_loopback(args.url), args.sqlite_path, args, started)
        else:
            with demo_server(args.source.resolve(), args.lock_timeout_ms,
                             wait=args.start_timeout) as (base, database):
                up = time.monotonic()
                result = probe(base, database, args, up)
                result["server_start_s"] = round(up - started, 1)
    except ProbeError as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    print(json.dumps(result))
    return 1 if result["5xx"] or result["owner_locked_out"] else 0


if __name__ == "__main__":
    sys.exit(main())
