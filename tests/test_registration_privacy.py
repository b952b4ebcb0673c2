"""Registration does not tell whether an e-mail has an account: a new and a taken address get
the same status, page, flash and cookies in about the same time; for a taken one nothing is
created and its owner is told by e-mail instead."""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from matchmaker.models import Organization, OrganizationJoinRequest, OutboundEmail, Role, User
from tests.factories import PASSWORD
from tests.security.support import cookie_shapes, normalised


@pytest.fixture
def db(engine):
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _form(email: str, company: str = "PT Baru Sekali") -> dict[str, str]:
    return {"role": "vendor", "name": "Rina", "email": email, "password": PASSWORD,
            "confirm": PASSWORD, "language": "id", "regency": "", "company": company}


def _answer(app, email: str) -> tuple[int, str | None, list[str], str, str]:
    client = app.test_client()
    response = client.post("/auth/register", data=_form(email))
    page = client.get(response.headers["Location"])
    return (response.status_code, response.headers.get("Location"), cookie_shapes(response),
            normalised(response.get_data(as_text=True)),
            normalised(page.get_data(as_text=True)))


def _counts(db) -> tuple[int, int, int]:
    db.commit()
    return tuple(db.exec(select(func.count()).select_from(model)).one()  # type: ignore[return-value]
                 for model in (User, Organization, OrganizationJoinRequest))


def test_a_taken_and_a_new_email_get_the_same_answer(app, make):
    make.user(Role.VENDOR, email="taken@example.com")

    taken = _answer(app, "Taken@Example.com")
    new = _answer(app, "brand-new@example.com")

    assert taken == new
    assert taken[0] == 302
    assert "verifikasi" in taken[4]  # the flash on the login page


def test_a_taken_email_creates_nothing_and_sends_its_owner_a_notice(app, client, db, make):
    owner = make.user(Role.VENDOR, email="taken@example.com", name="Pak Pemilik")
    before = _counts(db)

    client.post("/auth/register", data=_form("TAKEN@example.com", company="PT Lain"))

    assert _counts(db) == before
    db.commit()
    assert db.get(User, owner.id, populate_existing=True).password_hash == owner.password_hash
    mail = db.exec(select(OutboundEmail).where(OutboundEmail.to == "taken@example.com")).one()
    assert "Pak Pemilik" in mail.body
    assert "/auth/login" in mail.body
    sent = getattr(app.extensions["mailman"], "outbox", [])
    assert [message.to[0] for message in sent] == ["taken@example.com"]


def test_bad_input_is_refused_the_same_way_for_a_taken_email(app, make):
    make.user(Role.VENDOR, email="taken@example.com")
    answers = []
    for email in ("taken@example.com", "new@example.com"):
        response = app.test_client().post("/auth/register",
                                          data={**_form(email), "company": "x"})
        answers.append((response.status_code, normalised(response.get_data(as_text=True))
                        .replace(email, "EMAIL")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422


def test_a_taken_email_takes_about_as_long_as_a_new_one(app, make):
    """The password is hashed either way: the slow step cannot tell the two apart."""
    make.user(Role.VENDOR, email="taken@example.com")

    def seconds(email: str) -> float:
        started = time.perf_counter()
        app.test_client().post("/auth/register", data=_form(email))
        return time.perf_counter() - started

    taken = statistics.median(seconds("taken@example.com") for _ in range(5))
    new = statistics.median(seconds(f"new{n}@example.com") for n in range(5))
    assert 0.5 < taken / new < 2.0
