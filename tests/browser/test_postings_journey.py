"""Needs and offers in a real browser: post one (a mistake first), find it in the public
lists, filter with removable chips, and read everything on a 360 px wide phone.

Elements are found by ids, ``name`` attributes, form actions and URLs (or patterns matching
both languages) so the tests survive translation. Every page reached is checked by the ``web``
helpers: status, no console error or CSP violation, axe WCAG 2.1 A/AA.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from matchmaker.models import OrganizationKind, Role
from tests.browser_plugin import Web

pytestmark = pytest.mark.browser

BANDUNG = "32.73"  # Kota Bandung, Jawa Barat
JAWA_BARAT, JAWA_TENGAH, ACEH = "32", "33", "11"

NEED_TITLE = "Penerangan jalan umum pintar di ruas utama"
NEED_TEXT = (
    "Banyak ruas jalan utama gelap di malam hari dan lampu yang mati baru ketahuan setelah "
    "warga melapor. Kami membutuhkan PJU LED dengan peredupan otomatis dan pemantauan terpusat."
)
OFFER_TEXT = (
    "Controller di setiap lampu PJU terhubung lewat LoRaWAN ke aplikasi pusat: lampu padam "
    "terlihat seketika, jadwal nyala dan peredupan diatur per ruas, aset dipetakan per kecamatan."
)
SAVED = re.compile(r"saved|simpan", re.I)  # "Saved." / "Tersimpan."


def query_of(web: Web) -> dict[str, list[str]]:
    return parse_qs(urlsplit(web.page.url).query)


def fill_offer(web: Web, title: str) -> None:
    page = web.page
    page.locator("#title").fill(title)
    page.locator("#description").fill(OFFER_TEXT)
    page.locator("#dimension").select_option("environment")
    page.locator("#tags").fill("PJU pintar, IoT, LoRaWAN")
    page.locator("#price_min").fill("800.000.000")
    page.locator("#price_max").fill("Rp 7.500.000.000")
    page.locator("#maturity").select_option("deployed")
    page.locator("#references").fill("Kota Bogor (2024)\nKabupaten Sleman (2023)")


# --- needs ------------------------------------------------------------------------------------

def test_city_posts_a_need_after_fixing_errors_and_anyone_finds_it(
    web: Web, make, login_as
) -> None:
    page = web.page
    city = make.org(OrganizationKind.CITY, name="Pemerintah Kota Bandung", regency_code=BANDUNG)
    login_as(Role.CITY_OFFICIAL, organization=city)

    # From the (still empty) dashboard to the form.
    web.follow(page.locator("main a[href$='/needs/new']").first)
    assert web.path() == "/needs/new"

    # A first try with a title too short, a description too short, no dimension, no stage.
    page.locator("#title").fill("PJU")
    page.locator("#description").fill("Lampu jalan banyak mati.")
    page.locator("#tags").fill("PJU, LED")
    page.locator("#budget_min").fill("1.000.000.000")
    page.locator("#budget_max").fill("3.000.000.000")
    web.submit(web.main_submit(), status=422)

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()  # app.js: screen readers start with the errors
    for field_id in ("title", "description", "dimension", "stage"):
        expect(summary.locator(f"a[href='#{field_id}']")).to_be_visible()
        expect(page.locator(f"#{field_id}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{field_id}-error")).to_be_visible()
        expect(page.locator(f"#{field_id}")).to_have_attribute(
            "aria-describedby", re.compile(rf"\b{field_id}-error\b")
        )
    # what was typed stays
    expect(page.locator("#title")).to_have_value("PJU")
    expect(page.locator("#description")).to_have_value("Lampu jalan banyak mati.")
    expect(page.locator("#tags")).to_have_value("PJU, LED")
    expect(page.locator("#budget_max")).to_have_value("3.000.000.000")
    # a summary link takes the focus to its field
    summary.locator("a[href='#dimension']").click()
    expect(page.locator("#dimension")).to_be_focused()

    # Fixed and sent again: saved, published, shown on its own page.
    page.locator("#title").fill(NEED_TITLE)
    page.locator("#description").fill(NEED_TEXT)
    page.locator("#dimension").select_option("environment")
    page.locator("#stage").select_option("short_term")
    expect(page.locator("#publish")).to_be_checked()
    web.submit(web.main_submit())
    assert re.fullmatch(r"/needs/\d+", web.path()), web.path()
    need_path = web.path()
    expect(page.get_by_role("status")).to_contain_text(SAVED)
    expect(page.get_by_role("heading", level=1)).to_have_text(NEED_TITLE)
    expect(page.locator("main")).to_contain_text("Kota Bandung")
    expect(page.locator("main")).to_contain_text("Rp1.000.000.000")

    # A visitor (logged out) finds it in the public list, filtered by its province.
    web.logout()
    web.visit("/needs/")
    card = page.locator("main article", has_text=NEED_TITLE)
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Jawa Barat")
    page.locator("#f-province").select_option(JAWA_BARAT)
    web.submit(page.locator("main form[role=search] button[type=submit]"))
    assert query_of(web)["province"] == [JAWA_BARAT]
    expect(card).to_have_count(1)
    web.follow(card.locator(f"a[href$='{need_path}']"))
    assert web.path() == need_path
    expect(page.get_by_role("heading", level=1)).to_have_text(NEED_TITLE)
    # no owner's buttons for a visitor
    expect(page.locator(f"main a[href$='{need_path}/edit']")).to_have_count(0)


# --- offers -----------------------------------------------------------------------------------

def test_vendor_posts_a_regional_and_a_national_offer(web: Web, make, login_as) -> None:
    page = web.page
    vendor = make.org(OrganizationKind.VENDOR, name="PT Cahaya Kota Nusantara")
    login_as(Role.VENDOR, organization=vendor)

    # A regional offer: "all of Indonesia" unchecked, two provinces chosen in the multi-select.
    web.follow(page.locator("main a[href$='/offers/new']").first)
    assert web.path() == "/offers/new"
    fill_offer(web, "LampuKota: PJU pintar untuk Jawa bagian barat")
    national = page.locator("#national")
    expect(national).to_be_checked()  # the default
    national.uncheck()
    page.locator("#regions").select_option([JAWA_BARAT, JAWA_TENGAH])
    web.submit(web.main_submit())
    assert re.fullmatch(r"/offers/\d+", web.path()), web.path()
    regional_path = web.path()
    expect(page.get_by_role("status")).to_contain_text(SAVED)
    facts = page.locator("main dl")
    expect(facts).to_contain_text("Jawa Barat")
    expect(facts).to_contain_text("Jawa Tengah")
    expect(page.locator("main")).to_contain_text("Kota Bogor (2024)")

    # A national one, from the form's defaults.
    web.visit("/offers/new")
    fill_offer(web, "LampuKota Nasional: manajemen PJU berbasis IoT")
    web.submit(web.main_submit())
    national_path = web.path()
    assert re.fullmatch(r"/offers/\d+", national_path) and national_path != regional_path
    expect(page.locator("main dl")).to_contain_text(re.compile(r"Indonesia"))

    # Both are public; a province filter keeps the regional one only where it serves.
    web.logout()
    web.visit("/offers/")
    for path in (regional_path, national_path):
        expect(page.locator(f"main article a[href$='{path}']")).to_have_count(1)
    web.visit(f"/offers/?province={JAWA_TENGAH}")
    for path in (regional_path, national_path):
        expect(page.locator(f"main article a[href$='{path}']")).to_have_count(1)
    web.visit(f"/offers/?province={ACEH}")
    expect(page.locator(f"main article a[href$='{regional_path}']")).to_have_count(0)
    expect(page.locator(f"main article a[href$='{national_path}']")).to_have_count(1)
    web.follow(page.locator(f"main article a[href$='{national_path}']"))
    assert web.path() == national_path


# --- chips and small screens ------------------------------------------------------------------

def test_filter_chips_remove_their_filter(web: Web, make) -> None:
    page = web.page
    make.need(title="Lampu jalan pintar hemat energi", dimension="environment",
              stage="short_term")
    make.need(title="Lampu jalan pintar di kawasan wisata", dimension="living",
              stage="short_term")
    make.need(title="Lampu jalan pintar jangka panjang", dimension="environment",
              stage="long_term")

    web.visit("/needs/?q=lampu&dimension=environment&stage=short_term")
    chips = page.locator("main a.filter-chip")
    expect(chips).to_have_count(3)  # the search term is a chip too
    expect(page.locator("main article")).to_have_count(1)

    # the dimension chip removes the dimension, and only it
    web.follow(page.locator("main a.filter-chip:not([href*='dimension='])"))
    args = query_of(web)
    assert "dimension" not in args and args["stage"] == ["short_term"] and args["q"] == ["lampu"]
    expect(chips).to_have_count(2)
    expect(page.locator("#f-dimension")).to_have_value("")
    expect(page.locator("#f-stage")).to_have_value("short_term")
    expect(page.locator("main article")).to_have_count(2)

    # the search chip removes the term
    web.follow(page.locator("main a.filter-chip:not([href*='q='])"))
    assert "q" not in query_of(web)
    expect(page.locator("#f-q")).to_have_value("")
    expect(chips).to_have_count(1)

    # "clear all" removes the rest: every need again, no chip left
    web.follow(page.locator("main [role=group] a:not(.filter-chip)"))
    assert web.path() == "/needs/" and not query_of(web)
    expect(chips).to_have_count(0)
    expect(page.locator("main article")).to_have_count(3)


def test_lists_and_details_fit_a_360px_screen(web: Web, make) -> None:
    page = web.page
    page.set_viewport_size({"width": 360, "height": 740})
    city = make.org(OrganizationKind.CITY, name="Pemerintah Kabupaten Kepulauan Bangka "
                    "Belitung Timur Yang Namanya Panjang", regency_code=BANDUNG)
    need = make.need(
        city, title="Pengadaan penerangan jalan umum tenaga surya terintegrasi untuk seluruh "
        "kecamatan pesisir", tags=["PJU", "PJUTS", "hemat-energi-dan-ramah-lingkungan"],
        description="Sistem pemantauan terpusat " * 12,
    )
    offer = make.offer(
        title="LampuKota: Sistem Manajemen PJU Pintar Berbasis IoT dan LoRaWAN untuk Kota "
        "dan Kabupaten", national=False, regions=[JAWA_BARAT, JAWA_TENGAH, ACEH],
        references=["https://contoh.example.id/referensi/penerapan-pju-pintar-kota-bogor-2024"],
    )

    pages = [
        f"/needs/?q=penerangan&dimension=environment&province={JAWA_BARAT}&stage=short_term"
        "&min=100000000&max=500000000&sort=budget",
        f"/needs/{need.id}",
        f"/offers/?q=PJU&dimension=environment&province={JAWA_BARAT}&maturity=proven"
        "&min=50000000&max=300000000&sort=price_low",
        f"/offers/{offer.id}",
    ]
    for path in pages:
        web.visit(path)
        if "?" in path:
            expect(page.locator("main a.filter-chip")).to_have_count(6)
            expect(page.locator("main article")).to_have_count(1)
        else:
            expect(page.get_by_role("heading", level=1)).to_be_visible()
        web.assert_fits()
