"""URL converters. ``<int:...>`` in every route means a database id: a number no column can
hold is simply not found (404), instead of overflowing the database driver (500)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from matchmaker.models.fields import DB_INT_MAX


class DatabaseIdConverter(IntegerConverter):
    """``int`` limited to what an ``INTEGER`` id column holds (1 to ``DB_INT_MAX``)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Replace the default ``int`` converter; must run before any route is registered."""
    app.url_map.converters["int"] = DatabaseIdConverter
