"""Forgotten password: ask for a reset link by e-mail, then choose a new password with it.

Both pages are rate limited (the request per e-mail address and per client address, the link
page per client address). Every answer of this blueprint is ``Cache-Control: no-store`` and
``Referrer-Policy: no-referrer``: the link page's URL carries the token, which must stay out of
caches and of the ``Referer`` of anything the page loads or links to.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user

from matchmaker import login_throttle
from matchmaker.db import get_session
from matchmaker.extensions import limiter
from matchmaker.forms.auth import ForgotPasswordForm, ResetPasswordForm
from matchmaker.services import audit, password_reset
from matchmaker.services.errors import Gone, NotFound, ValidationFailed

bp = Blueprint("password_reset", __name__, url_prefix="/auth")


def _limit(setting: str) -> str:
    cfg = current_app.config
    return f"{cfg[setting]} per {cfg['PASSWORD_RESET_WINDOW']}"


def _per_email_limit() -> str:
    return _limit("PASSWORD_RESET_REQUESTS_PER_EMAIL")


def _per_address_limit() -> str:
    return _limit("PASSWORD_RESET_REQUESTS_PER_ADDRESS")


def _link_limit() -> str:
    return _limit("PASSWORD_RESET_ATTEMPTS_PER_ADDRESS")


def _email_key() -> str:
    """Requests for one e-mail address, whoever sends them (a keyed hash, never the address)."""
    return f"reset-email:{audit.pseudonym(login_throttle.submitted_email())}"


def _address_key() -> str:
    return f"reset-address:{get_remote_address()}"


def _link_key() -> str:
    return f"reset-link:{get_remote_address()}"


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_per_email_limit, key_func=_email_key, methods=["POST"])
@limiter.limit(_per_address_limit, key_func=_address_key, methods=["POST"])
def forgot() -> ResponseReturnValue:
    """Ask for a link. The answer is the same whether or not the address has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.change_password"))
    form = ForgotPasswordForm()
    status = 200
    if form.validate_on_submit():
        password_reset.request_reset(get_session(), form.email.data or "")
        flash(_("If an account uses this address, a link to choose a new password is on its "
                "way to it. The link works for %(minutes)d minutes.",
                minutes=int(password_reset.max_age().total_seconds() // 60)), "success")
        return redirect(url_for("auth.login"))
    if form.is_submitted():
        status = 422
    return render_template("auth/forgot.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_link_limit, key_func=_link_key)
def reset(token: str) -> ResponseReturnValue:
    """Choose a new password with a link. Afterwards nobody is logged in: not this browser,
    not any other device; the person logs in with the new password."""
    db = get_session()
    form = ResetPasswordForm()
    try:
        if form.validate_on_submit():
            password_reset.reset_password(db, token, form.password.data or "")
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(_("Your password has been changed and every device has been logged out. "
                    "Log in with the new password."), "success")
            return redirect(url_for("auth.login"))
        password_reset.check_link(db, token)
    except (NotFound, Gone) as exc:
        page = render_template("auth/reset_invalid.html", message=exc.message)
        return make_response(page, exc.status_code)
    except ValidationFailed as exc:
        form.password.errors = [*form.password.errors, exc.message]
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset.html", form=form), status
