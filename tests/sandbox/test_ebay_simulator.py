"""The eBay simulator behaves as eBay does: OAuth grants and consent, bearer and scope checks, getOrders'
filter grammar and paging, shipping fulfillments (not idempotent), the Inventory API's bulk price and
quantity update with its limits, daily quotas and faults. A real local server (the plugin's ebay_sim)."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import httpx
import pytest

from stockroom.sandbox.ebay import tables

F = tables.FULFILLMENT_BASE
I = tables.INVENTORY_BASE  # noqa: E741


def basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def access_token(simulator, seller: dict) -> str:
    answer = httpx.post(
        simulator.token_url,
        data={"grant_type": "refresh_token", "refresh_token": seller["refresh_token"]},
        headers=basic(seller["client_id"], seller["client_secret"]),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


@pytest.fixture
def seller(ebay_sim):
    return ebay_sim.create_seller("sim_alice", accept_url="http://127.0.0.1:9/ebay/back")


@pytest.fixture
def api(ebay_simulator, ebay_sim, seller):
    token = access_token(ebay_simulator, seller)
    with httpx.Client(
        base_url=ebay_simulator.base_url, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


def day_ago(ebay_sim) -> str:
    """The simulator's clock less a day, as eBay's filters write a time."""
    now = datetime.fromisoformat(ebay_sim.clock()["now"].replace("Z", "+00:00"))
    return (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def error_ids(response: httpx.Response) -> list[int]:
    return [error["errorId"] for error in response.json()["errors"]]


# --- OAuth -------------------------------------------------------------------------------------------------
def test_a_refresh_token_grant_gives_a_two_hour_user_token(ebay_simulator, seller):
    answer = httpx.post(
        ebay_simulator.token_url,
        data={"grant_type": "refresh_token", "refresh_token": seller["refresh_token"]},
        headers=basic(seller["client_id"], seller["client_secret"]),
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["expires_in"] == 7200 and body["token_type"] == "User Access Token"
    assert set(body) == {"access_token", "expires_in", "token_type"}


def test_token_errors_are_oauth_errors(ebay_simulator, seller):
    wrong_secret = httpx.post(
        ebay_simulator.token_url,
        data={"grant_type": "refresh_token", "refresh_token": seller["refresh_token"]},
        headers=basic(seller["client_id"], "nope"),
    )
    assert (wrong_secret.status_code, wrong_secret.json()["error"]) == (401, "invalid_client")
    bad_refresh = httpx.post(
        ebay_simulator.token_url,
        data={"grant_type": "refresh_token", "refresh_token": "v^1.1#nope"},
        headers=basic(seller["client_id"], seller["client_secret"]),
    )
    assert (bad_refresh.status_code, bad_refresh.json()["error"]) == (400, "invalid_grant")
    odd = httpx.post(
        ebay_simulator.token_url,
        data={"grant_type": "password"},
        headers=basic(seller["client_id"], seller["client_secret"]),
    )
    assert (odd.status_code, odd.json()["error"]) == (400, "unsupported_grant_type")


def test_consent_redirects_with_a_code_that_is_exchanged_once(ebay_simulator, seller):
    query = {
        "client_id": seller["client_id"],
        "redirect_uri": seller["ru_name"],
        "response_type": "code",
        "scope": f"{tables.SCOPE_FULFILLMENT} {tables.SCOPE_INVENTORY}",
        "state": "s-123",
    }
    page = httpx.get(ebay_simulator.consent_url, params=query)
    assert page.status_code == 200 and 'name="username"' in page.text and "sim_alice" in page.text
    agreed = httpx.post(
        ebay_simulator.consent_url,
        data={**query, "username": "sim_alice", "password": "password", "decision": "agree"},
    )
    assert agreed.status_code == 302
    location = httpx.URL(agreed.headers["location"])
    assert location.path == "/ebay/back" and location.params["state"] == "s-123"
    code = location.params["code"]
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": seller["ru_name"]}
    headers = basic(seller["client_id"], seller["client_secret"])
    tokens = httpx.post(ebay_simulator.token_url, data=exchange, headers=headers)
    assert tokens.status_code == 200
    assert tokens.json()["expires_in"] == 7200 and tokens.json()["refresh_token_expires_in"] == 47_304_000
    again = httpx.post(ebay_simulator.token_url, data=exchange, headers=headers)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


def test_declined_consent_comes_back_with_access_denied(ebay_simulator, seller):
    query = {
        "client_id": seller["client_id"],
        "redirect_uri": seller["ru_name"],
        "response_type": "code",
        "state": "s",
    }
    declined = httpx.post(ebay_simulator.consent_url, data={**query, "decision": "decline"})
    location = httpx.URL(declined.headers["location"])
    assert location.params["error"] == "access_denied" and "code" not in location.params


def test_a_sell_call_needs_a_live_token_and_its_scope(ebay_simulator, ebay_sim, api):
    assert error_ids(
        httpx.get(ebay_simulator.base_url + F + "/order", headers={"Authorization": "Bearer x"})
    ) == [1001]
    readonly = ebay_sim.create_seller("sim_reader", scopes=[tables.SCOPE_FULFILLMENT_READONLY])
    token = access_token(ebay_simulator, readonly)
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(ebay_simulator.base_url + F + "/order", headers=headers).status_code == 200
    refused = httpx.post(
        ebay_simulator.base_url + I + "/bulk_update_price_quantity", json={"requests": []}, headers=headers
    )
    assert refused.status_code == 403 and error_ids(refused) == [1100]
    ebay_sim.advance_clock(7201)
    assert error_ids(httpx.get(ebay_simulator.base_url + F + "/order", headers=headers)) == [1001]


# --- orders ------------------------------------------------------------------------------------------------
def test_get_orders_pages_by_record_offset_with_hrefs(ebay_sim, api):
    ebay_sim.create_listing("sim_alice", "MUG", quantity=100)
    placed = []
    for _ in range(5):
        placed.append(ebay_sim.place_order("sim_alice", [("MUG", 1)])["order_id"])
        ebay_sim.advance_clock(1)
    since = day_ago(ebay_sim)
    first = api.get(F + "/order", params={"filter": f"lastmodifieddate:[{since}..]", "limit": 2})
    body = first.json()
    assert (body["total"], body["limit"], body["offset"], len(body["orders"])) == (5, 2, 0, 2)
    assert "offset=2" in body["next"] and "prev" not in body
    assert f"lastmodifieddate:%5B{since}..%5D" in body["href"]
    seen = []
    url = first.json()["href"]
    while url:
        page = api.get(url).json()
        seen += [o["orderId"] for o in page["orders"]]
        url = page.get("next")
    assert seen == list(reversed(placed))  # newest first, each once


def test_get_orders_refuses_bad_parameters_with_eBays_error_ids(ebay_sim, api):
    cases = {
        (("limit", "0"),): 31100,
        (("limit", "201"),): 31100,
        (("offset", "-1"),): 31000,
        (("filter", "price:[1..2]"),): 30700,
        (("filter", "creationdate:[2026-01-01..]"),): 30810,
        (("filter", "creationdate:[..2026-01-01T00:00:00.000Z]"),): 30820,
        (("filter", "creationdate:[2100-01-01T00:00:00.000Z..]"),): 30850,
        (("filter", "orderfulfillmentstatus:{SHIPPED}"),): 30800,
        (("orderIds", ",".join(f"1-2-{n}" for n in range(51))),): 30900,
    }
    for params, error_id in cases.items():
        answer = api.get(F + "/order", params=dict(params))
        assert (answer.status_code, error_ids(answer)) == (400, [error_id]), params


def test_an_order_appears_once_paid_and_its_last_modified_date_moves(ebay_sim, api):
    ebay_sim.create_listing("sim_alice", "MUG", quantity=10)
    order = ebay_sim.place_order("sim_alice", [("MUG", 1)], payment="UNPAID")
    assert api.get(F + "/order").json()["total"] == 0
    assert api.get(F + f"/order/{order['order_id']}").status_code == 404
    ebay_sim.advance_clock(60)
    paid = ebay_sim.pay("sim_alice", order["order_id"])
    assert paid["last_modified"] > order["last_modified"]
    listed = api.get(
        F + "/order", params={"filter": "orderfulfillmentstatus:{NOT_STARTED|IN_PROGRESS}"}
    ).json()
    assert [o["orderPaymentStatus"] for o in listed["orders"]] == ["PAID"]
    by_id = api.get(F + "/order", params={"orderIds": order["order_id"]}).json()
    assert [o["orderId"] for o in by_id["orders"]] == [order["order_id"]]


def test_without_a_filter_only_the_last_90_days_are_listed(ebay_simulator, ebay_sim, seller, api):
    ebay_sim.create_listing("sim_alice", "MUG", quantity=10)
    old = ebay_sim.place_order("sim_alice", [("MUG", 1)])["order_id"]
    ebay_sim.advance_clock(91 * 86400)
    new = ebay_sim.place_order("sim_alice", [("MUG", 1)])["order_id"]
    renew(api, ebay_simulator, seller)
    assert [o["orderId"] for o in api.get(F + "/order").json()["orders"]] == [new]
    assert api.get(F + "/order", params={"orderIds": old}).json()["total"] == 1


def test_a_buyer_cancellation_shows_as_canceled_and_refunded(ebay_sim, api):
    ebay_sim.create_listing("sim_alice", "MUG", quantity=10)
    order = ebay_sim.place_order("sim_alice", [("MUG", 1)])
    ebay_sim.cancel_order("sim_alice", order["order_id"])
    document = api.get(F + f"/order/{order['order_id']}").json()
    assert document["cancelStatus"]["cancelState"] == "CANCELED"
    assert document["orderPaymentStatus"] == "FULLY_REFUNDED"


# --- shipping fulfillments -------------------------------------------------------------------------------
def test_a_fulfillment_moves_the_status_and_a_repeated_call_makes_a_second_one(ebay_sim, api):
    ebay_sim.create_listing("sim_alice", "MUG", quantity=10)
    ebay_sim.create_listing("sim_alice", "CUP", quantity=10)
    order = ebay_sim.place_order("sim_alice", [("MUG", 2), ("CUP", 1)])
    mug, cup = (line["line_item_id"] for line in order["lines"])
    path = F + f"/order/{order['order_id']}/shipping_fulfillment"
    body = {
        "lineItems": [{"lineItemId": mug, "quantity": 2}],
        "shippingCarrierCode": "Royal Mail",
        "trackingNumber": "AB1234GB",
    }
    first = api.post(path, json=body)
    assert first.status_code == 201 and first.headers["location"].endswith(path + "/AB1234GB")
    document = api.get(F + f"/order/{order['order_id']}").json()
    assert document["orderFulfillmentStatus"] == "IN_PROGRESS"
    assert [line["lineItemFulfillmentStatus"] for line in document["lineItems"]] == [
        "FULFILLED",
        "NOT_STARTED",
    ]
    assert api.post(path, json=body).status_code == 201  # not idempotent: a second fulfillment
    assert [f["shipmentTrackingNumber"] for f in api.get(path).json()["fulfillments"]] == [
        "AB1234GB",
        "AB1234GB",
    ]
    api.post(
        path, json={**body, "lineItems": [{"lineItemId": cup, "quantity": 1}], "trackingNumber": "AB99999"}
    )
    assert api.get(F + f"/order/{order['order_id']}").json()["orderFulfillmentStatus"] == "FULFILLED"


def test_fulfillment_line_item_carrier_and_tracking_errors(ebay_sim, api):
    ebay_sim.create_listing("sim_alice", "MUG", quantity=10)
    order = ebay_sim.place_order("sim_alice", [("MUG", 2)])
    line = order["lines"][0]["line_item_id"]
    path = F + f"/order/{order['order_id']}/shipping_fulfillment"
    good = {
        "lineItems": [{"lineItemId": line, "quantity": 2}],
        "shippingCarrierCode": "Royal Mail",
        "trackingNumber": "AB1234GB",
    }
    assert error_ids(api.post(path, json={**good, "lineItems": [{"lineItemId": "999", "quantity": 1}]})) == [
        32200
    ]
    assert error_ids(api.post(path, json={**good, "lineItems": good["lineItems"] * 2})) == [32210]
    assert error_ids(api.post(path, json={**good, "shippingCarrierCode": "Pigeon"})) == [32300]
    assert error_ids(api.post(path, json={**good, "trackingNumber": "AB 12"})) == [32300]
    assert ebay_sim.order("sim_alice", order["order_id"])["fulfillments"] == []


# --- inventory -----------------------------------------------------------------------------------------------
def test_inventory_items_need_content_language_and_page_by_page_number(api):
    item = {
        "availability": {"shipToLocationAvailability": {"quantity": 3}},
        "product": {"title": "Mug"},
        "condition": "NEW",
    }
    refused = api.put(I + "/inventory_item/MUG-1", json=item)
    assert refused.status_code == 400 and error_ids(refused) == [25709]
    for n in range(3):
        assert (
            api.put(
                I + f"/inventory_item/MUG-{n}", json=item, headers={"Content-Language": "en-GB"}
            ).status_code
            == 204
        )
    page = api.get(I + "/inventory_item", params={"limit": 2, "offset": 1}).json()
    assert [i["sku"] for i in page["inventoryItems"]] == ["MUG-2"] and page["total"] == 3 and "prev" in page


def test_bulk_update_takes_25_entries_and_answers_207_when_one_fails(ebay_sim, api):
    listing = ebay_sim.create_listing("sim_alice", "MUG", quantity=5)
    too_many = api.post(I + "/bulk_update_price_quantity", json={"requests": [{"sku": "MUG"}] * 26})
    assert too_many.status_code == 400
    mixed = api.post(
        I + "/bulk_update_price_quantity",
        json={
            "requests": [
                {
                    "sku": "MUG",
                    "shipToLocationAvailability": {"quantity": 7},
                    "offers": [{"offerId": listing["offer_id"], "availableQuantity": 7}],
                },
                {"sku": "NOPE", "shipToLocationAvailability": {"quantity": 1}},
            ]
        },
    )
    assert mixed.status_code == 207
    assert [r["statusCode"] for r in mixed.json()["responses"]] == [200, 400]
    assert ebay_sim.listing("sim_alice", "MUG")["quantity"] == 7


def renew(api: httpx.Client, simulator, seller: dict) -> None:
    """A new access token after the clock passed the old one's two hours."""
    api.headers["Authorization"] = f"Bearer {access_token(simulator, seller)}"


