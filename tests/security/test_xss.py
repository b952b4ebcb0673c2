"""Stored and reflected XSS, tried in a real browser (ASVS V5.3.3).

The corpus (tests/security/xss_payloads.py) goes into every user text field: need and offer
titles, descriptions (Markdown), tags, offer references, organisation name, website, e-mail and
phone, user names, match decline/withdraw/reject reasons, an account's rejection reason, and the
search box; notifications show the titles. Then every page that shows them is opened as each
role (anonymous, city official, vendor, coordinator) and must:

* run none of it: ``window.__xss(n)`` (defined before any page script) is never called, no
  dialog opens, no CSP violation is reported, no console error;
* render none of it as markup: no inline script, no ``on*`` attribute, no frame/object/embed/
  base/meta-refresh, no link or source whose resolved scheme is other than http(s)/mailto
  (``javascript:``, ``data:``, ...), no template evaluated (``tpl{{7*7}}`` never becomes
  ``tpl49``);
* still show it as text (the payloads are escaped, not silently dropped).

The pages are few and each carries many payloads, so the module stays well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page
from sqlmodel import Session, select

from matchmaker.models import Match, Need, Offer, OrganizationKind, Role, User
from matchmaker.services import accounts, matching, workflow
from tests import factories
from tests.browser_plugin import TIMEOUT_MS
from tests.security.xss_payloads import EVALUATED, MARKDOWN, SHORT, TEXT, Payload

pytestmark = pytest.mark.browser

LIGHTING = (
    "Lampu jalan PJU pintar: penggantian ke LED, panel kontrol yang dipantau dari kantor "
    "dinas, jadwal nyala dan peredupan (dimming) otomatis, notifikasi gangguan."
)
#: The matches the corpus drives through the workflow, one per need/offer pair.
STATES = ("proposed", "declined", "withdrawn", "confirmed", "rejected", "approved")

#: Runs before any page script: the hook payloads call, and a CSP violation recorder.
INIT_SCRIPT = """
window.__xssHits = [];
window.__xss = function (n) { window.__xssHits.push(n); };
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""

#: Everything on the rendered page that would be markup made from user text.
DOM_AUDIT = """
() => {
  const problems = [];
  const safe = new Set(["http:", "https:", "mailto:"]);
  const urlAttrs = new Set(["href", "src", "action", "formaction", "xlink:href", "data",
                            "poster", "background", "ping", "srcset", "cite"]);
  const own = location.origin;
  for (const el of document.querySelectorAll("*")) {
    const tag = el.localName;
    if (["iframe", "frame", "frameset", "object", "embed", "base", "applet"].includes(tag)) {
      problems.push("element <" + tag + ">");
    }
    if (tag === "script" && !(el.src && el.src.startsWith(own + "/"))) {
      problems.push("script " + (el.src || el.textContent.slice(0, 60)));
    }
    if (tag === "meta" && el.httpEquiv) problems.push("meta http-equiv " + el.content);
    if ((tag === "style" || tag === "link") && el.closest("body")) {
      problems.push("<" + tag + "> in body");
    }
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) problems.push("<" + tag + " " + name + "=" + attr.value + ">");
      if (name === "srcdoc") problems.push("<" + tag + " srcdoc>");
      // the head holds only the app's own links (its favicon is "data:,"), no user text
      if (urlAttrs.has(name) && attr.value.trim() !== "" && el.closest("body")) {
        let scheme;
        try { scheme = new URL(attr.value, document.baseURI).protocol; }
        catch (e) { scheme = "unparsable"; }
        if (!safe.has(scheme)) {
          problems.push("<" + tag + " " + name + "=" + attr.value + "> (" + scheme + ")");
        }
      }
    }
  }
  for (const a of document.querySelectorAll("a[href]")) {
    if (!safe.has(new URL(a.href).protocol)) problems.push("anchor " + a.href);
  }
  return problems;
}
"""


def squash(text: str) -> str:
    """Whitespace collapsed, as the browser lays text out."""
    return " ".join(text.split())


