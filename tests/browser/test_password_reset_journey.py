"""Forgotten password in a real browser: ask for a link from the login page, open the link
from the e-mail, choose a new password (a mismatch first), log in with it.

Elements are found by ids and ``href`` attributes so the test survives translation; every
page reached is checked by the ``web`` helpers (status, console, axe WCAG 2.1 A/AA).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from matchmaker.models import OutboundEmail
from tests.browser_plugin import Web

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a-passphrase-from-the-link"
LINK_RE = re.compile(r"https?://[^/\s]+(/auth/reset/[A-Za-z0-9_-]+)")


def test_forgotten_password_reset_by_e_mail_then_login(web: Web, app, make, db) -> None:
    page = web.page
    user = make.user(name="Rina Wulandari")
    page.set_viewport_size({"width": 360, "height": 740})

    # From the login page's "Lupa kata sandi?" link, ask for a link.
    web.visit("/auth/login")
    web.follow(page.locator("main a[href$='/auth/forgot']"))
    web.assert_fits()
    page.locator("#email").fill(user.email)
    web.submit(web.main_submit())
    assert web.path() == "/auth/login"
    expect(page.get_by_role("status")).to_contain_text("60")

    # The e-mail went out through the outbox; its stored body no longer holds the link.
    db.rollback()
    (row,) = db.exec(select(OutboundEmail)).all()
    assert (row.to, row.status, row.secret) == (user.email, "sent", True)
    assert LINK_RE.search(row.body) is None
    (mail,) = app.extensions["mailman"].outbox
    path = LINK_RE.search(mail.body).group(1)

    # The link opens the new-password form; a mismatch is explained, then fixed.
    web.visit(path)
    web.assert_fits()
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#confirm").fill(NEW_PASSWORD + "!")
    web.submit(web.main_submit(), status=422)
    expect(page.locator("#error-summary a[href='#confirm']")).to_be_visible()
    expect(page.locator("#confirm")).to_have_attribute("aria-invalid", "true")
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#confirm").fill(NEW_PASSWORD)
    web.submit(web.main_submit())
    assert web.path() == "/auth/login"
    expect(page.get_by_role("status")).to_be_visible()

    # The link is spent: opening it again says so and offers a new one.
    web.visit(path, status=410)
    expect(page.locator("main a[href$='/auth/forgot']")).to_be_visible()

    # The new password logs in.
    web.login(user.email, NEW_PASSWORD)
    assert web.path() == "/dashboard"
