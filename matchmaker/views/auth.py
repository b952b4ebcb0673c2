"""Registration, login, logout, password change and profile."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlmodel import select
from werkzeug.exceptions import TooManyRequests

from matchmaker import login_throttle
from matchmaker.db import get_session
from matchmaker.errors import request_id
from matchmaker.extensions import limiter
from matchmaker.forms import require_empty_form
from matchmaker.forms.auth import (
    ChangePasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
)
from matchmaker.i18n import set_language_cookie
from matchmaker.models import Language, Province, Regency, Role
from matchmaker.security import CurrentUser, safe_next
from matchmaker.services import accounts, notifications
from matchmaker.services.errors import DomainError

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _account_address_limit() -> str:
    cfg = current_app.config
    return f"{cfg['LOGIN_FAILURES_PER_WINDOW']} per {cfg['LOGIN_WINDOW']}"


def _address_limit() -> str:
    cfg = current_app.config
    return f"{cfg['LOGIN_FAILURES_PER_ADDRESS']} per {cfg['LOGIN_WINDOW']}"


def _login_failed(_response: object) -> bool:
    return bool(g.get("login_failed"))


def _regency_options() -> list[tuple[str, str]]:
    """(label, code) for every kabupaten/kota, labelled with its province for the search list."""
    rows = get_session().exec(
        select(Regency, Province).join(Province).order_by(Regency.name)
    ).all()
    return [(f"{regency.name}, {province.name}", regency.code) for regency, province in rows]


def _regency_code_for(label: str, options: list[tuple[str, str]]) -> str | None:
    wanted = label.strip().casefold()
    for option_label, code in options:
        if wanted in (option_label.casefold(), code):
            return code
    matches = [code for option_label, code in options
               if option_label.casefold().split(",")[0] == wanted]
    return matches[0] if len(matches) == 1 else None


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        regency_code = None
        if form.role.data == Role.CITY_OFFICIAL:
            regency_code = _regency_code_for(form.regency.data or "", _regency_options())
        try:
            accounts.register(
                get_session(),
                accounts.Registration(
                    email=form.email.data or "", name=form.name.data or "",
                    password=form.password.data or "", role=Role(form.role.data),
                    language=Language(form.language.data), regency_code=regency_code,
                    company=form.company.data,
                ),
            )
        except DomainError as exc:
            form.form_errors.append(exc.message)
            status = exc.status_code
        else:
            # The same answer whether or not the e-mail already had an account (its owner
            # gets a notice by e-mail instead), so the form cannot reveal who is registered.
            notifications.dispatch(current_app._get_current_object())  # type: ignore[attr-defined]
            flash(_("Thank you. Your account is waiting for a coordinator to verify it; if "
                    "your organisation already uses Sinergi, its members are asked to accept "
                    "you too. You can log in once it is verified."), "success")
            return redirect(url_for("auth.login"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/register.html", form=form,
                           regencies=_regency_options()), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_account_address_limit, key_func=login_throttle.account_address_key,
               methods=["POST"], deduct_when=_login_failed)
@limiter.limit(_address_limit, key_func=login_throttle.address_key, methods=["POST"],
               deduct_when=_login_failed)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data or "")
        wait = login_throttle.seconds_to_wait(email)
        if wait:
            # Flask-Limiter rewrites Retry-After as whole seconds left, rounding down: ask
            # for one more so the client is told the full wait, not one second less.
            raise TooManyRequests(retry_after=wait + 1)
        outcome, user = accounts.authenticate(
            get_session(), form.email.data or "", form.password.data or "",
            ip=request.remote_addr, request_id=request_id(),
        )
        if user is not None:
            session.clear()  # no session fixation: drop every pre-login value and CSRF token
            login_user(CurrentUser(user), remember=bool(form.remember.data))
            response = redirect(safe_next(request.args.get("next")))
            set_language_cookie(response, user.language)
            login_throttle.remember_device(response, email)
            return response
        g.login_failed = True
        if outcome == accounts.LoginOutcome.INVALID:
            login_throttle.record_failure(email)
        if outcome == accounts.LoginOutcome.PENDING:
            form.form_errors.append(_("Your account is waiting for a coordinator's verification."))
        elif outcome == accounts.LoginOutcome.SUSPENDED:
            # The password was right, so the reason may be told.
            refused = accounts.find_by_email(get_session(), form.email.data or "")
            form.form_errors.append(_("This account is not active. Contact the programme "
                                      "coordinators."))
            if refused is not None and refused.status_reason:
                form.form_errors.append(_("Reason: %(reason)s", reason=refused.status_reason))
        else:
            form.form_errors.append(_("The e-mail address or password is not correct."))
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    require_empty_form()
    accounts.end_all_sessions(get_session(), current_user.user)
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.change_password(
                get_session(), current_user.user, form.current.data or "", form.password.data or ""
            )
        except DomainError as exc:
            form.current.errors = [*form.current.errors, exc.message]
            status = exc.status_code
        else:
            session.clear()
            login_user(CurrentUser(user))
            flash(_("Your password has been changed. Other devices have been logged out."),
                  "success")
            return redirect(url_for("auth.profile"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/password.html", form=form), status


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> ResponseReturnValue:
    user = current_user.user
    form = ProfileForm(obj=user)
    status = 200
    if form.validate_on_submit():
        accounts.update_profile(
            get_session(), user, name=form.name.data or "",
            language=Language(form.language.data),
            email_notifications=bool(form.email_notifications.data),
        )
        flash(_("Your profile has been saved."), "success")
        response = redirect(url_for("auth.profile"))
        set_language_cookie(response, form.language.data or "id")
        return response
    if form.is_submitted():
        status = 422
    return render_template("auth/profile.html", form=form), status
