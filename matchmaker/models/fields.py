"""Validation rules shared by the need and offer input models (one place for each rule)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from matchmaker.models.catalog import SUB_ELEMENTS, Dimension

MAX_TAGS = 10
MAX_TAG_LENGTH = 40
#: The largest id or version a column holds: ``INTEGER`` is 32-bit on PostgreSQL, so a larger
#: number in a URL or a form can never name a row (404/409/422, never an overflow 500).
DB_INT_MAX = 2**31 - 1


def _split_tags(value: Any) -> Any:
    """Accept a comma-separated string (web form) or a list (API, seeds)."""
    if isinstance(value, str):
        return [part for part in value.split(",")]
    return value


def _clean_tags(tags: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for tag in tags:
        cleaned = " ".join(tag.split())
        if cleaned and cleaned.casefold() not in seen:
            seen[cleaned.casefold()] = cleaned
    result = [printable(tag) for tag in seen.values()]
    if not 1 <= len(result) <= MAX_TAGS:
        raise PydanticCustomError("tags_count", "Give 1 to 10 tags.")
    if any(len(tag) > MAX_TAG_LENGTH for tag in result):
        raise PydanticCustomError("tag_too_long", "A tag is at most 40 characters.")
    return result


def printable(text: str) -> str:
    """No control characters (NUL and friends) except tab and line breaks in free text."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text):
        raise PydanticCustomError("control_characters", "The text contains control characters.")
    return text


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=5, max_length=150),
    AfterValidator(printable),
]
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=30, max_length=5000),
    AfterValidator(printable),
]
Tags = Annotated[list[str], BeforeValidator(_split_tags), AfterValidator(_clean_tags)]
Money = Annotated[int, Field(ge=0, le=10**15)]
RowVersion = Annotated[int, Field(ge=1, le=DB_INT_MAX)]


def check_sub_element(dimension: Dimension, sub_element: str | None) -> str | None:
    if sub_element in (None, ""):
        return None
    if sub_element not in SUB_ELEMENTS[dimension]:
        raise PydanticCustomError(
            "sub_element_mismatch", "The sub-element does not belong to the dimension."
        )
    return sub_element


EARLIEST_TARGET_DATE = date(2000, 1, 1)


def today_in_indonesia() -> date:
    """Today's date in WIB (UTC+7), the zone that reaches a new day last in Indonesia."""
    return datetime.now(ZoneInfo("Asia/Jakarta")).date()


def check_target_date(target: date | None, *, earliest: date) -> None:
    if target is not None and target < earliest:
        raise PydanticCustomError("target_date_too_early",
                                  "The target date is before {earliest}.",
                                  {"earliest": earliest.isoformat()})


def check_range(low: int | None, high: int | None) -> None:
    if low is not None and high is not None and low > high:
        raise PydanticCustomError("range_order", "The minimum is above the maximum.")
