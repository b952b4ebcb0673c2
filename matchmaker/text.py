"""Text helpers for search: one folding rule for what is stored and what is asked."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

MAX_TERMS = 8


def fold(text: str) -> str:
    """Case- and accent-insensitive form: ``Énergi  Surya`` -> ``energi surya``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def search_document(parts: Iterable[str | None]) -> str:
    return fold(" ".join(part for part in parts if part))


def search_terms(query: str | None) -> list[str]:
    """The distinct folded words of a search box entry (at most ``MAX_TERMS``)."""
    terms: list[str] = []
    for word in fold(query or "").split():
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def like_pattern(term: str) -> str:
    """A LIKE pattern matching ``term`` anywhere, with LIKE's wildcards escaped (escape '\\')."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
