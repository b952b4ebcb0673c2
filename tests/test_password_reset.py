"""Password reset by e-mail: a link that works once within an hour, stored only as a hash,
spent by a newer request, ending every session when used; the same answer for unknown
addresses; rate limits; the same password rules as elsewhere; two uses at once."""

from __future__ import annotations

import hashlib
import re
import statistics
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, SQLModel, select

from matchmaker.models import AuditEvent, OutboundEmail, PasswordResetToken, User
from matchmaker.services import notifications
from tests.factories import PASSWORD
from tests.racing import race
from tests.security.support import (
    cookie_shapes,
    fresh,
    make_app,
    normalised,
    remembered_cookies,
    replay,
)

NEW_PASSWORD = "a-fresh-reset-passphrase"
LINK_RE = re.compile(r"https?://[^/\s]+(/auth/reset/[A-Za-z0-9_-]+)")


@pytest.fixture
def db(engine):
    """A session without an app context (one left open would be shared by every request)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _ask(client, email: str, addr: str = "127.0.0.1"):
    return client.post("/auth/forgot", data={"email": email},
                       environ_base={"REMOTE_ADDR": addr})


def _mails(app) -> list:
    return list(getattr(app.extensions["mailman"], "outbox", []))


def _link_in(text: str) -> str:
    found = LINK_RE.search(text)
    assert found, f"no reset link in {text!r}"
    return found.group(1)


def _ask_for_link(app, email: str) -> str:
    """Ask for a reset link from a new browser; the path of the link in the e-mail sent."""
    before = len(_mails(app))
    assert _ask(app.test_client(), email).status_code == 302
    mails = _mails(app)
    assert len(mails) == before + 1 and mails[-1].to == [email]
    return _link_in(mails[-1].body)


def _choose(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None,
            **kw):
    return client.post(path, data={"password": password,
                                   "confirm": password if confirm is None else confirm}, **kw)


def _logs_in(app, email: str, password: str) -> bool:
    response = app.test_client().post("/auth/login", data={"email": email, "password": password})
    return response.status_code == 302


def _actions(db, action: str) -> list[AuditEvent]:
    db.rollback()
    return list(db.exec(select(AuditEvent).where(AuditEvent.action == action)
                        .order_by(AuditEvent.id)).all())  # type: ignore[arg-type]


def _token_row(db, path: str) -> PasswordResetToken:
    db.rollback()
    token_hash = hashlib.sha256(path.rsplit("/", 1)[1].encode()).hexdigest()
    row = db.exec(select(PasswordResetToken).where(
        PasswordResetToken.token_hash == token_hash)).one()
    return row


# --- the link ----------------------------------------------------------------------------------


def test_the_e_mail_holds_a_link_that_sets_the_password_once(app, db, make):
    user = make.user()
    client = app.test_client()

    asked = _ask(client, user.email)

    assert urlsplit(asked.headers["Location"]).path == "/auth/login"
    assert "tautan untuk membuat kata sandi baru" in client.get("/auth/login").get_data(
        as_text=True)
    (mail,) = _mails(app)
    assert mail.subject == "[Sinergi] Atur ulang kata sandi Anda"
    assert f"Halo {user.name}," in mail.body
    path = _link_in(mail.body)

    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"

    done = _choose(client, path)
    assert urlsplit(done.headers["Location"]).path == "/auth/login"
    assert "Masuk dengan kata sandi baru" in client.get("/auth/login").get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302  # not logged in by the reset
    assert not _logs_in(app, user.email, PASSWORD)
    assert _logs_in(app, user.email, NEW_PASSWORD)

    again = _choose(app.test_client(), path, "yet-another-passphrase")
    assert again.status_code == 410
    body = again.get_data(as_text=True)
    assert "sudah dipakai" in body and 'href="/auth/forgot"' in body
    assert again.headers["Cache-Control"] == "no-store"
    assert app.test_client().get(path).status_code == 410
    assert _logs_in(app, user.email, NEW_PASSWORD)

    (requested,) = _actions(db, "password.reset.requested")
    assert requested.outcome == "ok" and requested.target == f"user:{user.id}"
    assert set(requested.details or {}) == {"email_hash"}
    assert user.email not in str(requested.details)
    (reset,) = _actions(db, "password.reset.done")
    assert (reset.actor_id, reset.outcome) == (user.id, "ok")


def test_an_unknown_link_is_a_404_that_offers_a_new_one(client):
    response = client.get("/auth/reset/not-a-token-we-ever-sent")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "tidak sah" in body and 'href="/auth/forgot"' in body
    assert _choose(client, "/auth/reset/not-a-token-we-ever-sent").status_code == 404


def test_the_mail_is_queued_in_the_transaction_and_the_database_keeps_no_raw_token(
        app, db, make, monkeypatch):
    monkeypatch.setattr(notifications, "dispatch", lambda _app: None)  # the mail server is slow
    user = make.user()
    assert _ask(app.test_client(), user.email).status_code == 302

    db.rollback()
    (queued,) = db.exec(select(OutboundEmail)).all()
    assert (queued.to, queued.status, queued.secret) == (user.email, "pending", True)
    token = _link_in(queued.body).rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes
    (stored,) = db.exec(select(PasswordResetToken)).all()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.user_id == user.id and stored.used_at is None
    assert stored.expires_at - stored.created_at == timedelta(hours=1)

    assert notifications.deliver_outbox(app) == (1, 0)
    assert token in _mails(app)[0].body
    db.rollback()
    for table in SQLModel.metadata.sorted_tables:
        for row in db.execute(sa_select(table)).all():
            assert token not in repr(tuple(row)), table.name
    assert db.get(OutboundEmail, queued.id, populate_existing=True).body == (
        notifications.ERASED_BODY)


def _shift(db, row: PasswordResetToken, by: timedelta) -> None:
    """Move a token back in time, as if it had been sent ``by`` earlier."""
    db.execute(update(PasswordResetToken).where(PasswordResetToken.id == row.id)
               .values(created_at=row.created_at - by, expires_at=row.expires_at - by))
    db.commit()


def test_a_link_works_for_an_hour_and_not_after(app, db, make):
    user = make.user()
    path = _ask_for_link(app, user.email)
    row = _token_row(db, path)

    _shift(db, row, timedelta(minutes=59))
    assert app.test_client().get(path).status_code == 200

    _shift(db, fresh(db, PasswordResetToken, row.id), timedelta(minutes=1, seconds=1))
    page = app.test_client().get(path)
    assert page.status_code == 410
    assert "kedaluwarsa" in page.get_data(as_text=True)
    assert _choose(app.test_client(), path).status_code == 410
    assert _logs_in(app, user.email, PASSWORD)
    assert fresh(db, PasswordResetToken, row.id).used_at is None


def test_the_link_age_comes_from_the_configuration(database_url, db, make):
    app = make_app(database_url, PASSWORD_RESET_MAX_AGE_SECONDS=600)
    user = make.user(language="en")
    path = _ask_for_link(app, user.email)
    row = _token_row(db, path)
    assert row.expires_at - row.created_at == timedelta(minutes=10)
    assert "for 10 minutes" in _mails(app)[-1].body


def test_a_newer_request_spends_the_older_links(app, db, make):
    user = make.user()
    first = _ask_for_link(app, user.email)
    second = _ask_for_link(app, user.email)

    assert app.test_client().get(first).status_code == 410
    assert _choose(app.test_client(), first).status_code == 410
    assert _choose(app.test_client(), second).status_code == 302
    assert _logs_in(app, user.email, NEW_PASSWORD)


def test_a_reset_link_of_a_since_suspended_account_stops_working(app, db, make):
    user = make.user()
    path = _ask_for_link(app, user.email)
    db.execute(update(User).where(User.id == user.id).values(status="suspended"))
    db.commit()
    assert _choose(app.test_client(), path).status_code == 404


def test_a_pending_account_may_choose_a_new_password_but_still_waits(app, db, make):
    user = make.user(status="pending")
    assert _choose(app.test_client(), _ask_for_link(app, user.email)).status_code == 302
    login = app.test_client().post("/auth/login", data={"email": user.email,
                                                       "password": NEW_PASSWORD})
    assert login.status_code == 200
    assert "verifikasi" in login.get_data(as_text=True)


# --- sessions ----------------------------------------------------------------------------------


def test_a_reset_ends_every_session_and_remember_cookie_of_the_account(app, db, make):
    user = make.user()
    other_device = app.test_client()
    old_session, old_remember = remembered_cookies(other_device, user.email)
    assert replay(app, "session", old_session).status_code == 200  # the replay is real
    assert replay(app, "remember_token", old_remember).status_code == 200
    version = user.session_version

    resetting = app.test_client()
    remembered_cookies(resetting, user.email)  # even the browser that opens the link
    assert _choose(resetting, _ask_for_link(app, user.email)).status_code == 302

    assert fresh(db, User, user.id).session_version == version + 1
    assert other_device.get("/dashboard").status_code == 302
    assert resetting.get("/dashboard").status_code == 302
    for name, value in (("session", old_session), ("remember_token", old_remember)):
        answer = replay(app, name, value)
        assert answer.status_code == 302, name
        assert urlsplit(answer.headers["Location"]).path == "/auth/login"


# --- enumeration -------------------------------------------------------------------------------


@pytest.mark.parametrize("other", ["unknown", "suspended"])
def test_an_unknown_or_suspended_address_gets_the_same_answer_and_no_mail(app, db, make,
                                                                          other):
    known = make.user()
    other_email = ("nobody-here@example.com" if other == "unknown"
                   else make.user(status="suspended").email)
    answers = {}
    for email in (known.email, other_email):
        client = app.test_client()  # each from a new browser, so both start alike
        asked = _ask(client, email)
        shown = client.get(asked.headers["Location"])
        answers[email] = (asked, shown)

    (known_ask, known_page), (other_ask, other_page) = answers.values()
    assert known_ask.status_code == other_ask.status_code == 302
    assert known_ask.headers["Location"] == other_ask.headers["Location"]
    assert known_ask.get_data() == other_ask.get_data()
    assert sorted(known_ask.headers.keys()) == sorted(other_ask.headers.keys())
    assert cookie_shapes(known_ask) == cookie_shapes(other_ask)
    assert known_page.status_code == other_page.status_code == 200
    assert normalised(known_page.get_data(as_text=True)) == normalised(
        other_page.get_data(as_text=True))
    assert cookie_shapes(known_page) == cookie_shapes(other_page)

    assert [mail.to for mail in _mails(app)] == [[known.email]]
    db.rollback()
    assert [row.to for row in db.exec(select(OutboundEmail)).all()] == [known.email]
    ignored = _actions(db, "password.reset.requested")[-1]
    assert ignored.outcome == f"ignored:{other}"
    assert other_email not in str(ignored.details) and "email_hash" in (ignored.details or {})


def test_known_and_unknown_addresses_take_about_the_same_time(database_url, make):
    app = make_app(database_url, PASSWORD_RESET_REQUESTS_PER_EMAIL=1000,
               PASSWORD_RESET_REQUESTS_PER_ADDRESS=1000)
    user = make.user()
    client = app.test_client()
    token = client.csrf_token()

    def timed(email: str) -> float:
        start = time.perf_counter()
        response = client.post("/auth/forgot", data={"email": email, "csrf_token": token})
        elapsed = time.perf_counter() - start
        assert response.status_code == 302
        return elapsed

    known, unknown = [], []
    timed(user.email)  # warm-up
    for n in range(12):  # interleaved, so load spikes on the machine hit both alike
        known.append(timed(user.email))
        unknown.append(timed(f"nobody{n}@example.com"))
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 1 / 3 < ratio < 3, (statistics.median(known), statistics.median(unknown))


# --- rate limits -------------------------------------------------------------------------------


def test_requests_for_one_address_are_limited_whoever_sends_them(app, make):
    user = make.user()
    for n in range(5):  # rotating client addresses and letter case: the same e-mail
        shown = user.email.upper() if n % 2 else user.email
        assert _ask(app.test_client(), shown, addr=f"10.7.0.{n + 1}").status_code == 302, n

    limited = _ask(app.test_client(), user.email, addr="10.7.0.99")
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 3600
    assert "Terlalu banyak percobaan" in limited.get_data(as_text=True)
    assert len(_mails(app)) == 5
    # The same limit meets an unknown address, so a 429 tells nothing either.
    for n in range(5):
        assert _ask(app.test_client(), "ghost@example.com", addr=f"10.8.0.{n + 1}"
                    ).status_code == 302
    assert _ask(app.test_client(), "ghost@example.com", addr="10.8.0.99").status_code == 429
    assert _ask(app.test_client(), make.user().email, addr="10.7.0.99").status_code == 302


def test_requests_from_one_client_address_are_limited(app):
    client = app.test_client()
    for n in range(20):
        assert _ask(client, f"someone{n}@example.com", addr="10.9.0.1").status_code == 302, n
    assert _ask(client, "someone-else@example.com", addr="10.9.0.1").status_code == 429
    assert _ask(client, "someone-else@example.com", addr="10.9.0.2").status_code == 302


def test_the_link_page_is_limited_per_client_address_and_the_token_is_not_logged(
        app, db, make):
    user = make.user()
    path = _ask_for_link(app, user.email)
    client = app.test_client()
    for n in range(29):
        assert client.get(path, environ_base={"REMOTE_ADDR": "10.10.0.1"}).status_code == 200, n
    assert _choose(client, path, "short", environ_base={"REMOTE_ADDR": "10.10.0.1"}
                   ).status_code == 422  # the 30th

    limited = client.get(path, environ_base={"REMOTE_ADDR": "10.10.0.1"})
    assert limited.status_code == 429
    assert limited.headers["Cache-Control"] == "no-store"
    assert client.get(path, environ_base={"REMOTE_ADDR": "10.10.0.2"}).status_code == 200
    (refusal,) = _actions(db, "rate.limited")
    assert refusal.target == "GET /auth/reset/<token>"


# --- password rules and languages --------------------------------------------------------------


@pytest.mark.parametrize(("lang", "password", "confirm", "message"), [
    ("id", "pendek", "pendek", "Kata sandi harus terdiri dari 12 sampai 128 karakter."),
    ("id", NEW_PASSWORD, NEW_PASSWORD + "x", "Kata sandi tidak cocok."),
    ("en", "short", "short", "The password must be 12 to 128 characters long."),
    ("en", NEW_PASSWORD, "something-else-entirely", "The passwords do not match."),
])
def test_a_weak_or_mismatched_password_is_refused_and_nothing_changes(
        app, db, make, lang, password, confirm, message):
    user = make.user()
    version = user.session_version
    path = _ask_for_link(app, user.email)
    client = app.test_client()
    client.set_cookie("lang", lang)

    response = _choose(client, path, password, confirm)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert fresh(db, User, user.id).session_version == version
    assert _token_row(db, path).used_at is None
    assert _logs_in(app, user.email, PASSWORD)
    assert client.get(path).status_code == 200  # the link still works


def test_an_invalid_e_mail_address_is_a_422(client):
    response = _ask(client, "not-an-address")
    assert response.status_code == 422
    assert "alamat email yang valid" in response.get_data(as_text=True).lower()


@pytest.mark.parametrize(("language", "subject", "words"), [
    ("id", "[Sinergi] Atur ulang kata sandi Anda", "abaikan email ini"),
    ("en", "[Sinergi] Reset your password", "ignore this e-mail"),
])
def test_the_e_mail_is_in_the_account_s_language(app, make, language, subject, words):
    user = make.user(language=language)
    _ask_for_link(app, user.email)
    (mail,) = _mails(app)
    assert mail.subject == subject
    assert words in mail.body
    assert "60" in mail.body


def test_the_login_page_links_to_the_forgot_page_in_both_languages(client):
    body = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/forgot"' in body and "Lupa kata sandi?" in body
    client.set_cookie("lang", "en")
    assert "Forgot your password?" in client.get("/auth/login").get_data(as_text=True)
    assert "Forgot your password?" in client.get("/auth/forgot").get_data(as_text=True)


# --- two uses at once --------------------------------------------------------------------------

ROUNDS = 5


def test_two_uses_of_one_link_at_once_exactly_one_succeeds(app, db, make):
    user = make.user()
    version = user.session_version
    for n in range(ROUNDS):
        path = _ask_for_link(app, user.email)
        racers = []
        for side in ("a", "b"):
            client = app.test_client()
            token = client.csrf_token()
            password = f"racing-passphrase-{side}-{n}"
            racers.append(lambda c=client, t=token, p=password, u=path: c.post(
                u, data={"password": p, "confirm": p, "csrf_token": t}).status_code)

        results = race(racers)

        assert sorted(results) == [302, 410], results
        winner = "ab"[results.index(302)]
        assert _logs_in(app, user.email, f"racing-passphrase-{winner}-{n}")
        assert not _logs_in(app, user.email, f"racing-passphrase-{'ba'['ab'.index(winner)]}-{n}")
    assert len(_actions(db, "password.reset.done")) == ROUNDS
    assert fresh(db, User, user.id).session_version == version + ROUNDS
