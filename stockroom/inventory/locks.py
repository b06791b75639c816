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


def _locked(ids: list[int], location: Location):
    return StockLevel.objects.select_for_update().filter(item_id__any=ids, location=location).order_by("pk")


def levels_for_update(item_ids: Iterable[int], location: Location) -> dict[int, StockLevel]:
    """Lock the levels of ``item_ids`` at ``location`` (creating missing ones), in pk order."""
    ids = sorted(set(item_ids))
    levels = {level.item_id: level for level in _locked(ids, location)}
    if len(levels) < len(ids):  # some are missing: make them, then lock all (the held ones again)
        ensure_levels(ids, location)
        levels = {level.item_id: level for level in _locked(ids, location)}
    return levels


def free_for_update(item_ids: Iterable[int], location: Location) -> dict[int, tuple[int, int]]:
    """``levels_for_update`` without model instances: ``{item id: (level pk, on_hand - allocated)}``."""
    ids = sorted(set(item_ids))
    fields = ("item_id", "pk", "on_hand", "allocated")
    rows = list(_locked(ids, location).values_list(*fields))
    if len(rows) < len(ids):
        ensure_levels(ids, location)
        rows = list(_locked(ids, location).values_list(*fields))
    return {item_id: (pk, on_hand - allocated) for item_id, pk, on_hand, allocated in rows}
