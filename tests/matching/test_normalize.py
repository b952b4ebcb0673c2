"""Normalisation rules, one test per rule."""

from __future__ import annotations

import pytest

from matchmaker.matching import default_glossary
from matchmaker.matching.normalize import Normalizer, NormalizerData, fold, raw_tokens


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    return default_glossary().normalizer


def test_unicode_and_case_folding() -> None:
    assert fold("Café  Ｋota") == "Cafe  Kota"
    assert raw_tokens("Kafé, Pasar!") == ["Kafe", "Pasar"]


def test_e_prefix_joined_and_hyphens_split(norm: Normalizer) -> None:
    assert raw_tokens("e-Office dan naik-turun") == ["eOffice", "dan", "naik", "turun"]
    assert norm.stems("e-Retribusi") == norm.stems("eretribusi")


def test_slang_and_informal_spellings(norm: Normalizer) -> None:
    assert norm.normalize_text("ijin antrian managemen") == "izin antrean manajemen"
    # slang that maps to stop words disappears
    assert norm.normalize_text("yg utk dgn tdk msh krn") == ""


def test_stop_words_indonesian_and_english(norm: Normalizer) -> None:
    assert norm.stems("the sampah of yang dan") == ["sampah"]


def test_sastrawi_stemming(norm: Normalizer) -> None:
    assert norm.stems("pengelolaan persampahan") == ["kelola", "sampah"]


def test_known_bad_stems_are_guarded(norm: Normalizer) -> None:
    # Sastrawi gives "meta", "rusa" and "pasar"; the override table fixes them
    assert norm.stems("pemetaan kerusakan pemasaran") == ["peta", "rusak", "pemasaran"]


def test_acronyms_never_stemmed_and_expanded(norm: Normalizer) -> None:
    stems = norm.stems("PJU")
    assert stems[0] == "pju"
    assert "terang" in stems and "jalan" in stems  # expansion "penerangan jalan umum"
    # an all-caps word is treated as an acronym and left alone
    assert norm.stems("PERANGKAT")[0] == "perangkat"


def test_place_names_not_stemmed() -> None:
    data = NormalizerData(
        slang={},
        stopwords=frozenset(),
        stem_overrides={},
        protected=frozenset(),
        abbreviations={},
        places=frozenset({"pelabuhan"}),
    )
    assert Normalizer(data).stems("Pelabuhan Ratu")[0] == "pelabuhan"


def test_english_plurals(norm: Normalizer) -> None:
    assert norm.stems("sensors batteries") == ["sensor", "battery"]


def test_one_letter_typo_of_glossary_word(norm: Normalizer) -> None:
    assert norm.stems("penerangn") == norm.stems("penerangan")
