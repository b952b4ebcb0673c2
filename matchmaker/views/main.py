"""The signed-in home: one dashboard per role, and the language switch for everyone."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from matchmaker.db import get_session
from matchmaker.forms.auth import LanguageForm
from matchmaker.i18n import set_language_cookie
from matchmaker.models import Language
from matchmaker.security import safe_next
from matchmaker.services import accounts, dashboards, memberships

bp = Blueprint("main", __name__)


@bp.route("/dashboard")
@login_required
def dashboard() -> ResponseReturnValue:
    session = get_session()
    user = current_user.user
    counts = dashboards.counts_for(session, user)
    own_request = (memberships.request_of(session, user.id)
                   if user.organization_id is None and not user.is_coordinator else None)
    return render_template(f"main/dashboard_{_dashboard_kind()}.html", counts=counts,
                           own_request=own_request)


def _dashboard_kind() -> str:
    role = current_user.role
    return "coordinator" if role in ("coordinator", "admin") else role


@bp.route("/language", methods=["POST"])
def set_language() -> ResponseReturnValue:
    """Switch the interface language: saved on the account, or in a cookie for visitors."""
    form = LanguageForm()
    target = safe_next(request.form.get("next"), "public.home")
    if not form.validate_on_submit():
        return redirect(target)
    language = Language(form.language.data)
    if current_user.is_authenticated:
        accounts.set_language(get_session(), current_user.user, language)
    response = redirect(target)
    set_language_cookie(response, language.value)
    return response
