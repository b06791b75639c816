"""What needs attention now: counts that link to the filtered lists, and two charts."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.http import urlencode

from stockroom.channels import selectors as channel_selectors
from stockroom.orders import selectors as order_selectors
from stockroom.orders.pipeline import DISPATCHABLE
from stockroom.web.permissions import is_administrator

CHART_DAYS = 30


def _url(name: str, *args, **params) -> str:
    """The url of a screen with a query, or "" when the screen is not installed yet."""
    try:
        base = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{base}?{urlencode(params)}" if params else base


def orders_chart(days: int = CHART_DAYS) -> dict:
    """Orders per day per source, one dataset per source, zero-filled."""
    today = timezone.localdate()
    labels = [(today - timedelta(days=offset)) for offset in range(days - 1, -1, -1)]
    per_source: dict[str, dict] = {}
    for row in order_selectors.orders_per_day(days=days):
        per_source.setdefault(row["source"], {})[row["day"]] = row["count"]
    return {
        "labels": [day.isoformat() for day in labels],
        "datasets": [
            {"label": source.capitalize(), "data": [counts.get(day, 0) for day in labels]}
            for source, counts in sorted(per_source.items())
        ],
    }


SALES_WINDOW_HOURS = 24


def confirmation_chart(hours: int = SALES_WINDOW_HOURS) -> dict:
    """Seconds from each recent sale to the last channel's confirmed quantity, one point per sale,
    with the median and 95th percentile over those sales
    (``stockroom.sync.selectors.recent_sale_to_confirmation``); no datasets when there are none."""
    from stockroom.sync import selectors as sync_selectors

    recent = sync_selectors.recent_sale_to_confirmation(hours=hours)
    if not recent["count"]:
        return {"labels": [], "datasets": [], "summary": recent}
    return {
        "labels": [
            date_format(timezone.localtime(point["imported_at"]), "H:i") for point in recent["points"]
        ],
        "datasets": [
            {
                "label": "Seconds from sale to confirmation",
                "data": [point["seconds"] for point in recent["points"]],
            }
        ],
        "unit": "seconds",
        "summary": {key: value for key, value in recent.items() if key != "points"},
    }


@login_required
def dashboard(request):
    counts = order_selectors.attention_counts()
    channel_counts = channel_selectors.attention_counts()
    admin = is_administrator(request.user)
    error_accounts = channel_counts["listing_error_accounts"]
    if not admin:
        listings_url = ""  # listings belong to the channel account screens, administrators only
    elif len(error_accounts) == 1:
        listings_url = _url("listings", error_accounts[0], status="error")
    else:
        listings_url = _url("listing_overview", status="error")
    tiles = [
        (
            "to_dispatch",
            counts["to_dispatch"],
            "Orders to dispatch",
            _url("orders", status="dispatchable", hold="no"),
        ),
        ("unlinked", counts["unlinked"], "Orders with unlinked lines", _url("orders", unlinked="1")),
        ("short", counts["short_stock"], "Orders short of stock", _url("orders", allocation="short")),
        (
            "failed_shipments",
            counts["failed_shipments"],
            "Failed shipping confirmations",
            _url("orders", status="all", shipment="error"),
        ),
        (
            "listings_error",
            channel_counts["listings_in_error"],
            "Listings in Error",
            listings_url,
        ),
    ]
    if admin:
        tiles.append(
            (
                "accounts_failing",
                channel_counts["accounts_failing"],
                "Accounts failing Check API",
                _url("accounts", check="failing"),
            )
        )
    oldest = order_selectors.order_list(statuses=tuple(DISPATCHABLE), on_hold=False).order_by(
        "purchased_at", "id"
    )[:10]
    return render(
        request,
        "web/dashboard.html",
        {
            "tiles": [
                {
                    "key": key,
                    "count": count,
                    "label": label,
                    "url": url,
                    "attention": count > 0 and key != "to_dispatch",
                }
                for key, count, label, url in tiles
            ],
            "oldest": list(oldest),
            "orders_chart": orders_chart(),
            "confirmation_chart": confirmation_chart(),
            "sales_window_hours": SALES_WINDOW_HOURS,
        },
    )
