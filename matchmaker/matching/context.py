"""The context of a need-offer pair: dimension, region, budget and maturity fit.

Computed for many pairs at once from per-offer and per-need attribute arrays: first for the
wide candidate pool (to choose which candidates are scored in full), then reused for the
pairs that are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from .dimensions import canonical_dimension
from .types import MATURITIES, NATIONAL, STAGES, EngineConfig, NeedDoc, OfferDoc

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DIM_CODES = {
    d: i
    for i, d in enumerate(("governance", "branding", "economy", "living", "society", "environment"))
}
_NATIONAL_NAMES = {"nasional", "national", "indonesia", "seluruh indonesia", "nationwide", "all"}
# fit of an offer's maturity for a master-plan stage (rows: stage, columns: maturity)
_MATURITY_FIT = {
    "quick_win": {"concept": 0.0, "pilot": 0.35, "proven": 0.9, "deployed": 1.0},
    "short_term": {"concept": 0.2, "pilot": 0.6, "proven": 1.0, "deployed": 1.0},
    "medium_term": {"concept": 0.5, "pilot": 0.9, "proven": 1.0, "deployed": 1.0},
    "long_term": {"concept": 0.8, "pilot": 1.0, "proven": 1.0, "deployed": 1.0},
}
MATURITY_TABLE = np.asarray([[_MATURITY_FIT[st][mt] for mt in MATURITIES] for st in STAGES])
_NAN = float("nan")


def region_key(name: str) -> str:
    key = " ".join(name.casefold().replace("provinsi", " ").split())
    return NATIONAL if key in _NATIONAL_NAMES else key


def dim_code(dimension: str | None) -> int:
    return DIM_CODES.get(canonical_dimension(dimension) or "", -1)


class RegionBits:
    """A bit per province, so that "serves the need's province" is one AND per pair."""

    def __init__(self) -> None:
        self._bits: dict[str, int] = {}

    def bit(self, name: str) -> int:
        key = region_key(name)
        bit = self._bits.get(key)
        if bit is None:
            bit = self._bits[key] = len(self._bits) % 62
        return bit

    def mask(self, regions: Sequence[str]) -> int:
        mask = 0
        for r in regions:
            if region_key(r) != NATIONAL:
                mask |= 1 << self.bit(r)
        return mask


def _filled(lo: float | None, hi: float | None) -> tuple[float, float]:
    """A range with a missing end taken from the other end (NaN when both are missing)."""
    a = _NAN if lo is None else float(lo)
    b = _NAN if hi is None else float(hi)
    return (b if a != a else a), (a if b != b else b)


@dataclass(slots=True)
class OfferAttrs:
    """Per-offer context attributes of a block, as arrays."""

    dim: IntArray
    region_mask: IntArray
    national: BoolArray
    price_lo: FloatArray
    price_hi: FloatArray
    maturity: IntArray  # index in MATURITIES, -1 unknown

    @classmethod
    def of(cls, offers: Sequence[OfferDoc], regions: RegionBits) -> OfferAttrs:
        dims: dict[str | None, int] = {}
        reach: dict[tuple[str, ...], tuple[int, bool]] = {}
        maturity = {m: i for i, m in enumerate(MATURITIES)}
        rows = []
        for o in offers:
            d = dims.get(o.dimension)
            if d is None:
                d = dims[o.dimension] = dim_code(o.dimension)
            r = tuple(o.regions)
            served = reach.get(r)
            if served is None:
                national = not r or NATIONAL in {region_key(x) for x in r}
                served = reach[r] = (regions.mask(r), national)
            rows.append(
                (d, *served, *_filled(o.price_min, o.price_max), maturity.get(o.maturity or "", -1))
            )
        cols = list(zip(*rows, strict=True)) if rows else [()] * 6
        return cls(
            dim=np.asarray(cols[0], dtype=np.int64),
            region_mask=np.asarray(cols[1], dtype=np.int64),
            national=np.asarray(cols[2], dtype=bool),
            price_lo=np.asarray(cols[3], dtype=np.float64),
            price_hi=np.asarray(cols[4], dtype=np.float64),
            maturity=np.asarray(cols[5], dtype=np.int64),
        )


@dataclass(slots=True)
class NeedAttrs:
    """Per-need context attributes of a batch of needs, as arrays."""

    dim: IntArray
    region_bit: IntArray  # -1: no province given
    budget_lo: FloatArray
    budget_hi: FloatArray
    stage: IntArray  # index in STAGES, -1 unknown

    @classmethod
    def of(cls, needs: Sequence[NeedDoc], regions: RegionBits) -> NeedAttrs:
        stages = {s: i for i, s in enumerate(STAGES)}
        budgets = [_filled(n.budget_min, n.budget_max) for n in needs]
        return cls(
            dim=np.asarray([dim_code(n.dimension) for n in needs], dtype=np.int64),
            region_bit=np.asarray(
                [regions.bit(n.province) if n.province else -1 for n in needs], dtype=np.int64
            ),
            budget_lo=np.asarray([b[0] for b in budgets], dtype=np.float64),
            budget_hi=np.asarray([b[1] for b in budgets], dtype=np.float64),
            stage=np.asarray([stages.get(n.stage or "", -1) for n in needs], dtype=np.int64),
        )


# flag bits of a pair, in the order of FLAG_NAMES
FLAG_NAMES = (
    "outside_region",
    "price_above_budget",
    "price_below_budget",
    "price_unknown",
    "budget_unknown",
    "maturity_low_for_stage",
    "dimension_mismatch",
    "no_shared_concepts",
)
NO_SHARED_CONCEPTS = 1 << FLAG_NAMES.index("no_shared_concepts")


@dataclass(slots=True)
class PairContext:
    """Context fits (0-1) of pairs, and their flag bits (all but no_shared_concepts)."""

    dimension: FloatArray
    region: FloatArray
    budget: FloatArray
    maturity: FloatArray
    flags: IntArray

    def take(self, sel: IntArray | BoolArray) -> PairContext:
        return PairContext(*(getattr(self, f.name)[sel] for f in fields(self)))

    @classmethod
    def concat(cls, parts: Sequence[PairContext]) -> PairContext:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    def points(self, cfg: EngineConfig) -> FloatArray:
        """Context points before the content gate (dimension + region + budget + maturity)."""
        w = cfg.weights
        out: FloatArray = (
            w.dimension * self.dimension
            + w.region * self.region
            + w.budget * self.budget
            + w.maturity * self.maturity
        )
        return out


def pair_context(
    cfg: EngineConfig, need: NeedAttrs, offer: OfferAttrs, ni: IntArray, oi: IntArray
) -> PairContext:
    """The context of the pairs (need ``ni[j]``, offer ``oi[j]``)."""
    n_dim, o_dim = need.dim[ni], offer.dim[oi]
    dimension = np.where((n_dim < 0) | (o_dim < 0), 0.5, (n_dim == o_dim).astype(np.float64))
    bit = need.region_bit[ni]
    served = (
        offer.national[oi]
        | (bit < 0)
        | ((offer.region_mask[oi] & np.left_shift(np.int64(1), np.maximum(bit, 0))) != 0)
    )
    b_lo, b_hi = need.budget_lo[ni], need.budget_hi[ni]
    p_lo, p_hi = offer.price_lo[oi], offer.price_hi[oi]
    budget, above, below = budget_fit(cfg, b_lo, b_hi, p_lo, p_hi)
    price_unknown = np.isnan(p_lo)
    stage, mat = need.stage[ni], offer.maturity[oi]
    known = (stage >= 0) & (mat >= 0)
    fit = MATURITY_TABLE[np.maximum(stage, 0), np.maximum(mat, 0)]
    flags = (
        ~served * 1
        + above * 2
        + below * 4
        + price_unknown * 8
        + (~price_unknown & np.isnan(b_lo)) * 16
        + (known & (fit < 0.5)) * 32
        + (dimension == 0.0) * 64
    ).astype(np.int64)
    return PairContext(
        dimension=dimension,
        region=served.astype(np.float64),
        budget=budget,
        maturity=np.where(known, fit, cfg.maturity_unknown),
        flags=flags,
    )


def budget_fit(
    cfg: EngineConfig, b_lo: FloatArray, b_hi: FloatArray, p_lo: FloatArray, p_hi: FloatArray
) -> tuple[FloatArray, BoolArray, BoolArray]:
    """Budget fit per pair (ranges overlap 1; price above the budget decays to 0 at 10x;
    below it 0.85; unknown ``cfg.budget_unknown``), with the above and below masks. Ranges
    are filled (a missing end equals the other; NaN when both are missing)."""
    with np.errstate(invalid="ignore"):
        above = p_lo > b_hi  # False when either is NaN
        below = p_hi < b_lo
    budget = np.ones(len(p_lo))
    at = np.flatnonzero(above)
    with np.errstate(divide="ignore", invalid="ignore"):  # odd inputs (0, negatives): clipped
        budget[at] = np.clip(1.0 - np.log10(p_lo[at] / np.maximum(b_hi[at], 1.0)), 0.0, 1.0)
    budget[below] = 0.85
    budget[np.isnan(b_lo) | np.isnan(p_lo)] = cfg.budget_unknown
    return budget, above, below
