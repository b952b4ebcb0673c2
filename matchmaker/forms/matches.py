"""The form behind every match action button (accept, decline, withdraw, approve, reject)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional

from matchmaker.forms import BaseForm
from matchmaker.models.fields import DB_INT_MAX


class MatchActionForm(BaseForm):
    """``version`` is the match version the person saw (a stale one gets 409), ``back`` the
    local page to return to."""

    reason = StringField(_l("Reason"))  # its rules live in the workflow service
    version = IntegerField(validators=[Optional(), NumberRange(
        1, DB_INT_MAX, _l("This value is not valid."))])
    back = HiddenField(validators=[Optional(), Length(max=500)])
