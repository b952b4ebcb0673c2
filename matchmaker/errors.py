"""One error vocabulary for HTML and JSON: friendly pages, ``{error, message, request_id}``
for API and JSON clients, never a traceback, always a log line with the request id."""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from matchmaker.services.errors import DomainError

log = logging.getLogger("matchmaker.errors")
#: What a 503 asks the client to wait: about one lock timeout's worth of other writers.
RETRY_AFTER_SECONDS = 5
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        403: _("Access denied"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Request too large"),
        422: _("Invalid input"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
        503: _("Busy for a moment"),
    }


def _default_messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please go back and try again."),
        403: _("You do not have permission to do this."),
        404: _("We could not find what you were looking for."),
        405: _("This address does not accept that kind of request."),
        409: _("Someone else changed this in the meantime. Reload and try again."),
        413: _("The data you sent is larger than allowed."),
        422: _("Some of the data you sent is not valid."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("An unexpected error happened. It has been logged; please try again later."),
        503: _("The system is busy saving other changes. Nothing was saved; please try again "
               "in a few seconds."),
    }


def request_id() -> str:
    if "request_id" not in g:
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if _REQUEST_ID_RE.match(offered) else uuid.uuid4().hex
    return str(g.request_id)


def loggable_path() -> str:
    """The request's path for log lines and audit rows. A URL carrying a secret (a view
    argument named ``token``: a password reset link) is written as its route, never with
    the secret in it."""
    rule = request.url_rule
    if rule is not None and "token" in (request.view_args or {}):
        return rule.rule
    return request.path


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes[
        "text/html"
    ]


def error_response(
    status: int, message: str | None = None, *, details: dict[str, object] | None = None
) -> Response:
    """Render the error as JSON or as a page in the user's language."""
    text = message or _default_messages().get(status, _default_messages()[500])
    rid = request_id()
    if wants_json():
        body: dict[str, object] = {
            "error": _titles().get(status, str(status)),
            "message": text,
            "request_id": rid,
        }
        if details:
            body["details"] = details
        response = jsonify(body)
    else:
        response = Response(
            render_template(
                "errors/error.html",
                status=status,
                title=_titles().get(status, str(status)),
                message=text,
                request_id=rid,
                details=details or {},
            ),
            mimetype="text/html",
        )
    response.status_code = status
    return response


def _end_request_transaction() -> None:
    """An error answer commits nothing: end the request's transaction first, so its write
    lock (SQLite ``BEGIN IMMEDIATE``) is not held while the error is audited and rendered."""
    session = g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except Exception:  # noqa: BLE001 - a broken connection must not hide the real error
            log.exception("Rolling back the request's transaction failed")


def _audit_refusal(status: int) -> None:
    """Record a refused request (403, or 429 from a rate limit; ASVS V7.1) in its own
    transaction; never raises."""
    action, outcome = ("access.denied", "denied") if status == 403 else ("rate.limited",
                                                                         "limited")
    try:
        from flask_login import current_user

        from matchmaker.db import session_scope
        from matchmaker.services import audit

        actor = current_user.id if current_user and current_user.is_authenticated else None
        with session_scope() as session:
            audit.record(session, action, actor_id=actor,
                         target=f"{request.method} {loggable_path()}"[:120], outcome=outcome,
                         request_id=request_id(), ip=request.remote_addr)
    except Exception:  # noqa: BLE001 - auditing must not turn a refusal into a 500
        log.exception("Could not audit a refused request")


def _handle_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    _end_request_transaction()
    if status in (403, 429):
        _audit_refusal(status)
    level = logging.WARNING if status < 500 else logging.ERROR
    log.log(level, "%s %s -> %s [request_id=%s]", request.method, loggable_path(), status,
            request_id())
    message = None
    if isinstance(exc, CSRFError):
        message = _("Your form expired or was not sent from this site. Reload the page and try "
                    "again.")
    response = error_response(status, message)
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    retry = exc.get_response().headers.get("Retry-After") if status == 429 else None
    if retry:
        response.headers["Retry-After"] = retry
    return response


def _handle_domain(exc: DomainError) -> Response:
    _end_request_transaction()
    if exc.status_code == 403:
        _audit_refusal(403)
    log.info("%s on %s %s: %s [request_id=%s]", type(exc).__name__, request.method,
             loggable_path(), exc.message, request_id())
    return error_response(exc.status_code, exc.message, details=exc.details)


def _handle_database_unavailable(exc: OperationalError) -> Response:
    """A lock held past the lock timeout, or a database that is restarting: the request's
    transaction is rolled back whole, so the honest answer is "try again shortly"."""
    log.warning("Database unavailable on %s %s: %s [request_id=%s]", request.method,
                loggable_path(), str(exc.orig)[:200], request_id())
    _end_request_transaction()
    response = error_response(503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _handle_unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _handle_http(exc)
    log.exception("Unhandled error on %s %s [request_id=%s]", request.method, loggable_path(),
                  request_id())
    _end_request_transaction()
    return error_response(500)


def init_app(app: Flask) -> None:
    @app.before_request
    def _assign_request_id() -> None:
        request_id()

    @app.after_request
    def _tag(response: Response) -> Response:
        response.headers["X-Request-ID"] = request_id()
        return response

    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(DomainError, _handle_domain)
    app.register_error_handler(OperationalError, _handle_database_unavailable)
    app.register_error_handler(InternalServerError, _handle_unexpected)
    app.register_error_handler(Exception, _handle_unexpected)
