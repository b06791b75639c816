"""Top navigation as data. Other modules' screens appear as soon as their url name resolves.

Each entry: (label, url name, who may see it: "all" or "administrator"). An entry whose url name
does not resolve yet (a screen not built or not installed) is skipped, so engineers can add
entries for screens they are still building.
"""

from django.urls import NoReverseMatch, reverse

from stockroom.web.permissions import is_administrator

ALL = "all"
ADMINISTRATORS = "administrator"

NAVIGATION: tuple[tuple[str, str, str], ...] = (
    ("Dashboard", "dashboard", ALL),
    ("Open Orders", "orders", ALL),
    ("Inventory", "inventory", ALL),
    ("Listings", "listing_overview", ADMINISTRATORS),
    ("Synchronise", "sync", ADMINISTRATORS),
    ("Run history", "sync_runs", ADMINISTRATORS),
    ("Sync issues", "sync_issues", ADMINISTRATORS),
    ("Channel accounts", "accounts", ADMINISTRATORS),
    ("Shipping methods", "shipping_methods", ADMINISTRATORS),
    ("Users", "users", ADMINISTRATORS),
)

# url names that highlight a navigation entry other than their own (e.g. a detail page).
SECTION_OF = {
    "order_detail": "orders",
    "order_delete": "orders",
    "order_cancel": "orders",
    "orders_process": "orders",
    "item_detail": "inventory",
    "item_create": "inventory",
    "item_edit": "inventory",
    "item_adjust": "inventory",
    "item_receive": "inventory",
    "inventory_import": "inventory",
    "listings": "listing_overview",
    "user_create": "users",
    "user_edit": "users",
}


def navigation_entries(user, active: str = "") -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    admin = is_administrator(user)
    entries = []
    for label, url_name, audience in NAVIGATION:
        if audience == ADMINISTRATORS and not admin:
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        entries.append({"label": label, "url": url, "name": url_name, "active": url_name == active})
    return entries


def navigation(request):
    url_name = getattr(getattr(request, "resolver_match", None), "url_name", "") or ""
    active = SECTION_OF.get(url_name, url_name)
    return {
        "nav_active": active,
        "nav_entries": navigation_entries(getattr(request, "user", None), active),
    }
