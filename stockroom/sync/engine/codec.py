"""The raw-order codec: a ``ChannelOrder`` as text kept on its sync issue, and back."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

from django.utils.dateparse import parse_datetime

from stockroom.channels.contracts import (
    Address,
    ChannelOrder,
    ChannelOrderLine,
    ChannelOrderStatus,
)


def order_to_raw(order: ChannelOrder) -> str:
    return json.dumps({"format": "channel_order", "order": dataclasses.asdict(order)}, default=str, indent=1)


def order_from_raw(raw: str) -> ChannelOrder:
    """Rebuild a ChannelOrder from ``order_to_raw`` text (raises ValueError if it is something else)."""
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("format") != "channel_order":
        raise ValueError("the raw data is the channel's own document, not an order the connector read")
    order = dict(data["order"])

    def when(value):
        return parse_datetime(value) if value else None

    order["status"] = ChannelOrderStatus(order["status"])
    for name in ("purchased_at", "last_updated_at", "dispatch_by"):
        order[name] = when(order.get(name))
    for name in ("subtotal", "shipping_total", "tax_total", "total"):
        order[name] = Decimal(order[name])
    order["address"] = Address(**order["address"])
    order["lines"] = tuple(
        ChannelOrderLine(**{**line, "unit_price": Decimal(line["unit_price"])}) for line in order["lines"]
    )
    return ChannelOrder(**order)
