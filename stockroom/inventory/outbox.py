"""The stock-change outbox the channel sync drains, and the "stock_changed" announcement.

Every change of an item's available quantity appends a row in the same transaction. The drainer
deletes exactly the rows it read (never a range), so a change committed while it pushes survives.

Once the transaction commits, "stock_changed" is announced (``core.hooks``) with the items changed and,
among them, the items whose free quantity (on hand less allocated) may have grown: a receipt, an
adjustment up, a release. The order domain's subscriber offers those to orders waiting for stock
(``orders.services.offer_freed_stock``); the channel sync's pushes the new quantities.
"""

from collections.abc import Iterable

from django.utils import timezone

from stockroom.core.bulk import insert_new, unsaved
from stockroom.core.hooks import after_commit
from stockroom.inventory.models import PendingStockPush


def mark_items_changed(item_ids: Iterable[int], *, freed: Iterable[int] = ()) -> None:
    """Note a change of these items' quantities; ``freed``: those of them with more free units now."""
    ids = sorted(set(item_ids))
    if not ids:
        return
    now = timezone.now()
    insert_new([unsaved(PendingStockPush, item_id=i, changed_at=now) for i in ids], keys=False)
    announce_items_changed(ids, freed=freed)


def announce_items_changed(item_ids: Iterable[int], *, freed: Iterable[int] = ()) -> None:
    """Announce "stock_changed" once the transaction commits, for a caller that appended the outbox
    rows itself (in the statement that changed the quantities: ``allocation.allocate``)."""
    ids = sorted(set(item_ids))
    if ids:
        after_commit("stock_changed", item_ids=ids, freed_item_ids=sorted(set(freed) & set(ids)))
