"""The stock-change outbox the channel sync drains.

Every change of an item's available quantity appends a row in the same transaction. The drainer
deletes exactly the rows it read (never a range), so a change committed while it pushes survives.
"""

from collections.abc import Iterable

from django.utils import timezone

from stockroom.core.bulk import insert_new, unsaved
from stockroom.core.hooks import after_commit
from stockroom.inventory.models import PendingStockPush


def mark_items_changed(item_ids: Iterable[int]) -> None:
    ids = sorted(set(item_ids))
    if not ids:
        return
    now = timezone.now()
    insert_new([unsaved(PendingStockPush, item_id=i, changed_at=now) for i in ids], keys=False)
    after_commit("stock_changed", item_ids=ids)