def joined(payloads: list[Payload], limit: int) -> str:
    """As many payloads as fit in ``limit`` characters, space separated."""
    out = ""
    for payload in payloads:
        candidate = f"{out} {payload.text}".strip()
        if len(candidate) > limit:
            break
        out = candidate
    return out


def rotate(payloads: list[Payload], start: int, count: int) -> list[Payload]:
    return [payloads[(start + i) % len(payloads)] for i in range(count)]


def markdown_description() -> str:
    """Every Markdown trick, each its own paragraph, plus words the engine matches on."""
    return "\n\n".join([LIGHTING, *(p.text for p in MARKDOWN)])


@dataclass
class Corpus:
    """What the payloads were put into, to visit and to look for."""

    city: User
    vendor: User
    coordinator: User
    refused_email: str
    refused_reason: str
    pending_name: str
    org_names: list[str]
    contacts: list[str]
    need_ids: list[int]
    unmatched_need_id: int
    offer_ids: list[int]
    matches: dict[str, int]
    titles: dict[tuple[str, int], str]
    references: list[str]
    reasons: dict[str, str]


def _pair_match(db: Session, make: factories.Factory, need_id: int, offer_id: int) -> int:
    """The engine's proposal for the pair, or one made here if the engine did not propose it."""
    found = db.exec(select(Match).where(Match.need_id == need_id,
                                        Match.offer_id == offer_id)).first()
    if found is None or found.state != "proposed":
        need, offer = db.get(Need, need_id), db.get(Offer, offer_id)
        assert need is not None and offer is not None and found is None
        found = make.match(need, offer)
    assert found.id is not None
    return found.id


def _drive(db: Session, corpus: Corpus, state: str, match_id: int) -> None:
    """Move one proposal to ``state`` through the real workflow, reasons carrying payloads."""
    city, vendor, coordinator = corpus.city, corpus.vendor, corpus.coordinator
    steps: dict[str, list[tuple[User, str]]] = {
        "proposed": [],
        "declined": [(city, "decline")],
        "withdrawn": [(city, "accept"), (vendor, "withdraw")],
        "confirmed": [(city, "accept"), (vendor, "accept")],
        "rejected": [(city, "accept"), (vendor, "accept"), (coordinator, "reject")],
        "approved": [(city, "accept"), (vendor, "accept"), (coordinator, "approve")],
    }
    for actor, action in steps[state]:
        workflow.transition(db, actor, match_id, action, reason=corpus.reasons.get(action))


