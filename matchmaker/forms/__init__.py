"""WTForms forms (CSRF via Flask-WTF).

WTForms ships no Indonesian catalogue, so its built-in messages go through our own Babel
domain (see ``WTFORMS_MESSAGES``, which exists so extraction finds them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from flask import request
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


class _BabelTranslations:
    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n)


class BaseForm(FlaskForm):
    """A Flask-WTF form whose built-in messages are translated by our catalogue, and which
    refuses fields it does not declare (mass assignment, ASVS V5.1.2): a POST carrying
    ``status``, ``organization_id``, ``id`` or ``version`` where the form has no such field
    fails validation instead of being silently dropped, and the view answers 422.

    ``extra_fields`` names submitted values a view reads besides the form's own fields."""

    extra_fields: ClassVar[frozenset[str]] = frozenset()

    class Meta:
        def get_translations(self, form: Any) -> _BabelTranslations:
            return _BabelTranslations()

    def unexpected_fields(self) -> list[str]:
        """Submitted names that are neither fields of this form nor declared extras."""
        if not self.is_submitted():
            return []
        allowed = {*self._fields, *self.extra_fields, "csrf_token"}
        return sorted(name for name in request.form.keys() | request.files.keys()
                      if name not in allowed)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        unexpected = self.unexpected_fields()
        if unexpected:
            self.form_errors.append(
                gettext("This form does not accept these fields: %(names)s.",
                        names=", ".join(name[:40] for name in unexpected[:5])))
            return False
        return bool(ok)


class EmptyForm(BaseForm):
    """A form with only the CSRF token, for one-button actions."""


def error_text(form: FlaskForm) -> str:
    """Every message of a form that failed validation, as one sentence for a flash or 422."""
    messages = [str(m) for ms in form.errors.values() for m in ms]
    return " ".join(messages) or gettext("The form could not be checked. Reload and try again.")


def require_empty_form() -> None:
    """A one-button action's POST carries nothing but its CSRF token: anything else is
    refused (422) instead of being ignored."""
    form = EmptyForm()
    if not form.validate_on_submit():
        from matchmaker.services.errors import ValidationFailed

        raise ValidationFailed(error_text(form))


def choices(
    pairs: Iterable[tuple[str, Any]], *, blank: Any = None, optgroup: Any = None
) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms choices, optionally after a blank first option."""
    options = [SelectChoice(value, label, optgroup=optgroup) for value, label in pairs]
    return [SelectChoice("", blank), *options] if blank is not None else options


WTFORMS_MESSAGES = (
    _l("Not a valid integer value."),
    _l("Not a valid date value."),
    _l("Not a valid choice."),
    _l("This field is required."),
    _l("Invalid email address."),
    _l("The CSRF token is missing."),
    _l("The CSRF token is invalid."),
    _l("The CSRF token has expired."),
    _l("The CSRF tokens do not match."),
)
