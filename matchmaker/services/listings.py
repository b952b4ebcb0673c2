"""Browsing and searching needs and offers: filters from an allowlist, sort, pagination.

The same query serves the public lists (published items only, no contact data) and the
signed-in lists. Unknown or malformed filter values are dropped and reported, never trusted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, literal_column, or_, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from matchmaker import search_index
from matchmaker.models import (
    Dimension,
    Maturity,
    Need,
    NeedStatus,
    Offer,
    OfferRegion,
    OfferStatus,
    Organization,
    Province,
    Regency,
    Stage,
)
from matchmaker.text import like_pattern, search_terms

PAGE_SIZE = 20
MAX_PAGE = 10_000


@dataclass(frozen=True)
class ListingSpec:
    """What may be filtered and sorted for one kind of posting."""

    kind: str
    statuses: tuple[str, ...]
    default_status: str
    sorts: tuple[str, ...]
    choices: Mapping[str, frozenset[str]]


NEEDS = ListingSpec(
    kind="needs",
    statuses=(NeedStatus.OPEN, NeedStatus.IN_PARTNERSHIP, NeedStatus.CLOSED),
    default_status=NeedStatus.OPEN,
    sorts=("newest", "deadline", "budget"),
    choices={"dimension": frozenset(Dimension), "stage": frozenset(Stage)},
)
OFFERS = ListingSpec(
    kind="offers",
    statuses=(OfferStatus.PUBLISHED, OfferStatus.ARCHIVED),
    default_status=OfferStatus.PUBLISHED,
    sorts=("newest", "price_low", "price_high"),
    choices={"dimension": frozenset(Dimension), "maturity": frozenset(Maturity)},
)


@dataclass(frozen=True)
class ListingQuery:
    q: str = ""
    filters: Mapping[str, str] = field(default_factory=dict)
    status: str = ""
    sort: str = "newest"
    page: int = 1
    ignored: tuple[str, ...] = ()

    def active_filters(self) -> dict[str, str]:
        """Filters shown as removable chips (search term included)."""
        chips = dict(self.filters)
        if self.status:
            chips["status"] = self.status
        if self.q:
            chips["q"] = self.q
        return chips

    def args(self, **changes: Any) -> dict[str, Any]:
        """URL arguments of this query with ``changes`` applied (None removes an argument)."""
        current: dict[str, Any] = {**self.filters, "q": self.q or None,
                                   "sort": None if self.sort == "newest" else self.sort,
                                   "status": self.status or None, "page": self.page}
        current.update(changes)
        if "page" not in changes:
            current["page"] = None
        return {k: v for k, v in current.items() if v not in (None, "", 1)}


_CONTROL_CHARS = {code: " " for code in (*range(32), 127)}


def _text_arg(args: Mapping[str, str], name: str) -> str:
    """An argument without control characters (PostgreSQL rejects NUL in any string)."""
    return (args.get(name) or "").translate(_CONTROL_CHARS).strip()


def _int_arg(raw: str | None) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip().replace(".", "").replace(",", "")
    if not text.isdigit() or len(text) > 15:
        raise ValueError(raw)
    return int(text)


def parse_query(
    args: Mapping[str, str], spec: ListingSpec, session: Session
) -> ListingQuery:
    """Read filters from request arguments; anything not allowlisted is ignored and named."""
    filters: dict[str, str] = {}
    ignored: list[str] = []
    for name, allowed in spec.choices.items():
        value = _text_arg(args, name)
        if value:
            (filters.__setitem__(name, value) if value in allowed else ignored.append(name))
    province = _text_arg(args, "province")
    if province:
        if session.get(Province, province) is not None:
            filters["province"] = province
        else:
            ignored.append("province")
    regency = _text_arg(args, "regency")
    if regency:
        if session.get(Regency, regency) is not None:
            filters["regency"] = regency
        else:
            ignored.append("regency")
    for name in ("min", "max"):
        try:
            number = _int_arg(args.get(name))
        except ValueError:
            ignored.append(name)
        else:
            if number is not None:
                filters[name] = str(number)
    status = (args.get("status") or "").strip()
    if status and status not in spec.statuses:
        ignored.append("status")
        status = ""
    sort = (args.get("sort") or "newest").strip()
    if sort not in spec.sorts:
        ignored.append("sort")
        sort = "newest"
    try:
        page = max(1, min(MAX_PAGE, int(args.get("page") or 1)))
    except ValueError:
        ignored.append("page")
        page = 1
    q = " ".join(_text_arg(args, "q").split())[:200]
    return ListingQuery(q=q, filters=filters, status=status, sort=sort, page=page,
                        ignored=tuple(ignored))


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


_WORD = re.compile(r"\w+")


def _fts_phrase(term: str) -> str | None:
    """The FTS5 query for one search term: its words as a phrase, the last one a prefix."""
    words = [w for w in _WORD.findall(term) if w.replace("_", "")]
    words = [part for w in words for part in w.split("_") if part]
    if not words:
        return None
    return '"' + " ".join(words) + '"*'


def _text_conditions(session: Session, model: type[Need] | type[Offer], q: str) -> list[Any]:
    """Every term must occur. On SQLite the FTS5 index finds candidate rows by word; a term
    with punctuation is then also checked as a literal substring (``100%``, ``sensor_ph``)."""
    use_fts = session.get_bind().dialect.name == "sqlite"
    table = model.__tablename__
    conditions: list[Any] = []
    for term in search_terms(q):
        phrase = _fts_phrase(term) if use_fts else None
        if phrase is not None:
            fts = search_index.fts_table(str(table))
            conditions.append(model.id.in_(  # type: ignore[union-attr]
                select(literal_column("rowid")).select_from(text(fts))
                .where(text(f"{fts} MATCH :phrase").bindparams(
                    bindparam("phrase", phrase, unique=True)))
            ))
        if phrase is None or not term.isalnum():
            conditions.append(
                model.search_text.like(like_pattern(term), escape="\\"))  # type: ignore[attr-defined]
    return conditions


def _scope_conditions(model: type[Need] | type[Offer], spec: ListingSpec, query: ListingQuery,
                      organization_id: int | None) -> list[Any]:
    """An organisation's own list shows every status it asks for (drafts too); the public
    list shows only the published statuses, by default the first."""
    if organization_id is not None:
        own = [model.organization_id == organization_id]
        return own + ([model.status == query.status] if query.status else [])
    return [model.status == (query.status or spec.default_status)]


def _fetch(session: Session, base: Any, counted: Any, conditions: list[Any], order: Any,
           query: ListingQuery) -> tuple[int, Any]:
    """The total count and the requested page of rows."""
    total = int(session.exec(counted.where(and_(*conditions))).one())
    rows = session.execute(
        base.order_by(*order).limit(PAGE_SIZE).offset((query.page - 1) * PAGE_SIZE)
    ).all()
    return total, rows


def _money_conditions(low_col: Any, high_col: Any, filters: Mapping[str, str]) -> list[Any]:
    """Ranges overlapping [min, max]; a range with one missing end ("from Rp X") is open on
    that side, one with neither (price on request, not yet budgeted) matches no money filter."""
    conditions = []
    if "min" in filters:
        conditions.append(or_(high_col >= int(filters["min"]),
                              and_(high_col.is_(None), low_col.is_not(None))))
    if "max" in filters:
        conditions.append(or_(low_col <= int(filters["max"]),
                              and_(low_col.is_(None), high_col.is_not(None))))
    return conditions


def search_needs(session: Session, query: ListingQuery, *,
                 organization_id: int | None = None) -> Page:
    """Needs matching ``query``; an organisation's own list may include drafts."""
    f = query.filters
    conditions = [*_text_conditions(session, Need, query.q),
                  *_scope_conditions(Need, NEEDS, query, organization_id)]
    if "dimension" in f:
        conditions.append(Need.dimension == f["dimension"])
    if "stage" in f:
        conditions.append(Need.stage == f["stage"])
    if "regency" in f:
        conditions.append(Organization.regency_code == f["regency"])
    if "province" in f:
        conditions.append(Regency.province_code == f["province"])
    conditions += _money_conditions(Need.budget_min, Need.budget_max, f)

    base = (
        sa_select(Need, col(Organization.name), col(Regency.name), col(Province.name),
                  col(Province.code))
        .join(Organization, col(Organization.id) == col(Need.organization_id))
        .join(Regency, col(Regency.code) == col(Organization.regency_code), isouter=True)
        .join(Province, col(Province.code) == col(Regency.province_code), isouter=True)
        .where(and_(*conditions))
    )
    order = {
        "newest": (col(Need.created_at).desc(), col(Need.id).desc()),
        "deadline": (col(Need.target_date).is_(None), col(Need.target_date).asc(),
                     col(Need.id).desc()),
        "budget": (col(Need.budget_max).is_(None), col(Need.budget_max).desc(),
                   col(Need.id).desc()),
    }[query.sort]
    # Count without the wide columns and without joins no filter needs (every need has an
    # organisation), so a plain list is counted from the status index alone.
    counted = select(func.count()).select_from(Need)
    if "regency" in f or "province" in f:
        counted = counted.join(Organization, Organization.id == Need.organization_id)  # type: ignore[arg-type]
    if "province" in f:
        counted = counted.join(Regency, Regency.code == Organization.regency_code)  # type: ignore[arg-type]
    total, rows = _fetch(session, base, counted, conditions, order, query)
    items = [
        {"need": need, "organization_name": org_name, "regency_name": regency_name,
         "province_name": province_name, "province_code": province_code}
        for need, org_name, regency_name, province_name, province_code in rows
    ]
    return Page(items=items, total=total, page=query.page, page_size=PAGE_SIZE)


