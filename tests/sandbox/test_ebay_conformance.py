"""The eBay simulator's own description (sandbox/ebay/tables.py) and every request and response of a
session through each operation it serves, compared with eBay's OpenAPI documents (conformance tests:
skipped without the official contracts, failing under CI=true)."""

from __future__ import annotations

import httpx
import pytest

from stockroom.sandbox.ebay import tables

from .ebay_conformance import check_response, find_operation, oas
from .test_ebay_simulator import access_token, day_ago

pytestmark = pytest.mark.conformance


def test_every_operation_of_the_table_is_in_the_OAS_with_its_scopes():
    for name, operation in tables.OPERATIONS.items():
        path = tables.BASES[operation.api] + operation.path.replace("{", "").replace("}", "")
        api, operation_id, spec = find_operation(operation.method, path)
        assert (api, operation_id) == (operation.api, name)
        assert str(operation.success) in spec["responses"], name
        declared = {scope for entry in spec["security"] for scopes in entry.values() for scope in scopes}
        assert set(operation.scopes) <= declared, name


def test_the_error_ids_of_the_table_are_eBays():
    declared = set()
    for api in tables.BASES:
        for item in oas(api)["paths"].values():
            for spec in item.values():
                if not isinstance(spec, dict):
                    continue
                for answer in spec.get("responses", {}).values():
                    declared |= set((answer.get("x-response-codes") or {}).get("errors", {}))
    ours = {str(error_id) for error_id, (domain, _, _) in tables.ERRORS.items() if domain.startswith("API_")}
    assert ours - declared == set()


def test_every_request_and_response_of_a_session_conforms(ebay_simulator, ebay_sim):
    seller = ebay_sim.create_seller("sim_conform")
    checked: list[str] = []

    def check(response: httpx.Response) -> None:
        response.read()
        checked.append(check_response(response))

    token = access_token(ebay_simulator, seller)
    with httpx.Client(
        base_url=ebay_simulator.base_url,
        headers={"Authorization": f"Bearer {token}"},
        event_hooks={"response": [check]},
    ) as api:
        inventory, fulfillment = tables.INVENTORY_BASE, tables.FULFILLMENT_BASE
        item = {
            "availability": {"shipToLocationAvailability": {"quantity": 4}},
            "condition": "NEW",
            "product": {"title": "Red mug"},
        }
        api.put(f"{inventory}/inventory_item/MUG-RED", json=item, headers={"Content-Language": "en-GB"})
        api.put(f"{inventory}/inventory_item/MUG-BAD", json=item)  # 400: no Content-Language
        api.get(f"{inventory}/inventory_item/MUG-RED")
        api.get(f"{inventory}/inventory_item", params={"limit": 1, "offset": 0})
        offer = {
            "sku": "MUG-RED",
            "marketplaceId": "EBAY_GB",
            "format": "FIXED_PRICE",
            "availableQuantity": 4,
            "categoryId": "20625",
            "pricingSummary": {"price": {"value": "9.99", "currency": "GBP"}},
        }
        offer_id = api.post(f"{inventory}/offer", json=offer, headers={"Content-Language": "en-GB"}).json()[
            "offerId"
        ]
        api.post(f"{inventory}/offer/{offer_id}/publish")
        api.get(f"{inventory}/offer", params={"sku": "MUG-RED", "marketplace_id": "EBAY_GB"})
        api.get(f"{inventory}/offer/{offer_id}")
        bulk = {
            "requests": [
                {
                    "sku": "MUG-RED",
                    "shipToLocationAvailability": {"quantity": 6},
                    "offers": [{"offerId": offer_id, "availableQuantity": 6}],
                },
                {"sku": "NOPE", "shipToLocationAvailability": {"quantity": 1}},
            ]
        }
        assert api.post(f"{inventory}/bulk_update_price_quantity", json=bulk).status_code == 207
        order = ebay_sim.place_order("sim_conform", [("MUG-RED", 2)])
        ebay_sim.place_order("sim_conform", [("MUG-RED", 1)])
        cancelled = ebay_sim.place_order("sim_conform", [("MUG-RED", 1)])
        ebay_sim.cancel_order("sim_conform", cancelled["order_id"])
        page = api.get(f"{fulfillment}/order", params={"limit": 2}).json()
        api.get(page["next"])
        api.get(f"{fulfillment}/order", params={"filter": f"creationdate:[{day_ago(ebay_sim)}..]"})
        api.get(f"{fulfillment}/order", params={"filter": "bogus:[x..]"})
        api.get(f"{fulfillment}/order", params={"orderIds": order["order_id"]})
        api.get(f"{fulfillment}/order/{order['order_id']}")
        path = f"{fulfillment}/order/{order['order_id']}/shipping_fulfillment"
        shipment = {
            "lineItems": [{"lineItemId": order["lines"][0]["line_item_id"], "quantity": 2}],
            "shippedDate": "2026-12-01T09:00:00.000Z",
            "shippingCarrierCode": "Royal Mail",
            "trackingNumber": "AB123456789GB",
        }
        ebay_sim.set_fault("createShippingFulfillment", "http_500", count=1)
        assert api.post(path, json=shipment).status_code == 500
        assert api.post(path, json=shipment).status_code == 201
        api.post(path, json={**shipment, "lineItems": [{"lineItemId": "1", "quantity": 1}]})
        api.get(path)
        api.get(f"{path}/AB123456789GB")
        api.get(f"{fulfillment}/order", headers={"Authorization": "Bearer expired"})
    assert set(checked) == set(tables.OPERATIONS)
