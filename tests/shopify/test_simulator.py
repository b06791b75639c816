"""The Shopify simulator as a client sees it: a real local server (the simulators' pytest plugin), its Admin
GraphQL endpoint executing documents against its own schema, auth, the cost bucket, version overlays,
orders, fulfilments and webhooks' shape."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest

from stockroom.connectors.shopify import operations as ops
from stockroom.sandbox.pytest_plugin import SimulatorOptions
from stockroom.sandbox.shopify import webhooks


@pytest.fixture
def simulator_options():
    return SimulatorOptions(frozen=True)


@pytest.fixture
def shop(shopify_sim):
    return shopify_sim.create_shop("mugs")


@pytest.fixture
def gql(shopify_simulator, shop):
    def call(query, variables=None, *, version="2026-04", token=None, status=200):
        response = httpx.post(
            f"{shopify_simulator.shop_endpoint(shop['shop'])}/admin/api/{version}/graphql.json",
            json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": token or shop["access_token"]},
        )
        assert response.status_code == status, response.text
        return response.json()

    return call


def location(shop) -> str:
    return f"gid://shopify/Location/{shop['location_id']}"


def item_of(shopify_sim, shop, sku) -> str:
    return f"gid://shopify/InventoryItem/{shopify_sim.variant(shop['shop'], sku)['inventory_item_id']}"


def set_input(shopify_sim, shop, sku, quantity, **extra):
    return {
        "name": "available",
        "reason": "correction",
        "quantities": [
            {
                "inventoryItemId": item_of(shopify_sim, shop, sku),
                "locationId": location(shop),
                "quantity": quantity,
                **extra,
            }
        ],
    }


# --- auth ----------------------------------------------------------------------------------------------


def test_a_wrong_token_is_401_and_an_unknown_shop_is_404(shopify_simulator, shop, gql):
    assert gql("{ shop { name } }", token="shpat_wrong", status=401) == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }
    unknown = httpx.post(
        f"{shopify_simulator.base_url}/shops/nope.myshopify.com/admin/api/2026-04/graphql.json",
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": shop["access_token"]},
    )
    assert unknown.status_code == 404


def test_the_client_credentials_grant_gives_a_token_of_about_a_day_that_works(shopify_simulator, shop, gql):
    answer = httpx.post(
        f"{shopify_simulator.shop_endpoint(shop['shop'])}/admin/oauth/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": shop["client_id"],
            "client_secret": shop["client_secret"],
        },
    )
    refused = httpx.post(
        f"{shopify_simulator.shop_endpoint(shop['shop'])}/admin/oauth/access_token",
        data={"grant_type": "client_credentials", "client_id": shop["client_id"], "client_secret": "wrong"},
    )

    token = answer.json()
    assert token["expires_in"] == 86399 and token["access_token"].startswith("shpat_")
    assert "write_inventory" in token["scope"].split(",")
    assert gql("{ shop { myshopifyDomain } }", token=token["access_token"])["data"] == {
        "shop": {"myshopifyDomain": "mugs.myshopify.com"}
    }
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"


def test_a_missing_scope_is_access_denied_naming_it(shopify_sim, shop, gql):
    shopify_sim.set_scopes(shop["shop"], ["read_products"])

    answer = gql("{ orders(first: 1) { nodes { id } } }")

    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "`read_orders` access scope" in answer["errors"][0]["message"]


# --- the schema, cost and throttling ------------------------------------------------------------------


def test_an_unknown_field_fails_validation_as_in_production(gql):
    answer = gql("{ shop { name notAField } }")

    assert answer["errors"][0]["message"] == "Cannot query field 'notAField' on type 'Shop'."
    assert "data" not in answer


def test_every_answer_carries_its_cost_and_the_bucket_refills_at_100_a_second(shopify_sim, gql):
    first = gql("{ shop { name } }")["extensions"]["cost"]
    second = gql("{ shop { name } }")["extensions"]["cost"]
    shopify_sim.advance_clock(10)
    third = gql("{ shop { name } }")["extensions"]["cost"]

    assert first == {
        "requestedQueryCost": 1,
        "actualQueryCost": 1,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1999, "restoreRate": 100.0},
    }
    assert second["throttleStatus"]["currentlyAvailable"] == 1998
    assert third["throttleStatus"]["currentlyAvailable"] == 1999  # full again after 10 s, less this one


def test_a_document_above_1000_points_is_max_cost_exceeded_and_one_above_the_bucket_throttled(
    shopify_sim, gql
):
    costly = gql("{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }")
    shopify_sim.configure(bucket_size=500)
    big = "{ orders(first: 240) { nodes { id shippingAddress { name } } } }"  # 2 + 240 x 2 = 482 points
    bigger = "{ orders(first: 240) { nodes { id shippingAddress { name } subtotalPriceSet { shopMoney { amount } } } } }"

    fits = gql(big)
    throttled = gql(bigger)

    assert costly["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert costly["extensions"]["cost"]["requestedQueryCost"] > 1000
    assert "errors" not in fits and fits["extensions"]["cost"]["requestedQueryCost"] == 482
    assert fits["extensions"]["cost"]["actualQueryCost"] == 2  # no orders: the rest is given back
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert throttled["extensions"]["cost"]["requestedQueryCost"] == 962
    assert throttled["extensions"]["cost"]["actualQueryCost"] is None


# --- version overlays ------------------------------------------------------------------------------------


def test_2026_04_requires_change_from_quantity_and_answers_stale_as_change_from_quantity_stale(
    shopify_sim, shop, gql
):
    shopify_sim.create_variant(shop["shop"], "MUG", quantity=5)
    document = "mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code field message } } }"

    missing = gql(document, {"input": set_input(shopify_sim, shop, "MUG", 9)})
    stale = gql(document, {"input": set_input(shopify_sim, shop, "MUG", 9, changeFromQuantity=4)})
    fresh = gql(document, {"input": set_input(shopify_sim, shop, "MUG", 9, changeFromQuantity=5)})

    assert "changeFromQuantity" in missing["errors"][0]["message"]
    assert stale["data"]["inventorySetQuantities"]["userErrors"] == [
        {
            "code": "CHANGE_FROM_QUANTITY_STALE",
            "field": ["input", "quantities", "0", "changeFromQuantity"],
            "message": "The changeFromQuantity no longer matches the persisted quantity.",
        }
    ]
    assert fresh["data"]["inventorySetQuantities"]["userErrors"] == []
    assert shopify_sim.variant(shop["shop"], "MUG")["levels"][shop["location_id"]] == {
        "available": 9,
        "committed": 0,
        "on_hand": 9,
    }


def test_2025_01_knows_compare_quantity_but_not_change_from_quantity(shopify_sim, shop, gql):
    shopify_sim.create_variant(shop["shop"], "MUG", quantity=5)
    document = "mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }"

    old_style = gql(
        document, {"input": set_input(shopify_sim, shop, "MUG", 9, compareQuantity=4)}, version="2025-01"
    )
    new_style = gql(
        document, {"input": set_input(shopify_sim, shop, "MUG", 9, changeFromQuantity=5)}, version="2025-01"
    )

    assert old_style["data"]["inventorySetQuantities"]["userErrors"] == [{"code": "COMPARE_QUANTITY_STALE"}]
    assert "changeFromQuantity" in new_style["errors"][0]["message"]


def test_inventory_adjust_needs_idempotent_in_2026_04_and_the_same_key_applies_once(shopify_sim, shop, gql):
    shopify_sim.create_variant(shop["shop"], "MUG", quantity=5)
    change = {"delta": -2, "inventoryItemId": item_of(shopify_sim, shop, "MUG"), "locationId": location(shop)}
    body = "inventoryAdjustQuantities(input: $input) {} { inventoryAdjustmentGroup { id changes { delta quantityAfterChange } } userErrors { code } }"
    without = "mutation($input: InventoryAdjustQuantitiesInput!) { " + body.replace("{}", "") + " }"
    keyed = (
        "mutation($input: InventoryAdjustQuantitiesInput!) { "
        + body.replace("{}", '@idempotent(key: "adjust-1")')
        + " }"
    )
    variables = {"input": {"name": "available", "reason": "correction", "changes": [change]}}

    refused = gql(without, variables)
    first = gql(keyed, variables)
    again = gql(keyed, variables)

    assert refused["errors"][0]["message"] == "The @idempotent directive is required for this mutation."
    assert first["data"] == again["data"]
    assert first["data"]["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]["changes"] == [
        {"delta": -2, "quantityAfterChange": 3}
    ]
    assert shopify_sim.variant(shop["shop"], "MUG")["available"] == 3  # applied once


# --- orders and fulfilments -----------------------------------------------------------------------------


def test_an_order_commits_units_a_fulfilment_takes_them_from_on_hand_and_too_many_is_a_user_error(
    shopify_sim, shop, gql
):
    shopify_sim.create_variant(shop["shop"], "MUG", quantity=5)
    placed = shopify_sim.place_order(shop["shop"], [("MUG", 3)])
    committed = shopify_sim.variant(shop["shop"], "MUG")["levels"][shop["location_id"]]
    order = gql(ops.FULFILLMENT_ORDERS, {"id": f"gid://shopify/Order/{placed['id']}"})["data"]["order"]
    fo = order["fulfillmentOrders"]["nodes"][0]
    line = fo["lineItems"]["nodes"][0]

    def fulfil(quantity):
        return gql(
            ops.FULFILLMENT_CREATE,
            {
                "fulfillment": {
                    "trackingInfo": {"number": "T1", "company": "Royal Mail"},
                    "lineItemsByFulfillmentOrder": [
                        {
                            "fulfillmentOrderId": fo["id"],
                            "fulfillmentOrderLineItems": [{"id": line["id"], "quantity": quantity}],
                        }
                    ],
                }
            },
        )["data"]["fulfillmentCreate"]

    too_many = fulfil(4)
    two = fulfil(2)

    assert committed == {"available": 2, "committed": 3, "on_hand": 5}
    assert too_many == {
        "fulfillment": None,
        "userErrors": [
            {"field": ["fulfillment"], "message": "Invalid fulfillment order line item quantity requested."}
        ],
    }
    assert two["userErrors"] == [] and two["fulfillment"]["status"] == "SUCCESS"
    assert shopify_sim.variant(shop["shop"], "MUG")["levels"][shop["location_id"]] == {
        "available": 2,
        "committed": 1,
        "on_hand": 3,
    }
    assert shopify_sim.order(shop["shop"], placed["id"])["fulfillment_status"] == "PARTIALLY_FULFILLED"


def test_orders_page_by_cursor_sorted_by_updated_at_and_filtered_by_the_query(shopify_sim, shop, gql):
    shopify_sim.create_variant(shop["shop"], "MUG", quantity=50)
    first = shopify_sim.place_order(shop["shop"], [("MUG", 1)])
    shopify_sim.advance_clock(60)
    later = [shopify_sim.place_order(shop["shop"], [("MUG", 1)])["id"] for _ in range(3)]
    since = shopify_sim.order(shop["shop"], later[0])["updated_at"]
    document = "query($after: String, $q: String) { orders(first: 2, after: $after, sortKey: UPDATED_AT, query: $q) { pageInfo { hasNextPage endCursor } nodes { legacyResourceId } } }"

    page1 = gql(document, {"q": f"updated_at:>='{since}'"})["data"]["orders"]
    page2 = gql(document, {"q": f"updated_at:>='{since}'", "after": page1["pageInfo"]["endCursor"]})["data"][
        "orders"
    ]

    assert [n["legacyResourceId"] for n in page1["nodes"] + page2["nodes"]] == later
    assert first["id"] not in later
    assert (page1["pageInfo"]["hasNextPage"], page2["pageInfo"]["hasNextPage"]) == (True, False)
    newest = "query($after: String) { orders(first: 2, after: $after, reverse: true, sortKey: UPDATED_AT) { pageInfo { endCursor } nodes { legacyResourceId } } }"
    newest1 = gql(newest)["data"]["orders"]
    newest2 = gql(newest, {"after": newest1["pageInfo"]["endCursor"]})["data"]["orders"]
    assert [n["legacyResourceId"] for n in newest1["nodes"] + newest2["nodes"]] == [
        *reversed(later),
        first["id"],
    ]
    too_big = gql("{ orders(first: 251) { nodes { id } } }")
    assert too_big["errors"][0]["message"] == "The first argument must be between 0 and 250."


def test_a_cancellation_gives_committed_units_back_to_available(shopify_sim, shop):
    shopify_sim.create_variant(shop["shop"], "MUG", quantity=5)
    placed = shopify_sim.place_order(shop["shop"], [("MUG", 2)])

    cancelled = shopify_sim.cancel_order(shop["shop"], placed["id"])

    assert cancelled["financial_status"] == "REFUNDED" and cancelled["cancelled_at"] is not None
    assert shopify_sim.variant(shop["shop"], "MUG")["levels"][shop["location_id"]] == {
        "available": 5,
        "committed": 0,
        "on_hand": 5,
    }


def test_webhook_headers_sign_the_raw_body_with_the_app_secret_and_carry_64_bit_ids():
    from stockroom.sandbox.shopify.state import Store

    store = Store(seed=1)
    with store.lock:
        shop = store.create_shop({"shop": "mugs"})
        store.s["webhooks"]["1"] = {
            "id": "1",
            "shop": shop["shop"],
            "client_id": shop["client_id"],
            "topic": "ORDERS_CREATE",
            "callback_url": "http://127.0.0.1:9/hooks/1/",
            "api_version": "2026-04",
            "created_at": 0,
        }
        store.create_variant(shop["shop"], {"sku": "MUG", "quantity": 3})
        store.place_order(shop["shop"], {"lines": [{"sku": "MUG", "quantity": 1}]})
        delivery = store.s["deliveries"][0]
        sent = webhooks.headers(store, delivery)

    expected = base64.b64encode(
        hmac.new(shop["client_secret"].encode(), delivery["body"].encode(), hashlib.sha256).digest()
    ).decode()
    assert sent["X-Shopify-Hmac-SHA256"] == expected
    assert (sent["X-Shopify-Topic"], sent["X-Shopify-Shop-Domain"]) == ("orders/create", "mugs.myshopify.com")
    import json

    body = json.loads(delivery["body"])
    assert body["id"] > 2**32 and body["line_items"][0]["id"] > 2**32
    assert body["line_items"][0]["sku"] == "MUG"


def test_a_failed_webhook_delivery_is_retried_after_its_wait_with_the_same_webhook_id(shopify_sim, shop, gql):
    import http.server
    import threading
    import time

    received = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the standard library's name
            self.rfile.read(int(self.headers["Content-Length"]))
            received.append(self.headers["X-Shopify-Webhook-Id"])
            self.send_response(500 if len(received) == 1 else 200)
            self.end_headers()

        def log_message(self, *args):
            return None

    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks/1/"
        created = gql(ops.WEBHOOK_CREATE, {"topic": "ORDERS_CREATE", "url": url})["data"][
            "webhookSubscriptionCreate"
        ]
        shopify_sim.create_variant(shop["shop"], "MUG", quantity=5)
        shopify_sim.place_order(shop["shop"], [("MUG", 1)])

        def delivery():
            return shopify_sim.deliveries(shop["shop"])[0]

        deadline = time.monotonic() + 10
        while delivery()["attempts"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        first = delivery()
        shopify_sim.advance_clock(6)  # past the first retry's wait (5 s)
        while delivery()["status"] != "delivered" and time.monotonic() < deadline:
            time.sleep(0.05)
        done = delivery()
    finally:
        server.shutdown()

    assert created["userErrors"] == [] and created["webhookSubscription"]["topic"] == "ORDERS_CREATE"
    assert (first["status"], first["attempts"], first["responses"]) == ("queued", 1, [500])
    assert (done["status"], done["attempts"], done["responses"]) == ("delivered", 2, [500, 200])
    assert received == [done["webhook_id"], done["webhook_id"]]
