"""Every row lock on stock levels lives here; rows are always locked in primary-key order."""

from collections.abc import Iterable

from stockroom.inventory.models import Location, StockLevel


def default_location() -> Location:
    location = Location.objects.filter(is_default=True).first()
    if location is None:
        location, _ = Location.objects.get_or_create(name="Default", defaults={"is_default": True})
    return location


def ensure_levels(item_ids: Iterable[int], location: Location) -> None:
    existing = set(
        StockLevel.objects.filter(item_id__in=item_ids, location=location).values_list("item_id", flat=True)
    )
    missing = [StockLevel(item_id=i, location=location) for i in sorted(set(item_ids) - existing)]
    if missing:
        StockLevel.objects.bulk_create(missing, ignore_conflicts=True)


def levels_for_update(item_ids: Iterable[int], location: Location) -> dict[int, StockLevel]:
    """Lock the levels of ``item_ids`` at ``location`` (creating missing ones), in pk order."""
    ids = sorted(set(item_ids))
    ensure_levels(ids, location)
    levels = StockLevel.objects.select_for_update().filter(item_id__in=ids, location=location).order_by("pk")
    return {level.item_id: level for level in levels}
