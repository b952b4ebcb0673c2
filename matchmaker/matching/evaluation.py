"""Offline evaluation on a labelled data set in the devset format (JSON Lines).

``python -m matchmaker.matching.evaluation --needs F --offers F --gold F [--overlap-gold F]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .glossary import Glossary
from .index import MatchIndex
from .overlap import need_similarity
from .types import EngineConfig, NeedDoc, OfferDoc

METRIC_KEYS = ("ndcg@5", "recall@5", "recall@10", "mrr")


class DatasetError(Exception):
    """A data file is malformed; carries the path and the 1-based line number."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


def _read_jsonl(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DatasetError(p, None, "file not found") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(p, None, f"not valid UTF-8 ({exc.reason})") from exc
    except OSError as exc:
        raise DatasetError(p, None, f"cannot read file: {exc.strerror or exc}") from exc
    rows: list[tuple[int, dict[str, Any]]] = []
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(p, no, f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
        if not isinstance(obj, dict):
            raise DatasetError(p, no, "each line must be a JSON object")
        rows.append((no, obj))
    return rows


def _get(
    obj: Mapping[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    path: Path | str,
    no: int,
    *,
    required: bool = True,
) -> Any:
    if key not in obj or obj[key] is None:
        if required:
            raise DatasetError(path, no, f"missing field {key!r}")
        return None
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise DatasetError(path, no, f"field {key!r} has the wrong type ({type(value).__name__})")
    return value


def _str_list(obj: Mapping[str, Any], key: str, path: str | Path, no: int) -> tuple[str, ...]:
    value = obj.get(key, [])
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DatasetError(path, no, f"field {key!r} must be a list of strings")
    return tuple(value)


def _check_id(obj: Mapping[str, Any], path: str | Path, no: int, seen: set[str]) -> str:
    oid = _get(obj, "id", str, path, no)
    if not oid.strip():
        raise DatasetError(path, no, "empty id")
    if oid in seen:
        raise DatasetError(path, no, f"duplicate id {oid!r}")
    seen.add(oid)
    return str(oid)


def _range(
    obj: Mapping[str, Any], prefix: str, path: str | Path, no: int
) -> tuple[int | None, int | None]:
    """The optional ``<prefix>_min`` / ``<prefix>_max`` integers, min not above max."""
    lo = _get(obj, f"{prefix}_min", int, path, no, required=False)
    hi = _get(obj, f"{prefix}_max", int, path, no, required=False)
    if lo is not None and hi is not None and lo > hi:
        raise DatasetError(path, no, f"{prefix}_min is greater than {prefix}_max")
    return lo, hi


def load_needs(path: str | Path) -> list[NeedDoc]:
    needs: list[NeedDoc] = []
    seen: set[str] = set()
    for no, o in _read_jsonl(path):
        nid = _check_id(o, path, no, seen)
        bmin, bmax = _range(o, "budget_idr", path, no)
        needs.append(
            NeedDoc(
                id=nid,
                title=_get(o, "title", str, path, no),
                description=_get(o, "description", str, path, no, required=False) or "",
                tags=_str_list(o, "tags", path, no),
                dimension=_get(o, "dimension", str, path, no, required=False),
                province=_get(o, "province", str, path, no, required=False),
                city=_get(o, "city", str, path, no, required=False),
                budget_min=bmin,
                budget_max=bmax,
                stage=_get(o, "stage", str, path, no, required=False),
                lang=_get(o, "lang", str, path, no, required=False),
            )
        )
    if not needs:
        raise DatasetError(path, None, "no needs in file")
    return needs


def load_offers(path: str | Path) -> list[OfferDoc]:
    offers: list[OfferDoc] = []
    seen: set[str] = set()
    for no, o in _read_jsonl(path):
        oid = _check_id(o, path, no, seen)
        pmin, pmax = _range(o, "price_idr", path, no)
        regions = _str_list(o, "regions", path, no) or ("nasional",)
        offers.append(
            OfferDoc(
                id=oid,
                title=_get(o, "title", str, path, no),
                description=_get(o, "description", str, path, no, required=False) or "",
                tags=_str_list(o, "tags", path, no),
                dimension=_get(o, "dimension", str, path, no, required=False),
                regions=regions,
                price_min=pmin,
                price_max=pmax,
                maturity=_get(o, "maturity", str, path, no, required=False),
                lang=_get(o, "lang", str, path, no, required=False),
                organization=_get(o, "company", str, path, no, required=False),
            )
        )
    if not offers:
        raise DatasetError(path, None, "no offers in file")
    return offers


def load_dataset(
    needs_path: str | Path, offers_path: str | Path
) -> tuple[list[NeedDoc], list[OfferDoc]]:
    return load_needs(needs_path), load_offers(offers_path)


def load_gold(
    path: str | Path, need_ids: set[str], offer_ids: set[str]
) -> dict[str, dict[str, int]]:
    gold: dict[str, dict[str, int]] = defaultdict(dict)
    for no, o in _read_jsonl(path):
        need = _get(o, "need", str, path, no)
        offer = _get(o, "offer", str, path, no)
        rel = _get(o, "rel", int, path, no)
        if need not in need_ids:
            raise DatasetError(path, no, f"unknown need id {need!r}")
        if offer not in offer_ids:
            raise DatasetError(path, no, f"unknown offer id {offer!r}")
        if rel not in (0, 1, 2):
            raise DatasetError(path, no, f"rel must be 0, 1 or 2, not {rel}")
        if offer in gold[need]:
            raise DatasetError(path, no, f"duplicate pair {need!r} -> {offer!r}")
        gold[need][offer] = rel
    if not gold:
        raise DatasetError(path, None, "no gold rows in file")
    return dict(gold)


def load_overlap_gold(path: str | Path, need_ids: set[str]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for no, o in _read_jsonl(path):
        a = _get(o, "a", str, path, no)
        b = _get(o, "b", str, path, no)
        for x in (a, b):
            if x not in need_ids:
                raise DatasetError(path, no, f"unknown need id {x!r}")
        if a == b:
            raise DatasetError(path, no, "a pair needs two different needs")
        pairs.add((min(a, b), max(a, b)))
    if not pairs:
        raise DatasetError(path, None, "no overlap pairs in file")
    return pairs


# -- metrics (same definitions as the devset README reference implementation) ----------------
def matching_metrics(
    run: Mapping[str, Sequence[str]],
    gold: Mapping[str, Mapping[str, int]],
    need_ids: Sequence[str] | None = None,
    k_ndcg: int = 5,
) -> dict[str, float]:
    """Macro-averaged nDCG@5 (gain = rel), recall@5/10 (rel >= 1) and MRR of the first rel 2."""
    ids = [n for n in (need_ids if need_ids is not None else gold) if n in gold]
    if not ids:
        return {key: 0.0 for key in METRIC_KEYS}
    ndcg = r5 = r10 = mrr = 0.0
    for need in ids:
        rels = gold[need]
        ranked = list(run.get(need, []))
        dcg = sum(rels.get(o, 0) / math.log2(i + 2) for i, o in enumerate(ranked[:k_ndcg]))
        ideal = sorted(rels.values(), reverse=True)[:k_ndcg]
        idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
        ndcg += dcg / idcg if idcg > 0 else 0.0
        relevant = {o for o, r in rels.items() if r >= 1}
        if relevant:
            r5 += len(relevant & set(ranked[:5])) / len(relevant)
            r10 += len(relevant & set(ranked[:10])) / len(relevant)
        first = next((i for i, o in enumerate(ranked) if rels.get(o) == 2), None)
        mrr += 0.0 if first is None else 1.0 / (first + 1)
    n = len(ids)
    return {"ndcg@5": ndcg / n, "recall@5": r5 / n, "recall@10": r10 / n, "mrr": mrr / n}


def overlap_ap(
    scores: Mapping[tuple[str, str], float],
    gold_pairs: set[tuple[str, str]],
    need_ids: Sequence[str],
) -> float:
    """Average precision of all need pairs ranked by score (ties by (a, b)); unscored last."""
    if not gold_pairs:
        return 0.0
    pairs = sorted(
        itertools.combinations(sorted(need_ids), 2),
        key=lambda p: (-scores.get(p, float("-inf")), p),
    )
    hits, total = 0, 0.0
    for k, p in enumerate(pairs, 1):
        if p in gold_pairs:
            hits += 1
            total += hits / k
    return total / len(gold_pairs)


def evaluate(
    needs: Sequence[NeedDoc],
    offers: Sequence[OfferDoc],
    gold: Mapping[str, Mapping[str, int]],
    overlap_gold: set[tuple[str, str]] | None = None,
    *,
    glossary: Glossary | None = None,
    config: EngineConfig | None = None,
) -> dict[str, Any]:
    """Run the engine on a data set and score it; the gold is used for scoring only."""
    start = time.perf_counter()
    index = MatchIndex.build(offers, glossary=glossary, config=config)
    proposals = index.propose_many(needs, k=len(offers))
    run = {nid: [p.offer_id for p in props] for nid, props in proposals.items()}
    need_ids = [n.id for n in needs]
    report: dict[str, Any] = dict(matching_metrics(run, gold, need_ids))
    if overlap_gold is not None:
        sims = need_similarity(needs, glossary=index.glossary, config=index.config)
        report["overlap_ap"] = overlap_ap(sims, overlap_gold, need_ids)
    else:
        report["overlap_ap"] = None
    by_lang: dict[str, dict[str, float]] = {}
    langs = sorted({n.lang or "unknown" for n in needs} | {"id", "en"})
    for lang in langs:
        ids = [n.id for n in needs if (n.lang or "unknown") == lang and n.id in gold]
        if ids or lang in ("id", "en"):
            metrics = matching_metrics(run, gold, ids)
            by_lang[lang] = {**metrics, "needs": len(ids)}
    report["by_lang"] = by_lang
    report["seconds"] = round(time.perf_counter() - start, 3)
    return report


def evaluate_files(
    needs: str | Path,
    offers: str | Path,
    gold: str | Path,
    overlap_gold: str | Path | None = None,
    *,
    glossary: Glossary | None = None,
    config: EngineConfig | None = None,
) -> dict[str, Any]:
    """Load the files (raising :class:`DatasetError` on bad input) and evaluate."""
    need_docs, offer_docs = load_dataset(needs, offers)
    need_ids = {n.id for n in need_docs}
    gold_map = load_gold(gold, need_ids, {o.id for o in offer_docs})
    pairs = load_overlap_gold(overlap_gold, need_ids) if overlap_gold is not None else None
    return evaluate(need_docs, offer_docs, gold_map, pairs, glossary=glossary, config=config)


def format_report(report: Mapping[str, Any]) -> str:
    """Human-readable report."""
    lines = []
    for key in METRIC_KEYS:
        lines.append(f"{key:<11}{report[key]:.4f}")
    ap = report.get("overlap_ap")
    lines.append(f"{'overlap_ap':<11}{'n/a' if ap is None else format(ap, '.4f')}")
    for lang, m in report.get("by_lang", {}).items():
        parts = "  ".join(f"{k} {m[k]:.4f}" for k in METRIC_KEYS)
        lines.append(f"[{lang}, {m.get('needs', 0)} needs]  {parts}")
    lines.append(f"{'seconds':<11}{report['seconds']:.3f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="matchmaker evaluate", description=__doc__)
    parser.add_argument("--needs", required=True)
    parser.add_argument("--offers", required=True)
    parser.add_argument("--gold", required=True)
    parser.add_argument("--overlap-gold")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        report = evaluate_files(args.needs, args.offers, args.gold, args.overlap_gold)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, sort_keys=True) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
