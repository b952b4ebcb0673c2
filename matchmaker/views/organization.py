"""The organisation page of a city official or vendor: who belongs to it, and the requests
to join it that its verified members approve or decline."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.db import get_session
from matchmaker.forms import require_empty_form
from matchmaker.models import Organization
from matchmaker.security import role_required
from matchmaker.services import memberships, notifications

bp = Blueprint("organization", __name__, url_prefix="/organization")

DECISIONS = {"approve": True, "decline": False}


@bp.route("/")
@role_required("city_official", "vendor")
def index() -> ResponseReturnValue:
    session = get_session()
    user = current_user.user
    org = session.get(Organization, user.organization_id) if user.organization_id else None
    members = memberships.verified_members(session, org.id) if org and org.id else []
    requests = memberships.pending_for_organization(session, org.id) if org and org.id else []
    own_request = None if org else memberships.request_of(session, user.id)
    return render_template("organization/index.html", organization=org, members=members,
                           requests=requests, own_request=own_request)


@bp.route("/requests/<int:request_id>/<action>", methods=["POST"])
@role_required("city_official", "vendor")
def decide(request_id: int, action: str) -> ResponseReturnValue:
    """``action`` is ``approve`` or ``decline`` (named like the other action routes)."""
    if action not in DECISIONS:
        abort(404)
    require_empty_form()
    memberships.decide(get_session(), current_user.user, request_id, approve=DECISIONS[action])
    notifications.dispatch(current_app._get_current_object())  # type: ignore[attr-defined]
    flash(_("The request was accepted: the account now belongs to your organisation.")
          if DECISIONS[action] else _("The request was declined."), "success")
    return redirect(url_for("organization.index"))