def build_corpus(app: Flask, db: Session, make: factories.Factory) -> Corpus:
    """Payloads in every user text field, stored through the factories and services."""
    text = list(TEXT)
    org_values = [
        {"name": joined(rotate(text, 14, 3), 150), "website": joined(rotate(text, 12, 3), 200),
         "contact_email": joined(rotate(text, 0, 4), 254), "contact_phone": SHORT[0].text},
        {"name": joined(rotate(text, 3, 3), 150), "website": "javascript:__xss(0)",
         "contact_email": joined(rotate(text, 5, 4), 254), "contact_phone": SHORT[1].text},
    ]
    city_org = make.org(OrganizationKind.CITY, **org_values[0])
    vendor_org = make.org(OrganizationKind.VENDOR, **org_values[1])
    city = make.user(Role.CITY_OFFICIAL, organization=city_org,
                     name=joined(rotate(text, 1, 2), 120))
    vendor = make.user(Role.VENDOR, organization=vendor_org,
                       name=joined(rotate(text, 6, 2), 120))
    coordinator = make.user(Role.COORDINATOR, name=joined(rotate(text, 9, 2), 120))

    titles: dict[tuple[str, int], str] = {}
    need_ids, offer_ids = [], []
    for i in range(len(STATES)):
        need = make.need(city_org, title=text[i].text, description=markdown_description(),
                         tags=[p.text for p in rotate(SHORT, i, 10)])
        offer = make.offer(vendor_org, title=text[len(STATES) + i].text,
                           description=markdown_description(),
                           tags=[p.text for p in rotate(SHORT, i + 5, 10)],
                           references=[p.text for p in rotate(text, 3 * i, 10)])
        assert need.id is not None and offer.id is not None
        need_ids.append(need.id)
        offer_ids.append(offer.id)
        titles["need", need.id], titles["offer", offer.id] = need.title, offer.title

    with app.test_request_context():
        matching.rematch_all(db)  # real proposals, explanations and notifications
        corpus = Corpus(
            city=city, vendor=vendor, coordinator=coordinator,
            refused_email="refused@example.test",
            refused_reason=joined(rotate(text, 20, 12), 500),
            pending_name=joined(rotate(text, 24, 2), 120),
            org_names=[v["name"] for v in org_values],
            contacts=[value for values in org_values for value in values.values()],
            need_ids=need_ids,
            unmatched_need_id=0, offer_ids=offer_ids, matches={}, titles=titles,
            references=[p.text for p in rotate(text, 0, 10)],
            reasons={"decline": joined(rotate(text, 0, 40), 1000),
                     "withdraw": joined(rotate(text, 11, 40), 1000),
                     "reject": joined(rotate(text, 22, 40), 1000)},
        )
        for state, need_id, offer_id in zip(STATES, need_ids, offer_ids, strict=True):
            corpus.matches[state] = _pair_match(db, make, need_id, offer_id)
            _drive(db, corpus, state, corpus.matches[state])

        lonely = make.need(city_org, title=text[2 * len(STATES)].text, tags=[SHORT[2].text],
                           description=markdown_description())  # made after matching: none
        assert lonely.id is not None
        corpus.unmatched_need_id = lonely.id
        titles["need", lonely.id] = lonely.title

        accounts.register(db, accounts.Registration(
            email="pending@example.test", name=corpus.pending_name, password=factories.PASSWORD,
            role=Role.VENDOR, company=joined(rotate(text, 28, 3), 150)))
        refused = accounts.register(db, accounts.Registration(
            email=corpus.refused_email, name=joined(rotate(text, 16, 2), 120),
            password=factories.PASSWORD, role=Role.VENDOR, company=text[30].text))
        assert refused.id is not None
        accounts.reject_account(db, coordinator, refused.id, corpus.refused_reason)
    return corpus


@dataclass
class Visitor:
    """One role's browser context, recording every sign of executed or injected script."""

    context: BrowserContext
    page: Page
    role: str
    findings: list[str]
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    visited: int = 0

    @classmethod
    def open(cls, browser: Browser, base_url: str, role: str, findings: list[str]) -> Visitor:
        context = browser.new_context(base_url=base_url, locale="id-ID",
                                      service_workers="block")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(INIT_SCRIPT)
        visitor = cls(context=context, page=context.new_page(), role=role, findings=findings)
        visitor.page.on("dialog", visitor._on_dialog)
        visitor.page.on("console", visitor._on_console)
        visitor.page.on("pageerror", lambda error: visitor.console.append(f"uncaught: {error}"))
        return visitor

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def visit(self, path: str, shows: tuple[str, ...] = (), status: int | None = None) -> None:
        response = self.page.goto(path)
        assert response is not None, path
        if status is None:
            assert response.status < 400, f"{self.role} {path}: {response.status}"
        else:
            assert response.status == status, f"{self.role} {path}: {response.status}"
            self.console[:] = [c for c in self.console if f"status of {status}" not in c]
        self.inspect(path, shows)

    def inspect(self, where: str, shows: tuple[str, ...] = ()) -> None:
        """Record what ran or was injected on the current page; check the payloads show."""
        self.page.wait_for_load_state("load")
        self.visited += 1
        label = f"{self.role} {where}"
        page = self.page
        hits = page.evaluate("window.__xssHits")
        violations = page.evaluate("window.__cspViolations")
        problems = page.evaluate(DOM_AUDIT)
        # textContent, not innerText: text in a closed <details> counts as shown too
        text = squash(page.evaluate("document.documentElement.textContent"))
        self.findings += [f"{label}: __xss({n}) ran" for n in hits]
        self.findings += [f"{label}: CSP violation {v}" for v in violations]
        self.findings += [f"{label}: {p}" for p in problems]
        self.findings += [f"{label}: dialog {d}" for d in self.dialogs]
        self.findings += [f"{label}: console {c}" for c in self.console]
        self.dialogs.clear()
        self.console.clear()
        if EVALUATED in text:
            self.findings.append(f"{label}: a template was evaluated ({EVALUATED})")
        self.findings += [f"{label}: does not show {s!r} as text" for s in shows
                          if squash(s) not in text]

    def login(self, user: User) -> None:
        self.visit("/auth/login")
        self.page.locator("#email").fill(user.email)
        self.page.locator("#password").fill(factories.PASSWORD)
        with self.page.expect_navigation():
            self.page.locator("main form[method=post] button[type=submit]").last.click()
        assert self.page.url.endswith("/dashboard"), f"{user.email} could not log in"
        self.inspect("/dashboard", (user.name,))


