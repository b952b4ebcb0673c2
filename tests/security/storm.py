"""The storm: several signed-in people of different roles run every POST route of the app at
the same moment, round after round, against one app and the real database.

Each POST endpoint of ``app.url_map`` has a *recipe* here: how a person of a given role
fills in that form (CSRF token included) with what the database holds at that moment, or
``None`` when the route is not theirs or there is nothing to act on yet. A new POST route
without a recipe makes the storm test fail, naming the route.

A person's round runs the recipes in the order of :data:`RECIPES`: as a visitor (language,
registration, a reset link asked for and used), then signed in (profile, postings, matches,
notifications, organisation, coordinator work), and it ends with a password change and a
logout, so every session-ending route is in the storm too.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from matchmaker.models import (
    JoinRequestStatus,
    Match,
    MatchEvent,
    MatchState,
    Need,
    NeedStatus,
    Notification,
    Offer,
    OfferStatus,
    Organization,
    OrganizationJoinRequest,
    OutboundEmail,
    OutboxStatus,
    Role,
    User,
    UserStatus,
)
from matchmaker.services import needs, offers
from tests.factories import PASSWORD
from tests.security.support import NEED_FIELDS, OFFER_FIELDS

ROUNDS = 20
_RESET_LINK_RE = re.compile(r"/auth/reset/([A-Za-z0-9_-]+)")
#: how long a person waits for their reset e-mail to leave the outbox
MAIL_WAIT_SECONDS = 20.0


@dataclass
class Person:
    """One of the storm's people: a browser signed in as them and a visitor's browser."""

    key: str
    role: str
    user_id: int
    email: str
    organization_id: int | None
    client: Any
    visitor: Any
    password: str = PASSWORD
    token: str = ""
    visitor_token: str = ""
    reset_token: str | None = None
    reset_mails_seen: int = 0


Response = Any
Recipe = Callable[["Storm", Person, int], Response | None]
#: endpoint -> recipe, in the order a person's round runs them
RECIPES: dict[str, Recipe] = {}


def recipe(endpoint: str) -> Callable[[Recipe], Recipe]:
    def register(function: Recipe) -> Recipe:
        RECIPES[endpoint] = function
        return function
    return register


def post_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())}


@dataclass
class Storm:
    app: Flask
    engine: Engine
    people: list[Person]
    rounds: int = ROUNDS
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    skipped: Counter[str] = field(default_factory=Counter)
    busy_seconds: Counter[str] = field(default_factory=Counter)
    helper_requests: int = 0
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, query: Callable[[Session], Any]) -> Any:
        """What the database holds now, read on a short session of its own."""
        with Session(self.engine, expire_on_commit=False) as session:
            return query(session)

    def token(self, client: Any, path: str) -> str:
        """The CSRF token of ``client``'s session, from a light page with a form."""
        with self._lock:
            self.helper_requests += 1
        return str(client.csrf_token(path))

    def run_person(self, person: Person) -> None:
        for round_ in range(self.rounds):
            # a reset link, used, clears the visitor's session: a new token every round
            person.visitor_token = self.token(person.visitor, "/auth/login")
            for endpoint, make_request in RECIPES.items():
                started = time.perf_counter()
                response = make_request(self, person, round_)
                with self._lock:
                    self.busy_seconds[endpoint] += time.perf_counter() - started
                    if response is None:
                        self.skipped[endpoint] += 1
                    else:
                        self.statuses[endpoint][response.status_code] += 1

    def figures(self) -> dict[str, Any]:
        total: Counter[int] = sum(self.statuses.values(), Counter())
        posts = sum(total.values())
        return {
            "people": len(self.people), "rounds": self.rounds, "posts": posts,
            "helper_gets": self.helper_requests, "seconds": round(self.seconds, 2),
            "requests_per_second": round((posts + self.helper_requests) / self.seconds, 1)
            if self.seconds else None,
            "statuses": dict(sorted(total.items())),
            "by_endpoint": {name: dict(sorted(c.items())) for name, c in
                            sorted(self.statuses.items())},
            "skipped": dict(sorted(self.skipped.items())),
            "seconds_by_endpoint": {name: round(seconds, 1) for name, seconds in
                                    self.busy_seconds.most_common()},
        }


def _post(person: Person, path: str, data: dict[str, str] | None = None, *,
          visitor: bool = False) -> Response:
    client = person.visitor if visitor else person.client
    token = person.visitor_token if visitor else person.token
    return client.post(path, data={**(data or {}), "csrf_token": token})


# --- as a visitor -------------------------------------------------------------------------

