"""Forms for needs and offers. They render and carry CSRF; the rules live in the pydantic
input models (``NeedCreate``...), whose errors are mapped back onto these fields, so the
select fields do not validate their choices a second time."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from matchmaker import labels
from matchmaker.forms import BaseForm, choices
from matchmaker.models import SUB_ELEMENTS


def _sub_element_choices() -> list[SelectChoice]:
    """Every sub-element, grouped under its dimension."""
    options = choices([], blank=_l("(none)"))
    for dimension, subs in SUB_ELEMENTS.items():
        options += choices(((sub, labels.SUB_ELEMENTS[sub]) for sub in subs),
                           optgroup=str(labels.DIMENSIONS[dimension]))
    return options


def _money(text: Any, help_text: Any = None) -> StringField:
    return StringField(text, description=help_text, render_kw={"inputmode": "numeric"})


class PostingForm(BaseForm):
    title = StringField(_l("Title"), description=_l("5 to 150 characters."))
    description = TextAreaField(
        _l("Description"),
        description=_l("30 to 5,000 characters. Markdown is allowed: **bold**, lists, links."),
        render_kw={"rows": 8},
    )
    dimension = SelectField(_l("Smart-city dimension"), validate_choice=False)
    sub_element = SelectField(_l("Sub-element (optional)"), validate_choice=False)
    tags = StringField(_l("Tags"), description=_l("1 to 10 tags, separated by commas."))
    version = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dimension.choices = choices(labels.DIMENSIONS.items(), blank=_l("Choose a dimension"))
        self.sub_element.choices = _sub_element_choices()

    def input_data(self) -> dict[str, Any]:
        """The submitted values in the shape of the pydantic input models."""
        skip = {"csrf_token", "version", "publish"}
        data = {name: field.data for name, field in self._fields.items() if name not in skip}
        for name, value in list(data.items()):
            if isinstance(value, str):
                data[name] = value.strip()
        return data

    def set_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = self._fields.get(name)
            if field is None:
                self.form_errors.extend(messages)
            else:
                field.errors = [*list(field.errors or []), *messages]


def clean_money(value: Any) -> Any:
    """``Rp 1.500.000`` -> ``1500000``; empty -> None; anything else is left for validation."""
    if not isinstance(value, str):
        return value
    text = value.replace("Rp", "").replace(".", "").replace(",", "").replace(" ", "")
    return None if text == "" else text


class NeedForm(PostingForm):
    budget_min = _money(_l("Budget from (Rp)"))
    budget_max = _money(_l("Budget up to (Rp)"))
    unbudgeted = BooleanField(_l("Not yet budgeted"))
    target_date = DateField(_l("Target date (optional)"), validators=[Optional()])
    stage = SelectField(_l("Master-plan stage"), validate_choice=False)
    priority = SelectField(_l("Priority"), choices=choices([("1", _l("High")), ("2", _l("Medium")),
                                                            ("3", _l("Low"))]), default="2",
                           validate_choice=False)
    publish = BooleanField(_l("Publish now (otherwise saved as a draft)"), default=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stage.choices = choices(labels.STAGES.items(), blank=_l("Choose a stage"))

    def input_data(self) -> dict[str, Any]:
        data = super().input_data()
        for name in ("budget_min", "budget_max"):
            data[name] = clean_money(data[name])
        return data


class OfferForm(PostingForm):
    price_min = _money(_l("Price from (Rp)"))
    price_max = _money(_l("Price up to (Rp)"))
    national = BooleanField(_l("We serve all of Indonesia"), default=True)
    regions = SelectMultipleField(_l("Provinces served"),
                                  description=_l("Only needed when you do not serve all of "
                                                 "Indonesia."),
                                  render_kw={"size": 8}, validate_choice=False)
    maturity = SelectField(_l("Maturity"), validate_choice=False)
    references = TextAreaField(
        _l("Reference deployments (optional)"),
        description=_l("One per line, e.g. the cities already using it."), render_kw={"rows": 3},
    )
    publish = BooleanField(_l("Publish now (otherwise saved as a draft)"), default=True)

    def __init__(self, *args: Any, provinces: list[tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.maturity.choices = choices(labels.MATURITIES.items(), blank=_l("Choose a maturity"))
        self.regions.choices = choices(provinces or [])

    def input_data(self) -> dict[str, Any]:
        data = super().input_data()
        for name in ("price_min", "price_max"):
            data[name] = clean_money(data[name])
        data["regions"] = list(self.regions.data or [])
        return data
