"""Text normalisation for how Indonesian officials and vendors write.

Pipeline per token: unicode folding (NFKC, casefold, accents stripped), ``e-`` prefixes joined
("e-Office" -> "eoffice"), informal spellings and chat abbreviations mapped to the standard form
(``yg`` -> ``yang``, ``ijin`` -> ``izin``), Indonesian and English stop words dropped, then the
Sastrawi stemmer (cached per token). Acronyms written in capitals, glossary abbreviations,
place names and tokens with digits are never stemmed; a table guards known bad Sastrawi stems.
Glossary abbreviations are also expanded ("PJU" -> "pju penerangan jalan umum").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

_TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_E_PREFIX_RE = re.compile(r"\b([eEmM])[-‐–](?=[^\W\d_])")
_HYPHEN_RE = re.compile(r"[-‐–/_]")


class _Stemmer(Protocol):
    def stem(self, text: str) -> str: ...


@lru_cache(maxsize=1)
def _sastrawi() -> _Stemmer:
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    stemmer: _Stemmer = StemmerFactory().create_stemmer()
    return stemmer


STEM_TABLE = "sastrawi_stems.txt"  # precomputed Sastrawi stems (see stem_table.py)
_recorder: set[str] | None = None  # words sent to Sastrawi (stem_table.py collects them)


def sastrawi_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("PySastrawi")
    except PackageNotFoundError:  # pragma: no cover - broken install
        return "unknown"


@lru_cache(maxsize=1)
def sastrawi_table() -> dict[str, str]:
    """The shipped word -> Sastrawi stem table of the glossary vocabulary, so loading the
    glossary does not run the (slow) stemmer on thousands of words. Empty when the table was
    made with another Sastrawi version than the installed one."""
    try:
        text = resources.files(__package__).joinpath(STEM_TABLE).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):  # pragma: no cover - not shipped
        return {}
    header, _, body = text.partition("\n")
    if header != f"# PySastrawi {sastrawi_version()}":
        return {}
    return dict(line.split("\t", 1) for line in body.splitlines() if line)


def sastrawi_stem(token: str) -> str:
    """Sastrawi's stem of one lower-case alphabetic word (the shipped table first)."""
    if _recorder is not None:
        _recorder.add(token)
    hit = sastrawi_table().get(token)
    if hit is None:
        hit = _sastrawi().stem(token) or token
    return hit


@lru_cache(maxsize=1)
def sastrawi_root_words() -> frozenset[str]:
    """The Sastrawi dictionary of Indonesian root words."""
    try:
        data = resources.files("Sastrawi.Stemmer.data").joinpath("kata-dasar.txt")
        text = data.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):  # pragma: no cover - broken install
        return frozenset()
    return frozenset(w.strip() for w in text.split() if w.strip())


