"""Match pages: proposals per need and per offer, the match page with its steps and
timeline, the actions on it, and each party's lists behind the dashboard counts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker.db import get_session
from matchmaker.forms import error_text
from matchmaker.forms.matches import MatchActionForm
from matchmaker.models import MatchState
from matchmaker.security import is_safe_next, role_required
from matchmaker.services import match_queries, needs, offers, workflow
from matchmaker.services.errors import DomainError, ValidationFailed

bp = Blueprint("matches", __name__)


def _proposals_page(subject: Any, side: str, rows: list[match_queries.MatchRow]) -> str:
    """Ranked proposals for one need (city side) or one offer (vendor side)."""
    return render_template(
        "matches/proposals.html", subject=subject, side=side, rows=rows,
        active=[r for r in rows if r.match.state in match_queries.ACTIVE],
        closed=[r for r in rows if r.match.state in match_queries.CLOSED],
    )


@bp.route("/needs/<int:need_id>/proposals")
@role_required("city_official", "coordinator")
def need_proposals(need_id: int) -> ResponseReturnValue:
    session = get_session()
    need = needs.get_for_viewer(session, need_id, current_user.user)
    if not (current_user.is_coordinator or needs.can_manage(current_user.user, need)):
        abort(403)
    return _proposals_page(need, "city", match_queries.for_need(session, need_id))


@bp.route("/offers/<int:offer_id>/proposals")
@role_required("vendor", "coordinator")
def offer_proposals(offer_id: int) -> ResponseReturnValue:
    session = get_session()
    offer = offers.get_for_viewer(session, offer_id, current_user.user)
    if not (current_user.is_coordinator or offers.can_manage(current_user.user, offer)):
        abort(403)
    return _proposals_page(offer, "vendor", match_queries.for_offer(session, offer_id))


@bp.route("/matches/")
@login_required
def index() -> ResponseReturnValue:
    view = request.args.get("view", "all")
    if view not in match_queries.VIEWS:
        view = "all"
    rows = match_queries.for_user(get_session(), current_user.user, view)
    return render_template("matches/index.html", rows=rows, view=view)


@bp.route("/matches/unmatched-needs")
@role_required("city_official", "coordinator")
def unmatched() -> ResponseReturnValue:
    rows = match_queries.unmatched_needs(get_session(), current_user.user)
    return render_template("matches/unmatched.html", needs=rows)


@bp.route("/matches/<int:match_id>")
@login_required
def detail(match_id: int) -> ResponseReturnValue:
    session = get_session()
    match, need, offer, side = workflow.load(session, match_id, current_user.user)
    row = match_queries.one(session, match_id)
    assert row is not None
    contacts = (match_queries.contacts(session, row)
                if match.state == MatchState.APPROVED else None)
    return render_template(
        "matches/detail.html", row=row, side=side,
        actions=workflow.allowed_actions(match, side), steps=match_queries.steps(match),
        timeline=match_queries.timeline(session, match_id), contacts=contacts,
    )


@bp.route("/matches/<int:match_id>/<action>", methods=["POST"])
@login_required
def act(match_id: int, action: str) -> ResponseReturnValue:
    if action not in workflow.ACTIONS:
        abort(404)
    form = MatchActionForm()
    try:
        if not form.validate_on_submit():
            raise ValidationFailed(error_text(form))
        workflow.transition(
            get_session(), current_user.user, match_id, action,
            reason=form.reason.data, expected_version=form.version.data,
        )
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        flash(exc.message, "error")  # shown on the match page, answered with 409/422
        return detail(match_id), exc.status_code
    flash(_("Done: the match is updated and the other parties are notified."), "success")
    back = form.back.data
    return redirect(back if is_safe_next(back) else url_for("matches.detail", match_id=match_id))
