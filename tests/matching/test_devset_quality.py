"""Quality guard on the shared development set (``../shared/data/devset`` beside the
checkout, or ``MATCHMAKER_DEVSET``): a scoring change that loses ranking quality fails here.

The floors sit a little under the measured figures (ndcg@5 0.913, recall@10 0.928, mrr 0.944,
overlap_ap 0.992) so noise-free refactors pass and real regressions do not.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from matchmaker.matching.evaluation import evaluate_files

ROOT = Path(__file__).resolve().parents[2]
DEVSET = Path(os.environ.get("MATCHMAKER_DEVSET", ROOT.parent / "shared" / "data" / "devset"))


@pytest.mark.skipif(not (DEVSET / "gold.jsonl").exists(), reason="the shared dev set is absent")
def test_engine_quality_on_the_dev_set_stays_above_the_floors():
    report = evaluate_files(
        DEVSET / "needs.jsonl",
        DEVSET / "offers.jsonl",
        DEVSET / "gold.jsonl",
        DEVSET / "overlap_gold.jsonl",
    )
    assert report["ndcg@5"] >= 0.89
    assert report["recall@10"] >= 0.90
    assert report["mrr"] >= 0.92
    assert report["overlap_ap"] >= 0.95
    assert report["by_lang"]["en"]["mrr"] >= 0.90
