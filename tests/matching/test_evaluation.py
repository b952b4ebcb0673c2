"""Evaluation metrics on a tiny hand-made data set, and data file errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from matchmaker.matching.evaluation import (
    DatasetError,
    evaluate_files,
    format_report,
    load_needs,
    load_offers,
    matching_metrics,
    overlap_ap,
)


def test_matching_metrics_by_hand() -> None:
    gold = {"N1": {"A": 2, "B": 1}, "N2": {"C": 2}}
    run = {"N1": ["B", "A", "X"], "N2": ["X1", "X2", "X3", "X4", "X5", "C"]}
    m = matching_metrics(run, gold)
    # N1: DCG = 1/log2(2) + 2/log2(3) = 2.26186; IDCG = 2 + 1/log2(3) = 2.63093 -> 0.85972
    # N2: C at rank 6 -> nDCG@5 = 0, recall@5 = 0, recall@10 = 1, MRR = 1/6
    n1 = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))
    assert m["ndcg@5"] == pytest.approx(n1 / 2)
    assert m["ndcg@5"] == pytest.approx(0.42986, abs=1e-5)
    assert m["recall@5"] == pytest.approx(0.5)
    assert m["recall@10"] == pytest.approx(1.0)
    assert m["mrr"] == pytest.approx((1 / 2 + 1 / 6) / 2)


def test_missing_run_scores_zero() -> None:
    assert matching_metrics({}, {"N1": {"A": 2}})["mrr"] == 0.0


def test_overlap_ap_by_hand() -> None:
    scores = {("a", "b"): 0.9, ("a", "c"): 0.8, ("c", "d"): 0.7, ("a", "d"): 0.1}
    # ranking: (a,b) hit at 1 -> 1/1; (a,c) miss; (c,d) hit at 3 -> 2/3; AP = (1 + 2/3) / 2
    assert overlap_ap(scores, {("a", "b"), ("c", "d")}, ["a", "b", "c", "d"]) == pytest.approx(
        5 / 6
    )


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_evaluate_files_end_to_end(tmp_path: Path) -> None:
    needs = _write(
        tmp_path / "needs.jsonl",
        [
            {
                "id": "x1",
                "city": "Kota A",
                "province": "Bali",
                "title": "Jalan gelap",
                "description": "Lampu jalan mati",
                "dimension": "smart living",
                "tags": ["PJU"],
                "budget_idr_min": 1,
                "budget_idr_max": 10**10,
                "lang": "id",
            },
            {
                "id": "x2",
                "city": "Kota B",
                "province": "Aceh",
                "title": "Street lighting",
                "description": "Dark streets at night",
                "dimension": "smart living",
                "tags": ["PJU"],
                "budget_idr_min": 1,
                "budget_idr_max": 10**10,
                "lang": "en",
            },
        ],
    )
    offers = _write(
        tmp_path / "offers.jsonl",
        [
            {
                "id": "y1",
                "company": "PT A",
                "title": "PJU pintar",
                "description": "Lampu jalan LED",
                "dimension": "smart living",
                "tags": ["PJU"],
                "price_idr_min": 1,
                "price_idr_max": 2,
                "regions": ["nasional"],
                "lang": "id",
            },
            {
                "id": "y2",
                "company": "PT B",
                "title": "Bank sampah",
                "description": "Nasabah sampah",
                "dimension": "smart environment",
                "tags": ["sampah"],
                "price_idr_min": 1,
                "price_idr_max": 2,
                "regions": ["nasional"],
                "lang": "id",
            },
        ],
    )
    gold = _write(
        tmp_path / "gold.jsonl",
        [{"need": "x1", "offer": "y1", "rel": 2}, {"need": "x2", "offer": "y1", "rel": 2}],
    )
    overlap = _write(tmp_path / "ov.jsonl", [{"a": "x1", "b": "x2"}])
    report = evaluate_files(needs, offers, gold, overlap)
    assert set(report) == {
        "ndcg@5",
        "recall@5",
        "recall@10",
        "mrr",
        "overlap_ap",
        "seconds",
        "by_lang",
    }
    assert report["mrr"] == 1.0 and report["overlap_ap"] == 1.0
    assert set(report["by_lang"]) >= {"id", "en"}
    assert "ndcg@5" in format_report(report)
    assert evaluate_files(needs, offers, gold)["overlap_ap"] is None


def test_bad_file_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "needs.jsonl"
    p.write_text('{"id": "a", "title": "t"}\n\n{"id": "b", "title": \n', encoding="utf-8")
    with pytest.raises(DatasetError) as err:
        load_needs(p)
    assert err.value.line == 3 and str(p) in str(err.value) and ":3:" in str(err.value)
    p.write_text('{"id": "a"}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="missing field 'title'"):
        load_needs(p)
    with pytest.raises(DatasetError, match="file not found"):
        load_needs(tmp_path / "nope.jsonl")


def test_a_reversed_budget_or_price_range_names_its_line(tmp_path: Path) -> None:
    needs = tmp_path / "needs.jsonl"
    needs.write_text(
        '{"id": "a", "title": "t", "budget_idr_min": 5}\n'
        '{"id": "b", "title": "t", "budget_idr_min": 9, "budget_idr_max": 2}\n',
        encoding="utf-8",
    )
    with pytest.raises(DatasetError, match=r":2: budget_idr_min is greater than budget_idr_max"):
        load_needs(needs)
    offers = tmp_path / "offers.jsonl"
    offers.write_text(
        '{"id": "o", "title": "t", "price_idr_min": 9, "price_idr_max": 2}\n', "utf-8"
    )
    with pytest.raises(DatasetError, match=r":1: price_idr_min is greater than price_idr_max"):
        load_offers(offers)
    offers.write_text(
        '{"id": "o", "title": "t", "price_idr_min": 2, "price_idr_max": 9}\n', "utf-8"
    )
    offer = load_offers(offers)[0]
    assert (offer.price_min, offer.price_max) == (2, 9)
