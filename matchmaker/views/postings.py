"""Routes shared by needs and offers, built once per kind: browse, detail, post, edit,
status actions and the owner's own list. Views stay thin: parse, call the service, render."""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import ValidationError
from sqlmodel import Session, select

from matchmaker.db import get_session
from matchmaker.forms import require_empty_form
from matchmaker.forms.postings import NeedForm, OfferForm, PostingForm
from matchmaker.models import (
    NeedCreate,
    NeedUpdate,
    OfferCreate,
    OfferUpdate,
    Organization,
    Province,
    Regency,
    User,
)
from matchmaker.security import role_required
from matchmaker.services import listings, needs, offers
from matchmaker.services.errors import Conflict, DomainError, Forbidden, InvalidTransition
from matchmaker.validation import field_errors


@dataclass(frozen=True)
class PostingViews:
    name: str  # "needs" / "offers"
    service: ModuleType
    form_class: type[PostingForm]
    create_model: type[NeedCreate] | type[OfferCreate]
    update_model: type[NeedUpdate] | type[OfferUpdate]
    spec: listings.ListingSpec
    owner_role: str
    actions: tuple[str, ...]

    def search(self, session: Session, query: listings.ListingQuery,
               organization_id: int | None = None) -> listings.Page:
        search = listings.search_needs if self.name == "needs" else listings.search_offers
        return search(session, query, organization_id=organization_id)


NEEDS = PostingViews("needs", needs, NeedForm, NeedCreate, NeedUpdate, listings.NEEDS,
                     "city_official", ("publish", "close", "reopen"))
OFFERS = PostingViews("offers", offers, OfferForm, OfferCreate, OfferUpdate, listings.OFFERS,
                      "vendor", ("publish", "archive"))


def viewer() -> User | None:
    return current_user.user if current_user.is_authenticated else None


def _provinces(session: Session) -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in session.exec(select(Province).order_by(Province.name)).all()]


def _make_form(views: PostingViews, session: Session, **kwargs: Any) -> PostingForm:
    if views.form_class is OfferForm:
        return OfferForm(provinces=_provinces(session), **kwargs)
    return views.form_class(**kwargs)


def _validated(views: PostingViews, form: PostingForm, model: type[Any],
               extra: dict[str, Any]) -> Any | None:
    """The pydantic input built from the form, or None with errors put onto the form."""
    wtforms_ok = form.validate()
    try:
        data = model.model_validate({**form.input_data(), **extra})
    except ValidationError as exc:
        form.set_errors(field_errors(exc, form._fields))
        return None
    return data if wtforms_ok else None


def _require_organization() -> None:
    """An account waiting to join an organisation has no postings to create or list yet."""
    if current_user.organization_id is None:
        raise Forbidden(_("Your account does not belong to an organisation yet."))


def _context(session: Session) -> dict[str, Any]:
    return {"provinces": _provinces(session)}


