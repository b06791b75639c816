"""The eBay connector against the eBay simulator (a real local server) and its pure mapping on samples we
wrote (tests/samples/ebay/): order states, the Check API's causes, exactly-once fulfillments although
eBay's call is not idempotent, stock in groups of 25 and the daily revisions of a listing."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from stockroom.channels.contracts import (
    ChannelOrderStatus,
    ListingRefs,
    ShipmentConfirmation,
    ShipmentLine,
    StockUpdate,
    WriteStatus,
)
from stockroom.channels.models import ChannelAccount
from stockroom.connectors.ebay import mapping
from stockroom.connectors.ebay.connector import EbayConnector
from stockroom.sync import registry
from tests.reference import sample

pytestmark = pytest.mark.django_db


def fulfilled_order() -> dict:
    return json.loads(sample("order.fulfilled.json", "ebay").read_text(encoding="utf-8"))


# --- mapping -----------------------------------------------------------------------------------------------
def test_a_fulfilled_order_is_imported_as_shipped_with_decimal_money_and_utc_times():
    order = mapping.channel_order(fulfilled_order())
    assert order.status is ChannelOrderStatus.SHIPPED
    assert (order.subtotal, order.shipping_total, order.total) == (
        Decimal("29.97"),
        Decimal("2.99"),
        Decimal("32.96"),
    )
    assert order.lines[0].unit_price == Decimal("9.99") and order.lines[0].quantity_shipped == 3
    assert order.last_updated_at == datetime(2026, 12, 1, 8, 0, 0, 250000, tzinfo=UTC)
    assert (order.address.name, order.address.postcode, order.marketplace) == (
        "Ann Buyer",
        "LS1 1AA",
        "EBAY_GB",
    )


@pytest.mark.parametrize(
    ("fulfillment", "payment", "cancel", "status"),
    [
        ("NOT_STARTED", "PAID", "NONE_REQUESTED", ChannelOrderStatus.UNSHIPPED),
        ("NOT_STARTED", "PENDING", "NONE_REQUESTED", ChannelOrderStatus.PENDING),
        ("IN_PROGRESS", "PAID", "NONE_REQUESTED", ChannelOrderStatus.PARTIALLY_SHIPPED),
        ("NOT_STARTED", "FULLY_REFUNDED", "CANCELED", ChannelOrderStatus.CANCELLED),
        ("SOMETHING_NEW", "PAID", "NONE_REQUESTED", ChannelOrderStatus.UNKNOWN),
    ],
)
def test_order_states(fulfillment, payment, cancel, status):
    document = copy.deepcopy(fulfilled_order())
    document.update(orderFulfillmentStatus=fulfillment, orderPaymentStatus=payment)
    document["cancelStatus"]["cancelState"] = cancel
    assert mapping.channel_order(document).status is status


def test_an_order_eBay_sent_wrong_is_refused_with_the_reason():
    document = fulfilled_order()
    document["pricingSummary"]["total"]["value"] = "lots"
    with pytest.raises(mapping.Unreadable, match="total is not an amount"):
        mapping.channel_order(document)


def test_a_package_becomes_one_fulfillment_request_with_a_tracking_number_eBay_takes():
    shipment = ShipmentConfirmation(
        external_order_id="21-00001-00002",
        marketplace="EBAY_GB",
        package_reference="7",
        carrier_code="Royal Mail",
        carrier_name="",
        ship_method="Tracked 48",
        tracking_number="JD-0002 43",
        shipped_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        lines=(ShipmentLine("10000000101", 2),),
    )
    assert mapping.fulfillment_request(shipment) == {
        "lineItems": [{"lineItemId": "10000000101", "quantity": 2}],
        "shippedDate": "2026-12-01T09:30:00.000Z",
        "shippingCarrierCode": "Royal Mail",
        "trackingNumber": "JD000243",
    }


# --- against the simulator ---------------------------------------------------------------------------------
@pytest.fixture
def seller(ebay_sim):
    return ebay_sim.create_seller("conn_seller")


@pytest.fixture
def account(seller, ebay_simulator):
    return ChannelAccount.objects.create(
        channel="ebay",
        name="My eBay",
        external_account_id=seller["user_id"],
        marketplaces=["EBAY_GB"],
        options={"inventory_update": True, "order_page_size": 2, "revision_reserve": 20},
        credentials={k: seller[k] for k in ("client_id", "client_secret", "ru_name", "refresh_token")},
        endpoint=ebay_simulator.base_url,
    )


def connector(account) -> EbayConnector:
    return registry.connector_for(account)


def shipment_of(order: dict, tracking: str = "AB123456GB") -> ShipmentConfirmation:
    return ShipmentConfirmation(
        external_order_id=order["order_id"],
        marketplace="EBAY_GB",
        package_reference="1",
        carrier_code="Royal Mail",
        carrier_name="",
        ship_method="",
        tracking_number=tracking,
        shipped_at=datetime.now(UTC),
        lines=tuple(ShipmentLine(line["line_item_id"], line["quantity"]) for line in order["lines"]),
    )


def test_check_says_how_many_orders_wait(ebay_sim, account):
    ebay_sim.create_listing("conn_seller", "MUG", quantity=5)
    ebay_sim.place_order("conn_seller", [("MUG", 1)])
    ebay_sim.place_order("conn_seller", [("MUG", 1)], payment="UNPAID")  # not an order on eBay until paid
    with connector(account) as ebay:
        result = ebay.check(orders_since=None)
    assert result.ok and result.orders_waiting == 1
    assert (
        result.message == "Connected to eBay seller conn_seller on EBAY_GB: 1 order(s) wait to be downloaded."
    )


def test_check_names_the_cause(ebay_sim, account, seller):
    account.credentials = {**account.credentials, "client_secret": "wrong"}
    with connector(account) as ebay:
        assert "client id or client secret (invalid_client)" in ebay.check(orders_since=None).message
    account.credentials = {**account.credentials, "client_secret": seller["client_secret"]}
    ebay_sim.expire_tokens("conn_seller", refresh_tokens=True)
    with connector(account) as ebay:
        result = ebay.check(orders_since=None)
    assert (
        not result.ok
        and "(invalid_grant)" in result.message
        and "connect the account to eBay again" in result.message
    )
    reader = ebay_sim.create_seller(
        "conn_reader", scopes=["https://api.ebay.com/oauth/api_scope/sell.fulfillment"]
    )
    account.credentials = {k: reader[k] for k in ("client_id", "client_secret", "ru_name", "refresh_token")}
    with connector(account) as ebay:
        result = ebay.check(orders_since=None)
    assert not result.ok and "(invalid_scope)" in result.message and "sell.inventory" in result.message
    account.credentials = {**account.credentials, "refresh_token": ""}
    with connector(account) as ebay:
        assert "not connected to eBay yet" in ebay.check(orders_since=None).message


def test_a_fulfillment_whose_answer_was_lost_is_found_and_not_sent_again(ebay_sim, account):
    ebay_sim.create_listing("conn_seller", "MUG", quantity=5)
    order = ebay_sim.place_order("conn_seller", [("MUG", 2)])
    ebay_sim.set_fault("createShippingFulfillment", "lost_answer", count=1)
    with connector(account) as ebay:
        (lost,) = ebay.confirm_shipments([shipment_of(order)])
        (again,) = ebay.confirm_shipments([shipment_of(order)])
    assert (lost.status, lost.retryable) == (WriteStatus.ERROR, True)
    assert (again.status, again.message, again.submission_ref) == (
        WriteStatus.CONFIRMED,
        "already on eBay",
        "AB123456GB",
    )
    assert len(ebay_sim.order("conn_seller", order["order_id"])["fulfillments"]) == 1


def test_a_refused_fulfillment_carries_eBays_message(ebay_sim, account):
    ebay_sim.create_listing("conn_seller", "MUG", quantity=5)
    order = ebay_sim.place_order("conn_seller", [("MUG", 1)], payment="PENDING")
    with connector(account) as ebay:
        (refused,) = ebay.confirm_shipments([shipment_of(order)])
    assert refused.status == WriteStatus.ERROR and not refused.retryable
    assert "errorId 32600" in refused.message


def test_stock_goes_in_groups_of_25_with_a_status_per_entry(ebay_sim, account):
    for n in range(30):
        ebay_sim.create_listing("conn_seller", f"SKU-{n:02d}", quantity=1)
    updates = [StockUpdate(f"SKU-{n:02d}", 5) for n in range(30)] + [StockUpdate("GONE", 1)]
    with connector(account) as ebay:
        outcomes = ebay.push_stock(updates)
    assert [o.status for o in outcomes] == [WriteStatus.CONFIRMED] * 30 + [WriteStatus.ERROR]
    assert "errorId 25702): eBay cannot update this listing through its Inventory API" in outcomes[-1].message
    assert ebay_sim.stats()["conn_seller"]["bulkUpdatePriceQuantity"]["calls"] == 2
    assert {ebay_sim.listing("conn_seller", f"SKU-{n:02d}")["quantity"] for n in range(30)} == {5}


def test_few_revisions_left_send_only_a_drop_to_zero(ebay_sim, account, monkeypatch):
    listing = ebay_sim.create_listing("conn_seller", "MUG", quantity=9)
    refs = ListingRefs(offer_ref=listing["offer_id"], inventory_item_ref="MUG")
    with connector(account) as ebay:
        monkeypatch.setattr(ebay, "revisions_used", lambda update: 215)  # 35 left, reserve 20
        (warned,) = ebay.push_stock([StockUpdate("MUG", 9, refs=refs)])
        monkeypatch.setattr(ebay, "revisions_used", lambda update: 235)  # 15 left
        (held,) = ebay.push_stock([StockUpdate("MUG", 8, refs=refs)])
        (drop,) = ebay.push_stock([StockUpdate("MUG", 0, refs=refs)])
    assert (held.status, held.retryable) == (
        WriteStatus.ERROR,
        True,
    ) and "15 of eBay's 250 revisions" in held.message
    assert (warned.status, warned.message) == (
        WriteStatus.CONFIRMED,
        "35 of eBay's 250 revisions of this listing left today; with 40 or fewer left only drops are sent, "
        "with 20 or fewer only a drop to 0",
    )
    assert (warned.writes_left, held.writes_left) == (35, 15)
    assert drop.status == WriteStatus.CONFIRMED
    assert ebay_sim.listing("conn_seller", "MUG")["quantity"] == 0


def test_the_listing_import_reads_items_and_their_offers(ebay_sim, account):
    first = ebay_sim.create_listing("conn_seller", "MUG", quantity=4, title="Red mug")
    ebay_sim.create_listing("conn_seller", "CUP", quantity=0)
    with connector(account) as ebay:
        listings = {listing.channel_sku: listing for listing in ebay.list_listings()}
    assert sorted(listings) == ["CUP", "MUG"]
    mug = listings["MUG"]
    assert (mug.title, mug.quantity, mug.external_ref) == ("Red mug", 4, first["listing_id"])
    assert mug.refs == ListingRefs(offer_ref=first["offer_id"], inventory_item_ref="MUG")


def test_a_listing_not_created_with_the_inventory_api_is_shown_with_the_reason(
    ebay_sim, account, make_item, link, settings
):
    from stockroom.sync import engine

    settings.STOCKROOM_SYNC_HOOKS_ENABLED = False
    ebay_sim.create_listing("conn_seller", "OLD-LAMP", quantity=3, via="site")  # listed on eBay's site
    ebay_sim.create_listing("conn_seller", "MUG", quantity=3)
    with connector(account) as ebay:
        assert [listing.channel_sku for listing in ebay.list_listings()] == ["MUG"]  # not an inventory item
    lamp = link(account, "OLD-LAMP", make_item("LAMP", on_hand=5))
    mug = link(account, "MUG", make_item("MUG", on_hand=5))

    engine.sync_account(account, trigger="manual", steps=("stock",), all_listings=True)

    lamp.refresh_from_db()
    mug.refresh_from_db()
    assert (mug.status, ebay_sim.listing("conn_seller", "MUG")["quantity"]) == ("confirmed", 5)
    assert lamp.status == "error"
    assert (
        "eBay cannot update this listing through its Inventory API (it was not created with it)"
        in lamp.last_error
    )
    assert ebay_sim.listing("conn_seller", "OLD-LAMP")["quantity"] == 3


def test_check_warns_30_days_before_the_consent_ends(ebay_sim, account):
    from datetime import timedelta

    ends = datetime.now(UTC) + timedelta(days=10)
    account.credentials = {
        **account.credentials,
        "refresh_token_expires_at": ends.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    with connector(account) as ebay:
        result = ebay.check(orders_since=None)
    assert result.ok and result.warnings == (
        f"eBay's consent for this account ends on {ends:%d %b %Y} (UTC): connect the account to eBay again "
        "before then, or orders and stock stop",
    )
    account.credentials = {**account.credentials, "refresh_token_expires_at": "2099-01-01T00:00:00Z"}
    with connector(account) as ebay:
        assert ebay.check(orders_since=None).warnings == ()


def test_an_order_placed_while_the_pages_are_read_is_neither_skipped_nor_lost(ebay_sim, account):
    ebay_sim.create_listing("conn_seller", "MUG", quantity=100)
    placed = [ebay_sim.place_order("conn_seller", [("MUG", 1)])["order_id"] for _ in range(5)]
    with connector(account) as ebay:  # two orders a page (the account's order_page_size)
        pages = ebay.fetch_orders(cursor=None, since=None)
        first = next(pages)
        during = ebay_sim.place_order("conn_seller", [("MUG", 1)])["order_id"]  # comes in at the top
        rest = list(pages)
        given = [o.external_order_id for page in (first, *rest) for o in page.orders]
        cursor = rest[-1].next_cursor
        again = [
            o.external_order_id for page in ebay.fetch_orders(cursor=cursor, since=None) for o in page.orders
        ]
    assert sorted(given) == sorted(placed) and len(given) == len(set(given))  # each once, none skipped
    assert first.next_cursor is not None and first.done is False
    assert during in again  # the next run reads it
