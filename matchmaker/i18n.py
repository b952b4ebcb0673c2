"""Two languages (Bahasa Indonesia by default, English) and locale-aware formatting.

The language comes from the logged-in user's saved choice, else the visitor's ``lang``
cookie, else Indonesian. Money is shown as Rupiah and dates the Indonesian way via Babel.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_compact_currency, format_currency, format_decimal
from flask import Flask, Response, current_app, has_request_context, request
from flask_babel import Babel, get_locale
from flask_login import current_user

LANG_COOKIE = "lang"
babel = Babel()


def set_language_cookie(response: Response, language: str) -> None:
    """Remember the interface language in the browser (for visitors and the login page);
    Secure whenever the site is served over HTTPS."""
    response.set_cookie(LANG_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True, secure=bool(current_app.config.get("FORCE_HTTPS")))

#: Province code -> time zone: WIB for Sumatra, Java and West/Central Kalimantan, WITA for
#: Bali, Nusa Tenggara, South/East/North Kalimantan and Sulawesi, WIT for Maluku and Papua.
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}
ZONE_LABEL = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def supported_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    if not has_request_context():  # CLI commands and scripts: messages in the default language
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    languages = supported_languages()
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return str(current_user.language)
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return str(cookie)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def zone_for_province(province_code: str | None) -> str:
    if province_code in _WIT:
        return "Asia/Jayapura"
    if province_code in _WITA:
        return "Asia/Makassar"
    return "Asia/Jakarta"


def rupiah(value: int | None) -> str:
    """``Rp1.500.000`` in Indonesian, ``IDR 1,500,000`` style in English; '-' when unknown."""
    if value is None:
        return "–"
    return format_currency(value, "IDR", format="¤#,##0", locale=str(get_locale()))


def rupiah_short(value: int | None) -> str:
    """``Rp1,5 M`` (miliar), ``Rp250 jt`` in Indonesian; ``IDR1.5B`` in English: for cards,
    where the full figure would wrap; detail pages show :func:`rupiah`."""
    if value is None:
        return "–"
    return format_compact_currency(value, "IDR", locale=str(get_locale()), fraction_digits=1)


def number(value: float | int | None) -> str:
    return "–" if value is None else format_decimal(value, locale=str(get_locale()))


def long_date(value: date | datetime | None) -> str:
    """``Senin, 17 Agustus 2026``."""
    if value is None:
        return "–"
    return format_date(value, "full", locale=str(get_locale()))


def local_datetime(value: datetime | None, province_code: str | None = None) -> str:
    """A UTC timestamp shown in the city's zone (WIB/WITA/WIT) with the zone's name:
    ``17 Agu 2026 10.00 WIB``."""
    if value is None:
        return "–"
    zone = zone_for_province(province_code)
    locale = str(get_locale())
    clock = "HH.mm" if locale.startswith("id") else "HH:mm"  # Indonesian writes 10.00
    shown = format_datetime(value, f"d MMM yyyy {clock}", tzinfo=ZoneInfo(zone), locale=locale)
    return f"{shown} {ZONE_LABEL[zone]}"


def init_app(app: Flask) -> None:
    from matchmaker.resources import _PACKAGE_DIR

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(_PACKAGE_DIR / "translations"))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        rupiah=rupiah, rupiah_short=rupiah_short, number=number, long_date=long_date,
        local_datetime=local_datetime,
    )
    app.jinja_env.globals.update(get_locale=get_locale, supported_languages=supported_languages)
