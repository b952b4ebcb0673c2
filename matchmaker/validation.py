"""Pydantic validation errors turned into translated, per-field messages for forms and JSON."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from pydantic import ValidationError

# Errors raised by a whole-model rule, attached to the first of these fields the input has.
_MODEL_ERROR_FIELDS: dict[str, tuple[str, ...]] = {
    "sub_element_mismatch": ("sub_element",),
    "budget_required": ("budget_min",),
    "range_order": ("budget_min", "price_min"),
    "regions_required": ("regions",),
    "target_date_too_early": ("target_date",),
}


def message_for(error: dict[str, Any]) -> str:
    """The user's-language message of one pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    messages = {
        "missing": _("This field is required."),
        "string_too_short": _("Enter at least %(n)s characters.", n=ctx.get("min_length")),
        "string_too_long": _("Enter at most %(n)s characters.", n=ctx.get("max_length")),
        "string_pattern_mismatch": _("This value is not valid."),
        "too_long": _("Choose at most %(n)s items.", n=ctx.get("max_length")),
        "greater_than_equal": _("Enter a number of at least %(n)s.", n=ctx.get("ge")),
        "less_than_equal": _("Enter a number of at most %(n)s.", n=ctx.get("le")),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "date_from_datetime_parsing": _("Enter a date."),
        "date_parsing": _("Enter a date."),
        "enum": _("Choose one of the options."),
        "extra_forbidden": _("This field is not allowed here."),
        "tags_count": _("Give 1 to 10 tags, separated by commas."),
        "tag_too_long": _("Each tag may have at most 40 characters."),
        "sub_element_mismatch": _("This sub-element does not belong to the chosen dimension."),
        "budget_required": _("Give a budget range, or mark the need as not yet budgeted."),
        "range_order": _("The minimum must not be above the maximum."),
        "regions_required": _("Choose the provinces you serve, or mark the offer as national."),
        "control_characters": _("Remove the invisible control characters from this text."),
        "target_date_too_early": _("Choose a target date from %(date)s on.",
                                   date=format_day(ctx.get("earliest"))),
    }
    return messages.get(kind, _("This value is not valid."))


def format_day(iso: object) -> str:
    """An ISO date from an error's context, the way the user's language writes dates."""
    try:
        return str(format_date(date.fromisoformat(str(iso)), "long"))
    except ValueError:
        return str(iso)


def field_errors(exc: ValidationError, fields: Iterable[str]) -> dict[str, list[str]]:
    """Map each error to a field name (``__all__`` when none fits)."""
    known = set(fields)
    result: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = error.get("loc") or ()
        name = str(loc[0]) if loc else ""
        if not name:
            candidates = _MODEL_ERROR_FIELDS.get(error["type"], ())
            name = next((c for c in candidates if c in known), "__all__")
        result.setdefault(name, []).append(message_for(error))
    return result
