"""Browser fixtures, a pytest plugin registered once in tests/conftest.py (``pytest_plugins``)
so tests/browser and tests/security share them: Debian's chromium driven by Playwright against
the app on a live server.

* ``chromium_browser``: one headless chromium per session (never downloaded: the system one).
* ``live_server``: the test ``app`` (tests/conftest.py, so tables are emptied the same way)
  served by werkzeug on a free local port; yields its base URL.
* ``web``: a fresh browser context and page per test, wrapped in :class:`Web`, whose helpers
  check every page reached: HTTP status, no console error or CSP violation, and no axe
  WCAG 2.1 A/AA violation.

Tests marked ``browser`` (``pytestmark = pytest.mark.browser``) are skipped when no
``chromium`` is on PATH (CI installs it, so nothing is skipped there). The fixture names
differ from pytest-playwright's ``browser``/``page`` on purpose, so that plugin's fixtures and
browser parametrisation never come into play.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    Response,
    sync_playwright,
)
from werkzeug.serving import make_server

from matchmaker.models import Role, User
from tests import factories

CHROMIUM = shutil.which("chromium")
NO_CHROMIUM = (
    "browser tests need Debian's chromium on PATH (apt-get install chromium); "
    "Playwright never downloads a browser here"
)

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 10_000
_axe = Axe()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without chromium, skip every test marked ``browser``.

    CI sets ``MATCHMAKER_REQUIRE_BROWSER=1``: there a missing chromium is an error, not a skip.
    """
    if CHROMIUM is None:
        marked = [item for item in items if item.get_closest_marker("browser") is not None]
        if marked and os.environ.get("MATCHMAKER_REQUIRE_BROWSER") == "1":
            raise pytest.UsageError(NO_CHROMIUM + " (MATCHMAKER_REQUIRE_BROWSER=1)")
        for item in marked:
            item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


# --- browser and server -----------------------------------------------------------------------

@pytest.fixture(scope="session")
def pw_runtime() -> Iterator[Playwright]:
    with sync_playwright() as runtime:
        yield runtime


@pytest.fixture(scope="session")
def chromium_browser(pw_runtime: Playwright) -> Iterator[Browser]:
    browser = pw_runtime.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test app served on 127.0.0.1:<free port>; the ``app`` fixture empties the tables."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- checks -----------------------------------------------------------------------------------

def check_a11y(page: Page) -> None:
    """Run axe with the WCAG 2.1 A/AA rules on the current page; fail listing each violation."""
    results = _axe.run(page, options={
        "runOnly": {"type": "tag", "values": WCAG_TAGS},
        "resultTypes": ["violations"],
    })
    violations = results.response["violations"]
    if not violations:
        return
    lines = [f"axe: {len(violations)} WCAG 2.1 A/AA violation(s) on {page.url}"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:10]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}  {summary}")
    pytest.fail("\n".join(lines), pytrace=False)


@dataclass
class Web:
    """One test's browser page plus the helpers that check each page it reaches."""

    page: Page
    base_url: str
    console_errors: list[str] = field(default_factory=list)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.console_errors.append(f"{message.text} ({where})")

    def _on_page_error(self, error: Any) -> None:
        self.console_errors.append(f"uncaught: {error}")

    def path(self) -> str:
        return self.page.url.removeprefix(self.base_url).split("#", 1)[0]

    def after_navigation(self, response: Response | None, status: int | None = None) -> Response:
        """Check the page just reached: its status (< 400 unless ``status`` is given), no
        console error or CSP violation so far, and axe's WCAG 2.1 A/AA rules."""
        assert response is not None, f"no response for {self.page.url}"
        if status is None:
            assert response.status < 400, self._unexpected(response, "< 400")
        else:
            assert response.status == status, self._unexpected(response, str(status))
            # chromium reports a document's own 4xx as a console error: expected here
            self.console_errors[:] = [
                e for e in self.console_errors
                if not (f"status of {status}" in e and response.url in e)
            ]
        self.page.wait_for_load_state("load")
        check_a11y(self.page)
        self.assert_no_console_errors()
        return response

    def _unexpected(self, response: Response, wanted: str) -> str:
        shown = self.page.locator("main").inner_text(timeout=2_000)[:1500]
        return (f"{response.url} answered {response.status}, wanted {wanted}; "
                f"the page says:\n{shown}")

    def assert_no_console_errors(self) -> None:
        errors, self.console_errors[:] = list(self.console_errors), []
        assert not errors, "console errors (CSP violations included):\n" + "\n".join(errors)

    def visit(self, path: str, status: int | None = None) -> Response:
        """Open ``path`` (relative to the live server) and check the page."""
        return self.after_navigation(self.page.goto(path), status)

    def submit(self, button: Locator, status: int | None = None) -> Response:
        """Click a submit button (or press Enter on it), follow redirects and check the page."""
        with self.page.expect_navigation() as navigation:
            button.click()
        return self.after_navigation(navigation.value, status)

    follow = submit  # a link: same thing

    def press(self, key: str, status: int | None = None) -> Response:
        """Press ``key`` on the focused element, expecting it to navigate; check the page."""
        with self.page.expect_navigation() as navigation:
            self.page.keyboard.press(key)
        return self.after_navigation(navigation.value, status)

    def assert_fits(self) -> None:
        """No sideways scrolling of the page itself (tables scroll inside their wrapper)."""
        width, inner = self.page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert width <= inner, f"{self.path()} scrolls sideways: {width} > {inner} px"

    # --- journeys' common steps

    def main_submit(self) -> Locator:
        """The submit button of the page's main form (not the navbar's little forms)."""
        return self.page.locator("main form[method=post] button[type=submit]").last

    def login(self, email: str, password: str = factories.PASSWORD) -> Response:
        self.visit("/auth/login")
        self.page.locator("#email").fill(email)
        self.page.locator("#password").fill(password)
        return self.submit(self.main_submit())

    def logout(self) -> Response:
        response = self.submit(self.page.locator("form[action$='/auth/logout'] button"))
        assert self.path() == "/auth/login"
        return response

    def html_lang(self) -> str | None:
        return self.page.locator("html").get_attribute("lang")


@pytest.fixture
def web(chromium_browser: Browser, live_server: str) -> Iterator[Web]:
    """A new context and page per test (1280x800; tests may ``page.set_viewport_size``)."""
    context = chromium_browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 800}, locale="id-ID",
        service_workers="block",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    helper = Web(page=page, base_url=live_server)
    page.on("console", helper._on_console)
    page.on("pageerror", helper._on_page_error)
    try:
        yield helper
        helper.assert_no_console_errors()
    finally:
        context.close()


@pytest.fixture
def login_as(web: Web, make: factories.Factory) -> Callable[..., User]:
    """``login_as(role, **values)``: a user made directly in the database (an active account
    by default), then logged in through the login form. Returns the user."""

    def login(role: str = Role.CITY_OFFICIAL, **values: Any) -> User:
        user = make.user(role, **values)
        web.login(user.email)
        assert web.path() == "/dashboard", f"{user.email} could not log in"
        return user

    return login
