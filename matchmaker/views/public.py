"""Pages anyone may see without logging in."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

bp = Blueprint("public", __name__)


@bp.route("/")
def home() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("public/home.html")


@bp.route("/healthz")
def health() -> ResponseReturnValue:
    return {"status": "ok"}
