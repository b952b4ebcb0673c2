"""The navigation bar's entries for the current user's role."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object


_BROWSE = (NavItem("needs.browse", _l("City needs")), NavItem("offers.browse", _l("Offers")))
_PUBLIC = (NavItem("public.home", _l("Home")), *_BROWSE)
_BY_ROLE: dict[str, tuple[NavItem, ...]] = {
    "city_official": (
        NavItem("main.dashboard", _l("Dashboard")),
        NavItem("needs.mine", _l("My needs")),
        NavItem("matches.index", _l("Matches")),
        NavItem("organization.index", _l("Organisation")),
        *_BROWSE,
    ),
    "vendor": (
        NavItem("main.dashboard", _l("Dashboard")),
        NavItem("offers.mine", _l("My offers")),
        NavItem("matches.index", _l("Matches")),
        NavItem("organization.index", _l("Organisation")),
        *_BROWSE,
    ),
    "coordinator": (
        NavItem("main.dashboard", _l("Dashboard")),
        NavItem("coordinator.approvals", _l("Approval queue")),
        NavItem("coordinator.accounts", _l("Accounts to verify")),
        *_BROWSE,
    ),
}
_BY_ROLE["admin"] = _BY_ROLE["coordinator"]


def navigation_items() -> tuple[NavItem, ...]:
    if current_user.is_authenticated:
        return _BY_ROLE.get(current_user.role, ())
    return _PUBLIC
