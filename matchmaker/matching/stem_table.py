"""Generate the shipped Sastrawi stem table of the glossary vocabulary.

Loading the glossary normalises every term; running the Sastrawi stemmer on its ~3,000
distinct words costs about a second of CPU in each fresh process. ``sastrawi_stems.txt`` (next
to this module) holds those stems, computed with the Sastrawi version named in its first line;
with another installed version it is ignored. ``tests/matching/test_glossary.py`` checks that
the file is current. After editing the glossary or upgrading Sastrawi run::

    python -m matchmaker.matching.stem_table
"""

from __future__ import annotations

from pathlib import Path

from . import normalize
from .glossary import default_glossary_path, load_glossary


def compute(glossary_path: str | Path | None = None) -> str:
    """The table's text: the words the glossary sends to Sastrawi, each with its stem."""
    words: set[str] = set()
    normalize._recorder = words
    try:
        load_glossary(glossary_path if glossary_path is not None else default_glossary_path())
    finally:
        normalize._recorder = None
    stemmer = normalize._sastrawi()
    lines = [f"{w}\t{stemmer.stem(w) or w}" for w in sorted(words)]
    return f"# PySastrawi {normalize.sastrawi_version()}\n" + "\n".join(lines) + "\n"


def table_path() -> Path:
    return Path(__file__).with_name(normalize.STEM_TABLE)


def main() -> None:
    text = compute()
    table_path().write_text(text, encoding="utf-8")
    print(f"{table_path().name}: {text.count(chr(10)) - 1} words")


if __name__ == "__main__":
    main()
