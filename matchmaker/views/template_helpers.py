"""Jinja filters and globals that turn stored codes into the user's language."""

from __future__ import annotations

from typing import Any

from flask import Flask

from matchmaker import labels
from matchmaker.i18n import rupiah, rupiah_short
from matchmaker.markdown import render_markdown
from matchmaker.services.workflow import allowed_actions


def money_range(low: int | None, high: int | None, *, short: bool = False) -> str:
    """A budget or price range; ``short`` abbreviates (``Rp1,5 M``) for cards."""
    amount = rupiah_short if short else rupiah
    if low is None and high is None:
        return ""
    if low == high or high is None:
        return amount(low)
    if low is None:
        return f"≤ {amount(high)}"
    return f"{amount(low)} – {amount(high)}"


def chip_label_factory(provinces: dict[str, str], regencies: dict[str, str]) -> Any:
    """A function naming one active filter, e.g. ``Dimensi: Smart living``."""
    tables: dict[str, dict[Any, Any]] = {
        "dimension": labels.DIMENSIONS, "stage": labels.STAGES, "maturity": labels.MATURITIES,
        "status": labels.STATUSES, "province": provinces, "regency": regencies,
    }

    def chip_label(name: str, value: str) -> str:
        shown: Any = tables.get(name, {}).get(value, value)
        if name in ("min", "max"):
            shown = rupiah(int(value))
        return f"{labels.FILTERS.get(name, name)}: {shown}"

    return chip_label


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        markdown=render_markdown,
        money_range=money_range,
        dimension_label=lambda code: labels.label(labels.DIMENSIONS, code),
        sub_element_label=lambda code: labels.label(labels.SUB_ELEMENTS, code),
        stage_label=lambda code: labels.label(labels.STAGES, code),
        maturity_label=lambda code: labels.label(labels.MATURITIES, code),
        status_label=lambda code: labels.label(labels.STATUSES, code),
        priority_label=lambda code: labels.label(labels.PRIORITIES, code),
        filter_label=lambda code: labels.label(labels.FILTERS, code),
        field_label=lambda code: labels.label(labels.FIELDS, code),
    )
    app.jinja_env.globals.update(labels=labels, chip_label_factory=chip_label_factory,
                                 workflow_actions=allowed_actions)
