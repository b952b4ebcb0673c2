"""Route x role access table: every rule in ``app.url_map`` has an expectation per role.

Adding a route without adding it here fails ``test_every_route_has_an_expectation``. The
roles are: an anonymous visitor, the city official who owns the need, a vendor who owns the
offer, a coordinator, (for writes) a city official and a vendor of *other* organisations,
and a verified vendor account still waiting for the offer's organisation to accept its
request to join ("waiting": it must not get at that organisation's postings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from matchmaker.models import Notification, Organization, PasswordResetToken, User
from matchmaker.models.base import utcnow
from matchmaker.services.password_reset import hash_token
from tests.security.support import NEED_FIELDS, OFFER_FIELDS

ROLES = ("anon", "city", "vendor", "coordinator", "other_city", "other_vendor", "waiting")
LOGIN = "login"  # a redirect to the login page


@dataclass(frozen=True)
class Rule:
    method: str
    path: str
    expect: dict[str, Any]
    data: dict[str, str] | None = None


def everyone(status: Any) -> dict[str, Any]:
    return dict.fromkeys(ROLES, status)


def signed_in(status: Any, **overrides: Any) -> dict[str, Any]:
    return {**everyone(status), "anon": LOGIN, **overrides}


def only(allowed: Any, *roles: str, others: Any = 403) -> dict[str, Any]:
    table = signed_in(others)
    for role in roles:
        table[role] = allowed
    return table


RESET_TOKEN = "a-reset-link-token-for-the-access-table"

# endpoint -> rule. Paths use {need}, {draft}, {offer}, {pending}, {match}, {notification},
# {reset_token} and {join} (a pending request to join the vendor's organisation) placeholders.
TABLE: dict[str, Rule] = {
    "public.home": Rule("GET", "/", {**everyone(302), "anon": 200}),
    "public.health": Rule("GET", "/healthz", everyone(200)),
    "static": Rule("GET", "/static/app.css", everyone(200)),
    "bootstrap.static": Rule("GET", "/bootstrap/static/css/bootstrap.min.css", everyone(200)),
    "auth.login": Rule("GET", "/auth/login", {**everyone(302), "anon": 200}),
    "auth.register": Rule("GET", "/auth/register", {**everyone(302), "anon": 200}),
    "auth.logout": Rule("POST", "/auth/logout", signed_in(302)),
    "auth.profile": Rule("GET", "/auth/profile", signed_in(200)),
    "auth.change_password": Rule("GET", "/auth/password", signed_in(200)),
    "password_reset.forgot": Rule("GET", "/auth/forgot", {**everyone(302), "anon": 200}),
    "password_reset.reset": Rule("GET", "/auth/reset/{reset_token}", everyone(200)),
    "main.dashboard": Rule("GET", "/dashboard", signed_in(200)),
    "main.set_language": Rule("POST", "/language", everyone(302), {"language": "en"}),
    "coordinator.accounts": Rule("GET", "/coordinator/accounts", only(200, "coordinator")),
    "coordinator.verify": Rule("POST", "/coordinator/accounts/{pending}/verify",
                               only(302, "coordinator")),
    "coordinator.reject": Rule("POST", "/coordinator/accounts/{pending}/reject",
                               only(302, "coordinator"), {"reason": "Bukan pegawai Pemda"}),
    "needs.browse": Rule("GET", "/needs/", everyone(200)),
    "needs.detail": Rule("GET", "/needs/{need}", everyone(200)),
    "needs.create": Rule("GET", "/needs/new", only(200, "city", "other_city")),
    "needs.edit": Rule("POST", "/needs/{need}/edit", only(302, "city"), NEED_FIELDS),
    "needs.act": Rule("POST", "/needs/{need}/close", only(302, "city")),
    "needs.mine": Rule("GET", "/needs/mine", only(200, "city", "other_city")),
    "offers.browse": Rule("GET", "/offers/", everyone(200)),
    "offers.detail": Rule("GET", "/offers/{offer}", everyone(200)),
    "offers.create": Rule("GET", "/offers/new", only(200, "vendor", "other_vendor")),
    "offers.edit": Rule("POST", "/offers/{offer}/edit", only(302, "vendor"), OFFER_FIELDS),
    "offers.act": Rule("POST", "/offers/{offer}/archive", only(302, "vendor")),
    "offers.mine": Rule("GET", "/offers/mine", only(200, "vendor", "other_vendor")),
    "matches.need_proposals": Rule("GET", "/needs/{need}/proposals",
                                   only(200, "city", "coordinator")),
    "matches.offer_proposals": Rule("GET", "/offers/{offer}/proposals",
                                    only(200, "vendor", "coordinator")),
    "matches.index": Rule("GET", "/matches/", signed_in(200)),
    "matches.unmatched": Rule("GET", "/matches/unmatched-needs",
                              only(200, "city", "other_city", "coordinator")),
    "matches.detail": Rule("GET", "/matches/{match}",
                           {**signed_in(404), "city": 200, "vendor": 200, "coordinator": 200}),
    "matches.act": Rule("POST", "/matches/{match}/accept",
                        {**signed_in(404), "city": 302, "vendor": 302, "coordinator": 403}),
    "notifications.index": Rule("GET", "/notifications/", signed_in(200)),
    "notifications.read_all": Rule("POST", "/notifications/read-all", signed_in(302)),
    "notifications.open_one": Rule("POST", "/notifications/{notification}",
                                   {**signed_in(404), "city": 302}),
    "organization.index": Rule("GET", "/organization/",
                               only(200, "city", "vendor", "other_city", "other_vendor",
                                    "waiting")),
    "organization.decide": Rule("POST", "/organization/requests/{join}/approve",
                                only(302, "vendor")),
    "coordinator.approvals": Rule("GET", "/coordinator/approvals", only(200, "coordinator")),
    "coordinator.run_matching": Rule("POST", "/coordinator/matching", only(302, "coordinator")),
}

# Drafts are invisible to everyone but their owner (and coordinators): 404, not 403.
DRAFT_TABLE: dict[str, Rule] = {
    "needs.detail (draft)": Rule("GET", "/needs/{draft}",
                                 {**everyone(404), "city": 200, "coordinator": 200}),
    "needs.edit (draft, other city)": Rule("POST", "/needs/{draft}/edit",
                                           {**only(302, "city", others=403), "other_city": 404},
                                           NEED_FIELDS),
}


def test_every_route_has_an_expectation(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(TABLE) == set(), "routes without an access expectation"
    assert set(TABLE) - endpoints == set(), "expectations for routes that no longer exist"


@pytest.fixture
def world(make, db):
    city = make.user("city_official")
    other_city = make.user("city_official")
    vendor = make.user("vendor")
    other_vendor = make.user("vendor")
    coordinator = make.user("coordinator")
    pending = make.user("vendor", status="pending")
    city_org = db.get(Organization, city.organization_id)
    need = make.need(city_org)
    draft = make.need(city_org, status="draft")
    offer = make.offer(db.get(Organization, vendor.organization_id))
    match = make.match(need, offer)
    vendor_org = db.get(Organization, vendor.organization_id)
    waiting = make.join_request(vendor_org).user_id
    join = make.join_request(vendor_org)
    notification = Notification(user_id=city.id, match_id=match.id, kind="proposed")
    db.add(notification)
    db.add(PasswordResetToken(user_id=pending.id, token_hash=hash_token(RESET_TOKEN),
                              expires_at=utcnow() + timedelta(hours=1)))
    db.commit()
    return {
        "users": {"city": city, "other_city": other_city, "vendor": vendor,
                  "other_vendor": other_vendor, "coordinator": coordinator,
                  "waiting": db.get(User, waiting)},
        "ids": {"need": need.id, "draft": draft.id, "offer": offer.id, "pending": pending.id,
                "match": match.id, "notification": notification.id, "join": join.id,
                "reset_token": RESET_TOKEN},
    }


def _check(client, auth, world, role: str, rule: Rule) -> None:
    if role != "anon":
        response = auth.login(world["users"][role].email)
        assert response.status_code == 302, f"{role} could not log in"
    path = rule.path.format(**world["ids"])
    if rule.method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data=dict(rule.data or {}))
    expected = rule.expect[role]
    if expected == LOGIN:
        assert response.status_code == 302, (role, path, response.status_code)
        assert "/auth/login" in response.headers["Location"], (role, path)
    else:
        assert response.status_code == expected, (role, rule.method, path)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(TABLE))
def test_access(client, auth, world, endpoint, role):
    _check(client, auth, world, role, TABLE[endpoint])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", sorted(DRAFT_TABLE))
def test_access_to_drafts(client, auth, world, case, role):
    _check(client, auth, world, role, DRAFT_TABLE[case])


def test_notification_list_names_the_pair(client, auth, world, db):
    auth.login(world["users"]["city"].email)
    body = client.get("/notifications/").get_data(as_text=True)
    from matchmaker.models import Match, Need, Offer

    match = db.get(Match, world["ids"]["match"])
    assert db.get(Need, match.need_id).title in body
    assert db.get(Offer, match.offer_id).title in body