def test_a_listing_takes_a_limited_number_of_revisions_a_day(ebay_simulator, ebay_sim, seller, api):
    ebay_sim.configure(revisions_per_day=2)
    ebay_sim.create_listing("sim_alice", "MUG", quantity=5)
    statuses = []
    for quantity in (4, 3, 2):
        answer = api.post(
            I + "/bulk_update_price_quantity",
            json={"requests": [{"sku": "MUG", "shipToLocationAvailability": {"quantity": quantity}}]},
        )
        statuses.append(answer.json()["responses"][0]["statusCode"])
    assert statuses == [200, 200, 400]
    assert ebay_sim.listing("sim_alice", "MUG")["quantity"] == 3
    assert ebay_sim.listing("sim_alice", "MUG")["revisions_left"] == 0
    ebay_sim.advance_clock(86_400)
    renew(api, ebay_simulator, seller)
    again = api.post(
        I + "/bulk_update_price_quantity",
        json={"requests": [{"sku": "MUG", "shipToLocationAvailability": {"quantity": 2}}]},
    )
    assert again.status_code == 200


# --- quotas and faults ---------------------------------------------------------------------------------------
def test_a_spent_daily_quota_answers_429_until_the_next_day(ebay_simulator, ebay_sim, seller, api):
    ebay_sim.configure(daily_quotas={"fulfillment": 2})
    assert [api.get(F + "/order").status_code for _ in range(3)] == [200, 200, 429]
    assert error_ids(api.get(F + "/order")) == [2001]
    assert api.get(I + "/inventory_item").status_code == 200  # another API, another quota
    assert ebay_sim.quota(seller["client_id"])["used"]["fulfillment"] == 2
    ebay_sim.advance_clock(86_400)
    renew(api, ebay_simulator, seller)
    assert api.get(F + "/order").status_code == 200