_COMBINING_RE = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """NFKC, strip accents; case is kept (acronym detection needs it)."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    return _COMBINING_RE.sub("", unicodedata.normalize("NFD", text))


def raw_tokens(text: str) -> list[str]:
    """Case-preserving tokens after folding and hyphen handling."""
    text = _E_PREFIX_RE.sub(r"\1", fold(text))
    text = _HYPHEN_RE.sub(" ", text)
    tokens = _TOKEN_RE.findall(text)
    if "'" in text or "’" in text:
        tokens = [t.replace("’", "").replace("'", "") for t in tokens]
    return tokens


@dataclass(frozen=True, slots=True)
class NormalizerData:
    """The tables the normaliser uses (they live in the glossary file)."""

    slang: Mapping[str, str]
    stopwords: frozenset[str]
    stem_overrides: Mapping[str, str]
    protected: frozenset[str]
    abbreviations: Mapping[str, str]
    places: frozenset[str]
    vocabulary: frozenset[str] = frozenset()


class Normalizer:
    """Turns text into a sequence of stems with the surface token each stem came from."""

    def __init__(self, data: NormalizerData) -> None:
        self.data = data
        self._cache: dict[str, tuple[tuple[str, str], ...]] = {}
        self._roots = sastrawi_root_words()
        self._vocab_list = sorted(t for t in data.vocabulary if len(t) >= 6 and t.isalpha())
        self._known = self._roots | data.vocabulary | data.stopwords | frozenset(data.slang)

    # -- single tokens -------------------------------------------------------------------
    def stem_token(self, token: str, *, acronym: bool = False) -> str:
        """Stem one lower-case, slang-mapped token (no stop-word check)."""
        d = self.data
        if acronym or token in d.abbreviations or token in d.protected or token in d.places:
            return token
        if not token.isalpha() or len(token) <= 3:
            return token
        if token in d.stem_overrides:
            return d.stem_overrides[token]
        token = self._correct(token)
        stem = sastrawi_stem(token)
        if stem in d.stem_overrides:
            return d.stem_overrides[stem]
        if stem == token and token not in self._roots:
            stem = _english_light_stem(token)
        return stem

    def _correct(self, token: str) -> str:
        """Fix a one-letter typo of a glossary word ("retibusi" -> "retribusi")."""
        if len(token) < 7 or token in self._known or not self._vocab_list:
            return token
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        hit = process.extractOne(
            token, self._vocab_list, scorer=Levenshtein.distance, score_cutoff=1
        )
        if hit is None:
            return token
        candidate = str(hit[0])
        if candidate[0] != token[0] or abs(len(candidate) - len(token)) > 1:
            return token
        # a plural or inflection of the same word is fine; swaps of letters also
        return candidate

    def _token(self, raw: str) -> tuple[tuple[str, str], ...]:
        """(stem, surface) pairs for one raw token, cached."""
        hit = self._cache.get(raw)
        if hit is not None:
            return hit
        d = self.data
        acronym = len(raw) >= 2 and raw.isupper() and any(c.isalpha() for c in raw)
        low = raw.casefold()
        out: list[tuple[str, str]] = []
        mapped = d.slang.get(low, low)
        for part in mapped.split():
            if part in d.stopwords and not acronym:
                continue
            out.append((self.stem_token(part, acronym=acronym), low))
            expansion = d.abbreviations.get(part)
            if expansion:
                for sub in expansion.split():
                    sub = d.slang.get(sub, sub)
                    if sub not in d.stopwords:
                        out.append((self.stem_token(sub), low))
        result = tuple(out)
        if len(self._cache) < 500_000:
            self._cache[raw] = result
        return result

    # -- texts -----------------------------------------------------------------------------
    def analyze(self, text: str) -> tuple[list[str], list[str]]:
        """Stems and, in parallel, the lower-case surface token each stem came from."""
        cache = self._cache
        pairs = [p for raw in raw_tokens(text) for p in (cache.get(raw) or self._token(raw))]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    def stems(self, text: str) -> list[str]:
        return self.analyze(text)[0]

    def normalize_text(self, text: str) -> str:
        """Folded, slang-mapped, lower-case text without stop words (for fuzzy comparison)."""
        words: list[str] = []
        for raw in raw_tokens(text):
            low = raw.casefold()
            for part in self.data.slang.get(low, low).split():
                if part not in self.data.stopwords:
                    words.append(part)
        return " ".join(words)


def _english_light_stem(token: str) -> str:
    """Plural stripping for English words that Sastrawi leaves alone."""
    if not token.isascii() or len(token) <= 4:
        return token
    if token.endswith("ies") and len(token) > 5:
        return token[:-3] + "y"
    if token.endswith("s") and not token.endswith(("ss", "us", "is", "as", "os")):
        return token[:-1]
    return token


def build_normalizer_data(
    raw: Mapping[str, Any], vocabulary: Iterable[str], places: Iterable[str]
) -> NormalizerData:
    """Build the normaliser tables from the parsed glossary file."""
    slang = {str(k).casefold(): str(v).casefold() for k, v in raw.get("slang", {}).items()}
    stop = raw.get("stopwords", {})
    stopwords = frozenset(str(w).casefold() for lang in ("id", "en") for w in stop.get(lang, []))
    overrides = {
        str(k).casefold(): str(v).casefold() for k, v in raw.get("stem_overrides", {}).items()
    }
    protected = frozenset(str(w).casefold() for w in raw.get("protected", {}).get("terms", []))
    abbreviations = {
        str(k).casefold(): str(v).casefold() for k, v in raw.get("abbreviations", {}).items()
    }
    place_set = frozenset(p.casefold() for p in places)
    return NormalizerData(
        slang=slang,
        stopwords=stopwords,
        stem_overrides=overrides,
        protected=protected,
        abbreviations=abbreviations,
        places=place_set,
        vocabulary=frozenset(vocabulary),
    )
