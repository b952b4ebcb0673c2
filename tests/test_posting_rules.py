"""Every field rule of needs and offers, checked on the input models that guard the services."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from matchmaker.models import (
    NeedCreate,
    NeedInput,
    NeedUpdate,
    OfferCreate,
    OfferInput,
    OfferUpdate,
)
from matchmaker.services import offers
from matchmaker.services.errors import ValidationFailed
from tests.factories import NEED_DEFAULTS, OFFER_DEFAULTS


def need(**changes: Any) -> NeedInput:
    return NeedInput.model_validate({**NEED_DEFAULTS, **changes})


def offer(**changes: Any) -> OfferInput:
    return OfferInput.model_validate({**OFFER_DEFAULTS, **changes})


def error_types(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {e["type"] for e in exc.value.errors()}


def error_fields(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {str(e["loc"][0]) for e in exc.value.errors() if e["loc"]}


def test_defaults_are_valid():
    assert need().title == NEED_DEFAULTS["title"]
    assert offer().national is True


# --- rules shared by needs and offers --------------------------------------------------------

SHARED_INVALID = [
    ("title", "abcd", "string_too_short"),
    ("title", "   abcd   ", "string_too_short"),  # whitespace does not count
    ("title", "x" * 151, "string_too_long"),
    ("description", "x" * 29, "string_too_short"),
    ("description", "x" * 5001, "string_too_long"),
    ("dimension", "smart", "enum"),
    ("dimension", "", "enum"),
    ("tags", [], "tags_count"),
    ("tags", " , ,", "tags_count"),
    ("tags", [f"t{i}" for i in range(11)], "tags_count"),
    ("tags", ["x" * 41], "tag_too_long"),
]


@pytest.mark.parametrize("build", [need, offer], ids=["need", "offer"])
@pytest.mark.parametrize(("name", "value", "kind"), SHARED_INVALID,
                         ids=[f"{n}-{k}-{i}" for i, (n, _, k) in enumerate(SHARED_INVALID)])
def test_shared_field_rule_rejects(build, name, value, kind):
    with pytest.raises(ValidationError) as exc:
        build(**{name: value})
    assert kind in error_types(exc)


SHARED_VALID = [
    ("title", "abcde"),
    ("title", "x" * 150),
    ("description", "x" * 30),
    ("description", "x" * 5000),
    ("tags", ["one"]),
    ("tags", [f"t{i}" for i in range(10)]),
    ("tags", ["x" * 40]),
]


@pytest.mark.parametrize("build", [need, offer], ids=["need", "offer"])
@pytest.mark.parametrize(("name", "value"), SHARED_VALID,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(SHARED_VALID)])
def test_shared_field_rule_boundaries_accepted(build, name, value):
    assert getattr(build(**{name: value}), name) == value


@pytest.mark.parametrize("build", [need, offer], ids=["need", "offer"])
def test_title_and_description_are_stripped(build):
    item = build(title="  Smart parking  ", description="  " + "d" * 30 + "  ")
    assert item.title == "Smart parking"
    assert item.description == "d" * 30


@pytest.mark.parametrize("build", [need, offer], ids=["need", "offer"])
def test_tags_from_a_comma_string_are_trimmed_and_deduplicated_case_insensitively(build):
    item = build(tags=" Air ,  air quality, AIR,, air   quality ,sensor ")
    assert item.tags == ["Air", "air quality", "sensor"]


@pytest.mark.parametrize("build", [need, offer], ids=["need", "offer"])
def test_eleven_tags_with_duplicates_count_once(build):
    tags = [f"t{i}" for i in range(10)] + ["T0"]
    assert len(build(tags=tags).tags) == 10


@pytest.mark.parametrize("build", [need, offer], ids=["need", "offer"])
def test_sub_element_must_belong_to_the_dimension(build):
    assert build(dimension="environment", sub_element="waste").sub_element == "waste"
    assert build(dimension="environment", sub_element="").sub_element is None
    with pytest.raises(ValidationError) as exc:
        build(dimension="environment", sub_element="tourism")
    assert error_types(exc) == {"sub_element_mismatch"}
    with pytest.raises(ValidationError) as exc:
        build(dimension="environment", sub_element="made_up")
    assert error_types(exc) == {"sub_element_mismatch"}


# --- need-only rules ---------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "kind"), [
    ({"budget_min": -1}, "greater_than_equal"),
    ({"budget_max": -5}, "greater_than_equal"),
    ({"budget_max": 10**15 + 1}, "less_than_equal"),
    ({"budget_min": 600_000_000, "budget_max": 500_000_000}, "range_order"),
    ({"budget_min": None}, "budget_required"),
    ({"budget_max": None}, "budget_required"),
    ({"budget_min": None, "budget_max": None}, "budget_required"),
    ({"budget_min": "many"}, "int_parsing"),
    ({"stage": "someday"}, "enum"),
    ({"priority": 0}, "greater_than_equal"),
    ({"priority": 4}, "less_than_equal"),
    ({"target_date": "not a date"}, "date_from_datetime_parsing"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_need_rule_rejects(changes, kind):
    with pytest.raises(ValidationError) as exc:
        need(**changes)
    assert kind in error_types(exc)


def test_budget_zero_and_equal_bounds_are_accepted():
    item = need(budget_min=0, budget_max=0)
    assert (item.budget_min, item.budget_max) == (0, 0)


def test_unbudgeted_clears_the_budget():
    item = need(unbudgeted=True, budget_min=9, budget_max=1)
    assert (item.budget_min, item.budget_max) == (None, None)
    assert need(unbudgeted=True, budget_min=None, budget_max=None).unbudgeted


@pytest.mark.parametrize("stage", ["quick_win", "short_term", "medium_term", "long_term"])
def test_every_stage_is_accepted(stage):
    assert need(stage=stage).stage == stage


@pytest.mark.parametrize("priority", [1, 2, 3])
def test_priorities_one_to_three_are_accepted(priority):
    assert need(priority=priority).priority == priority


# --- offer-only rules --------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "kind"), [
    ({"price_min": -1}, "greater_than_equal"),
    ({"price_max": -1}, "greater_than_equal"),
    ({"price_min": 10, "price_max": 9}, "range_order"),
    ({"maturity": "beta"}, "enum"),
    ({"national": False, "regions": []}, "regions_required"),
    ({"national": False, "regions": ["1"]}, "string_pattern_mismatch"),
    ({"national": False, "regions": ["ab"]}, "string_pattern_mismatch"),
    ({"national": False, "regions": ["31", "312"]}, "string_pattern_mismatch"),
    ({"references": [f"Kota {i}" for i in range(11)]}, "too_long"),
    ({"references": ["x"]}, "string_too_short"),
    ({"references": ["x" * 201]}, "string_too_long"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_offer_rule_rejects(changes, kind):
    with pytest.raises(ValidationError) as exc:
        offer(**changes)
    assert kind in error_types(exc)


def test_price_is_optional_and_may_be_open_ended():
    assert offer(price_min=None, price_max=None).price_min is None
    assert offer(price_min=5, price_max=None).price_min == 5


def test_national_offer_drops_regions():
    assert offer(national=True, regions=["31", "32"]).regions == []


def test_regional_offer_regions_sorted_and_unique():
    assert offer(national=False, regions=["35", "31", "35"]).regions == ["31", "35"]


def test_references_one_per_line_blank_lines_skipped_and_ten_allowed():
    text = "\n".join(f"Kota {i}" for i in range(10)) + "\n\n   \n"
    assert offer(references=text).references == [f"Kota {i}" for i in range(10)]


@pytest.mark.parametrize("maturity", ["concept", "pilot", "proven", "deployed"])
def test_every_maturity_is_accepted(maturity):
    assert offer(maturity=maturity).maturity == maturity


def test_unknown_province_code_is_rejected_by_the_service(app_ctx, db, make):
    vendor = make.org("vendor")
    with pytest.raises(ValidationFailed) as exc:
        offers.new_offer(db, vendor.id, offer(national=False, regions=["31", "99"]), "published")
    assert "99" in exc.value.message
    assert exc.value.details == {"field": "regions"}
    db.rollback()


# --- mass assignment -------------------------------------------------------------------------

@pytest.mark.parametrize(("model", "defaults"), [
    (NeedCreate, NEED_DEFAULTS), (NeedUpdate, {**NEED_DEFAULTS, "version": 1}),
    (OfferCreate, OFFER_DEFAULTS), (OfferUpdate, {**OFFER_DEFAULTS, "version": 1}),
], ids=["NeedCreate", "NeedUpdate", "OfferCreate", "OfferUpdate"])
@pytest.mark.parametrize("field", ["organization_id", "status", "id", "created_by_id",
                                   "search_text", "created_at"])
def test_owner_status_and_id_never_come_from_input(model, defaults, field):
    model.model_validate(defaults)  # the defaults alone are fine
    with pytest.raises(ValidationError) as exc:
        model.model_validate({**defaults, field: 1})
    assert error_types(exc) == {"extra_forbidden"}
    assert error_fields(exc) == {field}


@pytest.mark.parametrize("model", [NeedUpdate, OfferUpdate])
@pytest.mark.parametrize("version", [None, 0, -1])
def test_an_edit_names_a_positive_version(model, version):
    defaults = NEED_DEFAULTS if model is NeedUpdate else OFFER_DEFAULTS
    with pytest.raises(ValidationError) as exc:
        model.model_validate({**defaults, "version": version})
    assert error_fields(exc) == {"version"}
