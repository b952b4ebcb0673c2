"""The glossary file: loading, validation errors, cross-language concepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaker.matching import GlossaryError, default_glossary, load_glossary
from matchmaker.matching.dimensions import DIMENSIONS
from matchmaker.matching.glossary import parse_glossary

GOOD = """version = "t1"
[concepts]
street-lighting = { dim = "smart living", id = "PJU", en = "Street lighting", terms = ["pju"] }
"""


def concepts_of(text: str) -> set[str]:
    g = default_glossary()
    stems, surfaces = g.normalizer.analyze(text)
    return set(g.match(stems, surfaces))


def test_shipped_glossary_covers_the_domain() -> None:
    g = default_glossary()
    assert len(g) >= 200
    assert {c.dimension for c in g.concepts.values()} == set(DIMENSIONS)
    assert g.version.startswith("20")


def test_minimal_file_and_version(tmp_path: Path) -> None:
    p = tmp_path / "g.toml"
    p.write_text(GOOD, encoding="utf-8")
    g = load_glossary(p)
    assert g.version.startswith("t1+")
    assert g.concepts["street-lighting"].dimension == "living"


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('version = "1"\n[concepts\n', "invalid TOML", 2),
        ('[concepts]\na = { dim = "living", id = "x", en = "y", terms = ["z"] }\n', "version", 1),
        ('version = "1"\n[concepts]\n\nx-y = { id = "x", en = "y", terms = ["z"] }\n', "'dim'", 4),
        (
            'version = "1"\n[concepts]\nx = { dim = "space", id = "x", en = "y", terms = ["z"] }\n',
            "unknown dimension",
            3,
        ),
        (
            'version = "1"\n[concepts]\nx = { dim = "living", id = "x", en = "y", terms = [1] }\n',
            "terms",
            3,
        ),
        (
            'version = "1"\n[concepts]\n'
            'x = { dim = "living", id = "x", en = "y", terms = ["z"], broader = "nope" }\n',
            "broader concept 'nope'",
            3,
        ),
        (
            'version = "1"\n[concepts]\nX = { dim = "living", id = "x", en = "y", terms = ["z"] }',
            "lower-case",
            3,
        ),
    ],
)
def test_bad_files_name_file_line_and_concept(text: str, message: str, line: int) -> None:
    with pytest.raises(GlossaryError) as err:
        parse_glossary(text, "seeds/bad.toml")
    assert message in str(err.value)
    assert str(err.value).startswith(f"seeds/bad.toml:{line}:")
    assert err.value.line == line


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GlossaryError, match="cannot read"):
        load_glossary(tmp_path / "none.toml")


def test_same_concept_across_languages_and_problem_phrasing() -> None:
    for text in ("penerangan jalan umum", "PJU", "street lighting", "jalan gelap di malam hari"):
        assert "street-lighting" in concepts_of(text), text


def test_look_alike_programmes_stay_apart() -> None:
    assert "traffic-signals" in concepts_of("lampu merah tdk sinkron")
    assert "street-lighting" not in concepts_of("lampu merah tdk sinkron")
    assert "tsunami-warning" in concepts_of("sirine tsunami")
    assert "flood-warning" not in concepts_of("sirine tsunami")
    assert "market-levy" in concepts_of("retribusi pasar")
    assert "on-street-parking" in concepts_of("retribusi parkir tepi jalan")
    assert "market-levy" not in concepts_of("retribusi parkir tepi jalan")


def test_shipped_sastrawi_stem_table_is_current() -> None:
    """Regenerate with `python -m matchmaker.matching.stem_table` when this fails."""
    from matchmaker.matching import stem_table

    assert stem_table.table_path().read_text(encoding="utf-8") == stem_table.compute()


def test_stem_table_of_another_sastrawi_version_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    from matchmaker.matching import normalize

    normalize.sastrawi_table.cache_clear()
    monkeypatch.setattr(normalize, "sastrawi_version", lambda: "0.0-other")
    try:
        assert normalize.sastrawi_table() == {}
        assert normalize.sastrawi_stem("pemetaan") == normalize._sastrawi().stem("pemetaan")
    finally:
        normalize.sastrawi_table.cache_clear()
