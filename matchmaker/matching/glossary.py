"""The bilingual concept glossary (``seeds/glossary.toml``) and phrase matching against it."""

from __future__ import annotations

import csv
import hashlib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dimensions import DIMENSIONS, canonical_dimension
from .normalize import Normalizer, build_normalizer_data, raw_tokens

_CONCEPT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CONCEPT_KEYS = {"dim", "id", "en", "terms", "broader", "weight"}


class GlossaryError(ValueError):
    """The glossary file is malformed; the message names the file, line and concept."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True, slots=True)
class Concept:
    id: str
    dimension: str
    label_id: str
    label_en: str
    terms: tuple[str, ...]
    broader: tuple[str, ...] = ()
    weight: float = 1.0


@dataclass(slots=True)
class Glossary:
    """Concepts, the normaliser tables, and a phrase matcher over stem sequences."""

    version: str
    concepts: dict[str, Concept]
    normalizer: Normalizer
    path: str = ""
    # first stem -> list of (stem tuple, concept id), longest first
    _phrases: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    _field_cache: dict[str, tuple[list[str], list[str], dict[str, list[str]]]] = field(
        default_factory=dict
    )
    _lexicon: Any = field(default=None, repr=False, compare=False)  # batch.Lexicon, lazily

    def __post_init__(self) -> None:
        phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for concept in self.concepts.values():
            for term in concept.terms:
                stems = tuple(self.normalizer.stems(term))
                if not stems:
                    continue
                phrases.setdefault(stems[0], []).append((stems, concept.id))
        for entries in phrases.values():
            entries.sort(key=lambda e: -len(e[0]))
        self._phrases = phrases

    def __len__(self) -> int:
        return len(self.concepts)

    def analyze_field(self, text: str) -> tuple[list[str], list[str], dict[str, list[str]]]:
        """Stems, surfaces and concepts of a short field (titles, tags), cached."""
        hit = self._field_cache.get(text)
        if hit is None:
            stems, surfaces = self.normalizer.analyze(text)
            hit = (stems, surfaces, self.match(stems, surfaces))
            if len(self._field_cache) < 200_000:
                self._field_cache[text] = hit
        return hit

    def match(self, stems: Sequence[str], surfaces: Sequence[str]) -> dict[str, list[str]]:
        """Concepts found in a stem sequence (longest match first) with the surface phrases."""
        found: dict[str, list[str]] = {}
        phrases = self._phrases
        n = len(stems)
        next_free = 0
        for i in [i for i, s in enumerate(stems) if s in phrases]:
            if i < next_free:
                continue
            for seq, _cid in phrases[stems[i]]:
                m = len(seq)
                if m == 1 or tuple(stems[i : i + m]) == seq:
                    surface = (
                        surfaces[i] if m == 1 else " ".join(dict.fromkeys(surfaces[i : i + m]))
                    )
                    for seq2, cid2 in phrases[stems[i]]:
                        if seq2 == seq:
                            terms = found.setdefault(cid2, [])
                            if surface not in terms:
                                terms.append(surface)
                    next_free = min(n, i + m)
                    break
        return found

    def label(self, concept_id: str) -> tuple[str, str]:
        c = self.concepts[concept_id]
        return c.label_id, c.label_en


def _line_of(text: str, concept_id: str) -> int | None:
    pattern = re.compile(
        r'^[ \t]*(?:\[concepts\.)?"?' + re.escape(concept_id) + r'"?\s*(?:=|\])', re.M
    )
    m = pattern.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _place_names() -> list[str]:
    """Single-word place tokens from ``seeds/wilayah`` (when present)."""
    try:
        from matchmaker.resources import seeds_dir
    except ImportError:  # pragma: no cover
        return []
    names: list[str] = []
    for fname in ("provinces.csv", "regencies.csv"):
        path = seeds_dir() / "wilayah" / fname
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                name = row.get("name") or ""
                for word in ("Kabupaten", "Kota", "Administrasi"):
                    name = name.replace(word, " ")
                names.extend(t for t in raw_tokens(name) if len(t) > 2)
    return names


def default_glossary_path() -> Path:
    from matchmaker.resources import seeds_dir

    return seeds_dir() / "glossary.toml"


def _check_str_list(value: Any, path: str, line: int | None, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise GlossaryError(path, f"{what} must be a list of non-empty strings", line)
    return [v.strip() for v in value]


def parse_glossary(text: str, path: str = "<glossary>") -> Glossary:
    """Parse and validate glossary TOML text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise GlossaryError(path, f"invalid TOML: {exc}", int(m.group(1)) if m else None) from exc
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip():
        raise GlossaryError(path, 'missing top-level string key "version"', 1)
    concepts_raw = raw.get("concepts")
    if not isinstance(concepts_raw, Mapping) or not concepts_raw:
        raise GlossaryError(path, "missing or empty [concepts] table")
    concepts: dict[str, Concept] = {}
    for cid, spec in concepts_raw.items():
        line = _line_of(text, cid)
        where = f"concept {cid!r}"
        if not _CONCEPT_ID_RE.match(cid):
            raise GlossaryError(path, f"{where}: id must be lower-case letters, digits, '-'", line)
        if not isinstance(spec, Mapping):
            raise GlossaryError(path, f"{where}: must be a table", line)
        unknown = set(spec) - _CONCEPT_KEYS
        if unknown:
            raise GlossaryError(path, f"{where}: unknown keys {sorted(unknown)}", line)
        for key in ("dim", "id", "en", "terms"):
            if key not in spec:
                raise GlossaryError(path, f"{where}: missing key {key!r}", line)
        dim = canonical_dimension(str(spec["dim"]))
        if dim is None:
            raise GlossaryError(
                path, f"{where}: unknown dimension {spec['dim']!r} (use one of {DIMENSIONS})", line
            )
        if not isinstance(spec["id"], str) or not isinstance(spec["en"], str):
            raise GlossaryError(path, f"{where}: labels 'id' and 'en' must be strings", line)
        terms = _check_str_list(spec["terms"], path, line, f"{where}: terms")
        broader_raw = spec.get("broader", [])
        if isinstance(broader_raw, str):
            broader_raw = [broader_raw]
        broader = (
            _check_str_list(broader_raw, path, line, f"{where}: broader") if broader_raw else []
        )
        weight = spec.get("weight", 1.0)
        if not isinstance(weight, int | float) or not 0 < weight <= 5:
            raise GlossaryError(path, f"{where}: weight must be a number in (0, 5]", line)
        # the labels are terms too
        all_terms = list(dict.fromkeys([spec["id"], spec["en"], *terms]))
        concepts[cid] = Concept(
            id=cid,
            dimension=dim,
            label_id=spec["id"],
            label_en=spec["en"],
            terms=tuple(re.sub(r"\s*\([^)]*\)", "", t) for t in all_terms),
            broader=tuple(broader),
            weight=float(weight),
        )
    for c in concepts.values():
        for b in c.broader:
            if b not in concepts:
                raise GlossaryError(
                    path,
                    f"concept {c.id!r}: broader concept {b!r} does not exist",
                    _line_of(text, c.id),
                )
    vocabulary = {
        t.casefold() for c in concepts.values() for term in c.terms for t in raw_tokens(term)
    }
    data = build_normalizer_data(raw, vocabulary, _place_names())
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return Glossary(
        version=f"{version.strip()}+{digest}",
        concepts=concepts,
        normalizer=Normalizer(data),
        path=path,
    )


def load_glossary(path: str | Path | None = None) -> Glossary:
    """Load the glossary (default: ``seeds/glossary.toml``); raises :class:`GlossaryError`."""
    p = Path(path) if path is not None else default_glossary_path()
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise GlossaryError(str(p), f"cannot read glossary: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise GlossaryError(str(p), f"not UTF-8: {exc}") from exc
    return parse_glossary(text, str(p))


_DEFAULT: dict[str, Glossary] = {}


def default_glossary() -> Glossary:
    """The shipped glossary, loaded once."""
    g = _DEFAULT.get("g")
    if g is None:
        g = load_glossary()
        _DEFAULT["g"] = g
    return g
