"""Coordinator pages: verifying new accounts (and, later, approvals and programme views)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from matchmaker import labels
from matchmaker.db import get_session
from matchmaker.forms import EmptyForm, error_text, require_empty_form
from matchmaker.forms.auth import RejectAccountForm
from matchmaker.models import Province
from matchmaker.security import role_required
from matchmaker.services import accounts as account_service
from matchmaker.services import match_queries, matching, memberships, notifications
from matchmaker.services.errors import ValidationFailed

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")


@bp.route("/accounts")
@role_required("coordinator")
def accounts() -> ResponseReturnValue:
    session = get_session()
    return render_template(
        "coordinator/accounts.html", pending=account_service.pending_accounts(session),
        join_requests=memberships.pending_requests(session), verify_form=EmptyForm(),
        reject_form=RejectAccountForm(),
    )


@bp.route("/accounts/<int:user_id>/verify", methods=["POST"])
@role_required("coordinator")
def verify(user_id: int) -> ResponseReturnValue:
    require_empty_form()
    user = account_service.verify_account(get_session(), current_user.user, user_id)
    flash(_("%(name)s can now log in.", name=user.name), "success")
    return redirect(url_for("coordinator.accounts"))


@bp.route("/accounts/<int:user_id>/reject", methods=["POST"])
@role_required("coordinator")
def reject(user_id: int) -> ResponseReturnValue:
    form = RejectAccountForm()
    if not form.validate_on_submit():
        raise ValidationFailed(error_text(form))
    user = account_service.reject_account(get_session(), current_user.user, user_id,
                                   form.reason.data or "")
    flash(_("The account of %(name)s was rejected.", name=user.name), "success")
    return redirect(url_for("coordinator.accounts"))


@bp.route("/approvals")
@role_required("coordinator")
def approvals() -> ResponseReturnValue:
    """Confirmed matches waiting for a decision, oldest first, by province and dimension."""
    session = get_session()
    province = request.args.get("province") or None
    dimension = request.args.get("dimension") or None
    provinces = [(p.code, p.name) for p in session.exec(select(Province).order_by(Province.name))]
    if province not in {code for code, _name in provinces}:
        province = None
    if dimension not in labels.DIMENSIONS:
        dimension = None
    rows = match_queries.approval_queue(session, province=province, dimension=dimension)
    return render_template("coordinator/approvals.html", rows=rows, provinces=provinces,
                           province=province, dimension=dimension)


@bp.route("/matching", methods=["POST"])
@role_required("coordinator")
def run_matching() -> ResponseReturnValue:
    """Recompute proposals for every open need (the engine's full run)."""
    require_empty_form()
    report = matching.rematch_all(get_session())
    notifications.dispatch(current_app._get_current_object())  # type: ignore[attr-defined]
    flash(_("Matching finished: %(new)d new proposals, %(withdrawn)d withdrawn, in %(s).1f s.",
            new=report.proposed, withdrawn=report.withdrawn, s=report.seconds), "success")
    return redirect(url_for("main.dashboard"))
