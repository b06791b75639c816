"""Our responses carry the fields of Amazon's own sample responses (amzn/selling-partner-api-samples)."""

import json

import pytest

from .conformance import amazon_dir
from .conftest import SELLER, UK, place

pytestmark = pytest.mark.conformance  # compares with the official contracts (tests/reference.py)


def _paths(node, prefix=""):
    out = set()
    if isinstance(node, dict):
        for key, value in node.items():
            out.add(prefix + key)
            out |= _paths(value, prefix + key + ".")
    elif isinstance(node, list) and node:
        out |= _paths(node[0], prefix + "[].")
    return out


def _sample(name):
    return json.loads((amazon_dir() / "samples/amazon-samples" / f"{name}.response.json").read_text())


# fields of Amazon's samples the simulator does not produce, and why
NOT_PRODUCED = {
    "payload.OrderChannel",  # only for multi-channel (MCF) orders
    "payload.OrderItems.[].BuyerInfo",  # getOrderItemsBuyerInfo is not simulated
    "payload.DeliveryPreferences",  # no delivery preferences are simulated
    "payload.DeliveryPreferences.DropOffLocation",
    "payload.ShippingAddress.AddressLine2",  # our test address has no second line
}


def test_v0_order_fields_match_amazons_samples(api, control, listing):
    order = place(control, seller_order_id="SO-1")
    oid = order["order_id"]
    got = api.get(f"/orders/v0/orders/{oid}").json()
    assert _paths(_sample("orders-getOrder")) - NOT_PRODUCED <= _paths(got)
    items = api.get(f"/orders/v0/orders/{oid}/orderItems").json()
    assert _paths(_sample("orders-getOrderItems")) - NOT_PRODUCED <= _paths(items)
    path = f"/orders/v0/orders/{oid}/address"
    address = api.get(path, token=api.rdt(path)).json()
    assert _paths(_sample("orders-getOrderAddress")) - NOT_PRODUCED <= _paths(address)
    assert got["payload"]["DefaultShipFromLocationAddress"]["CountryCode"] == "GB"


def test_listing_and_feed_fields_match_amazons_samples(api, control, listing):
    item = api.get(
        f"/listings/2021-08-01/items/{SELLER}/SKU-1",
        params={"marketplaceIds": UK, "includedData": "summaries,attributes,fulfillmentAvailability"},
    ).json()
    sample = _sample("listings-getListingsItem")
    assert {"sku", "summaries", "attributes", "fulfillmentAvailability"} <= set(item)
    assert set(sample["summaries"][0]) - {"mainImage"} <= set(item["summaries"][0])
    doc = api.post("/feeds/2021-06-30/documents", json={"contentType": "text/xml"}).json()
    assert set(doc) == set(_sample("feeds-createFeedDocument"))
    patch = api.patch(
        f"/listings/2021-08-01/items/{SELLER}/SKU-1",
        params={"marketplaceIds": UK},
        json={
            "productType": "PRODUCT",
            "patches": [
                {
                    "op": "merge",
                    "path": "/attributes/fulfillment_availability",
                    "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 1}],
                }
            ],
        },
    ).json()
    assert set(patch) == set(_sample("pricing-patchListingsItem"))
