"""A match from proposal to partnership in a real browser.

A city official posts a street-lighting need (matching runs on save and proposes a vendor's
published offer), reads the explanation and accepts; the vendor follows the bell to the match
and accepts; the coordinator approves from the approval queue; both sides then see the
partnership: its state, every step done, the contacts and the whole timeline. Notifications
(and e-mails, kept in memory) follow each step.

Elements are found by ids, form actions, URLs and ``data-*`` attributes (or patterns matching
both languages) so the tests survive translation. Every page reached is checked by the ``web``
helpers: status, no console error or CSP violation, axe WCAG 2.1 A/AA.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import expect

from matchmaker.models import OrganizationKind, Role, User
from tests.browser_plugin import Web

pytestmark = pytest.mark.browser

BANDUNG = "32.73"  # Kota Bandung, Jawa Barat
NEED_TITLE = "PJU pintar untuk efisiensi tagihan listrik"
NEED_TEXT = (
    "Tagihan rekening listrik PJU membengkak karena banyak titik masih lampu SON-T. Banyak "
    "lampu jalan mati tapi tidak ketahuan sampai warga melapor. Kami butuh PJU pintar: "
    "penggantian ke LED, panel kontrol yang dipantau dari kantor dinas, jadwal nyala dan "
    "peredupan (dimming) otomatis."
)
OFFER_TITLE = "Sistem PJU pintar berbasis IoT dengan peredupan otomatis"
OFFER_TEXT = (
    "Controller di setiap lampu PJU terhubung lewat LoRaWAN ke aplikasi pusat: lampu padam "
    "dan konsumsi kWh per titik terlihat, jadwal nyala dan peredupan (dimming) diatur per "
    "ruas, retrofit LED, notifikasi gangguan otomatis ke tim lapangan."
)
APPROVED = re.compile(r"approved|disetujui", re.I)


@pytest.fixture
def mail_outbox(app: Flask) -> Iterator[list]:
    """E-mails kept in memory and sent within the request, so they can be counted here."""
    app.config.update(MAIL_BACKEND="locmem", MAIL_ASYNC=False, MAIL_ENABLED=True)
    mailman = app.extensions["mailman"]
    mailman.outbox = []
    yield mailman.outbox


def unread(web: Web) -> int:
    """The bell's unread count (0 when it shows no badge)."""
    badge = web.page.locator("nav .notification-bell [data-unread]")
    if badge.count() == 0:
        return 0
    return int(badge.get_attribute("data-unread") or "0")


def switch_user(web: Web, user: User) -> None:
    web.logout()
    web.login(user.email)
    assert web.path() == "/dashboard", f"{user.email} could not log in"


def open_newest_notification(web: Web) -> None:
    """Bell -> notification list -> the newest item, which opens its match and is read."""
    before = unread(web)
    assert before > 0, "the bell shows no unread notification"
    web.follow(web.page.locator("nav a.notification-bell"))
    assert web.path() == "/notifications/"
    items = web.page.locator("main ul form[action*='/notifications/'] button")
    expect(items.first).to_have_class(re.compile(r"\bfw-bold\b"))  # unread looks unread
    web.follow(items.first)
    assert re.fullmatch(r"/matches/\d+", web.path()), web.path()
    assert unread(web) == before - 1, "opening a notification should mark it read"


def expect_steps(web: Web, done: int) -> None:
    steps = web.page.locator("main ol.match-steps > li")
    expect(steps).to_have_count(4)
    expect(steps.locator(".visually-hidden")).to_have_count(4)  # done / not yet, in words
    expect(web.page.locator("main ol.match-steps > li.done")).to_have_count(done)
    expect(web.page.locator("main ol.match-steps > li[aria-current=step]")).to_have_count(1)
    expect(steps.nth(done - 1)).to_have_attribute("aria-current", "step")


