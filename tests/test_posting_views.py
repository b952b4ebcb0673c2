"""Needs and offers through the web: posting, editing, status actions, who may do what,
optimistic edits, sanitised Markdown and what the public sees."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import func, select

from matchmaker.models import Need, Offer, OfferRegion, Organization
from tests.factories import NEED_DEFAULTS, OFFER_DEFAULTS
from tests.security.support import fresh

NEED_FORM: dict[str, Any] = {
    **NEED_DEFAULTS, "tags": "lighting, energy", "budget_min": "Rp 100.000.000",
    "budget_max": "500.000.000", "target_date": "", "sub_element": "", "priority": "2",
    "publish": "y",
}
OFFER_FORM: dict[str, Any] = {
    **OFFER_DEFAULTS, "tags": "lighting, iot", "price_min": "50000000",
    "price_max": "300000000", "national": "y", "sub_element": "", "references": "",
    "publish": "y",
}


@pytest.fixture
def login(client, auth, make):
    """Log in a new user of ``role`` (in ``organization`` if given); returns the user."""

    def login(role: str, organization=None, **values: Any):
        user = make.user(role, organization=organization, language="en", **values)
        response = auth.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


def count(db, model) -> int:
    db.rollback()  # a fresh snapshot: SQLite WAL readers keep theirs until the transaction ends
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def reload(db, row):
    db.rollback()
    db.expire_all()
    return db.get(type(row), row.id)


def edit_form(kind: str, item, **changes: Any) -> dict[str, Any]:
    base = NEED_FORM if kind == "needs" else OFFER_FORM
    data = {**base, "version": str(item.version), **changes}
    data.pop("publish")
    return data


# --- creating ----------------------------------------------------------------------------------

def test_city_official_posts_a_need_for_their_own_city(client, db, make, login):
    user = login("city_official")
    response = client.post("/needs/new", data=NEED_FORM)
    assert response.status_code == 302
    need = db.exec(select(Need)).one()
    assert response.headers["Location"].endswith(f"/needs/{need.id}")
    assert need.organization_id == user.organization_id
    assert need.created_by_id == user.id
    assert (need.status, need.budget_min, need.tags) == ("open", 100_000_000,
                                                         ["lighting", "energy"])
    assert "smart street lighting" in need.search_text
    assert client.get(f"/needs/{need.id}").status_code == 200


def test_need_without_publish_is_saved_as_draft(client, db, login):
    login("city_official")
    data = {k: v for k, v in NEED_FORM.items() if k != "publish"}
    assert client.post("/needs/new", data=data).status_code == 302
    assert db.exec(select(Need)).one().status == "draft"


def test_empty_optional_date_from_a_browser_is_accepted(client, db, login):
    login("city_official")
    response = client.post("/needs/new", data={**NEED_FORM, "target_date": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.exec(select(Need)).one().target_date is None


def test_vendor_posts_a_regional_offer(client, db, login):
    user = login("vendor")
    data = {**OFFER_FORM, "national": "", "regions": ["32", "31"],
            "references": "Kota Bandung\n\nKota Bogor"}
    data.pop("national")
    response = client.post("/offers/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    offer = db.exec(select(Offer)).one()
    assert offer.organization_id == user.organization_id
    assert (offer.status, offer.national, offer.references) == (
        "published", False, ["Kota Bandung", "Kota Bogor"])
    codes = db.exec(select(OfferRegion.province_code).where(OfferRegion.offer_id == offer.id)
                    .order_by(OfferRegion.province_code)).all()
    assert codes == ["31", "32"]


def test_invalid_need_gives_422_with_summary_and_keeps_the_input(client, db, login):
    login("city_official")
    data = {**NEED_FORM, "title": "abc",
            "description": "Keep this <b>draft</b> text please, it is long enough."}
    response = client.post("/needs/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-summary"' in page and 'href="#title"' in page
    assert "Keep this &lt;b&gt;draft&lt;/b&gt; text please" in page  # kept, and escaped
    assert 'value="lighting, energy"' in page
    assert count(db, Need) == 0


@pytest.mark.parametrize(("changes", "anchor"), [
    ({"budget_min": "900", "budget_max": "100"}, "budget_min"),
    ({"budget_min": "", "budget_max": ""}, "budget_min"),
    ({"sub_element": "tourism"}, "sub_element"),
    ({"tags": " , "}, "tags"),
    ({"stage": ""}, "stage"),
    ({"priority": "9"}, "priority"),
    ({"target_date": "31/31/2030"}, "target_date"),
])
def test_each_need_rule_is_reported_on_its_field(client, db, login, changes, anchor):
    login("city_official")
    response = client.post("/needs/new", data={**NEED_FORM, **changes})
    assert response.status_code == 422
    assert f'<li><a href="#{anchor}">' in response.get_data(as_text=True)
    assert count(db, Need) == 0


def test_offer_with_unknown_province_gives_422_and_nothing_is_saved(client, db, login):
    login("vendor")
    data = {**OFFER_FORM, "regions": ["99"]}
    data.pop("national")
    response = client.post("/offers/new", data=data)
    assert response.status_code == 422
    assert "99" in response.get_data(as_text=True)
    assert count(db, Offer) == 0


@pytest.mark.parametrize("forged", ["organization_id", "status", "id", "created_by_id"])
@pytest.mark.parametrize(("path", "data", "model"), [
    ("/needs/new", NEED_FORM, Need), ("/offers/new", OFFER_FORM, Offer)])
def test_a_forged_owner_status_or_id_is_refused_and_nothing_is_saved(client, db, make, login,
                                                                    path, data, model, forged):
    role = "city_official" if model is Need else "vendor"
    victim = make.org("city" if model is Need else "vendor")
    login(role)
    response = client.post(path, data={**data, forged: str(victim.id)})
    assert response.status_code == 422
    assert forged in response.get_data(as_text=True)  # the message names the field
    assert count(db, model) == 0


def test_a_forged_organization_id_on_edit_is_refused_and_the_need_stays(client, db, make, login):
    user = login("city_official")
    need = make.need(db.get(type(make.org("city")), user.organization_id))
    victim = make.org("city")
    data = edit_form("needs", need, organization_id=str(victim.id), status="closed")
    assert client.post(f"/needs/{need.id}/edit", data=data).status_code == 422
    need = reload(db, need)
    assert (need.organization_id, need.status, need.version) == (user.organization_id, "open", 1)


@pytest.mark.parametrize(("role", "path"), [
    ("vendor", "/needs/new"), ("coordinator", "/needs/new"), ("city_official", "/offers/new"),
    ("coordinator", "/offers/new"), ("vendor", "/needs/mine"), ("city_official", "/offers/mine"),
])
def test_wrong_role_cannot_post(client, db, login, role, path):
    login(role)
    assert client.get(path).status_code == 403
    form = NEED_FORM if path.startswith("/needs") else OFFER_FORM
    if path.endswith("/new"):
        assert client.post(path, data=form).status_code == 403
        assert count(db, Need) + count(db, Offer) == 0


@pytest.mark.parametrize("path", ["/needs/new", "/offers/new", "/needs/mine", "/offers/mine"])
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_anonymous_cannot_act_or_edit(client, db, make):
    need = make.need()
    for path in (f"/needs/{need.id}/close", f"/needs/{need.id}/edit"):
        response = client.post(path, data=edit_form("needs", need))
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert reload(db, need).status == "open" and reload(db, need).version == 1


# --- editing and status actions ---------------------------------------------------------------

def _own_need(make, db, user, **values):
    return make.need(db.get(type(make.org("city")), user.organization_id), **values)


def test_owner_edits_a_need(client, db, make, login):
    user = login("city_official")
    need = _own_need(make, db, user)
    page = client.get(f"/needs/{need.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page
    assert 'value="lighting, energy"' in page
    data = edit_form("needs", need, title="Smart street lighting phase two", tags="led")
    response = client.post(f"/needs/{need.id}/edit", data=data)
    assert response.status_code == 302
    need = reload(db, need)
    assert (need.title, need.tags, need.version) == ("Smart street lighting phase two",
                                                     ["led"], 2)
    assert "phase two" in need.search_text


def test_invalid_edit_gives_422_and_changes_nothing(client, db, make, login):
    user = login("city_official")
    need = _own_need(make, db, user)
    data = edit_form("needs", need, title="Long enough", description="too short")
    response = client.post(f"/needs/{need.id}/edit", data=data)
    assert response.status_code == 422
    assert 'value="Long enough"' in response.get_data(as_text=True)
    assert reload(db, need).title == NEED_DEFAULTS["title"]


def test_stale_edit_is_409_shows_their_change_and_keeps_mine(client, db, make, login):
    user = login("city_official")
    colleague = make.user("city_official", organization=db.get(type(make.org("city")),
                                                               user.organization_id))
    need = _own_need(make, db, user)
    mine = edit_form("needs", need, title="My title for the lights")  # version 1
    # A colleague saves first, through the web, in another browser.
    with client.application.test_client() as other:
        assert other.post("/auth/login", data={"email": colleague.email,
                                               "password": "correct-horse-battery"},
                          ).status_code == 302
        theirs = edit_form("needs", need, title="Their title for the lights")
        assert other.post(f"/needs/{need.id}/edit", data=theirs).status_code == 302
    response = client.post(f"/needs/{need.id}/edit", data=mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'id="conflict-title"' in page
    assert "Their title for the lights" in page  # the other change, shown
    assert 'value="My title for the lights"' in page  # my input, kept
    assert 'name="version" type="hidden" value="2"' in page  # saving again is possible
    stored = reload(db, need)
    assert (stored.title, stored.version) == ("Their title for the lights", 2)
    # Saving again with the version now shown wins.
    again = client.post(f"/needs/{need.id}/edit", data={**mine, "version": "2"})
    assert again.status_code == 302
    assert reload(db, need).title == "My title for the lights"


def test_stale_offer_edit_is_409(client, db, make, login):
    user = login("vendor")
    offer = make.offer(db.get(type(make.org()), user.organization_id))
    stale = edit_form("offers", offer, title="Stale title here")
    db.execute(Offer.__table__.update().values(version=5, title="Changed meanwhile"))
    db.commit()
    response = client.post(f"/offers/{offer.id}/edit", data=stale)
    assert response.status_code == 409
    assert "Changed meanwhile" in response.get_data(as_text=True)
    assert reload(db, offer).title == "Changed meanwhile"


def test_need_lifecycle_close_keeps_history_and_reopen(client, db, make, login):
    user = login("city_official")
    need = _own_need(make, db, user, status="draft")
    assert client.post(f"/needs/{need.id}/publish").status_code == 302
    assert reload(db, need).status == "open"
    assert client.post(f"/needs/{need.id}/close").status_code == 302
    closed = reload(db, need)
    assert closed.status == "closed" and closed.closed_at is not None
    assert closed.title == NEED_DEFAULTS["title"]  # still there, unchanged
    assert client.get(f"/needs/{need.id}").status_code == 200  # history stays public
    assert client.post(f"/needs/{need.id}/close").status_code == 409  # not twice
    assert client.post(f"/needs/{need.id}/reopen").status_code == 302
    assert reload(db, need).status == "open"
    assert client.post(f"/needs/{need.id}/archive").status_code == 404  # not a need action


def test_closed_need_cannot_be_edited(client, db, make, login):
    user = login("city_official")
    need = _own_need(make, db, user, status="closed")
    response = client.post(f"/needs/{need.id}/edit", data=edit_form("needs", need,
                                                                     title="Sneaky edit"))
    assert response.status_code == 409
    assert reload(db, need).title == NEED_DEFAULTS["title"]
    assert f"/needs/{need.id}/edit" not in client.get(f"/needs/{need.id}").get_data(as_text=True)


def test_offer_lifecycle_archive_and_republish(client, db, make, login):
    user = login("vendor")
    offer = make.offer(db.get(type(make.org()), user.organization_id), status="draft")
    assert client.post(f"/offers/{offer.id}/publish").status_code == 302
    assert reload(db, offer).status == "published"
    assert client.post(f"/offers/{offer.id}/archive").status_code == 302
    archived = reload(db, offer)
    assert archived.status == "archived" and archived.archived_at is not None
    assert client.post(f"/offers/{offer.id}/edit",
                       data=edit_form("offers", archived)).status_code == 409
    assert client.post(f"/offers/{offer.id}/close").status_code == 404
    assert client.post(f"/offers/{offer.id}/publish").status_code == 302
    assert reload(db, offer).status == "published"


def test_status_action_needs_csrf(client, db, make, login):
    user = login("city_official")
    need = _own_need(make, db, user)
    assert client.post(f"/needs/{need.id}/close", csrf=False).status_code == 400
    assert reload(db, need).status == "open"


@pytest.mark.parametrize("kind", ["needs", "offers"])
def test_another_organisation_gets_403_and_nothing_changes(client, db, make, login, kind):
    role = "city_official" if kind == "needs" else "vendor"
    item = make.need() if kind == "needs" else make.offer()
    login(role)
    action = "close" if kind == "needs" else "archive"
    assert client.get(f"/{kind}/{item.id}/edit").status_code == 403
    assert client.post(f"/{kind}/{item.id}/edit",
                       data=edit_form(kind, item, title="Hijacked title")).status_code == 403
    assert client.post(f"/{kind}/{item.id}/{action}").status_code == 403
    after = reload(db, item)
    assert (after.title, after.status, after.version) == (item.title, item.status, 1)
    page = client.get(f"/{kind}/{item.id}").get_data(as_text=True)
    assert f"/{kind}/{item.id}/edit" not in page and f"/{kind}/{item.id}/{action}" not in page


@pytest.mark.parametrize("kind", ["needs", "offers"])
def test_drafts_are_404_for_the_public_and_other_organisations(client, db, make, login, kind):
    item = (make.need if kind == "needs" else make.offer)(status="draft")
    assert client.get(f"/{kind}/{item.id}").status_code == 404
    login("city_official" if kind == "needs" else "vendor")
    assert client.get(f"/{kind}/{item.id}").status_code == 404
    assert client.get(f"/{kind}/{item.id}/edit").status_code == 404
    assert client.post(f"/{kind}/{item.id}/publish").status_code == 404
    assert reload(db, item).status == "draft"


def test_owner_and_colleague_see_the_draft(client, db, make, login):
    user = login("city_official")
    need = _own_need(make, db, user, status="draft")
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f"/needs/{need.id}/edit" in page and f"/needs/{need.id}/publish" in page


def test_coordinator_views_drafts_but_cannot_change_them(client, db, make, login):
    need = make.need(status="draft")
    offer = make.offer(status="draft")
    login("coordinator")
    assert client.get(f"/needs/{need.id}").status_code == 200
    assert client.get(f"/offers/{offer.id}").status_code == 200
    assert client.get(f"/needs/{need.id}/edit").status_code == 403
    assert client.post(f"/needs/{need.id}/publish").status_code == 403
    assert client.post(f"/offers/{offer.id}/publish").status_code == 403
    assert reload(db, need).status == reload(db, offer).status == "draft"


def test_unknown_posting_is_404(client, login):
    login("city_official")
    assert client.get("/needs/999999").status_code == 404
    assert client.get("/needs/999999/edit").status_code == 404
    assert client.post("/needs/999999/close").status_code == 404


# --- my lists ---------------------------------------------------------------------------------

def _count_link(page: str, endpoint_path: str, status: str) -> int:
    match = re.search(rf'href="{endpoint_path}\?status={status}">[^<(]*\((\d+)\)', page)
    assert match, f"no count for {status}"
    return int(match.group(1))


def test_my_needs_lists_drafts_with_counts_by_status(client, db, make, login):
    user = login("city_official")
    org = db.get(type(make.org("city")), user.organization_id)
    for status in ("draft", "draft", "open", "closed"):
        make.need(org, status=status, title=f"Mine {status} need")
    make.need(title="Someone else's need")
    page = client.get("/needs/mine").get_data(as_text=True)
    assert [_count_link(page, "/needs/mine", s) for s in
            ("draft", "open", "in_partnership", "closed")] == [2, 1, 0, 1]
    assert "Mine draft need" in page and "Someone else" not in page
    drafts = client.get("/needs/mine?status=draft").get_data(as_text=True)
    assert drafts.count("Mine draft need") == 2 and "Mine open need" not in drafts


def test_my_offers_lists_with_counts(client, db, make, login):
    user = login("vendor")
    org = db.get(type(make.org()), user.organization_id)
    make.offer(org, status="draft", title="Draft offer here")
    make.offer(org, status="archived", title="Archived offer here")
    make.offer(title="Foreign offer here")
    page = client.get("/offers/mine").get_data(as_text=True)
    assert [_count_link(page, "/offers/mine", s) for s in
            ("draft", "published", "archived")] == [1, 0, 1]
    assert "Draft offer here" in page and "Archived offer here" in page
    assert "Foreign offer here" not in page


# --- what pages show ---------------------------------------------------------------------------

XSS_DESCRIPTION = (
    "Intro text that is long enough.\n\n<script>alert('x')</script>\n\n"
    "[click me](javascript:alert(1)) [also](JaVaScRiPt:alert(2)) "
    "<img src=x onerror=alert(3)> <a href=\"javascript:alert(4)\">raw</a>\n\n"
    "**bold** and [ok](https://example.org)\n\n# Heading"
)


@pytest.mark.parametrize("kind", ["needs", "offers"])
def test_markdown_is_rendered_and_sanitised(client, make, kind):
    item = (make.need if kind == "needs" else make.offer)(
        title="<script>alert('t')</script> title", description=XSS_DESCRIPTION,
        tags=["<img src=x onerror=alert(5)>"])
    page = client.get(f"/{kind}/{item.id}").get_data(as_text=True)
    assert "<strong>bold</strong>" in page
    assert re.search(r'<a href="https://example.org" rel="[^"]*nofollow', page)
    assert "<h3>Heading</h3>" in page and "<h1>Heading" not in page
    assert "<script>alert" not in page
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", page, re.I)  # no event-handler attribute
    assert not re.search(r"<a\b[^>]*href\s*=\s*[\"']?\s*javascript:", page, re.I)
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; title" in page


@pytest.mark.parametrize("kind", ["needs", "offers"])
def test_public_pages_never_show_contact_data(client, make, kind):
    org = make.org("city" if kind == "needs" else "vendor", contact_email="secret-desk@kota.test",
                   contact_phone="+62 811 5550 1234", name="Visible Org Name")
    item = (make.need if kind == "needs" else make.offer)(org)
    for path in (f"/{kind}/", f"/{kind}/{item.id}", f"/{kind}/?q=lighting"):
        page = client.get(path).get_data(as_text=True)
        assert item.title in page
        assert "secret-desk" not in page and "5550" not in page


def test_public_lists_show_open_needs_and_published_offers_only(client, make):
    for status in ("open", "draft", "closed", "in_partnership"):
        make.need(status=status, title=f"Need that is {status}")
    for status in ("published", "draft", "archived"):
        make.offer(status=status, title=f"Offer that is {status}")
    needs_page = client.get("/needs/").get_data(as_text=True)
    assert "Need that is open" in needs_page
    assert not any(f"Need that is {s}" in needs_page for s in ("draft", "closed",
                                                                "in_partnership"))
    offers_page = client.get("/offers/").get_data(as_text=True)
    assert "Offer that is published" in offers_page
    assert "Offer that is draft" not in offers_page and "Offer that is archived" not in offers_page
    # Draft is never a public status, even when asked for.
    assert "Need that is draft" not in client.get("/needs/?status=draft").get_data(as_text=True)
    assert "Need that is closed" in client.get("/needs/?status=closed").get_data(as_text=True)




def test_a_new_need_cannot_target_a_date_in_the_past(client, auth, make, db):
    user = make.user("city_official", language="en")
    auth.login(user.email)
    past = (date.today() - timedelta(days=2)).isoformat()
    response = client.post("/needs/new", data={**NEED_FORM, "target_date": past})
    assert response.status_code == 422
    assert "Choose a target date from" in response.get_data(as_text=True)
    future = (date.today() + timedelta(days=30)).isoformat()
    assert client.post("/needs/new", data={**NEED_FORM, "target_date": future}).status_code == 302
    db.rollback()
    assert db.exec(select(func.count()).select_from(Need)).one() == 1


def test_an_edit_may_keep_a_passed_date_but_not_one_before_2000(client, auth, make, db):
    user = make.user("city_official")
    need = make.need(db.get(Organization, user.organization_id))
    auth.login(user.email)
    edit = {**NEED_FORM, "version": "1"}
    assert client.post(f"/needs/{need.id}/edit",
                       data={**edit, "target_date": "1999-12-31"}).status_code == 422
    assert client.post(f"/needs/{need.id}/edit",
                       data={**edit, "target_date": "2024-01-31"}).status_code == 302
    assert fresh(db, Need, need.id).target_date == date(2024, 1, 31)
