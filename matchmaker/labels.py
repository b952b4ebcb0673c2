"""Translated labels for the stable codes stored in the database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

DIMENSIONS = {
    "governance": _l("Smart governance"),
    "branding": _l("Smart branding"),
    "economy": _l("Smart economy"),
    "living": _l("Smart living"),
    "society": _l("Smart society"),
    "environment": _l("Smart environment"),
}

SUB_ELEMENTS = {
    "public_services": _l("Public services"),
    "bureaucracy": _l("Bureaucracy management"),
    "public_policy": _l("Public policy"),
    "tourism": _l("Tourism"),
    "regional_business": _l("Regional business"),
    "city_appearance": _l("City appearance"),
    "industry": _l("Industry"),
    "welfare": _l("People's welfare"),
    "financial_ecosystem": _l("Financial-transaction ecosystem"),
    "spatial_harmony": _l("Spatial harmony"),
    "health": _l("Health"),
    "transport": _l("Transport"),
    "community": _l("Community"),
    "learning": _l("Learning ecosystem"),
    "public_security": _l("Public security"),
    "protection": _l("Environmental protection"),
    "waste": _l("Waste"),
    "energy": _l("Energy"),
}

STAGES = {
    "quick_win": _l("Quick win"),
    "short_term": _l("Short term"),
    "medium_term": _l("Medium term"),
    "long_term": _l("Long term"),
}

MATURITIES = {
    "concept": _l("Concept"),
    "pilot": _l("Pilot"),
    "proven": _l("Proven"),
    "deployed": _l("Deployed"),
}

STATUSES = {
    "draft": _l("Draft"),
    "open": _l("Open"),
    "in_partnership": _l("In partnership"),
    "closed": _l("Closed"),
    "published": _l("Published"),
    "archived": _l("Archived"),
}

PRIORITIES = {1: _l("High"), 2: _l("Medium"), 3: _l("Low")}

SORTS = {
    "newest": _l("Newest"),
    "deadline": _l("Nearest target date"),
    "budget": _l("Largest budget"),
    "price_low": _l("Lowest price"),
    "price_high": _l("Highest price"),
}

FILTERS = {
    "q": _l("Search"),
    "dimension": _l("Dimension"),
    "stage": _l("Stage"),
    "maturity": _l("Maturity"),
    "province": _l("Province"),
    "regency": _l("Kabupaten/kota"),
    "min": _l("From (Rp)"),
    "max": _l("Up to (Rp)"),
    "status": _l("Status"),
    "sort": _l("Sort"),
    "page": _l("Page"),
}


def label(table: dict[object, object], code: object) -> object:
    return table.get(code, code)

FIELDS = {
    "title": _l("Title"),
    "description": _l("Description"),
    "dimension": _l("Dimension"),
    "sub_element": _l("Sub-element"),
    "tags": _l("Tags"),
    "budget_min": _l("Budget from (Rp)"),
    "budget_max": _l("Budget up to (Rp)"),
    "unbudgeted": _l("Not yet budgeted"),
    "target_date": _l("Target date"),
    "stage": _l("Stage"),
    "priority": _l("Priority"),
    "price_min": _l("Price from (Rp)"),
    "price_max": _l("Price up to (Rp)"),
    "national": _l("Serves all of Indonesia"),
    "maturity": _l("Maturity"),
    "references": _l("Reference deployments"),
}

MATCH_STATES = {
    "proposed": _l("Proposed"),
    "confirmed": _l("Confirmed by both sides"),
    "approved": _l("Approved partnership"),
    "rejected": _l("Rejected by coordinator"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
}

#: the step indicator (UX.md: Diusulkan -> Dikonfirmasi Pemda -> Dikonfirmasi Vendor ->
#: Disetujui Koordinator)
MATCH_STEPS = {
    "proposed": _l("Proposed"),
    "city_confirmed": _l("Confirmed by the city"),
    "vendor_confirmed": _l("Confirmed by the vendor"),
    "approved": _l("Approved by the coordinator"),
}

MATCH_ACTIONS = {
    "accept": _l("Accept"),
    "decline": _l("Decline"),
    "withdraw": _l("Withdraw"),
    "approve": _l("Approve"),
    "reject": _l("Reject"),
    "propose": _l("Proposed by the matching engine"),
}

SIDES = {
    "city": _l("City"),
    "vendor": _l("Vendor"),
    "coordinator": _l("Coordinator"),
    "engine": _l("Matching engine"),
}

SCORE_COMPONENTS = {
    "text": _l("Text similarity"),
    "concepts": _l("Shared concepts"),
    "tags": _l("Tag agreement"),
    "dimension": _l("Same dimension"),
    "region": _l("Serves the region"),
    "budget": _l("Fits the budget"),
    "maturity": _l("Maturity fits the stage"),
}

FLAGS = {
    "outside_region": _l("Outside the vendor's served regions"),
    "price_above_budget": _l("Price above the budget"),
    "price_below_budget": _l("Price well below the budget"),
    "price_unknown": _l("The vendor gives no price"),
    "budget_unknown": _l("The need has no budget yet"),
    "no_shared_concepts": _l("No shared concept, only similar words"),
    "maturity_low_for_stage": _l("Solution less mature than the stage needs"),
    "dimension_mismatch": _l("Different smart-city dimension"),
}

NOTIFICATIONS = {
    "proposed": _l("New partnership proposal"),
    "city_accepted": _l("The city accepted a proposal"),
    "vendor_accepted": _l("The vendor accepted a proposal"),
    "city_declined": _l("The city declined a proposal"),
    "vendor_declined": _l("The vendor declined a proposal"),
    "confirmed": _l("A match is confirmed by both sides and waits for approval"),
    "approved": _l("A partnership has been approved"),
    "rejected": _l("A match was rejected by the coordinators"),
    "withdrawn": _l("A match was withdrawn"),
    "join_requested": _l("Someone asks to join your organisation"),
    "join_approved": _l("Your request to join the organisation was accepted"),
    "join_declined": _l("Your request to join the organisation was declined"),
}

WITHDRAW_REASONS = {
    "no_longer_proposed": _l("The engine no longer proposes this pair after an edit."),
    "posting_closed": _l("The need was closed or the offer archived."),
}
