"""Orders API 2026-01-01 and v0 against the simulator (every response checked against the models)."""

import pytest

from .conftest import DE, SELLER, UK, get_token, place

SEARCH = "/orders/2026-01-01/orders"


def _search(api, **params):
    return api.get(SEARCH, params=params)


def _err(resp):
    assert resp.status_code == 400, resp.text
    (error,) = resp.json()["errors"]
    assert error["code"] == "InvalidInput"
    return error["details"]


def test_search_orders_requires_exactly_one_after(api, control):
    assert "Exactly one of createdAfter and lastUpdatedAfter" in _err(api.get(SEARCH))
    details = _err(_search(api, createdAfter="2026-01-01T00:00:00Z", lastUpdatedAfter="2026-01-01T00:00:00Z"))
    assert "Exactly one" in details
    details = _err(
        _search(api, createdAfter="2026-01-01T00:00:00Z", lastUpdatedBefore="2026-01-02T00:00:00Z")
    )
    assert details == "lastUpdatedAfter and lastUpdatedBefore cannot be used with createdAfter."


def test_before_must_be_two_minutes_in_the_past(api, control):
    now = control.clock()["now"]
    details = _err(_search(api, lastUpdatedAfter="2026-01-01T00:00:00Z", lastUpdatedBefore=now))
    assert details == "lastUpdatedBefore must be at least two minutes before the time of the request."
    details = _err(_search(api, createdAfter="2026-01-02T00:00:00Z", createdBefore="2026-01-01T00:00:00Z"))
    assert details == "createdBefore must be equal to or after createdAfter."


