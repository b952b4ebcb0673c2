"""WTForms forms (CSRF via Flask-WTF).

WTForms ships no Indonesian catalogue, so its built-in messages go through our own Babel
domain (see ``WTFORMS_MESSAGES``, which exists so extraction finds them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
    """A Flask-WTF form whose built-in messages are translated by our catalogue."""

    class Meta:
        def get_translations(self, form: Any) -> _BabelTranslations:
            return _BabelTranslations()


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