@pytest.fixture
def corpus(app: Flask, db: Session, make: factories.Factory) -> Corpus:
    return build_corpus(app, db, make)


@dataclass
class Visitors:
    """Opens one recording browser context per role; their findings end up in one list."""

    browser: Browser
    base_url: str
    findings: list[str] = field(default_factory=list)
    opened: list[Visitor] = field(default_factory=list)

    def __call__(self, role: str) -> Visitor:
        self.opened.append(Visitor.open(self.browser, self.base_url, role, self.findings))
        return self.opened[-1]

    def close(self) -> None:
        for visitor in self.opened:
            visitor.context.close()


@pytest.fixture
def visitors(chromium_browser: Browser, live_server: str) -> Iterator[Visitors]:
    opened = Visitors(chromium_browser, live_server)
    try:
        yield opened
    finally:
        opened.close()


def _report(findings: list[str]) -> str:
    return f"{len(findings)} XSS finding(s):\n" + "\n".join(findings[:200])


def test_corpus_is_big_and_numbered() -> None:
    """At least 30 payloads of each kind, every one calling its own hook."""
    assert len(TEXT) >= 30 and len(MARKDOWN) >= 30
    numbers = [p.number for p in TEXT + MARKDOWN]
    assert len(set(numbers)) == len(numbers)
    hooked = [p for p in TEXT + MARKDOWN if f"__xss({p.number})" in p.text]
    assert len(hooked) >= 50


def test_anonymous_pages_render_the_corpus_inert(corpus: Corpus, visitors: Visitors) -> None:
    anonymous = visitors("anonymous")
    anonymous.visit("/")
    anonymous.visit("/needs/", tuple(corpus.titles["need", i] for i in corpus.need_ids[:4]))
    anonymous.visit("/offers/", (*(corpus.titles["offer", i] for i in corpus.offer_ids),
                                 corpus.org_names[1]))
    for payload in (TEXT[0], TEXT[3], TEXT[13], TEXT[14]):
        anonymous.visit(f"/needs/?q={payload.text}")
        anonymous.visit(f"/offers/?q={payload.text}")
    for need_id in [*corpus.need_ids, corpus.unmatched_need_id]:
        anonymous.visit(f"/needs/{need_id}", (corpus.titles["need", need_id],))
    for offer_id in corpus.offer_ids:
        anonymous.visit(f"/offers/{offer_id}", (corpus.titles["offer", offer_id],))

    anonymous.visit("/auth/login")  # an account refused with a reason: told at login
    anonymous.page.locator("#email").fill(corpus.refused_email)
    anonymous.page.locator("#password").fill(factories.PASSWORD)
    with anonymous.page.expect_navigation():
        anonymous.page.locator("main form[method=post] button[type=submit]").last.click()
    anonymous.console.clear()  # the refusal's own 4xx status is reported as a console error
    anonymous.inspect("/auth/login (refused)", (corpus.refused_reason,))

    assert anonymous.visited >= 20
    assert not visitors.findings, _report(visitors.findings)


