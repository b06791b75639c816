"""Stock write operations: adjust (set or delta), receive, count. Lock, compute, write, ledger."""

from django.db import transaction
from django.db.models import F

from stockroom.catalog.models import StockItem
from stockroom.core.errors import InsufficientStock, InvalidInput
from stockroom.core.limits import integer_value, max_length, text_value
from stockroom.core.quantities import parse_quantity
from stockroom.inventory.locks import default_location, levels_for_update
from stockroom.inventory.models import Location, MovementReason, StockLevel, StockMovement
from stockroom.inventory.outbox import mark_items_changed

REASON_MAX = max_length(StockMovement, "note")


def _apply(
    *,
    item: StockItem,
    location: Location,
    target=None,
    delta=None,
    reason: str,
    note: str,
    reference: str,
    user,
) -> StockMovement | None:
    level = levels_for_update([item.pk], location)[item.pk]
    new_on_hand = target if target is not None else level.on_hand + delta
    if new_on_hand < 0:
        raise InsufficientStock(
            f"SKU {item.sku}: on hand at {location.name} is {level.on_hand}; "
            f"a change of {new_on_hand - level.on_hand} would take it below zero",
            sku=item.sku,
            on_hand=level.on_hand,
        )
    if new_on_hand < level.allocated:
        raise InsufficientStock(
            f"SKU {item.sku}: {level.allocated} units at {location.name} are allocated to open orders, "
            f"so on hand cannot go below {level.allocated} (asked for {new_on_hand}). "
            "Cancel or dispatch those orders first.",
            sku=item.sku,
            allocated=level.allocated,
        )
    integer_value(
        new_on_hand, model=StockLevel, field="on_hand", label=f"SKU {item.sku}: on hand at {location.name}"
    )
    change = new_on_hand - level.on_hand
    if change == 0:
        return None
    integer_value(change, model=StockMovement, field="quantity", label=f"SKU {item.sku}: the change")
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + change)
    movement = StockMovement.objects.create(
        item=item,
        location=location,
        quantity=change,
        on_hand_after=new_on_hand,
        reason=reason,
        note=note,
        reference=reference,
        user=user,
    )
    mark_items_changed([item.pk], freed=[item.pk] if change > 0 else [])
    return movement


def adjust_stock(
    *,
    item: StockItem,
    reason: str,
    set_to=None,
    delta=None,
    location: Location | None = None,
    user=None,
    reference: str = "",
    is_count: bool = False,
) -> StockMovement | None:
    """Set a level (``set_to``) or apply a signed ``delta``; ``reason`` is required, free text.

    Returns the ledger movement, or None when nothing changed.
    """
    if (set_to is None) == (delta is None):
        raise InvalidInput("give exactly one of a new level (set) or a change (delta)")
    note = text_value(reason, model=StockMovement, field="note", label="reason")
    if not note:
        raise InvalidInput("a reason is required for a stock adjustment")
    reference = text_value(reference, model=StockMovement, field="reference", label="reference")
    target = parse_quantity(set_to, field="new level") if set_to is not None else None
    change = parse_quantity(delta, field="delta", allow_negative=True) if delta is not None else None
    with transaction.atomic():
        return _apply(
            item=item,
            location=location or default_location(),
            target=target,
            delta=change,
            reason=MovementReason.COUNT if is_count or target is not None else MovementReason.ADJUSTMENT,
            note=note,
            reference=reference,
            user=user,
        )


def receive_stock(
    *,
    item: StockItem,
    quantity,
    location: Location | None = None,
    reference: str = "",
    note: str = "",
    user=None,
) -> StockMovement:
    """A purchase arrives: on_hand grows by a positive quantity."""
    quantity = parse_quantity(quantity, field="received quantity")
    if quantity == 0:
        raise InvalidInput("received quantity must be at least 1")
    note = text_value(note, model=StockMovement, field="note", label="note")
    reference = text_value(reference, model=StockMovement, field="reference", label="reference")
    with transaction.atomic():
        return _apply(
            item=item,
            location=location or default_location(),
            delta=quantity,
            reason=MovementReason.RECEIPT,
            note=note or "stock received",
            reference=reference,
            user=user,
        )