@recipe("main.set_language")
def _language(storm: Storm, person: Person, round_: int) -> Response:
    return _post(person, "/language", {"language": "en" if round_ % 2 else "id", "next": "/"},
                 visitor=True)


@recipe("auth.register")
def _register(storm: Storm, person: Person, round_: int) -> Response:
    """City staff register a colleague for their regency and vendors one for their company
    (both open a join request); the coordinator registers a new company (a plain pending
    account for the verification queue)."""
    data = {"name": f"Storm {person.key} {round_}", "email": f"storm-{person.key}-{round_}"
            "@example.com", "password": "storm-registration-pass",
            "confirm": "storm-registration-pass", "language": "id", "regency": "",
            "company": ""}
    org = storm.read(lambda s: s.get(Organization, person.organization_id)) \
        if person.organization_id else None
    if person.role == Role.CITY_OFFICIAL:
        data |= {"role": "city_official", "regency": org.regency_code}
    else:
        company = org.name if person.role == Role.VENDOR else f"PT Storm Baru {round_}"
        data |= {"role": "vendor", "company": company}
    return _post(person, "/auth/register", data, visitor=True)


def _reset_mails(storm: Storm, email: str) -> list[str]:
    outbox = list(storm.app.extensions["mailman"].outbox)
    return [found.group(1) for message in outbox if message.to == [email]
            for found in [_RESET_LINK_RE.search(message.body)] if found]


@recipe("password_reset.forgot")
def _forgot(storm: Storm, person: Person, round_: int) -> Response:
    response = _post(person, "/auth/forgot", {"email": person.email}, visitor=True)
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    person.reset_token = None
    while time.monotonic() < deadline:  # another request's delivery pass may be sending it
        links = _reset_mails(storm, person.email)
        if len(links) > person.reset_mails_seen:
            person.reset_mails_seen, person.reset_token = len(links), links[-1]
            break
        time.sleep(0.02)
    return response


@recipe("password_reset.reset")
def _reset(storm: Storm, person: Person, round_: int) -> Response | None:
    if person.reset_token is None:
        return None
    password = f"storm-{person.key}-{round_}-reset"
    response = _post(person, f"/auth/reset/{person.reset_token}",
                     {"password": password, "confirm": password}, visitor=True)
    if response.status_code == 302:
        person.password = password
    return response


@recipe("auth.login")
def _login(storm: Storm, person: Person, round_: int) -> Response:
    person.token = storm.token(person.client, "/auth/login")
    response = _post(person, "/auth/login", {"email": person.email, "password": person.password})
    person.token = storm.token(person.client, "/auth/profile")  # a new session, a new token
    return response


# --- signed in ----------------------------------------------------------------------------

@recipe("auth.profile")
def _profile(storm: Storm, person: Person, round_: int) -> Response:
    return _post(person, "/auth/profile", {"name": f"Storm {person.key}",
                                           "language": "id" if round_ % 2 else "en",
                                           "email_notifications": "y"})


_NEED_TITLES = ("Penerangan jalan umum pintar", "Lampu jalan LED hemat energi",
                "PJU pintar dengan dimming jarak jauh")
_OFFER_TITLES = ("Kontroler PJU pintar", "Lampu jalan LED tenaga surya",
                 "Sistem PJU pintar terpusat")


def _latest(storm: Storm, model: type[Need] | type[Offer], organization_id: int | None,
            statuses: frozenset[str] | set[str], oldest: bool = False) -> Any:
    order = col(model.id).asc() if oldest else col(model.id).desc()
    return storm.read(lambda s: s.exec(select(model).where(
        model.organization_id == organization_id, col(model.status).in_(statuses))
        .order_by(order)).first())


def _posting_data(fields: dict[str, str], title: str, round_: int, **extra: str) -> dict[str, str]:
    data = {name: value for name, value in fields.items() if name != "version"}
    return {**data, "title": title, "description": f"{data['description']} Putaran {round_}.",
            **extra}


@recipe("needs.create")
def _new_need(storm: Storm, person: Person, round_: int) -> Response | None:
    if person.role != Role.CITY_OFFICIAL:
        return None
    return _post(person, "/needs/new", _posting_data(
        NEED_FIELDS, _NEED_TITLES[round_ % 3], round_, publish="y"))


@recipe("needs.edit")
def _edit_need(storm: Storm, person: Person, round_: int) -> Response | None:
    if person.role != Role.CITY_OFFICIAL:
        return None
    need = _latest(storm, Need, person.organization_id, needs.KIND.editable_statuses)
    if need is None:
        return None
    return _post(person, f"/needs/{need.id}/edit", _posting_data(
        NEED_FIELDS, need.title, round_, version=str(need.version)))