def search_offers(session: Session, query: ListingQuery, *,
                  organization_id: int | None = None) -> Page:
    """Offers matching ``query``; a province filter keeps national offers and those serving it."""
    f = query.filters
    conditions = [*_text_conditions(session, Offer, query.q),
                  *_scope_conditions(Offer, OFFERS, query, organization_id)]
    if "dimension" in f:
        conditions.append(Offer.dimension == f["dimension"])
    if "maturity" in f:
        conditions.append(Offer.maturity == f["maturity"])
    province = f.get("province")
    if "regency" in f:
        regency = session.get(Regency, f["regency"])
        province = regency.province_code if regency else province
    if province:
        serves = exists().where(col(OfferRegion.offer_id) == col(Offer.id),
                                col(OfferRegion.province_code) == province)
        conditions.append(or_(Offer.national.is_(True), serves))  # type: ignore[attr-defined]
    conditions += _money_conditions(Offer.price_min, Offer.price_max, f)

    base = (
        sa_select(Offer, col(Organization.name))
        .join(Organization, col(Organization.id) == col(Offer.organization_id))
        .where(and_(*conditions))
    )
    order = {
        "newest": (col(Offer.created_at).desc(), col(Offer.id).desc()),
        "price_low": (col(Offer.price_min).is_(None), col(Offer.price_min).asc(),
                      col(Offer.id).desc()),
        "price_high": (col(Offer.price_max).is_(None), col(Offer.price_max).desc(),
                       col(Offer.id).desc()),
    }[query.sort]
    total, rows = _fetch(session, base, select(func.count()).select_from(Offer), conditions,
                         order, query)
    offers = [offer for offer, _ in rows]
    regions = region_names(session, [o.id for o in offers if o.id is not None])
    items = [{"offer": offer, "organization_name": org_name,
              "region_names": regions.get(offer.id or 0, [])} for offer, org_name in rows]
    return Page(items=items, total=total, page=query.page, page_size=PAGE_SIZE)


def region_names(session: Session, offer_ids: list[int]) -> dict[int, list[str]]:
    """Province names served by each of ``offer_ids`` (national offers have none)."""
    if not offer_ids:
        return {}
    rows = session.exec(
        select(OfferRegion.offer_id, Province.name)
        .join(Province, Province.code == OfferRegion.province_code)  # type: ignore[arg-type]
        .where(OfferRegion.offer_id.in_(offer_ids))  # type: ignore[attr-defined]
        .order_by(Province.name)
    ).all()
    result: dict[int, list[str]] = {}
    for offer_id, name in rows:
        result.setdefault(offer_id, []).append(name)
    return result


def with_page(query: ListingQuery, page: int) -> ListingQuery:
    return replace(query, page=page)
