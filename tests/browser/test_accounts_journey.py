"""Accounts in a real browser: register, wait for verification, log in, switch language.

Elements are found by ids, ``name`` attributes and form actions (or by role with a pattern
matching both languages) so the tests survive translation. Every page reached is checked by
the ``web`` helpers: status, no console error or CSP violation, axe WCAG 2.1 A/AA.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from matchmaker.models import Role
from tests import factories
from tests.browser_plugin import Web, check_a11y

pytestmark = pytest.mark.browser

REGENCY = "Kota Bandung, Jawa Barat"
NEW_PASSWORD = "a-long-enough-passphrase"
VERIFY_WORDS = re.compile(r"verif", re.I)  # "verify"/"verified" and "verifikasi"


def fill_registration(web: Web, *, name: str, email: str, regency: str, password: str,
                      confirm: str) -> None:
    page = web.page
    page.locator("input[name=role][value=city_official]").check()
    if regency:  # the kabupaten/kota input suggests from a datalist of every regency
        expect(page.locator("#regency")).to_have_attribute("list", "regency-options")
        expect(page.locator(f"#regency-options option[value='{regency}']")).to_have_count(1)
    page.locator("#regency").fill(regency)
    page.locator("#name").fill(name)
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#confirm").fill(confirm)


def test_register_verify_login_switch_language_logout(web: Web, make) -> None:
    page = web.page
    email, name = "siti.rahma@bandung.example.id", "Siti Rahmawati"

    # A visitor finds the register link on the start page and asks for a city account.
    web.visit("/")
    web.follow(page.locator("main a[href$='/auth/register']"))
    fill_registration(web, name=name, email=email, regency=REGENCY, password=NEW_PASSWORD,
                      confirm=NEW_PASSWORD)
    web.submit(web.main_submit())

    # Sent to the login page with a status message: waiting for a coordinator.
    assert web.path() == "/auth/login"
    expect(page.get_by_role("status")).to_contain_text(VERIFY_WORDS)

    # Not yet: logging in says the account waits for verification.
    web.login(email, NEW_PASSWORD)
    assert web.path() == "/auth/login"
    expect(page.locator("#error-summary")).to_contain_text(VERIFY_WORDS)

    # A coordinator logs in, opens the accounts page from the navbar and verifies the account.
    coordinator = make.user(Role.COORDINATOR, name="Koordinator Program")
    web.login(coordinator.email)
    assert web.path() == "/dashboard"
    web.follow(page.locator("nav a[href$='/coordinator/accounts']"))
    card = page.locator("main li", has_text=email)
    expect(card).to_contain_text(name)
    web.submit(card.locator("form[action$='/verify'] button[type=submit]"))
    expect(page.get_by_role("status")).to_contain_text(name)
    expect(page.locator("main")).not_to_contain_text(email)
    web.logout()

    # The new official logs in and lands on their own dashboard.
    web.login(email, NEW_PASSWORD)
    assert web.path() == "/dashboard"
    expect(page.locator("nav a[href$='/auth/profile']")).to_have_text(name)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert web.html_lang() == "id"

    # English and back, from the navbar's ID/EN buttons; the page stays the dashboard. The
    # buttons' names start with the code they show (WCAG 2.5.3 label in name).
    english = page.get_by_role("button", name=re.compile(r"^EN\b"))
    indonesian = page.get_by_role("button", name=re.compile(r"^ID\b"))
    expect(indonesian).to_have_attribute("aria-pressed", "true")
    web.submit(english)
    assert (web.path(), web.html_lang()) == ("/dashboard", "en")
    expect(english).to_have_attribute("aria-pressed", "true")
    web.submit(indonesian)
    assert (web.path(), web.html_lang()) == ("/dashboard", "id")

    web.logout()
    expect(page.get_by_role("status")).to_be_visible()


def test_registration_errors_are_summarised_and_input_kept(web: Web) -> None:
    page = web.page
    web.visit("/auth/register")
    fill_registration(web, name="Budi Santoso", email="not-an-address", regency="",
                      password="short", confirm="different")
    web.submit(web.main_submit(), status=422)

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    for field_id in ("email", "regency", "password", "confirm"):
        expect(summary.locator(f"a[href='#{field_id}']")).to_be_visible()
        expect(page.locator(f"#{field_id}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{field_id}-error")).to_be_visible()
    expect(page.locator("#email")).to_have_attribute(
        "aria-describedby", re.compile(r"\bemail-error\b")
    )
    # what was typed stays (except passwords), the chosen role stays chosen
    expect(page.locator("#name")).to_have_value("Budi Santoso")
    expect(page.locator("#email")).to_have_value("not-an-address")
    expect(page.locator("input[name=role][value=city_official]")).to_be_checked()

    # a summary link takes the keyboard focus to its field
    summary.locator("a[href='#email']").click()
    expect(page.locator("#email")).to_be_focused()

    # fixing the mistakes and resubmitting goes through
    fill_registration(web, name="Budi Santoso", email="budi@contoh.co.id", regency=REGENCY,
                      password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    web.submit(web.main_submit())
    assert web.path() == "/auth/login"
    expect(page.get_by_role("status")).to_contain_text(VERIFY_WORDS)


def test_login_with_the_keyboard_only(web: Web, make) -> None:
    user = make.user(Role.VENDOR)
    page = web.page
    web.visit("/auth/login")

    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # from <main>, the first field of the form
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Tab")
    expect(page.locator("#remember")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#remember")).to_be_checked()
    page.keyboard.press("Tab")
    expect(web.main_submit()).to_be_focused()
    web.press("Enter")
    assert web.path() == "/dashboard"


def test_no_horizontal_scroll_at_360px(web: Web, login_as) -> None:
    page = web.page
    page.set_viewport_size({"width": 360, "height": 740})

    def assert_fits() -> None:
        width, inner = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert width <= inner, f"{web.path()} scrolls sideways at 360 px: {width} > {inner}"

    for path in ("/auth/login", "/auth/register"):
        web.visit(path)
        assert_fits()
    login_as(Role.CITY_OFFICIAL, name="Pejabat Dengan Nama Yang Cukup Panjang Sekali")
    assert_fits()
    # the collapsed menu opens from its toggle, fits too, and offers the logout button
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_have_attribute("aria-expanded", "false")
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(page.locator("form[action$='/auth/logout'] button")).to_be_visible()
    assert_fits()
    check_a11y(page)


def test_error_page_is_accessible(web: Web) -> None:
    web.visit("/no-such-page", status=404)
    expect(web.page.get_by_role("heading", level=1)).to_be_visible()
    expect(web.page.locator("main a[href='/']")).to_be_visible()


def test_the_harness_catches_csp_violations(web: Web) -> None:
    """The console guard is not vacuous: an inline style the CSP blocks is reported."""
    web.visit("/")
    web.page.evaluate("""() => {
        const style = document.createElement("style");
        style.textContent = "body { color: red }";
        document.head.append(style);
    }""")
    for _ in range(50):  # console events arrive asynchronously
        if web.console_errors:
            break
        web.page.wait_for_timeout(50)
    with pytest.raises(AssertionError, match="Content Security Policy"):
        web.assert_no_console_errors()
