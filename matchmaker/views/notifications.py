"""The notification bell's pages: the list, mark all read, and open one (marks it read)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlmodel import select

from matchmaker.db import get_session
from matchmaker.models import Notification
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
    notifications.mark_read(get_session(), current_user.id)
    return redirect(url_for("notifications.index"))


@bp.route("/<int:notification_id>")
@login_required
def open_one(notification_id: int) -> ResponseReturnValue:
    session = get_session()
    item = session.exec(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == current_user.id)).first()
    if item is None:
        abort(404)
    notifications.mark_read(session, current_user.id, notification_id)
    return redirect(url_for("matches.detail", match_id=item.match_id))
