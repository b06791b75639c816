"""Reads of the sync engine's records, for the screens, the API and the dashboard."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta
from statistics import median

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from stockroom.channels.models import ChannelAccount, Listing, ListingStatus, ListingStatusLog
from stockroom.core.errors import NotFound
from stockroom.core.quantities import parse_id
from stockroom.orders.models import Order, OrderLine
from stockroom.sync.models import (
    LISTINGS_IMPORT_ABANDONED_AFTER,
    LISTINGS_STEP,
    ChannelWrite,
    IssueStatus,
    SyncIssue,
    SyncRun,
    SyncRunStatus,
)


def run_list(*, account_id: int | None = None, status: str = "") -> QuerySet[SyncRun]:
    runs = SyncRun.objects.select_related("account")
    if account_id:
        runs = runs.filter(account_id=account_id)
    if status:
        runs = runs.filter(status=status)
    return runs


def run_by_id(run_id: int) -> SyncRun:
    try:
        return SyncRun.objects.select_related("account").get(pk=run_id)
    except SyncRun.DoesNotExist:
        raise NotFound(f"sync run {run_id} does not exist") from None


def run_writes(run: SyncRun) -> QuerySet[ChannelWrite]:
    return ChannelWrite.objects.filter(run=run).order_by("pk")


def runs_started_since(since: datetime) -> list[SyncRun]:
    return list(
        SyncRun.objects.select_related("account").filter(started_at__gte=since).order_by("account_id", "pk")
    )


def latest_runs() -> dict[int, SyncRun]:
    """account id -> its most recent run that did something (not skipped)."""
    latest: dict[int, SyncRun] = {}
    for account_id in ChannelAccount.objects.values_list("pk", flat=True):
        run = (
            SyncRun.objects.filter(account_id=account_id)
            .exclude(status=SyncRunStatus.SKIPPED)
            .order_by("-started_at", "-pk")
            .first()
        )
        if run is not None:
            latest[account_id] = run
    return latest


def issue_list(*, status: str = IssueStatus.OPEN, kind: str = "", account_id: int | None = None):
    """Issues, each with ``order_id``: the order an order or shipping-confirmation issue is about
    (None when it is not in the book, or for other kinds)."""
    order = Order.objects.filter(
        account_id=OuterRef("account_id"), external_order_id=OuterRef("external_ref")
    ).values("pk")[:1]
    issues = SyncIssue.objects.select_related("account", "run").annotate(order_id=Subquery(order))
    if status:
        issues = issues.filter(status=status)
    if kind:
        issues = issues.filter(kind=kind)
    if account_id:
        issues = issues.filter(account_id=account_id)
    return issues


def open_issue_count() -> int:
    return SyncIssue.objects.filter(status=IssueStatus.OPEN).count()


def sale_to_channel_latency(days: int = 7) -> list[dict]:
    """Seconds from an order's import to the last channel confirmation of its items' listings.

    For every channel order imported in the last ``days`` days whose linked items are listed on some
    account: the time from the order's import (``created_at``) to the latest, over those listings,
    of the answer to each listing's first confirmed quantity sent after the import. Orders whose listings were not all
    confirmed yet are left out. Oldest first: [{"order_id", "external_order_id", "imported_at",
    "seconds"}]; [] when there is no data.
    """
    since = timezone.now() - timedelta(days=days)
    orders = list(
        Order.objects.filter(account__isnull=False, created_at__gte=since)
        .order_by("created_at", "pk")
        .values("pk", "external_order_id", "created_at")
    )
    if not orders:
        return []
    items_of: dict[int, set[int]] = defaultdict(set)
    for order_id, item_id in OrderLine.objects.filter(
        order_id__in=[o["pk"] for o in orders], stock_item__isnull=False
    ).values_list("order_id", "stock_item_id"):
        items_of[order_id].add(item_id)
    listings_of: dict[int, list[int]] = defaultdict(list)
    all_items = set().union(*items_of.values()) if items_of else set()
    for listing_id, item_id in Listing.objects.filter(
        stock_item_id__in=all_items, ignore_sync=False, fulfilled_by_channel=False
    ).values_list("pk", "stock_item_id"):
        listings_of[item_id].append(listing_id)
    # (sent, confirmed) of each quantity sent since the first import, in the order they were sent
    confirmations: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    listing_ids = [pk for pks in listings_of.values() for pk in pks]
    for listing_id, sent, answered in (
        ListingStatusLog.objects.filter(
            listing_id__in=listing_ids,
            outcome=ListingStatus.CONFIRMED,
            created_at__gte=orders[0]["created_at"],
        )
        .order_by("created_at", "pk")
        .values_list("listing_id", "created_at", "answered_at")
    ):
        confirmations[listing_id].append((sent, answered or sent))
    points = []
    for order in orders:
        listings = [pk for item in items_of.get(order["pk"], ()) for pk in listings_of.get(item, ())]
        if not listings:
            continue
        firsts = []
        for listing_id in listings:
            after = next(
                (
                    answered
                    for sent, answered in confirmations.get(listing_id, ())
                    if sent >= order["created_at"]
                ),
                None,
            )
            if after is None:
                break
            firsts.append(after)
        else:
            points.append(
                {
                    "order_id": order["pk"],
                    "external_order_id": order["external_order_id"],
                    "imported_at": order["created_at"],
                    "seconds": round((max(firsts) - order["created_at"]).total_seconds(), 3),
                }
            )
    return points


def sale_to_confirmation_by_day(days: int = 7) -> list[dict]:
    """``sale_to_channel_latency`` per import day, for the dashboard chart:
    [{"day": date, "median_seconds": float, "max_seconds": float}], oldest first; [] without data."""
    per_day: dict = defaultdict(list)
    for point in sale_to_channel_latency(days):
        per_day[timezone.localdate(point["imported_at"])].append(point["seconds"])
    return [
        {"day": day, "median_seconds": float(median(values)), "max_seconds": float(max(values))}
        for day, values in sorted(per_day.items())
    ]


def recent_sale_to_confirmation(*, hours: int = 24, limit: int = 200) -> dict:
    """The dashboard's measure of the promise "a sale reaches every channel within seconds": the
    ``sale_to_channel_latency`` of the last ``limit`` sales imported in the last ``hours`` hours.

    {"points": [...] oldest first, "count", "median_seconds", "p95_seconds", "max_seconds"}; the
    statistics are None without points. p95 is the nearest-rank 95th percentile (with fewer than 20
    sales it is the slowest)."""
    since = timezone.now() - timedelta(hours=hours)
    points = [p for p in sale_to_channel_latency(days=-(-hours // 24)) if p["imported_at"] >= since][-limit:]
    seconds = sorted(p["seconds"] for p in points)
    if not seconds:
        return {"points": [], "count": 0, "median_seconds": None, "p95_seconds": None, "max_seconds": None}
    rank = max(math.ceil(0.95 * len(seconds)), 1)
    return {
        "points": points,
        "count": len(seconds),
        "median_seconds": float(median(seconds)),
        "p95_seconds": float(seconds[rank - 1]),
        "max_seconds": float(seconds[-1]),
    }


def listings_import_run(account, run_id) -> SyncRun | None:
    """One of the account's listings imports (a sync run whose step is "listings"), or None."""
    if not parse_id(run_id):
        return None
    return SyncRun.objects.filter(pk=parse_id(run_id), account=account, steps=LISTINGS_STEP).first()


def running_listings_import(account) -> SyncRun | None:
    """The account's listings import still running (one older than the abandon limit lost its worker)."""
    return (
        SyncRun.objects.filter(
            account=account,
            steps=LISTINGS_STEP,
            status=SyncRunStatus.RUNNING,
            started_at__gt=timezone.now() - LISTINGS_IMPORT_ABANDONED_AFTER,
        )
        .order_by("-started_at")
        .first()
    )