def test_injected_faults(ebay_sim, api):
    ebay_sim.set_fault("getOrders", "http_500", count=1)
    failed = api.get(F + "/order")
    assert (failed.status_code, error_ids(failed)) == (500, [30500])
    ebay_sim.set_fault("getOrders", "http_429", count=1)
    assert api.get(F + "/order").status_code == 429
    assert api.get(F + "/order").status_code == 200


def test_a_lost_answer_still_creates_the_fulfillment(ebay_sim, api):
    ebay_sim.create_listing("sim_alice", "MUG", quantity=5)
    order = ebay_sim.place_order("sim_alice", [("MUG", 1)])
    ebay_sim.set_fault("createShippingFulfillment", "lost_answer", count=1)
    answer = api.post(
        F + f"/order/{order['order_id']}/shipping_fulfillment",
        json={
            "lineItems": [{"lineItemId": order["lines"][0]["line_item_id"], "quantity": 1}],
            "shippingCarrierCode": "DPD",
            "trackingNumber": "DPD1234",
        },
    )
    assert answer.status_code == 504
    assert len(ebay_sim.order("sim_alice", order["order_id"])["fulfillments"]) == 1


# --- running it ----------------------------------------------------------------------------------------------
def test_stockroom_sandbox_ebay_names_its_options(capsys):
    from stockroom.cli import sandbox

    with pytest.raises(SystemExit):
        sandbox.main(["ebay", "--help"])
    text = capsys.readouterr().out
    assert text.startswith("usage: stockroom sandbox ebay")
    assert all(option in text for option in ("--port", "--state FILE", "--seed", "--time-scale X"))
    assert "default 8767" in text
    assert "ebay" in sandbox.usage()


def test_the_state_file_keeps_sellers_orders_and_tokens_across_a_restart(tmp_path):
    from stockroom.sandbox.ebay.process import EbaySimulatorProcess

    state = str(tmp_path / "ebay.json")
    with EbaySimulatorProcess(state_file=state) as first:
        control = first.control()
        seller = control.create_seller("kept_seller")
        control.create_listing("kept_seller", "MUG", quantity=3)
        order = control.place_order("kept_seller", [("MUG", 1)])
        control.close()
    with EbaySimulatorProcess(state_file=state) as second:
        control = second.control()
        assert control.order("kept_seller", order["order_id"])["lines"][0]["sku"] == "MUG"
        assert control.listing("kept_seller", "MUG")["quantity"] == 2
        token = access_token(second, seller)  # the refresh token still works
        with httpx.Client(base_url=second.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
            assert api.get(F + "/order").json()["total"] == 1
        control.close()
