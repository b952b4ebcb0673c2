"""The message catalogs as the tests see them: where they live, how they are extracted from
the sources (the same rules as ``babel.cfg`` and ``make i18n``) and compiled."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "matchmaker" / "translations"
ID_PO = TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.po"
#: ``pybabel extract -k _l -k lazy_gettext -k lazy_ngettext:1,2`` (Makefile, target i18n)
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def read_catalog(path: Path = ID_PO) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, abort_invalid=True)


def extract_messages() -> dict[str | tuple[str, ...], list[str]]:
    """Every translatable message in the sources -> where it occurs (``file:line``)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename="babel.cfg")
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        key = message if isinstance(message, str) else tuple(m for m in message if m)
        if isinstance(key, tuple) and len(key) == 1:
            key = key[0]
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


def compile_catalog(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_stale_catalogs() -> None:
    """Write ``messages.mo`` next to each ``messages.po`` when missing or older, atomically
    (other test runs may read it meanwhile): what ``make translations`` does."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        data = compile_catalog(read_catalog(po))
        fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, mo)
