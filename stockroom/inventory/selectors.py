"""Stock reads."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from stockroom.catalog.models import StockItem
from stockroom.core.errors import NotFound
from stockroom.inventory.models import Location, StockLevel, StockMovement


def location_by_id(value) -> Location | None:
    """The location whose id is ``value`` (as typed or posted); None when no location is given.

    An id that names no location is an error, never the default location in its place.
    """
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    location = None
    if text.isascii() and text.isdigit() and len(text) <= 18:
        location = Location.objects.filter(pk=int(text)).first()
    if location is None:
        raise NotFound(f"location {text[:40]!r} does not exist; choose one of the listed locations")
    return location


def available_to_sell(item_id: int) -> int:
    """on_hand - allocated over the locations that feed channels, never below 0."""
    return available_to_sell_many([item_id])[item_id]


def available_to_sell_many(item_ids: Iterable[int]) -> dict[int, int]:
    ids = list(set(item_ids))
    result = dict.fromkeys(ids, 0)
    rows = (
        StockLevel.objects.filter(item_id__in=ids, location__feeds_channels=True)
        .values("item_id")
        .annotate(on_hand=Coalesce(Sum("on_hand"), 0), allocated=Coalesce(Sum("allocated"), 0))
    )
    for row in rows:
        result[row["item_id"]] = max(row["on_hand"] - row["allocated"], 0)
    return result


def stock_totals(item_id: int) -> dict[str, int]:
    row = StockLevel.objects.filter(item_id=item_id).aggregate(
        on_hand=Coalesce(Sum("on_hand"), 0), allocated=Coalesce(Sum("allocated"), 0)
    )
    return {"on_hand": row["on_hand"], "allocated": row["allocated"], "available": available_to_sell(item_id)}


def ledger_mismatches() -> list[tuple[int, int, int, int]]:
    """(item_id, location_id, on_hand, ledger sum) for every level whose ledger does not add up."""
    sums = {
        (r["item_id"], r["location_id"]): r["total"]
        for r in StockMovement.objects.values("item_id", "location_id").annotate(total=Sum("quantity"))
    }
    mismatches = []
    for level in StockLevel.objects.values("item_id", "location_id", "on_hand"):
        total = sums.pop((level["item_id"], level["location_id"]), 0)
        if total != level["on_hand"]:
            mismatches.append((level["item_id"], level["location_id"], level["on_hand"], total))
    mismatches.extend((i, loc, 0, total) for (i, loc), total in sums.items() if total)
    return mismatches


def movement_history(item_id: int):
    return StockMovement.objects.filter(item_id=item_id).select_related("location", "user")


def _level_sum(column: str):
    total = (
        StockLevel.objects.filter(item=OuterRef("pk"))
        .order_by()
        .values("item")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), 0)


def stock_item_list(*, search: str = "") -> QuerySet[StockItem]:
    """Stock items with ``on_hand``, ``allocated`` and ``available`` (on hand - allocated) summed over
    all locations, as annotations (one query, sortable). ``search`` matches SKU, title or barcode."""
    items = StockItem.objects.annotate(on_hand=_level_sum("on_hand"), allocated=_level_sum("allocated"))
    items = items.annotate(available=F("on_hand") - F("allocated"))
    search = (search or "").strip()[:200]
    if search:
        items = items.filter(Q(sku__icontains=search) | Q(title__icontains=search) | Q(barcode=search))
    return items


def stock_levels(item_id: int) -> QuerySet[StockLevel]:
    return StockLevel.objects.filter(item_id=item_id).select_related("location").order_by("location")


def on_hand_by_day(*, item_id: int, days: int) -> list[tuple[datetime, int]]:
    """On hand (all locations) at the end of each of the last ``days`` days, oldest first, from
    the ledger: today's level minus the movements that came after each day's end."""
    today = timezone.localdate()
    ends = [
        timezone.make_aware(datetime.combine(today - timedelta(days=offset), datetime.max.time()))
        for offset in range(days - 1, -1, -1)
    ]
    current = stock_totals_all_locations(item_id)
    later = list(
        StockMovement.objects.filter(item_id=item_id, created_at__gt=ends[0]).values_list(
            "created_at", "quantity"
        )
    )
    return [(end, current - sum(q for at, q in later if at > end)) for end in ends]


def stock_totals_all_locations(item_id: int) -> int:
    return StockLevel.objects.filter(item_id=item_id).aggregate(total=Coalesce(Sum("on_hand"), 0))["total"]


def stock_detail(item: StockItem) -> dict:
    """One item's stock: totals, available to sell and a level per location (the API's and CLI's view)."""
    totals = stock_totals(item.pk)
    return {
        "sku": item.sku,
        "title": item.title,
        "barcode": item.barcode,
        "on_hand": totals["on_hand"],
        "allocated": totals["allocated"],
        "available": max(totals["on_hand"] - totals["allocated"], 0),
        "available_to_sell": totals["available"],
        "levels": [
            {
                "location": level.location.name,
                "feeds_channels": level.location.feeds_channels,
                "on_hand": level.on_hand,
                "allocated": level.allocated,
                "available": level.available,
            }
            for level in stock_levels(item.pk)
        ],
    }
