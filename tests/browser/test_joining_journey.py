"""Joining an existing organisation in a real browser: a vendor registers under a company
that already has a verified member, is verified but waits, the member accepts the request
from the organisation page, and the newcomer then sees the organisation and its offers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from matchmaker.models import OrganizationKind, Role
from tests.browser_plugin import Web

pytestmark = pytest.mark.browser

PASSWORD = "a-long-enough-passphrase"


def test_register_into_an_existing_company_and_get_accepted(web: Web, make) -> None:
    page = web.page
    org = make.org(OrganizationKind.VENDOR, name="PT Kota Pintar Nusantara")
    member = make.user(Role.VENDOR, organization=org, name="Bu Direktur")
    make.offer(org, title="Lampu jalan pintar terhubung")
    email, name = "rina@kotapintar.example", "Rina Pendatang"

    web.visit("/auth/register")
    page.locator("input[name=role][value=vendor]").check()
    page.locator("#name").fill(name)
    page.locator("#email").fill(email)
    page.locator("#company").fill("pt kota pintar NUSANTARA")
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    web.submit(web.main_submit())
    assert web.path() == "/auth/login"

    # The coordinator sees that the company already has a member, and verifies anyway.
    coordinator = make.user(Role.COORDINATOR)
    web.login(coordinator.email)
    web.follow(page.locator("nav a[href$='/coordinator/accounts']"))
    card = page.locator("main li.card", has_text=email)
    expect(card).to_contain_text(member.email)
    web.submit(card.locator("form[action$='/verify'] button[type=submit]"))
    web.logout()

    # Verified, but not a member yet: the dashboard says the request is waiting.
    web.login(email, PASSWORD)
    expect(page.locator("main [role=status]")).to_contain_text("PT Kota Pintar Nusantara")
    web.visit("/offers/mine", status=403)
    web.logout()

    # The member accepts the request from the organisation page in the navbar.
    web.login(member.email)
    web.follow(page.locator("nav a[href$='/organization/']"))
    request = page.locator("main li.card", has_text=email)
    web.submit(request.locator("form[action$='/approve'] button[type=submit]"))
    expect(page.locator("main")).to_contain_text(name)  # now among the members
    web.logout()

    # The newcomer now belongs to the company and sees its offers.
    web.login(email, PASSWORD)
    web.follow(page.locator("nav a[href$='/organization/']"))
    expect(page.get_by_role("heading", level=1)).to_have_text("PT Kota Pintar Nusantara")
    web.visit("/offers/mine")
    expect(page.locator("main")).to_contain_text("Lampu jalan pintar terhubung")