@recipe("needs.act")
def _need_status(storm: Storm, person: Person, round_: int) -> Response | None:
    """Close the newest open need on even rounds, reopen the newest closed one on odd."""
    if person.role != Role.CITY_OFFICIAL:
        return None
    action, status = ("close", NeedStatus.OPEN) if round_ % 2 == 0 else \
        ("reopen", NeedStatus.CLOSED)
    need = _latest(storm, Need, person.organization_id, {status})
    return None if need is None else _post(person, f"/needs/{need.id}/{action}")


@recipe("offers.create")
def _new_offer(storm: Storm, person: Person, round_: int) -> Response | None:
    if person.role != Role.VENDOR:
        return None
    publish = {"publish": "y"} if round_ % 2 == 0 else {}
    return _post(person, "/offers/new", _posting_data(
        OFFER_FIELDS, _OFFER_TITLES[round_ % 3], round_, **publish))


@recipe("offers.edit")
def _edit_offer(storm: Storm, person: Person, round_: int) -> Response | None:
    if person.role != Role.VENDOR:
        return None
    offer = _latest(storm, Offer, person.organization_id, offers.KIND.editable_statuses)
    if offer is None:
        return None
    return _post(person, f"/offers/{offer.id}/edit", _posting_data(
        OFFER_FIELDS, offer.title, round_, version=str(offer.version)))


@recipe("offers.act")
def _offer_status(storm: Storm, person: Person, round_: int) -> Response | None:
    """Publish a draft if there is one, else archive the oldest published offer."""
    if person.role != Role.VENDOR:
        return None
    draft = _latest(storm, Offer, person.organization_id, {OfferStatus.DRAFT})
    if draft is not None:
        return _post(person, f"/offers/{draft.id}/publish")
    offer = _latest(storm, Offer, person.organization_id, {OfferStatus.PUBLISHED}, oldest=True)
    return None if offer is None else _post(person, f"/offers/{offer.id}/archive")


def _match_to_act_on(storm: Storm, person: Person, round_: int) -> tuple[Match, str] | None:
    def query(s: Session) -> tuple[Match, str] | None:
        if person.role == Role.COORDINATOR:
            found = s.exec(select(Match).where(Match.state == MatchState.CONFIRMED)
                           .order_by(col(Match.id))).first()
            return (found, "approve" if round_ % 2 == 0 else "reject") if found else None
        owner, own = ((Need, Match.city_decision) if person.role == Role.CITY_OFFICIAL
                      else (Offer, Match.vendor_decision))
        join_on = Match.need_id if owner is Need else Match.offer_id
        mine = select(Match).join(owner, col(owner.id) == join_on).where(
            owner.organization_id == person.organization_id)
        if round_ % 5 == 4:
            found = s.exec(mine.where(Match.state == MatchState.CONFIRMED)
                           .order_by(col(Match.id))).first()
            if found:
                return found, "withdraw"
        found = s.exec(mine.where(Match.state == MatchState.PROPOSED, col(own).is_(None))
                       .order_by(col(Match.id).desc())).first()
        return (found, "decline" if round_ % 4 == 3 else "accept") if found else None
    return storm.read(query)  # type: ignore[no-any-return]


@recipe("matches.act")
def _match_action(storm: Storm, person: Person, round_: int) -> Response | None:
    found = _match_to_act_on(storm, person, round_)
    if found is None:
        return None
    match, action = found
    data = {"version": str(match.version)}
    if action == "reject":
        data["reason"] = "Tidak sesuai RPJMD"
    return _post(person, f"/matches/{match.id}/{action}", data)


@recipe("notifications.open_one")
def _open_notification(storm: Storm, person: Person, round_: int) -> Response | None:
    notification_id = storm.read(lambda s: s.exec(
        select(Notification.id).where(Notification.user_id == person.user_id)
        .order_by(col(Notification.id).desc())).first())
    return None if notification_id is None else _post(person, f"/notifications/{notification_id}")


@recipe("notifications.read_all")
def _read_all(storm: Storm, person: Person, round_: int) -> Response:
    return _post(person, "/notifications/read-all")


@recipe("organization.decide")
def _decide(storm: Storm, person: Person, round_: int) -> Response | None:
    if person.role not in (Role.CITY_OFFICIAL, Role.VENDOR):
        return None
    request_id = storm.read(lambda s: s.exec(
        select(OrganizationJoinRequest.id).where(
            OrganizationJoinRequest.organization_id == person.organization_id,
            OrganizationJoinRequest.status == JoinRequestStatus.PENDING)
        .order_by(col(OrganizationJoinRequest.id))).first())
    if request_id is None:
        return None
    action = "approve" if round_ % 2 == 0 else "decline"
    return _post(person, f"/organization/requests/{request_id}/{action}")


