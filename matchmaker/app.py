"""The application factory: config -> db -> login -> babel -> extensions -> blueprints -> errors."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from matchmaker import config as config_module
from matchmaker import converters, db, errors, extensions, i18n, security
from matchmaker.resources import templates_dir


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build a configured app. ``config`` overrides defaults and ``MATCHMAKER_*`` variables."""
    settings = config_module.build(config)
    app = Flask(
        __name__,
        template_folder=str(templates_dir()),
        instance_path=str(config_module.default_instance_path()),
        instance_relative_config=False,
    )
    app.config.update(settings)
    app.jinja_env.add_extension("jinja2.ext.do")
    if settings.get("TRUST_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    logging.basicConfig(
        level=logging.DEBUG if app.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    converters.init_app(app)
    db.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    extensions.init_app(app)
    _register_blueprints(app)
    errors.init_app(app)
    _register_template_context(app)

    from matchmaker import cli

    cli.register(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from matchmaker.views import (
        auth,
        coordinator,
        main,
        matches,
        notifications,
        organization,
        password_reset,
        postings,
        public,
    )

    for module in (main, auth, password_reset, coordinator, public, matches, notifications,
                   organization):
        app.register_blueprint(module.bp)
    app.register_blueprint(postings.needs_bp)
    app.register_blueprint(postings.offers_bp)


def _register_template_context(app: Flask) -> None:
    from matchmaker.views import template_helpers
    from matchmaker.views.navigation import navigation_items

    template_helpers.init_app(app)
    def unread_notifications() -> int:
        from flask_login import current_user

        from matchmaker.db import get_session
        from matchmaker.services.notifications import unread_count

        if not current_user.is_authenticated:
            return 0
        return unread_count(get_session(), current_user.id)

    app.context_processor(lambda: {"navigation_items": navigation_items,
                                   "unread_notifications": unread_notifications})
