"""Stock reads."""

from collections.abc import Iterable

from django.db.models import Sum
from django.db.models.functions import Coalesce

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
