from datetime import UTC, datetime, timedelta

import pytest

from stockroom.channels.contracts import ChannelOrderStatus
from stockroom.inventory.models import StockLevel
from stockroom.orders import services
from stockroom.orders.models import ChannelShipment, Order, ShippingMethod

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(make_item, make_account, link, make_channel_order):
    """An Amazon account with three orders of a linked mug (5 on hand), purchased a day apart, and the
    shipping methods Courier and Royal Mail 2nd."""
    ShippingMethod.objects.bulk_create(
        [ShippingMethod(name="Courier"), ShippingMethod(name="Royal Mail 2nd")]
    )
    item = make_item("MUG", on_hand=5)
    account = make_account("UK shop")
    link(account, "AMZ-MUG", item)
    start = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    ids = [
        services.import_channel_order(
            account=account,
            data=make_channel_order(
                f"202-000000{n}-0000001",
                lines=[("AMZ-MUG", 1)],
                purchased_at=start + timedelta(days=n),
                buyer_name=name,
            ),
        ).order_id
        for n, name in enumerate(["Ann Buyer", "Bob Müller", "<script>alert(1)</script>"], start=1)
    ]
    return account, item, ids


def test_orders_are_listed_newest_first_with_decimal_strings_and_utc_times(api, shop):
    account, _, ids = shop

    response = api.get("/api/orders")

    assert response.status_code == 200
    body = response.json()
    assert [o["id"] for o in body["items"]] == ids[::-1]
    assert body["next_cursor"] is None
    first = body["items"][0]
    assert first == {
        "id": ids[2],
        "external_order_id": "202-0000003-0000001",
        "source": "amazon",
        "account_id": account.pk,
        "account_name": "UK shop",
        "marketplace": "A1F83G8C2ARO7P",
        "status": "open",
        "channel_status": first["channel_status"],
        "on_hold": False,
        "allocation_state": "full",
        "has_unlinked_lines": False,
        "fulfilled_by_channel": False,
        "buyer_name": "<script>alert(1)</script>",
        "purchased_at": "2026-11-23T10:00:00Z",
        "dispatch_by": None,
        "processed_at": None,
        "currency": "GBP",
        "total": "9.99",
        "shipping_method": "",
        "tracking_number": "",
    }


