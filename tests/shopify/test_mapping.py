"""The connector's pure mapping from Shopify's GraphQL order to Stockroom's contract, on a sample we wrote
(tests/samples/shopify/)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from stockroom.channels.contracts import ChannelOrderStatus
from stockroom.channels.spec import InvalidOption
from stockroom.connectors.shopify import mapping
from stockroom.connectors.shopify.spec import parse_location, parse_shop_address
from tests.reference import sample


@pytest.fixture
def node() -> dict:
    return json.loads(sample("order.partially-fulfilled.json", channel="shopify").read_text())


def test_an_order_keeps_its_64_bit_ids_as_text_money_as_decimal_and_times_in_utc(node):
    order = mapping.order(node)

    assert order.external_order_id == "5500000000123"
    assert order.status is ChannelOrderStatus.PARTIALLY_SHIPPED
    assert order.purchased_at == datetime(2026, 12, 5, 10, 15, 30, tzinfo=UTC)
    assert order.last_updated_at == datetime(2026, 12, 5, 11, 0, 1, tzinfo=UTC)
    assert [
        (line.external_line_id, line.channel_sku, line.quantity, line.unit_price, line.quantity_shipped)
        for line in order.lines
    ] == [
        ("9900000000001", "MUG-RED", 2, Decimal("12.50"), 2),
        ("9900000000002", "NOTE-A5", 1, Decimal("12.50"), 0),
    ]
    assert (order.subtotal, order.shipping_total, order.tax_total, order.total) == (
        Decimal("37.50"),
        Decimal("3.95"),
        Decimal("6.90"),
        Decimal("41.45"),
    )
    assert (order.address.postcode, order.address.country_code, order.buyer_email) == (
        "LS1 4AP",
        "GB",
        "ann@example.com",
    )
    assert order.channel_status == "paid / partially_fulfilled"


@pytest.mark.parametrize(
    ("financial", "fulfilment", "cancelled", "status"),
    [
        ("PENDING", "UNFULFILLED", None, ChannelOrderStatus.PENDING),  # unpaid: holds stock, not dispatchable
        ("AUTHORIZED", "UNFULFILLED", None, ChannelOrderStatus.UNSHIPPED),
        ("PAID", "UNFULFILLED", None, ChannelOrderStatus.UNSHIPPED),
        ("PAID", "FULFILLED", None, ChannelOrderStatus.SHIPPED),
        ("REFUNDED", "UNFULFILLED", "2026-12-05T12:00:00Z", ChannelOrderStatus.CANCELLED),
        ("VOIDED", "UNFULFILLED", None, ChannelOrderStatus.UNKNOWN),
    ],
)
def test_statuses(node, financial, fulfilment, cancelled, status):
    node = copy.deepcopy(node) | {
        "displayFinancialStatus": financial,
        "displayFulfillmentStatus": fulfilment,
        "cancelledAt": cancelled,
    }
    assert mapping.order(node).status is status


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lineItems": {"pageInfo": {"hasNextPage": True}, "nodes": []}}, "more than 30 lines"),
        ({"lineItems": {"pageInfo": {"hasNextPage": False}, "nodes": []}}, "the order has no lines"),
        ({"updatedAt": "yesterday"}, "updatedAt 'yesterday' is not a date-time"),
        (
            {"totalPriceSet": {"shopMoney": {"amount": "1234567890123.45"}}},
            "total 1234567890123.45 is beyond",
        ),
    ],
)
def test_an_order_stockroom_cannot_take_says_why(node, change, message):
    with pytest.raises(mapping.Unreadable, match=message):
        mapping.order(copy.deepcopy(node) | change)


def test_shop_addresses_and_locations_are_cleaned_or_refused_with_the_reason():
    assert parse_shop_address(" https://Mugs.myshopify.com/admin ") == "mugs.myshopify.com"
    assert parse_shop_address("mugs") == "mugs.myshopify.com"
    assert (
        parse_location("123") == parse_location("gid://shopify/Location/123") == "gid://shopify/Location/123"
    )
    assert parse_location("") == ""
    with pytest.raises(InvalidOption, match="is not a Shopify shop"):
        parse_shop_address("my shop!")
    with pytest.raises(InvalidOption, match="must be a Shopify location id"):
        parse_location("Warehouse")
