"""Stock reads."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from stockroom.catalog.models import StockItem
from stockroom.inventory.models import StockLevel, StockMovement


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
    return stock_totals_many([item_id])[item_id]


def stock_totals_many(item_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per item: on_hand and allocated over all locations, available = available to sell."""
    ids = list(set(item_ids))
    result = {item_id: {"on_hand": 0, "allocated": 0, "available": 0} for item_id in ids}
    rows = (
        StockLevel.objects.filter(item_id__in=ids)
        .values("item_id")
        .annotate(
            total_on_hand=Coalesce(Sum("on_hand"), 0),
            total_allocated=Coalesce(Sum("allocated"), 0),
            selling=Coalesce(Sum(F("on_hand") - F("allocated"), filter=Q(location__feeds_channels=True)), 0),
        )
    )
    for row in rows:
        result[row["item_id"]] = {
            "on_hand": row["total_on_hand"],
            "allocated": row["total_allocated"],
            "available": max(row["selling"], 0),
        }
    return result


@dataclass(frozen=True)
class StockRow:
    item_id: int
    sku: str
    title: str
    barcode: str
    on_hand: int
    allocated: int
    available: int


def stock_overview(*, sku: str = "", after_sku: str = "", limit: int = 50) -> list[StockRow]:
    """One page of stock items in SKU order with their totals; ``sku`` filters by SKU prefix.

    Keyset paged: pass the last row's SKU as ``after_sku`` for the next page.
    """
    items = StockItem.objects.order_by("sku")
    if sku.strip():
        items = items.filter(sku__istartswith=sku.strip())
    if after_sku:
        items = items.filter(sku__gt=after_sku)
    page = list(items.values("pk", "sku", "title", "barcode")[:limit])
    totals = stock_totals_many(row["pk"] for row in page)
    return [
        StockRow(
            item_id=row["pk"], sku=row["sku"], title=row["title"], barcode=row["barcode"], **totals[row["pk"]]
        )
        for row in page
    ]


def stock_levels(item_id: int):
    """The item's level at each location, default location first."""
    return (
        StockLevel.objects.filter(item_id=item_id)
        .select_related("location")
        .order_by("-location__is_default", "location__name")
    )


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