def test_search_orders_window_and_included_data(api, control, listing):
    order = place(control, quantity=2)
    resp = _search(api, createdAfter="2020-01-01T00:00:00Z")
    assert resp.json()["orders"] == []  # created less than two minutes ago: outside the default window
    control.advance_clock(180)
    resp = _search(api, createdAfter="2020-01-01T00:00:00Z")
    body = resp.json()
    assert [o["orderId"] for o in body["orders"]] == [order["order_id"]]
    assert "createdBefore" in body and "lastUpdatedBefore" not in body
    plain = body["orders"][0]
    assert set(plain) == {
        "orderId",
        "createdTime",
        "lastUpdatedTime",
        "programs",
        "salesChannel",
        "orderItems",
    }
    assert plain["salesChannel"] == {
        "channelName": "AMAZON",
        "marketplaceId": UK,
        "marketplaceName": "Amazon.co.uk",
    }
    assert plain["orderItems"][0]["product"]["sellerSku"] == "SKU-1"
    assert plain["orderItems"][0]["product"]["price"]["unitPrice"] == {
        "amount": "12.99",
        "currencyCode": "GBP",
    }
    full = _search(
        api, createdAfter="2020-01-01T00:00:00Z", includedData="BUYER,RECIPIENT,FULFILLMENT,PROCEEDS,PACKAGES"
    ).json()["orders"][0]
    assert full["buyer"]["buyerName"] == "Test Buyer"
    assert full["recipient"]["deliveryAddress"]["postalCode"] == "EX1 1AA"
    assert full["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
    assert full["fulfillment"]["fulfilledBy"] == "MERCHANT"
    assert full["proceeds"]["grandTotal"] == {"amount": "25.98", "currencyCode": "GBP"}
    assert full["packages"] == []
    bad = _search(api, createdAfter="2020-01-01T00:00:00Z", includedData="EVERYTHING")
    assert "includedData" in _err(bad)


def test_search_orders_filters(api, control, listing):
    control.create_listing(SELLER, "SKU-DE", quantity=5, marketplaces=[DE])
    uk = place(control)
    de = place(control, sku="SKU-DE", marketplace_id=DE)
    pending = place(control, status="Pending")
    control.advance_clock(150)

    def ids(**params):
        return [
            o["orderId"] for o in _search(api, createdAfter="2020-01-01T00:00:00Z", **params).json()["orders"]
        ]

    assert set(ids()) == {uk["order_id"], de["order_id"], pending["order_id"]}
    assert ids(marketplaceIds=DE) == [de["order_id"]]
    assert ids(fulfillmentStatuses="PENDING") == [pending["order_id"]]
    assert set(ids(fulfillmentStatuses="UNSHIPPED")) == {uk["order_id"], de["order_id"]}
    assert ids(fulfilledBy="AMAZON") == []
    assert ids(fulfillmentStatuses="UNFULFILLABLE") == []
    assert "marketplace" in _err(
        _search(api, createdAfter="2020-01-01T00:00:00Z", marketplaceIds="ATVPDKIKX0DER")
    )


def test_pagination_tokens_page_and_expire(api, control, listing):
    control.set_listing_quantity(SELLER, "SKU-1", 100)
    placed = [place(control)["order_id"] for _ in range(5)]
    control.advance_clock(150)
    first = _search(api, createdAfter="2020-01-01T00:00:00Z", maxResultsPerPage="2").json()
    token = first["pagination"]["nextToken"]
    second = _search(api, paginationToken=token).json()
    third = _search(api, paginationToken=second["pagination"]["nextToken"]).json()
    assert "pagination" not in third
    got = [o["orderId"] for page in (first, second, third) for o in page["orders"]]
    assert sorted(got) == sorted(placed) and len(got) == 5
    # a token can be used again until it expires (retrying a page gives the same page)
    assert _search(api, paginationToken=token).json()["orders"] == second["orders"]
    assert _err(_search(api, paginationToken="bm9wZQ==")) == "Invalid paginationToken."
    again = _search(api, createdAfter="2020-01-01T00:00:00Z", maxResultsPerPage="2").json()["pagination"][
        "nextToken"
    ]
    control.advance_clock(601)
    assert _err(_search(api, paginationToken=again)) == "The paginationToken has expired."
    assert "maxResultsPerPage" in _err(
        _search(api, createdAfter="2020-01-01T00:00:00Z", maxResultsPerPage="101")
    )


def test_last_updated_search_sees_status_changes(api, control, listing):
    order = place(control, status="Pending", pending_seconds=300)
    control.advance_clock(150)
    before = control.clock()["now"]
    control.advance_clock(400)  # payment authorised at +300: Pending -> Unshipped
    got = _search(api, lastUpdatedAfter=before, includedData="FULFILLMENT").json()
    assert [o["orderId"] for o in got["orders"]] == [order["order_id"]]
    assert got["orders"][0]["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
    assert "lastUpdatedBefore" in got
    assert control.get_order(SELLER, order["order_id"])["status"] == "Unshipped"


def test_late_order_fault_hides_an_old_order(api, control, listing):
    control.set_fault("placeOrder", "late_order", count=1, delay_seconds=900)
    late = place(control)
    normal = place(control)
    control.advance_clock(150)
    ids = [o["orderId"] for o in _search(api, createdAfter="2020-01-01T00:00:00Z").json()["orders"]]
    assert ids == [normal["order_id"]]
    control.advance_clock(800)
    ids = [o["orderId"] for o in _search(api, createdAfter="2020-01-01T00:00:00Z").json()["orders"]]
    assert set(ids) == {late["order_id"], normal["order_id"]}
    seen = control.get_order(SELLER, late["order_id"])
    assert (
        seen["created_at"] <= control.get_order(SELLER, normal["order_id"])["created_at"] < seen["visible_at"]
    )


def test_get_order_2026(api, control, listing):
    order = place(control)
    resp = api.get(f"/orders/2026-01-01/orders/{order['order_id']}", params={"includedData": "FULFILLMENT"})
    assert resp.status_code == 200
    assert resp.json()["order"]["orderId"] == order["order_id"]
    assert resp.headers["x-amzn-RateLimit-Limit"] == "0.5"
    missing = api.get("/orders/2026-01-01/orders/202-0000000-0000000")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "NotFound"


def test_v0_orders_and_items(api, control, listing):
    order = place(control, quantity=3)
    control.advance_clock(150)
    resp = api.get("/orders/v0/orders", params={"CreatedAfter": "2020-01-01T00:00:00Z", "MarketplaceIds": UK})
    assert resp.status_code == 200
    (got,) = resp.json()["payload"]["Orders"]
    assert got["AmazonOrderId"] == order["order_id"]
    assert got["OrderStatus"] == "Unshipped"
    assert got["NumberOfItemsUnshipped"] == 3
    assert got["OrderTotal"] == {"CurrencyCode": "GBP", "Amount": "38.97"}
    assert "BuyerInfo" not in got and "AddressLine1" not in got["ShippingAddress"]
    assert got["ShippingAddress"]["PostalCode"] == "EX1 1AA"
    missing_mp = api.invalid("GET", "/orders/v0/orders", params={"CreatedAfter": "2020-01-01T00:00:00Z"})
    assert missing_mp.status_code == 400
    single = api.get(f"/orders/v0/orders/{order['order_id']}").json()["payload"]
    assert single["AmazonOrderId"] == order["order_id"]
    items = api.get(f"/orders/v0/orders/{order['order_id']}/orderItems").json()["payload"]
    assert items["AmazonOrderId"] == order["order_id"]
    (item,) = items["OrderItems"]
    assert item["OrderItemId"] == order["order_item_ids"][0]
    assert (item["SellerSKU"], item["QuantityOrdered"], item["QuantityShipped"]) == ("SKU-1", 3, 0)
    assert item["ItemPrice"] == {"CurrencyCode": "GBP", "Amount": "38.97"}


def test_v0_get_orders_with_rdt_shows_pii(api, control, listing):
    place(control)
    control.advance_clock(150)
    rdt = api.rdt("/orders/v0/orders", ["buyerInfo", "shippingAddress"])
    got = api.get(
        "/orders/v0/orders", params={"CreatedAfter": "2020-01-01T00:00:00Z", "MarketplaceIds": UK}, token=rdt
    ).json()
    (order,) = got["payload"]["Orders"]
    assert order["BuyerInfo"]["BuyerName"] == "Test Buyer"
    assert order["ShippingAddress"]["AddressLine1"] == "1 Example Street"


def _confirm(api, order, *, items=None, **package):
    detail = {
        "packageReferenceId": "1",
        "carrierCode": "Royal Mail",
        "shippingMethod": "Tracked 48",
        "trackingNumber": "XX000000000GB",
        "shipDate": "2026-11-20T15:04:05Z",
        "orderItems": items
        if items is not None
        else [{"orderItemId": order["order_item_ids"][0], "quantity": 1}],
    }
    detail.update(package)
    body = {
        "marketplaceId": package.pop("marketplaceId", UK) if "marketplaceId" in package else UK,
        "packageDetail": detail,
    }
    detail.pop("marketplaceId", None)
    return api.post(f"/orders/v0/orders/{order['order_id']}/shipmentConfirmation", json=body)


def test_confirm_shipment_partial_then_full(api, control, listing):
    order = place(control, quantity=2)
    resp = _confirm(api, order)
    assert resp.status_code == 204
    assert resp.content == b""
    seen = control.get_order(SELLER, order["order_id"])
    assert seen["status"] == "PartiallyShipped"
    (shipment,) = seen["shipments"]
    assert shipment["package_reference_id"] == "1"
    assert shipment["carrier_code"] == "Royal Mail"
    assert shipment["tracking_number"] == "XX000000000GB"
    assert shipment["shipping_method"] == "Tracked 48"
    assert shipment["ship_date"] == "2026-11-20T15:04:05Z"
    assert shipment["items"] == [{"order_item_id": order["order_item_ids"][0], "quantity": 1}]
    assert shipment["via"] == "confirmShipment"
    resp = _confirm(
        api, order, packageReferenceId="2", carrierCode="Other", carrierName="Example Local Courier"
    )
    assert resp.status_code == 204
    seen = control.get_order(SELLER, order["order_id"])
    assert seen["status"] == "Shipped"
    assert seen["shipments"][1]["carrier_name"] == "Example Local Courier"
    packages = api.get(
        f"/orders/2026-01-01/orders/{order['order_id']}", params={"includedData": "PACKAGES"}
    ).json()["order"]["packages"]
    assert [p["packageReferenceId"] for p in packages] == ["1", "2"]
    assert packages[1]["carrier"] == "Example Local Courier"


def test_confirm_shipment_sample_request_validates(api, control, listing):
    import json

    from tests.reference import sample as our_sample

    sample = json.loads(our_sample("confirmShipment.request.json").read_text())
    order = place(control)
    sample["packageDetail"]["orderItems"][0]["orderItemId"] = order["order_item_ids"][0]
    resp = api.post(f"/orders/v0/orders/{order['order_id']}/shipmentConfirmation", json=sample)
    assert resp.status_code == 204


@pytest.mark.parametrize(
    ("change", "details"),
    [
        ({"marketplaceId": DE}, "marketplaceId 'A1PA6795UKMFR9' does not match the order's marketplace."),
        ({"packageReferenceId": "0"}, "packageReferenceId must be a positive numeric value."),
        ({"packageReferenceId": "PKG-1"}, "packageReferenceId must be a positive numeric value."),
        (
            {"carrierCode": "Royal Mayl"},
            "carrierCode 'Royal Mayl' is not a valid carrier code. Use 'Other' and provide carrierName.",
        ),
        ({"carrierCode": "Other"}, "carrierName is required when carrierCode is 'Other'."),
        ({"items": [{"orderItemId": "99999999999999", "quantity": 1}]}, "was not found in order"),
        ({"items": "over"}, "exceeds the unshipped quantity 2."),
    ],
)
def test_confirm_shipment_validation(api, control, listing, change, details):
    order = place(control, quantity=2)
    change = dict(change)
    if change.get("items") == "over":
        change["items"] = [{"orderItemId": order["order_item_ids"][0], "quantity": 3}]
    if "marketplaceId" in change:
        body = {
            "marketplaceId": change["marketplaceId"],
            "packageDetail": {
                "packageReferenceId": "1",
                "carrierCode": "Royal Mail",
                "trackingNumber": "T",
                "shipDate": "2026-11-20T15:04:05Z",
                "orderItems": [{"orderItemId": order["order_item_ids"][0], "quantity": 1}],
            },
        }
        resp = api.post(f"/orders/v0/orders/{order['order_id']}/shipmentConfirmation", json=body)
    else:
        resp = _confirm(api, order, **change)
    assert resp.status_code == 400
    assert details in resp.json()["errors"][0]["details"]
    assert control.get_order(SELLER, order["order_id"])["shipments"] == []


def test_confirm_shipment_refuses_pending_cancelled_and_unknown(api, control, listing):
    pending = place(control, status="Pending")
    assert "Pending" in _confirm(api, pending).json()["errors"][0]["details"]
    cancelled = place(control)
    control.cancel_order(SELLER, cancelled["order_id"], by="buyer", reason="changed mind")
    assert "cancelled" in _confirm(api, cancelled).json()["errors"][0]["details"]
    unknown = {"order_id": "202-0000000-0000000", "order_item_ids": ["1"]}
    assert _confirm(api, unknown).status_code == 404


def test_order_lifecycle_and_stock(api, control, listing):
    order = place(control, quantity=3, status="Pending", pending_seconds=600)
    assert control.get_listing(SELLER, "SKU-1")["quantity"] == 7  # placing an order lowers the quantity
    assert control.get_order(SELLER, order["order_id"])["status"] == "Pending"
    control.advance_clock(601)
    assert control.get_order(SELLER, order["order_id"])["status"] == "Unshipped"
    cancelled = control.cancel_order(SELLER, order["order_id"], by="buyer", reason="found cheaper")
    assert cancelled["status"] == "Canceled"
    listing_now = control.get_listing(SELLER, "SKU-1")
    assert listing_now["quantity"] == 10
    assert [h["source"] for h in listing_now["history"]][-2:] == [
        f"order:{order['order_id']}",
        f"cancel:{order['order_id']}",
    ]
    got = api.get(
        f"/orders/2026-01-01/orders/{order['order_id']}", params={"includedData": "CANCELLATION,FULFILLMENT"}
    ).json()["order"]
    assert got["fulfillment"]["fulfillmentStatus"] == "CANCELLED"
    assert got["orderItems"][0]["cancellation"]["cancellationRequest"] == {
        "requester": "BUYER",
        "cancelReason": "found cheaper",
    }
    v0_items = api.get(f"/orders/v0/orders/{order['order_id']}/orderItems").json()["payload"]["OrderItems"]
    assert v0_items[0]["BuyerRequestedCancel"] == {
        "IsBuyerRequestedCancel": "true",
        "BuyerCancelReason": "found cheaper",
    }


def test_fba_orders_are_shipped_by_amazon(api, control, seller):
    control.create_listing(SELLER, "FBA-1", quantity=5, fulfillment_channel="AMAZON_EU")
    order = place(control, sku="FBA-1", status="Unshipped")
    assert order["fulfillment_channel"] == "AFN"
    control.advance_clock(3601)
    assert control.get_order(SELLER, order["order_id"])["status"] == "Shipped"
    api.client.headers["x-amz-access-token"] = get_token(api.base_url)  # the old one expired meanwhile
    resp = _confirm(api, order)
    assert resp.status_code == 400


def test_ids_are_deterministic_under_a_seed(control, listing):
    first = [place(control)["order_id"] for _ in range(3)]
    control.reset(seed=1)
    control.create_seller(SELLER, marketplaces=[UK, DE], client_id="c", client_secret="s", refresh_token="r")
    control.create_listing(SELLER, "SKU-1", quantity=10, asin="B000SIM0001", title="Example Widget")
    again = [place(control)["order_id"] for _ in range(3)]
    assert first == again
    assert all(len(o) == 19 and o[3] == "-" and o[11] == "-" for o in first)


def test_rdt_without_data_elements_gives_no_pii(api, control, listing):
    order = place(control)
    path = f"/orders/v0/orders/{order['order_id']}"
    bare = api.get(path, token=api.rdt("/orders/v0/orders/{orderId}")).json()["payload"]
    assert "BuyerInfo" not in bare and "AddressLine1" not in bare["ShippingAddress"]
    full = api.get(path, token=api.rdt(path, ["buyerInfo", "shippingAddress"])).json()["payload"]
    assert full["BuyerInfo"] == {"BuyerEmail": order["buyer_email"], "BuyerName": "Test Buyer"}
    assert full["ShippingAddress"]["Name"] == "Test Recipient"


def test_v0_order_statuses_rule(api, control, listing):
    order = place(control)
    control.advance_clock(150)
    base = {"CreatedAfter": "2020-01-01T00:00:00Z", "MarketplaceIds": UK}
    resp = api.get("/orders/v0/orders", params={**base, "OrderStatuses": "Unshipped"})
    assert (
        _err(resp)
        == "Unshipped and PartiallyShipped must be used together in this version of the Orders API."
    )
    got = api.get("/orders/v0/orders", params={**base, "OrderStatuses": "Unshipped,PartiallyShipped"}).json()
    assert [o["AmazonOrderId"] for o in got["payload"]["Orders"]] == [order["order_id"]]
    none = api.get(
        "/orders/v0/orders", params={**base, "OrderStatuses": "Shipped", "FulfillmentChannels": "MFN"}
    ).json()
    assert none["payload"]["Orders"] == []
