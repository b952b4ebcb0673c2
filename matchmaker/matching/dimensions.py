"""The six smart-city dimensions and their spellings."""

from __future__ import annotations

DIMENSIONS = ("governance", "branding", "economy", "living", "society", "environment")

_ALIASES = {
    "lingkungan": "environment",
    "pemerintahan": "governance",
    "ekonomi": "economy",
    "masyarakat": "society",
    "sosial": "society",
    "kehidupan": "living",
    "citra": "branding",
}


def canonical_dimension(value: str | None) -> str | None:
    """Map "smart governance", "Smart-Governance", "governance" ... to the short key."""
    if not value:
        return None
    text = value.strip().casefold().replace("-", " ").replace("_", " ")
    for prefix in ("smart ", "dimensi "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    text = text.strip()
    if text in DIMENSIONS:
        return text
    return _ALIASES.get(text)
