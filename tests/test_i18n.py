"""Bahasa Indonesia by default, English on request: the catalog covers every message of the
sources, compiles cleanly with matching placeholders, and the pages and formats follow the
language (docs UX.md, conventions 2 and 3). Run ``make i18n`` after adding strings."""

from __future__ import annotations

import gettext
import io
import re
from datetime import UTC, date, datetime

import pytest
from babel.messages.catalog import Catalog, Message
from flask import Flask
from flask_babel import force_locale

from matchmaker.i18n import LANG_COOKIE, local_datetime, long_date, rupiah, rupiah_short
from tests.conftest import AuthActions, CsrfClient
from tests.factories import Factory
from tests.i18n_support import compile_catalog, extract_messages, read_catalog

#: printf-style placeholders: ``%(name)s``, ``%(num)d``, ``%(s).1f``, ``%s``; not ``%%``
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return read_catalog()


@pytest.fixture(scope="module")
def extracted() -> dict[str | tuple[str, ...], list[str]]:
    return extract_messages()


def _key(message: Message) -> str | tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id


def _strings(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else (
        message.string,)


def _show(key: str | tuple[str, ...]) -> str:
    return " / ".join(key) if isinstance(key, tuple) else key


# -- (a) every message of the sources is in the catalog and translated ----------------------

def test_every_source_message_is_translated(
    catalog: Catalog, extracted: dict[str | tuple[str, ...], list[str]]
) -> None:
    assert len(extracted) > 100, "extraction found almost nothing: check babel.cfg"
    entries = {_key(m): m for m in catalog if m.id}
    problems = []
    for key, where in sorted(extracted.items(), key=lambda item: item[1][0]):
        message = entries.get(key)
        if message is None:
            problems.append(f"missing      {_show(key)!r}  ({where[0]})")
        elif not all(s.strip() for s in _strings(message)):
            problems.append(f"untranslated {_show(key)!r}  ({where[0]})")
    assert not problems, (
        "the Indonesian catalog is behind the sources: run `make i18n` and translate "
        f"{len(problems)} entries in matchmaker/translations/id/LC_MESSAGES/messages.po:\n"
        + "\n".join(problems)
    )


# -- (b) no fuzzy, obsolete or stale entries --------------------------------------------------

def test_catalog_has_no_fuzzy_obsolete_or_stale_entries(
    catalog: Catalog, extracted: dict[str | tuple[str, ...], list[str]]
) -> None:
    fuzzy = [_show(_key(m)) for m in catalog if m.id and m.fuzzy]
    obsolete = [_show(_key(m)) for m in catalog.obsolete.values()]
    stale = [_show(_key(m)) for m in catalog if m.id and _key(m) not in extracted]
    problems = [
        *(["the catalog header is marked fuzzy"] if catalog.fuzzy else []),
        *(f"fuzzy (review the translation, then drop the flag): {m!r}" for m in fuzzy),
        *(f"obsolete #~ entry (run `make i18n`): {m!r}" for m in obsolete),
        *(f"no longer in the sources (run `make i18n`): {m!r}" for m in stale),
    ]
    assert not problems, "\n".join(problems)


def test_header_declares_indonesian_with_one_plural_form(catalog: Catalog) -> None:
    assert str(catalog.locale) == "id"
    assert catalog.num_plurals == 1
    assert catalog.plural_expr == "0"
    for message in catalog:
        if message.id and message.pluralizable:
            assert len(_strings(message)) == 1, f"Indonesian has one plural form: {message.id}"


# -- (c) compiles, and the placeholders survive translation -----------------------------------

def test_catalog_compiles_and_checks_clean(catalog: Catalog) -> None:
    problems = [
        f"{_show(_key(message))!r}: {error}"
        for message, errors in catalog.check()
        for error in errors
    ]
    assert not problems, "\n".join(problems)
    data = compile_catalog(catalog)
    translations = gettext.GNUTranslations(io.BytesIO(data))
    assert translations.gettext("Log in") == "Masuk"
    assert translations.ngettext("%(num)d match", "%(num)d matches", 3) == "%(num)d pencocokan"


def test_placeholders_match_between_msgid_and_msgstr(catalog: Catalog) -> None:
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        expected = sorted(_PLACEHOLDER.findall(ids[-1]))  # the plural form names the count
        for string in _strings(message):
            if sorted(_PLACEHOLDER.findall(string)) != expected:
                problems.append(f"{_show(_key(message))!r} -> {string!r}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


# -- (d) the language of the pages ------------------------------------------------------------

def test_login_page_is_indonesian_by_default(client: CsrfClient) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="id">' in page
    assert "Masuk" in page
    assert "Log in" not in page


def test_language_switch_to_english_is_remembered_in_a_cookie(client: CsrfClient) -> None:
    response = client.post("/language", data={"language": "en", "next": "/auth/login"})
    assert response.status_code == 302
    assert client.get_cookie(LANG_COOKIE).value == "en"
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page
    assert "Masuk" not in page


def test_saved_language_of_the_user_wins(
    client: CsrfClient, auth: AuthActions, make: Factory
) -> None:
    user = make.user(language="en")
    assert auth.login(user.email).status_code == 302
    client.delete_cookie(LANG_COOKIE)  # only the account remembers the choice now
    page = client.get("/auth/profile").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log out" in page


# -- (e) money, dates and times ---------------------------------------------------------------

def test_rupiah_and_dates_in_indonesian(app: Flask) -> None:
    with app.test_request_context():
        assert rupiah(1_500_000) == "Rp1.500.000"
        assert rupiah(None) == "–"
        assert long_date(date(2026, 8, 17)) == "Senin, 17 Agustus 2026"
        with force_locale("en"):
            assert long_date(date(2026, 8, 17)) == "Monday, August 17, 2026"
            assert "1,500,000" in rupiah(1_500_000)


@pytest.mark.parametrize(
    ("province", "shown"),
    [
        ("31", "17 Agu 2026 10.00 WIB"),   # DKI Jakarta
        ("51", "17 Agu 2026 11.00 WITA"),  # Bali
        ("73", "17 Agu 2026 11.00 WITA"),  # Sulawesi Selatan
        ("94", "17 Agu 2026 12.00 WIT"),   # Papua
        (None, "17 Agu 2026 10.00 WIB"),   # unknown: Jakarta time
    ],
)
def test_utc_timestamp_shown_in_the_zone_of_the_province(
    app: Flask, province: str | None, shown: str
) -> None:
    with app.test_request_context():
        assert local_datetime(datetime(2026, 8, 17, 3, 0, tzinfo=UTC), province) == shown
        assert local_datetime(datetime(2026, 8, 17, 3, 0), province) == shown  # naive = UTC


def test_english_times_keep_the_colon(app: Flask) -> None:
    with app.test_request_context(), force_locale("en"):
        shown = local_datetime(datetime(2026, 12, 4, 3, 0, tzinfo=UTC), "31")
        assert shown == "4 Dec 2026 10:00 WIB"


def test_indonesian_dates_use_indonesian_month_abbreviations(app: Flask) -> None:
    with app.test_request_context():
        shown = local_datetime(datetime(2026, 12, 4, 3, 0, tzinfo=UTC), "31")
        assert shown == "4 Des 2026 10.00 WIB"


@pytest.mark.parametrize(
    ("amount", "indonesian", "english"),
    [
        (1_500_000_000, "Rp1,5\xa0M", "IDR1.5B"),
        (250_000_000, "Rp250\xa0jt", "IDR250M"),
        (1_200_000_000_000, "Rp1,2\xa0T", "IDR1.2T"),
    ],
)
def test_large_rupiah_amounts_are_abbreviated_for_cards(app: Flask, amount: int,
                                                        indonesian: str, english: str) -> None:
    with app.test_request_context():
        assert rupiah_short(amount) == indonesian
        assert rupiah_short(None) == "–"
        with force_locale("en"):
            assert rupiah_short(amount) == english