def test_cursor_pages_walk_every_order_exactly_once(api, shop):
    _, _, ids = shop
    seen, cursor, pages = [], "", 0
    while True:
        body = api.get("/api/orders", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [o["id"] for o in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break

    assert pages == 2
    assert seen == ids[::-1]


def test_orders_with_the_same_purchase_time_are_paged_by_id(api, make_account, make_channel_order):
    account = make_account()
    same = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    ids = [
        services.import_channel_order(
            account=account, data=make_channel_order(lines=[("X", 1)], purchased_at=same)
        ).order_id
        for _ in range(3)
    ]
    first = api.get("/api/orders", {"limit": 1}).json()
    rest = api.get("/api/orders", {"limit": 5, "cursor": first["next_cursor"]}).json()

    assert [o["id"] for o in first["items"] + rest["items"]] == sorted(ids, reverse=True)


def test_filters_are_those_of_the_order_book(api, shop, make_channel_order):
    account, _, ids = shop
    services.set_hold(order_id=ids[0], on_hold=True)
    services.import_channel_order(
        account=account, data=make_channel_order("202-0000009-0000001", lines=[("NOT-LINKED", 1)])
    )

    def listed(**params):
        return [o["external_order_id"] for o in api.get("/api/orders", params).json()["items"]]

    assert listed(search="bob müller") == ["202-0000002-0000001"]
    assert listed(search="<script>") == ["202-0000003-0000001"]
    assert listed(search="%") == listed(search="_") == listed(search='"') == listed(search="ann*") == []
    assert listed(search="AMZ-MUG", on_hold="true") == ["202-0000001-0000001"]
    assert listed(allocation_state="none") == ["202-0000009-0000001"]
    assert listed(unlinked="true") == ["202-0000009-0000001"]
    assert listed(source="manual") == []
    assert len(listed(account=account.pk, status="open")) == 4


@pytest.mark.parametrize(
    ("params", "field", "text"),
    [
        (
            {"status": "shipped"},
            "status",
            "Input should be 'pending', 'open', 'partially_dispatched', 'processed' or 'cancelled'",
        ),
        ({"limit": 0}, "limit", "Input should be greater than or equal to 1"),
        (
            {"account": "uk"},
            "account",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
    ],
)
def test_bad_filters_get_422_with_field_messages(api, db, params, field, text):
    response = api.get("/api/orders", params)

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_input"
    assert body["details"]["fields"] == [{"field": field, "message": text}]
    assert body["message"] == f"invalid request: {field}: {text}"


def test_a_hand_made_cursor_is_refused(api, db):
    response = api.get("/api/orders", {"cursor": "bm90LWEtY3Vyc29y"})

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_input",
        "message": "cursor is not valid: pass the next_cursor of the previous page unchanged",
        "details": {"field": "cursor"},
    }


def test_order_detail_has_lines_events_and_no_shipment_yet(api, shop):
    _, _, ids = shop

    body = api.get(f"/api/orders/{ids[0]}").json()

    assert body["lines"] == [
        {
            "id": body["lines"][0]["id"],
            "external_line_id": "202-0000001-0000001-1",
            "channel_sku": "AMZ-MUG",
            "title": "Product AMZ-MUG",
            "sku": "MUG",
            "quantity": 1,
            "allocated_quantity": 1,
            "shipped_quantity": 0,
            "unit_price": "9.99",
        }
    ]
    assert body["address"]["city"] == "Leeds" and body["address"]["country_code"] == "GB"
    assert [e["kind"] for e in body["events"]] and all(e["created_at"].endswith("Z") for e in body["events"])
    assert body["shipment"] is None and body["shipments"] == []


def test_an_unknown_order_is_404_json(api, db):
    response = api.get("/api/orders/999999")

    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "message": "order 999999 does not exist",
        "details": {"order_id": 999999},
    }


def test_processing_dispatches_consumes_stock_and_queues_the_confirmation(api, shop):
    _, item, ids = shop

    response = api.post(
        f"/api/orders/{ids[0]}/process",
        {
            "tracking_number": "RM123456789GB",
            "shipping_method": "Royal Mail 2nd",
            "shipped_at": "2026-11-24T09:30:00+01:00",
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["tracking_number"], body["processed_at"]) == (
        "processed",
        "RM123456789GB",
        "2026-11-24T08:30:00Z",
    )
    assert body["shipment"]["status"] == "pending"
    assert body["events"][-1]["user"] == "staff"
    level = StockLevel.objects.get(item=item)
    assert (level.on_hand, level.allocated) == (4, 2)
    assert ChannelShipment.objects.get().tracking_number == "RM123456789GB"


def test_processing_twice_is_a_409_and_changes_nothing(api, shop):
    _, item, ids = shop
    api.post(f"/api/orders/{ids[0]}/process", {"tracking_number": "T1", "shipping_method": "Courier"})

    response = api.post(
        f"/api/orders/{ids[0]}/process", {"tracking_number": "T2", "shipping_method": "Courier"}
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": "transition_not_allowed",
        "message": "order 202-0000001-0000001 is processed; only open orders can be processed",
        "details": {"status": "processed"},
    }
    assert Order.objects.get(pk=ids[0]).tracking_number == "T1"
    assert StockLevel.objects.get(item=item).on_hand == 4


def test_processing_needs_a_method_and_an_aware_time(api, shop, make_account, make_channel_order):
    _, _, ids = shop

    missing = api.post(f"/api/orders/{ids[0]}/process", {"tracking_number": "T1"})
    naive = api.post(
        f"/api/orders/{ids[0]}/process", {"shipping_method": "Courier", "shipped_at": "2026-11-24T09:30:00"}
    )

    assert missing.status_code == 400
    assert missing.json() == {
        "error": "invalid_input",
        "message": "order 202-0000001-0000001: choose a shipping method (no default applies: the channel "
        "did not say which service the buyer chose)",
        "details": {"field": "shipping_method"},
    }
    assert naive.status_code == 400
    assert naive.json() == {"error": "invalid_input", "message": "ship date must be timezone-aware"}
    assert Order.objects.get(pk=ids[0]).status == "open"


def test_a_pending_order_cannot_be_processed(api, make_account, make_channel_order):
    order_id = services.import_channel_order(
        account=make_account(), data=make_channel_order(status=ChannelOrderStatus.PENDING)
    ).order_id

    response = api.post(f"/api/orders/{order_id}/process", {"shipping_method": "Courier"})

    assert response.status_code == 409
    assert "wait until the channel confirms payment" in response.json()["message"]
