"""Where the shipped data folders live, in a source checkout and in an installed wheel.

The wheel carries ``templates/`` and ``seeds/`` under ``matchmaker/_data``; a checkout (or an
editable install) keeps them at the repository root. Callers ask here instead of guessing.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    bundled = _PACKAGE_DIR / "_data" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parent / name


def seeds_dir() -> Path:
    """The folder of seed data: regions, demo content and the concept glossary."""
    return _data_dir("seeds")


def templates_dir() -> Path:
    """The folder of Jinja2 templates."""
    return _data_dir("templates")
