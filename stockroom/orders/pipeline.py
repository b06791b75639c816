"""The order status pipeline, as data. ``orders.services`` is the only place that applies it."""

from django.db import models


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # on the channel, not yet paid/confirmed: stock reserved, not dispatchable
    OPEN = "open", "Open"
    # some units have left in a package, the rest wait: still dispatchable, the rest still holds stock
    PARTIALLY_DISPATCHED = "partially_dispatched", "Partially dispatched"
    PROCESSED = "processed", "Processed"  # dispatched
    CANCELLED = "cancelled", "Cancelled"


# from-status -> the statuses it may move to
ORDER_STATUS_PIPELINE: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.OPEN, OrderStatus.CANCELLED, OrderStatus.PROCESSED}),
    OrderStatus.OPEN: frozenset(
        {OrderStatus.PARTIALLY_DISPATCHED, OrderStatus.PROCESSED, OrderStatus.CANCELLED}
    ),
    # cancelling the rest of a partially dispatched order releases what it still holds
    OrderStatus.PARTIALLY_DISPATCHED: frozenset({OrderStatus.PROCESSED, OrderStatus.CANCELLED}),
    OrderStatus.PROCESSED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

# Which statuses still hold (allocate) stock.
HOLDS_STOCK = frozenset({OrderStatus.PENDING, OrderStatus.OPEN, OrderStatus.PARTIALLY_DISPATCHED})

# Which statuses may dispatch (a package, or everything remaining).
DISPATCHABLE = frozenset({OrderStatus.OPEN, OrderStatus.PARTIALLY_DISPATCHED})


class AllocationState(models.TextChoices):
    NOT_NEEDED = "not_needed", "Not needed"  # processed, cancelled, fulfilled by the channel
    FULL = "full", "Allocated"
    PARTIAL = "partial", "Partially allocated"
    NONE = "none", "Not allocated"