def build_blueprint(views: PostingViews) -> Blueprint:
    bp = Blueprint(views.name, __name__, url_prefix=f"/{views.name}")

    @bp.route("/")
    def browse() -> ResponseReturnValue:
        session = get_session()
        query = listings.parse_query(request.args, views.spec, session)
        page = views.search(session, query)
        regency_names = {r.code: r.name for r in session.exec(select(Regency)).all()} \
            if "regency" in query.filters else {}
        return render_template(
            f"{views.name}/list.html", page=page, query=query, spec=views.spec,
            regency_names=regency_names, **_context(session),
        )

    @bp.route("/<int:item_id>")
    def detail(item_id: int) -> ResponseReturnValue:
        session = get_session()
        item = views.service.get_for_viewer(session, item_id, viewer())
        org = session.get(Organization, item.organization_id)
        extra: dict[str, Any] = {}
        if views.name == "offers":
            names = listings.region_names(session, [item_id])
            extra["region_names"] = names.get(item_id, [])
        else:
            regency = session.get(Regency, org.regency_code) if org and org.regency_code else None
            extra["regency"] = regency
            extra["province"] = session.get(Province, regency.province_code) if regency else None
        return render_template(
            f"{views.name}/detail.html", item=item, organization=org,
            can_manage=views.service.can_manage(viewer(), item), **extra,
        )

    @bp.route("/new", methods=["GET", "POST"])
    @role_required(views.owner_role)
    def create() -> ResponseReturnValue:
        _require_organization()
        session = get_session()
        form = _make_form(views, session)
        status = 200
        if form.is_submitted():
            publish = bool(request.form.get("publish"))
            data = _validated(views, form, views.create_model, {"publish": publish})
            if data is not None:
                try:
                    item = views.service.create(session, current_user.user, data)
                except DomainError as exc:
                    form.form_errors.append(exc.message)
                    status = exc.status_code
                else:
                    flash(_("Saved."), "success")
                    return redirect(url_for(f"{views.name}.detail", item_id=item.id))
            else:
                status = 422
        return render_template(f"{views.name}/form.html", form=form, item=None), status

    @bp.route("/<int:item_id>/edit", methods=["GET", "POST"])
    @role_required(views.owner_role)
    def edit(item_id: int) -> ResponseReturnValue:
        session = get_session()
        item = views.service.get_for_viewer(session, item_id, current_user.user)
        if not views.service.can_manage(current_user.user, item):
            abort(403)
        if item.status not in views.service.KIND.editable_statuses:
            raise InvalidTransition(_("This item is closed and can no longer be edited."))
        status = 200
        conflict: dict[str, Any] | None = None
        if request.method == "POST":
            form = _make_form(views, session)
            data = _validated(views, form, views.update_model,
                              {"version": form.version.data or "0"})
            if data is not None:
                try:
                    views.service.update(session, current_user.user, item_id, data)
                except Conflict as exc:
                    status, conflict = 409, exc.details
                    form.form_errors.append(exc.message)
                    form.version.data = str(exc.details.get("version") or form.version.data)
                except DomainError as exc:
                    form.form_errors.append(exc.message)
                    status = exc.status_code
                else:
                    flash(_("Your changes have been saved."), "success")
                    return redirect(url_for(f"{views.name}.detail", item_id=item_id))
            else:
                status = 422
        else:
            form = _make_form(views, session, obj=item)
            form.tags.data = ", ".join(item.tags)
            form.version.data = str(item.version)
            if views.name == "offers":
                form.regions.data = offers.region_codes(session, item_id)  # type: ignore[attr-defined]
                form.references.data = "\n".join(item.references)  # type: ignore[attr-defined]
        return render_template(f"{views.name}/form.html", form=form, item=item,
                               conflict=conflict), status

    @bp.route("/<int:item_id>/<action>", methods=["POST"])
    @role_required(views.owner_role)
    def act(item_id: int, action: str) -> ResponseReturnValue:
        if action not in views.actions:
            abort(404)
        require_empty_form()
        views.service.act(get_session(), current_user.user, item_id, action)
        flash(_("The status has been changed."), "success")
        return redirect(url_for(f"{views.name}.detail", item_id=item_id))

    @bp.route("/mine")
    @role_required(views.owner_role)
    def mine() -> ResponseReturnValue:
        _require_organization()
        session = get_session()
        query = listings.parse_query(request.args, views.spec, session)
        status = request.args.get("status", "")
        if status in views.service.KIND.statuses:
            query = replace(query, status=status)
        org_id = current_user.organization_id
        page = views.search(session, query, organization_id=org_id)
        counts = views.service.counts_by_status(session, org_id)
        return render_template(f"{views.name}/mine.html", page=page, query=query, counts=counts,
                               spec=views.spec, **_context(session))

    return bp


needs_bp = build_blueprint(NEEDS)
offers_bp = build_blueprint(OFFERS)
