"""The notification bell's pages: the list, mark all read, and open one (marks it read)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from matchmaker.db import get_session
from matchmaker.forms import require_empty_form
from matchmaker.services import notifications

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    items = notifications.for_user(get_session(), current_user.id)
    return render_template("notifications/index.html", items=items)


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all() -> ResponseReturnValue:
    require_empty_form()
    notifications.mark_read(get_session(), current_user.id)
    return redirect(url_for("notifications.index"))


@bp.route("/<int:notification_id>", methods=["POST"])
@login_required
def open_one(notification_id: int) -> ResponseReturnValue:
    """Mark one notification read and go to its match. A POST: reading changes state, and a
    GET must never write (prefetchers, crawlers, and the database lock)."""
    require_empty_form()
    match_id = notifications.open_one(get_session(), current_user.id, notification_id)
    if match_id is None:
        return redirect(url_for("organization.index"))
    return redirect(url_for("matches.detail", match_id=match_id))
