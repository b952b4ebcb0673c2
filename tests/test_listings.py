"""Browsing needs and offers: search, every filter, sorting, pagination, chips, empty states,
hostile query strings, and the demo content behind the public lists."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import func
from sqlmodel import select

from matchmaker.models import Need, Offer, Organization, Province, Regency, User
from matchmaker.services import listings
from matchmaker.services.demo_data import seed_demo


@pytest.fixture
def en(client):
    client.set_cookie("lang", "en")
    return client


def need_titles(db, **args: Any) -> list[str]:
    query = listings.parse_query(args, listings.NEEDS, db)
    return [row["need"].title for row in listings.search_needs(db, query).items]


def offer_titles(db, **args: Any) -> list[str]:
    query = listings.parse_query(args, listings.OFFERS, db)
    return [row["offer"].title for row in listings.search_offers(db, query).items]


def city_in(db, make, province: str, index: int = 0) -> Organization:
    regency = db.exec(select(Regency).where(Regency.province_code == province)
                      .order_by(Regency.code).offset(index)).first()
    return make.org("city", regency_code=regency.code)


# --- search --------------------------------------------------------------------------------------

@pytest.fixture
def searchable(make):
    make.need(title="Sistem Énergi Surya", description="Panel surya untuk gedung pemerintah " * 2,
              tags=["listrik"])
    make.need(title="Parkir pintar kota", description="Sensor parkir dan aplikasi pembayaran "
              "non-tunai, uptime 100% dijamin.", tags=["transport", "Énergi"])
    make.need(title="Air bersih desa", description="Pemantauan kualitas air dengan sensor_ph "
              "di setiap sumur desa.", tags=["air"])


@pytest.mark.parametrize(("q", "expected"), [
    ("surya", {"Sistem Énergi Surya"}),  # title and description
    ("SURYA", {"Sistem Énergi Surya"}),  # case
    ("energi", {"Sistem Énergi Surya", "Parkir pintar kota"}),  # accents; a tag counts too
    ("ÉNERGI", {"Sistem Énergi Surya", "Parkir pintar kota"}),
    ("listrik", {"Sistem Énergi Surya"}),  # tag only
    ("sensor", {"Parkir pintar kota", "Air bersih desa"}),  # description only
    ("sensor parkir", {"Parkir pintar kota"}),  # terms are ANDed
    ("parkir   SENSOR", {"Parkir pintar kota"}),  # in any order and spacing
    ("sensor tidakada", set()),
    ("%", {"Parkir pintar kota"}),  # a literal percent sign, not a wildcard
    ("100%", {"Parkir pintar kota"}),
    ("_", {"Air bersih desa"}),  # a literal underscore
    ("sensor_ph", {"Air bersih desa"}),
    ("p_nel", set()),  # '_' does not match any one character
    ("s%a", set()),
    ("\\", set()),
    ("", {"Sistem Énergi Surya", "Parkir pintar kota", "Air bersih desa"}),
])
def test_search(app_ctx, db, searchable, q, expected):
    assert set(need_titles(db, q=q)) == expected


def test_search_finds_the_city_name(app_ctx, db, make):
    org = make.org("city", regency_code=db.exec(select(Regency.code).where(
        Regency.name == "Kota Bandung")).one())
    make.need(org, title="Bandung need")
    make.need(title="Elsewhere need")
    assert need_titles(db, q="bandung") == ["Bandung need"]


def test_offer_search_covers_title_description_and_tags(app_ctx, db, make):
    make.offer(title="Aplikasi Pelayanan Publik", tags=["e-government"])
    make.offer(title="Drone pemetaan", description="Pemetaan udara untuk tata ruang, akurasi "
               "tinggi.", tags=["GIS"])
    assert offer_titles(db, q="PELAYANAN") == ["Aplikasi Pelayanan Publik"]
    assert offer_titles(db, q="e-government") == ["Aplikasi Pelayanan Publik"]
    assert offer_titles(db, q="gis udara") == ["Drone pemetaan"]
    assert offer_titles(db, q="gis pelayanan") == []


# --- filters ------------------------------------------------------------------------------------

def test_need_filters_dimension_stage_province_regency(app_ctx, db, make):
    jakarta = city_in(db, make, "31")
    jabar_1, jabar_2 = city_in(db, make, "32", 0), city_in(db, make, "32", 1)
    make.need(jakarta, title="Jakarta energy quick", dimension="environment", stage="quick_win")
    make.need(jabar_1, title="Jabar living short", dimension="living", stage="short_term")
    make.need(jabar_2, title="Jabar energy long", dimension="environment", stage="long_term")
    assert set(need_titles(db, dimension="environment")) == {"Jakarta energy quick",
                                                             "Jabar energy long"}
    assert need_titles(db, stage="short_term") == ["Jabar living short"]
    assert set(need_titles(db, province="32")) == {"Jabar living short", "Jabar energy long"}
    assert need_titles(db, regency=jabar_2.regency_code) == ["Jabar energy long"]
    assert need_titles(db, province="32", dimension="environment") == ["Jabar energy long"]
    assert need_titles(db, province="31", stage="long_term") == []


@pytest.mark.parametrize(("args", "expected"), [
    ({"min": "600000000"}, {"big item"}),  # needs whose budget reaches 600 M
    ({"max": "50000000"}, {"small item"}),  # needs whose budget starts at or below 50 M
    # overlap, not containment
    ({"min": "150000000", "max": "200000000"}, {"mid item", "big item"}),
    ({"min": "100.000.000"}, {"mid item", "big item"}),  # thousands separators are fine
    ({"min": "0", "max": "0"}, {"small item"}),
    ({}, {"small item", "mid item", "big item", "unbudgeted item"}),
])
def test_need_budget_filter_is_an_overlap(app_ctx, db, make, args, expected):
    make.need(title="small item", budget_min=0, budget_max=60_000_000)
    make.need(title="mid item", budget_min=100_000_000, budget_max=500_000_000)
    make.need(title="big item", budget_min=180_000_000, budget_max=900_000_000)
    make.need(title="unbudgeted item", unbudgeted=True)
    assert set(need_titles(db, **args)) == expected


@pytest.mark.parametrize(("args", "expected"), [
    ({"min": "400"}, {"mid item", "from 300 item", "up to 500 item"}),
    ({"max": "150"}, {"low item", "up to 500 item"}),
    ({"min": "600"}, {"from 300 item"}),
    ({"max": "250", "min": "200"}, {"mid item", "up to 500 item"}),
])
def test_offer_price_filter_is_an_overlap_and_open_ends_stay_open(app_ctx, db, make, args,
                                                                  expected):
    make.offer(title="low item", price_min=10, price_max=100)
    make.offer(title="mid item", price_min=200, price_max=400)
    make.offer(title="from 300 item", price_min=300, price_max=None)
    make.offer(title="up to 500 item", price_min=None, price_max=500)
    make.offer(title="on request item", price_min=None, price_max=None)
    assert set(offer_titles(db, **args)) == expected


def test_need_status_filter(app_ctx, db, make):
    for status in ("open", "in_partnership", "closed", "draft"):
        make.need(status=status, title=f"{status} need")
    assert need_titles(db) == ["open need"]
    assert need_titles(db, status="closed") == ["closed need"]
    assert need_titles(db, status="in_partnership") == ["in_partnership need"]
    assert need_titles(db, status="draft") == ["open need"]  # ignored, never public


def test_offer_filters_dimension_maturity_status(app_ctx, db, make):
    make.offer(title="pilot env", dimension="environment", maturity="pilot")
    make.offer(title="proven gov", dimension="governance", maturity="proven")
    make.offer(title="old gov", dimension="governance", maturity="proven", status="archived")
    make.offer(title="draft gov", dimension="governance", maturity="proven", status="draft")
    assert offer_titles(db, dimension="governance") == ["proven gov"]
    assert offer_titles(db, maturity="pilot") == ["pilot env"]
    assert offer_titles(db, status="archived") == ["old gov"]
    assert offer_titles(db, status="draft") == ["pilot env", "proven gov"][::-1]


def test_offer_province_filter_includes_national_offers(app_ctx, db, make):
    make.offer(title="national", national=True)
    make.offer(title="jakarta only", national=False, regions=["31"])
    make.offer(title="jabar and jateng", national=False, regions=["32", "33"])
    assert set(offer_titles(db, province="31")) == {"national", "jakarta only"}
    assert set(offer_titles(db, province="33")) == {"national", "jabar and jateng"}
    assert offer_titles(db, province="94") == ["national"]
    bandung = db.exec(select(Regency.code).where(Regency.name == "Kota Bandung")).one()
    assert set(offer_titles(db, regency=bandung)) == {"national", "jabar and jateng"}
    assert len(offer_titles(db)) == 3


# --- sorting and pagination ----------------------------------------------------------------------

def test_need_sorts(app_ctx, db, make):
    make.need(title="Item A", target_date=date(2031, 1, 1), budget_min=1, budget_max=300)
    make.need(title="Item B", target_date=None, budget_min=1, budget_max=900)
    make.need(title="Item C", target_date=date(2030, 6, 1), unbudgeted=True)
    make.need(title="Item D", target_date=date(2032, 1, 1), budget_min=1, budget_max=100)
    assert need_titles(db) == ["Item D", "Item C", "Item B", "Item A"]  # newest first
    assert need_titles(db, sort="newest") == ["Item D", "Item C", "Item B", "Item A"]
    # no date last; unbudgeted last
    assert need_titles(db, sort="deadline") == ["Item C", "Item A", "Item D", "Item B"]
    assert need_titles(db, sort="budget") == ["Item B", "Item A", "Item D", "Item C"]


def test_offer_sorts(app_ctx, db, make):
    make.offer(title="Item A", price_min=50, price_max=60)
    make.offer(title="Item B", price_min=None, price_max=None)
    make.offer(title="Item C", price_min=10, price_max=900)
    assert offer_titles(db) == ["Item C", "Item B", "Item A"]
    assert offer_titles(db, sort="price_low") == ["Item C", "Item A", "Item B"]
    assert offer_titles(db, sort="price_high") == ["Item C", "Item A", "Item B"]


@pytest.mark.parametrize(("args", "ignored"), [
    ({"sort": "title; DROP TABLE need"}, ("sort",)),
    ({"sort": "price_low"}, ("sort",)),  # an offer sort is not a need sort
    ({"dimension": "smart"}, ("dimension",)),
    ({"stage": "soon"}, ("stage",)),
    ({"province": "99"}, ("province",)),
    ({"regency": "31"}, ("regency",)),
    ({"min": "lots"}, ("min",)),
    ({"max": "-5"}, ("max",)),
    ({"max": "1" * 16}, ("max",)),
    ({"status": "draft"}, ("status",)),
    ({"page": "two"}, ("page",)),
    ({"sort": "x", "dimension": "y", "page": "z"}, ("dimension", "sort", "page")),
])
def test_bogus_values_are_ignored_and_named(app_ctx, db, make, args, ignored):
    make.need(title="The only need")
    query = listings.parse_query(args, listings.NEEDS, db)
    assert set(query.ignored) == set(ignored)
    assert query.sort == "newest" and query.page == 1 or "page" not in ignored
    assert need_titles(db, **args) == ["The only need"]


def test_page_is_clamped(app_ctx, db):
    assert listings.parse_query({"page": "-3"}, listings.NEEDS, db).page == 1
    assert listings.parse_query({"page": "10" * 9}, listings.NEEDS, db).page == listings.MAX_PAGE


def test_pagination_total_and_page_links(en, db, make):
    org = make.org("city")
    for i in range(45):
        make.need(org, title=f"Paged need {i:02d}", dimension="economy")
    first = en.get("/needs/?dimension=economy&q=paged").get_data(as_text=True)
    assert "45 results" in first
    assert "Page 1 of 3" in first
    assert first.count("Paged need") == listings.PAGE_SIZE
    assert "Paged need 44" in first and "Paged need 24" not in first
    links = page_links(first)
    assert "Previous" not in links and set(links) == {"Next"}
    assert parse_link(links["Next"]) == ("/needs/", {"dimension": "economy", "q": "paged",
                                                     "page": "2"})  # default sort implied
    second = en.get(links["Next"]).get_data(as_text=True)
    assert "Page 2 of 3" in second and "Paged need 24" in second and "Paged need 44" not in second
    assert set(page_links(second)) == {"Previous", "Next"}
    last = en.get("/needs/?dimension=economy&q=paged&page=3").get_data(as_text=True)
    assert last.count("Paged need") == 5 and "Paged need 00" in last
    assert set(page_links(last)) == {"Previous"}
    beyond = en.get("/needs/?dimension=economy&page=99")
    assert beyond.status_code == 200 and "Paged need" not in beyond.get_data(as_text=True)


def page_links(page: str) -> dict[str, str]:
    return {text: unescape(href) for href, text in
            re.findall(r'<a class="page-link" href="([^"]+)">([^<]+)</a>', page)}


def parse_link(href: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(href)
    return parts.path, dict(parse_qsl(parts.query))


# --- chips and empty states ---------------------------------------------------------------------

def chip_links(page: str) -> dict[str, dict[str, str]]:
    """{chip text: query args of its link}"""
    found = re.findall(r'<a class="btn btn-sm btn-outline-secondary filter-chip" href="([^"]+)">'
                       r'\s*([^<]+?)\s*<span', page)
    return {unescape(text): parse_link(unescape(href))[1] for href, text in found}


def test_each_chip_links_to_the_same_query_minus_that_filter(en, db, make):
    make.need(title="Any need at all")
    args = {"q": "lampu", "dimension": "environment", "stage": "quick_win", "province": "32",
            "min": "1000", "max": "5000000", "sort": "budget", "status": "closed"}
    page = en.get("/needs/?" + urlencode(args)).get_data(as_text=True)
    chips = chip_links(page)
    jabar = db.get(Province, "32").name
    named = {"q": "Search: lampu", "dimension": "Dimension: Smart environment",
             "stage": "Stage: Quick win", "province": f"Province: {jabar}",
             "min": next(c for c in chips if c.startswith("From (Rp): ") and "1,000" in c),
             "max": next(c for c in chips if c.startswith("Up to (Rp): ") and "5,000,000" in c),
             "status": "Status: Closed"}
    assert set(chips) == set(named.values())  # the sort order is not a filter chip
    for name, text in named.items():
        assert chips[text] == {k: v for k, v in args.items() if k != name}, name


def test_chip_for_a_regency_filter_uses_its_name(en, db, make):
    code = db.exec(select(Regency.code).where(Regency.name == "Kota Bandung")).one()
    page = en.get(f"/needs/?regency={code}").get_data(as_text=True)
    assert "Kabupaten/kota: Kota Bandung" in chip_links(page)


def test_empty_state_names_the_filters(en, db, make):
    make.need(title="Some unrelated need", dimension="economy")
    page = en.get("/needs/?dimension=living&q=jembatan&province=31").get_data(as_text=True)
    assert "0 results" in page
    empty = re.search(r"No results for:(.*?)Try removing a filter", page, re.S)
    assert empty, "the empty state does not name the filters"
    named = re.findall(r"<strong>([^<]+)</strong>", empty.group(1))
    assert set(named) == {"Dimension: Smart living", "Search: jembatan",
                          f"Province: {db.get(Province, '31').name}"}


def test_empty_offer_list_without_filters_says_so_plainly(en):
    page = en.get("/offers/").get_data(as_text=True)
    assert "0 results" in page and "Offers that vendors publish will appear here." in page
    assert "No results for:" not in page


def test_ignored_filters_are_named_on_the_page(en):
    response = en.get("/offers/?sort=evil&maturity=alpha&min=abc")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    warning = re.search(r"Some filters were not valid and were ignored:([^<]*)<", page)
    assert warning and {w.strip() for w in warning.group(1).split(",")} == {
        "Sort", "Maturity", "From (Rp)"}


# --- hostile input never breaks the lists --------------------------------------------------------


# --- the demo content ----------------------------------------------------------------------------

def test_demo_seed_fills_the_public_lists_and_is_idempotent(app_ctx, db, en):
    first = seed_demo(db, password="demo-password-123")
    assert first.created > 0
    public_needs = db.exec(select(func.count()).select_from(Need)
                           .where(Need.status == "open")).one()
    public_offers = db.exec(select(func.count()).select_from(Offer)
                            .where(Offer.status == "published")).one()
    assert public_needs >= 40 and public_offers >= 80
    totals = [db.exec(select(func.count()).select_from(m)).one()
              for m in (Need, Offer, Organization, User)]
    page = en.get("/needs/").get_data(as_text=True)
    assert f"{public_needs} results" in page
    assert f"{public_offers} results" in en.get("/offers/").get_data(as_text=True)

    second = seed_demo(db, password="demo-password-123")
    assert second.created == 0 and second.updated == 0
    assert [db.exec(select(func.count()).select_from(m)).one()
            for m in (Need, Offer, Organization, User)] == totals


def test_a_chosen_status_is_a_removable_chip(en, make):
    make.need(title="Need yang sudah ditutup", status="closed")
    page = en.get("/needs/?status=closed").get_data(as_text=True)
    assert "Need yang sudah ditutup" in page
    assert chip_links(page) == {"Status: Closed": {}}
