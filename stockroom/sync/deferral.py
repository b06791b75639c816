"""Coalesce stock-change announcements while the engine imports a batch of orders.

Every imported order commits on its own and announces "stock_changed"; during a download of 50
orders that would be 50 pushes. Inside ``stock_pushes_deferred()`` the sync hook only notes the
items, and on leaving the block one "stock_changed" is announced for all of them. The outbox rows
themselves are written as always, so nothing is lost if the process dies inside the block: the next
push or sync drains them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from stockroom.core.hooks import after_commit

_deferred: ContextVar[set[int] | None] = ContextVar("stockroom_sync_deferred_stock_push", default=None)


def defer_stock_push(item_ids) -> bool:
    """Called by the hook: True when a deferral block is active (the items are noted)."""
    noted = _deferred.get()
    if noted is None:
        return False
    noted.update(item_ids or ())
    noted.add(0)  # "something changed", even when the announcement named no items
    return True


@contextmanager
def stock_pushes_deferred() -> Iterator[None]:
    if _deferred.get() is not None:  # nested: the outer block announces
        yield
        return
    noted: set[int] = set()
    token = _deferred.set(noted)
    try:
        yield
    finally:
        _deferred.reset(token)
        if noted:
            after_commit("stock_changed", item_ids=sorted(noted - {0}))
