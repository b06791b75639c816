"""Every request Stockroom's eBay connector sends, and every answer it reads, validates against eBay's
OpenAPI documents (conformance: skipped without the official contracts, failing under CI=true)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockroom.channels.contracts import (
    ListingRefs,
    ShipmentConfirmation,
    ShipmentLine,
    StockUpdate,
    WriteStatus,
)
from stockroom.channels.models import ChannelAccount
from stockroom.sync import registry
from tests.sandbox.ebay_conformance import check_response

pytestmark = [pytest.mark.django_db, pytest.mark.conformance]


def test_every_call_of_the_connector_conforms(ebay_simulator, ebay_sim):
    seller = ebay_sim.create_seller("oas_seller")
    account = ChannelAccount.objects.create(
        channel="ebay",
        name="OAS eBay",
        external_account_id="oas_seller",
        marketplaces=["EBAY_GB"],
        options={"order_page_size": 2},
        credentials={k: seller[k] for k in ("client_id", "client_secret", "ru_name", "refresh_token")},
        endpoint=ebay_simulator.base_url,
    )
    mug = ebay_sim.create_listing("oas_seller", "MUG", quantity=5)
    ebay_sim.create_listing("oas_seller", "CUP", quantity=5)
    orders = [ebay_sim.place_order("oas_seller", [("MUG", 1), ("CUP", 1)]) for _ in range(3)]
    checked: list[str] = []

    def check(response) -> None:
        if response.request.url.path.startswith("/sell/"):
            response.read()
            checked.append(check_response(response))

    with registry.connector_for(account) as ebay:
        ebay.client.http.event_hooks["response"] = [check]
        assert ebay.check(orders_since=None).ok
        pages = list(ebay.fetch_orders(cursor=None, since=None))
        assert sum(len(page.orders) for page in pages) == 3
        shipment = ShipmentConfirmation(
            external_order_id=orders[0]["order_id"],
            marketplace="EBAY_GB",
            package_reference="1",
            carrier_code="Royal Mail",
            carrier_name="",
            ship_method="",
            tracking_number="AB-1234 5GB",
            shipped_at=datetime.now(UTC),
            lines=(ShipmentLine(orders[0]["lines"][0]["line_item_id"], 1),),
        )
        assert [o.status for o in ebay.confirm_shipments([shipment])] == [WriteStatus.CONFIRMED]
        assert [o.status for o in ebay.confirm_shipments([shipment])] == [WriteStatus.CONFIRMED]  # read back
        refs = ListingRefs(offer_ref=mug["offer_id"], inventory_item_ref="MUG")
        outcomes = ebay.push_stock([StockUpdate("MUG", 3, refs=refs), StockUpdate("GONE", 1)])
        assert [o.status for o in outcomes] == [WriteStatus.CONFIRMED, WriteStatus.ERROR]
        assert sorted(listing.channel_sku for listing in ebay.list_listings()) == ["CUP", "MUG"]
    assert set(checked) == {
        "getOrders",
        "getInventoryItems",
        "getShippingFulfillments",
        "createShippingFulfillment",
        "bulkUpdatePriceQuantity",
        "getOffers",
    }