def _pending_account(storm: Storm, newest: bool) -> int | None:
    order = col(User.id).desc() if newest else col(User.id).asc()
    return storm.read(lambda s: s.exec(select(User.id).where(
        User.status == UserStatus.PENDING).order_by(order)).first())  # type: ignore[no-any-return]


@recipe("coordinator.verify")
def _verify(storm: Storm, person: Person, round_: int) -> Response | None:
    if person.role != Role.COORDINATOR:
        return None
    user_id = _pending_account(storm, newest=False)
    return None if user_id is None else _post(person, f"/coordinator/accounts/{user_id}/verify")


@recipe("coordinator.reject")
def _reject(storm: Storm, person: Person, round_: int) -> Response | None:
    if person.role != Role.COORDINATOR:
        return None
    user_id = _pending_account(storm, newest=True)
    return None if user_id is None else _post(
        person, f"/coordinator/accounts/{user_id}/reject", {"reason": "Bukan pegawai Pemda"})


@recipe("coordinator.run_matching")
def _run_matching(storm: Storm, person: Person, round_: int) -> Response | None:
    if person.role != Role.COORDINATOR:
        return None
    return _post(person, "/coordinator/matching")


@recipe("auth.change_password")
def _change_password(storm: Storm, person: Person, round_: int) -> Response:
    password = f"storm-{person.key}-{round_}-changed"
    response = _post(person, "/auth/password", {"current": person.password,
                                                "password": password, "confirm": password})
    if response.status_code == 302:
        person.password = password
        person.token = storm.token(person.client, "/auth/profile")  # a new session too
    return response


@recipe("auth.logout")
def _logout(storm: Storm, person: Person, round_: int) -> Response:
    return _post(person, "/auth/logout")


# --- afterwards: is the data consistent? --------------------------------------------------

def inconsistencies(session: Session, sent_emails: list[Any]) -> list[str]:
    """Every way the stored data contradicts itself after the storm (empty when sound)."""
    problems: list[str] = []
    events: dict[int, list[MatchEvent]] = defaultdict(list)
    for event in session.exec(select(MatchEvent).order_by(col(MatchEvent.id))):
        events[event.match_id].append(event)
    for match in session.exec(select(Match)):
        trail = events[match.id or 0]
        if len(trail) != match.version:
            problems.append(f"match {match.id}: version {match.version} but {len(trail)} events "
                            "(two transitions from one version?)")
        states = [None, *(e.to_state for e in trail)]
        if any(e.from_state != states[i] for i, e in enumerate(trail)) or \
                (trail and trail[-1].to_state != match.state):
            problems.append(f"match {match.id}: its events do not chain up to {match.state}")
    pairs = session.exec(select(Match.need_id, Match.offer_id, func.count())
                         .group_by(Match.need_id, Match.offer_id)
                         .having(func.count() > 1)).all()
    problems += [f"pair {need}/{offer} stored {n} times" for need, offer, n in pairs]
    twice = session.exec(select(Notification.user_id, Notification.match_id,
                                Notification.join_request_id, Notification.kind, func.count())
                         .group_by(Notification.user_id, Notification.match_id,
                                   Notification.join_request_id, Notification.kind)
                         .having(func.count() > 1)).all()
    problems += [f"user {u} told {kind!r} about match {m} / join {j} {n} times"
                 for u, m, j, kind, n in twice]
    for notification in session.exec(select(Notification).where(
            col(Notification.read_at).is_not(None))):
        assert notification.read_at is not None
        if notification.read_at.replace(tzinfo=None) < \
                notification.created_at.replace(tzinfo=None):
            problems.append(f"notification {notification.id} read before it was created")
    rows = session.exec(select(OutboundEmail)).all()
    unsent = [row.id for row in rows if row.status != OutboxStatus.SENT]
    if unsent:
        problems.append(f"{len(unsent)} e-mails never sent")
    if sorted(m.to[0] for m in sent_emails) != sorted(row.to for row in rows):
        problems.append(f"{len(sent_emails)} e-mails sent for {len(rows)} outbox rows "
                        "(one sent twice, or lost?)")
    for request, user in session.exec(select(OrganizationJoinRequest, User).join(
            User, col(User.id) == OrganizationJoinRequest.user_id)):
        if request.status == JoinRequestStatus.APPROVED and \
                user.organization_id != request.organization_id:
            problems.append(f"join request {request.id} approved but user {user.id} not in it")
        if request.status == JoinRequestStatus.PENDING and user.organization_id is not None:
            problems.append(f"user {user.id} is in an organisation and still asks to join one")
    return problems