def test_proposal_to_partnership(web: Web, make, mail_outbox: list) -> None:
    page = web.page
    city_org = make.org(OrganizationKind.CITY, name="Pemerintah Kota Bandung",
                        regency_code=BANDUNG, contact_email="diskominfo@bandung.example.id",
                        contact_phone="022-4234793")
    vendor_org = make.org(OrganizationKind.VENDOR, name="PT Cahaya Kota",
                          contact_email="halo@cahayakota.example.id",
                          website="https://cahayakota.example.id")
    official = make.user(Role.CITY_OFFICIAL, organization=city_org, name="Siti Rahmawati",
                         email="siti@bandung.example.id")
    vendor = make.user(Role.VENDOR, organization=vendor_org, name="Budi Santoso",
                       email="budi@cahayakota.example.id")
    coordinator = make.user(Role.COORDINATOR, name="Koordinator Program",
                            email="koordinator@sinergi.example.id")
    offer = make.offer(vendor_org, title=OFFER_TITLE, description=OFFER_TEXT,
                       dimension="environment", tags=["PJU pintar", "IoT", "dimming", "LED"],
                       price_min=800_000_000, price_max=7_500_000_000, maturity="deployed")
    # an unrelated offer the engine should not propose for street lighting
    make.offer(title="Aplikasi antrean puskesmas daring",
               description="Pendaftaran pasien puskesmas dari ponsel, nomor antrean dan "
               "pengingat jadwal kontrol lewat WhatsApp.", dimension="society",
               tags=["kesehatan", "antrean"])

    # --- the city official posts the need; saving it runs the matching
    web.login(official.email)
    web.follow(page.locator("main a[href$='/needs/new']").first)
    page.locator("#title").fill(NEED_TITLE)
    page.locator("#description").fill(NEED_TEXT)
    page.locator("#dimension").select_option("environment")
    page.locator("#tags").fill("PJU, LED, hemat energi")
    page.locator("#budget_min").fill("3.000.000.000")
    page.locator("#budget_max").fill("9.000.000.000")
    page.locator("#stage").select_option("medium_term")
    web.submit(web.main_submit())
    assert re.fullmatch(r"/needs/\d+", web.path()), web.path()
    need_path = web.path()

    # from the need to its proposals: the street-lighting offer, explained, and only it
    web.follow(page.locator(f"main a[href$='{need_path}/proposals']"))
    assert web.path() == f"{need_path}/proposals"
    cards = page.locator("main ol > li.card")
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card).to_contain_text(OFFER_TITLE)
    expect(card).to_contain_text(vendor_org.name)
    expect(card.locator(".explanation mark.concept").first).to_be_visible()
    score_details = card.locator(".explanation details")
    score_details.locator("summary").click()
    expect(score_details.locator("table tbody tr").first).to_be_visible()
    expect(card.locator("button[data-action=decline]")).to_be_visible()

    web.submit(card.locator("button[data-action=accept]"))
    assert web.path() == f"{need_path}/proposals"  # back where the official was
    expect(page.get_by_role("status").first).to_be_visible()
    expect(card.locator("button[data-action=accept]")).to_have_count(0)
    web.follow(card.locator("a[href*='/matches/']").first)
    assert re.fullmatch(r"/matches/\d+", web.path()), web.path()
    match_path = web.path()
    expect_steps(web, done=2)
    expect(page.locator("main button[data-action=withdraw]")).to_be_visible()
    mails_to_vendor = [m for m in mail_outbox if vendor.email in m.to]
    assert mails_to_vendor, "the vendor got no e-mail about the city's acceptance"

    # --- the vendor: the bell counts, the notification opens the match, accept
    switch_user(web, vendor)
    open_newest_notification(web)
    assert web.path() == match_path
    expect(page.locator("main")).to_contain_text(NEED_TITLE)
    expect(page.locator("main")).to_contain_text("Kota Bandung")
    expect(page.locator("main section", has=page.locator(".explanation"))).to_be_visible()
    web.submit(page.locator("main button[data-action=accept]"))
    assert web.path() == match_path
    expect_steps(web, done=3)
    expect(page.locator("main button[data-action=accept]")).to_have_count(0)

    # --- the coordinator: bell, approval queue, approve
    switch_user(web, coordinator)
    assert unread(web) > 0
    web.follow(page.locator("nav a[href$='/coordinator/approvals']"))
    queued = page.locator("main ol > li.card", has_text=NEED_TITLE)
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text(vendor_org.name)
    expect(queued.locator("button[data-action=reject]")).to_be_visible()
    web.submit(queued.locator("button[data-action=approve]"))
    assert web.path() == "/coordinator/approvals"
    expect(page.locator("main ol > li.card")).to_have_count(0)
    web.visit(match_path)
    expect(page.locator("h1 .badge")).to_have_text(APPROVED)

    # --- both sides see the partnership, reached from their notification
    for user, other_org in ((official, vendor_org), (vendor, city_org)):
        switch_user(web, user)
        open_newest_notification(web)
        assert web.path() == match_path
        expect(page.locator("h1 .badge")).to_have_text(APPROVED)
        expect_steps(web, done=4)
        expect(page.locator("main ol.match-steps > li.todo")).to_have_count(0)
        expect(page.locator("main button[data-action]")).to_have_count(0)
        contacts = page.locator("main section", has=page.locator("h3", has_text=city_org.name))
        for org in (city_org, vendor_org):
            expect(contacts).to_contain_text(org.name)
            expect(contacts).to_contain_text(org.contact_email or "")
        for person in (official, vendor):
            expect(contacts).to_contain_text(person.email)
        expect(contacts).to_contain_text(other_org.contact_email or "")
        # the timeline: proposed by the engine, accepted twice, approved
        events = page.locator("main ol.timeline > li")
        expect(events).to_have_count(4)
        for n, name in enumerate((None, official.name, vendor.name, coordinator.name)):
            if name:
                expect(events.nth(n)).to_contain_text(name)
        # every notification so far can be marked read at once: the bell goes quiet
        web.follow(page.locator("nav a.notification-bell"))
        mark_all = page.locator("main form[action$='/notifications/read-all'] button")
        if unread(web):
            web.submit(mark_all)
        assert unread(web) == 0
        expect(mark_all).to_have_count(0)
        expect(page.locator("main ul a.fw-bold")).to_have_count(0)

    # the vendor's lists show it among the partnerships, and it all reads on a phone
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/matches/?view=partnerships", f"/offers/{offer.id}/proposals"):
        web.visit(path)
        expect(page.locator(f"main a[href$='{match_path}']")).to_have_count(1)
        web.assert_fits()
    web.visit(match_path)
    web.assert_fits()

    # one e-mail per notification of a user who wants them, all about this match
    subjects = [m.subject for m in mail_outbox]
    assert len(subjects) >= 5, subjects  # vendor, city + coordinator, city + vendor
    assert all(match_path in m.body for m in mail_outbox), [m.body for m in mail_outbox]
