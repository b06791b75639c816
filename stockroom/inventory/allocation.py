"""Allocate, consume, release: the only code that moves ``allocated``. Never imports orders.

Callers pass per-item quantities for one location; every function locks the levels in pk order
(``locks.levels_for_update``), computes from the locked rows and writes with F() expressions.
They must run inside ``transaction.atomic``.
"""

from django.db import connection
from django.db.models import F
from django.utils import timezone

from stockroom.core.errors import InvalidQuantity
from stockroom.inventory.locks import ensure_levels, free_for_update, levels_for_update
from stockroom.inventory.models import (
    Location,
    MovementReason,
    PendingStockPush,
    StockLevel,
    StockMovement,
)
from stockroom.inventory.outbox import announce_items_changed, mark_items_changed


def _check(quantities: dict[int, int]) -> dict[int, int]:
    for item_id, quantity in quantities.items():
        if not isinstance(quantity, int) or quantity < 0:
            raise InvalidQuantity(
                f"quantity for item {item_id} must be a whole number >= 0, got {quantity!r}"
            )
    return {i: q for i, q in quantities.items() if q > 0}


def allocate(*, location: Location, wanted: dict[int, int]) -> dict[int, int]:
    """Hold up to ``wanted[item]`` units per item; returns what was granted (may be less: short)."""
    wanted = _check(wanted)
    if not wanted:
        return {}
    if connection.vendor == "postgresql":
        return _allocate_in_one_statement(location, wanted)
    levels = free_for_update(wanted, location)
    granted: dict[int, int] = {}
    for item_id in sorted(wanted):
        granted[item_id] = min(wanted[item_id], max(levels[item_id][1], 0))
    _add_allocated({levels[i][0]: q for i, q in granted.items() if q})
    mark_items_changed([i for i, q in granted.items() if q])
    return granted


def _allocate_in_one_statement(location: Location, wanted: dict[int, int]) -> dict[int, int]:
    """PostgreSQL: lock the levels in pk order, grant min(wanted, free), add the grants to
    ``allocated`` and append their outbox rows, in one statement (one round trip where the steps
    took four). The same lock, compute, write as ``free_for_update`` + ``_add_allocated`` +
    ``mark_items_changed``: ``FOR UPDATE`` in a materialized CTE locks the rows in the order it
    sorts them and reads their newest committed versions, which the grants are computed from."""
    items = sorted(wanted)
    rows = _run_allocation(location, items, [wanted[i] for i in items])
    if len(rows) < len(items):  # items with no level here yet: made (nothing free), then locked
        ensure_levels(items, location)
        missing = sorted(set(items) - set(rows))
        rows |= _run_allocation(location, missing, [wanted[i] for i in missing])
    granted = {item_id: rows[item_id] for item_id in items}
    announce_items_changed([i for i, q in granted.items() if q])
    return granted


def _run_allocation(location: Location, items: list[int], wants: list[int]) -> dict[int, int]:
    level, outbox = (connection.ops.quote_name(m._meta.db_table) for m in (StockLevel, PendingStockPush))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH wanted AS (SELECT * FROM unnest(%s::bigint[], %s::integer[]) AS w(item_id, want)),
            locked AS MATERIALIZED (
                SELECT id, item_id, on_hand, allocated FROM {level}
                WHERE location_id = %s AND item_id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE
            ),
            granted AS (
                SELECT locked.id, locked.item_id,
                       LEAST(wanted.want, GREATEST(locked.on_hand - locked.allocated, 0)) AS take
                FROM locked JOIN wanted ON wanted.item_id = locked.item_id
            ),
            added AS (
                UPDATE {level} SET allocated = {level}.allocated + granted.take FROM granted
                WHERE {level}.id = granted.id AND granted.take > 0 RETURNING {level}.item_id
            ),
            noted AS (INSERT INTO {outbox} (item_id, changed_at) SELECT item_id, %s FROM added)
            SELECT item_id, take FROM granted""",  # noqa: S608 - our tables
            [items, wants, location.pk, items, timezone.now()],
        )
        return dict(cursor.fetchall())


def _add_allocated(by_level: dict[int, int]) -> None:
    """allocated += n for every level in one batch (a page of orders touches hundreds of items).

    PostgreSQL: one statement joining the levels to two arrays; elsewhere one parameterised statement
    run for all levels. Both beat compiling a CASE expression over hundreds of levels.
    """
    if not by_level:
        return
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    ids, takes = zip(*sorted(by_level.items()), strict=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET allocated = {table}.allocated + batch.take "  # noqa: S608 - our table
                f"FROM unnest(%s::bigint[], %s::integer[]) AS batch(id, take) WHERE {table}.id = batch.id",
                [list(ids), list(takes)],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET allocated = allocated + %s WHERE id = %s",  # noqa: S608 - our table
                list(zip(takes, ids, strict=True)),
            )


def release(*, location: Location, quantities: dict[int, int]) -> None:
    """Give back allocated units (order cancelled, deleted, or a line re-linked)."""
    quantities = _check(quantities)
    if not quantities:
        return
    levels = levels_for_update(quantities, location)
    for item_id in sorted(quantities):
        give_back = min(quantities[item_id], levels[item_id].allocated)
        if give_back:
            StockLevel.objects.filter(pk=levels[item_id].pk).update(allocated=F("allocated") - give_back)
    mark_items_changed(quantities, freed=quantities)


def consume(
    *, location: Location, dispatched: dict[int, tuple[int, int]], reference: str, user=None
) -> dict[int, int]:
    """Units leave the building: ``dispatched[item] = (quantity, of which allocated)``.

    The allocated part is consumed; the rest comes from unallocated stock only, so units held for
    other orders are never taken (an order shipped before Stockroom knew the stock may find less:
    on_hand never goes below zero). Writes the ledger. Returns the units taken per item.
    """
    if not dispatched:
        return {}
    levels = levels_for_update(dispatched, location)
    taken: dict[int, int] = {}
    freed: list[int] = []  # more allocated units let go than taken (an order held more than it shipped)
    movements = []
    for item_id in sorted(dispatched):
        quantity, allocated_part = dispatched[item_id]
        level = levels[item_id]
        release_total = min(allocated_part, level.allocated)
        from_allocation = min(release_total, quantity)
        from_free = min(quantity - from_allocation, max(level.on_hand - level.allocated, 0))
        take = from_allocation + from_free
        new_on_hand = level.on_hand - take
        StockLevel.objects.filter(pk=level.pk).update(
            on_hand=F("on_hand") - take, allocated=F("allocated") - release_total
        )
        taken[item_id] = take
        if release_total > take:
            freed.append(item_id)
        if take:
            movements.append(
                StockMovement(
                    item_id=item_id,
                    location=location,
                    quantity=-take,
                    on_hand_after=new_on_hand,
                    reason=MovementReason.DISPATCH,
                    reference=reference[:200],
                    user=user,
                )
            )
    StockMovement.objects.bulk_create(movements)
    mark_items_changed(dispatched, freed=freed)
    return taken