def test_city_official_pages_render_the_corpus_inert(corpus: Corpus, visitors: Visitors) -> None:
    city = visitors("city")
    city.login(corpus.city)
    name = (corpus.city.name,)
    for path in ("/dashboard", "/needs/mine", "/matches/", "/matches/?view=waiting",
                 "/matches/unmatched-needs"):
        city.visit(path, name)
    city.visit("/notifications/", (*name, *_approved_titles(corpus)))
    for need_id in corpus.need_ids:
        city.visit(f"/needs/{need_id}", (*name, corpus.titles["need", need_id]))
        city.visit(f"/needs/{need_id}/proposals",
                   (*name, *(corpus.titles["offer", i] for i in corpus.offer_ids)))
    _visit_matches(city, corpus)
    _check_edit_form(city, f"/needs/{corpus.unmatched_need_id}/edit",
                     corpus.titles["need", corpus.unmatched_need_id])
    city.visit("/auth/profile")
    assert city.page.locator("#name").input_value() == corpus.city.name
    assert not visitors.findings, _report(visitors.findings)


def test_vendor_pages_render_the_corpus_inert(corpus: Corpus, visitors: Visitors) -> None:
    vendor = visitors("vendor")
    vendor.login(corpus.vendor)
    name = (corpus.vendor.name,)
    for path in ("/dashboard", "/offers/mine", "/matches/", "/matches/?view=partnerships"):
        vendor.visit(path, name)
    vendor.visit("/notifications/", (*name, *_approved_titles(corpus)))
    for offer_id in corpus.offer_ids:
        vendor.visit(f"/offers/{offer_id}", (*name, corpus.titles["offer", offer_id]))
        vendor.visit(f"/offers/{offer_id}/proposals",
                     (*name, *(corpus.titles["need", i] for i in corpus.need_ids)))
    vendor.visit(f"/offers/{corpus.offer_ids[0]}", tuple(corpus.references))
    _visit_matches(vendor, corpus)
    _check_edit_form(vendor, f"/offers/{corpus.offer_ids[0]}/edit",
                     corpus.titles["offer", corpus.offer_ids[0]])
    vendor.visit("/auth/profile")
    assert vendor.page.locator("#name").input_value() == corpus.vendor.name
    assert not visitors.findings, _report(visitors.findings)


def test_coordinator_pages_render_the_corpus_inert(corpus: Corpus, visitors: Visitors) -> None:
    coordinator = visitors("coordinator")
    coordinator.login(corpus.coordinator)
    name = (corpus.coordinator.name,)
    coordinator.visit("/coordinator/approvals",
                      (*name, corpus.titles["need", corpus.need_ids[STATES.index("confirmed")]]))
    coordinator.visit("/coordinator/accounts", (*name, corpus.pending_name))
    coordinator.visit("/matches/unmatched-needs",
                      (*name, corpus.titles["need", corpus.unmatched_need_id]))
    for path in ("/dashboard", "/matches/", "/notifications/",
                 f"/needs/{corpus.need_ids[0]}/proposals",
                 f"/offers/{corpus.offer_ids[0]}/proposals"):
        coordinator.visit(path, name)
    _visit_matches(coordinator, corpus)
    assert not visitors.findings, _report(visitors.findings)


def _approved_titles(corpus: Corpus) -> tuple[str, str]:
    """The titles a notification about the approved match names."""
    index = STATES.index("approved")
    return (corpus.titles["need", corpus.need_ids[index]],
            corpus.titles["offer", corpus.offer_ids[index]])


def _visit_matches(visitor: Visitor, corpus: Corpus) -> None:
    """Every match page: titles always, reasons where given, contacts once approved."""
    for state, match_id in corpus.matches.items():
        index = STATES.index(state)
        need_id, offer_id = corpus.need_ids[index], corpus.offer_ids[index]
        shows = [corpus.titles["need", need_id], corpus.titles["offer", offer_id]]
        reason = {"declined": "decline", "withdrawn": "withdraw", "rejected": "reject"}.get(state)
        if reason:
            shows.append(corpus.reasons[reason])
        if state == "approved":
            shows += corpus.contacts
        visitor.visit(f"/matches/{match_id}", tuple(shows))


def _check_edit_form(visitor: Visitor, path: str, title: str) -> None:
    """The edit form gives the stored text back as field values, nothing breaks out."""
    visitor.visit(path)
    assert visitor.page.locator("#title").input_value() == title
    description = visitor.page.locator("#description").input_value()
    assert squash(description) == squash(markdown_description())
