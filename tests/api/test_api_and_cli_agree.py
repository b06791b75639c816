"""The CLI's JSON for orders and stock is the API's (times to the microsecond), although the CLI does not import the API (the
interfaces are independent; both render ``orders.selectors.order_summary`` and
``inventory.selectors.stock_detail``)."""

import json

import pytest
from django.utils import timezone

from stockroom.inventory.models import Location
from stockroom.inventory.services import receive_stock
from stockroom.orders import services
from stockroom.orders.models import Order, ShippingMethod
from tests.cli.test_cli_commands import run

pytestmark = pytest.mark.django_db


def milliseconds(order: dict) -> dict:
    """The CLI prints times to the microsecond (as before); the API's JSON renderer to the millisecond."""
    return {
        key: value[:23] + value[26:]
        if isinstance(value, str) and len(value) == 27 and value[10] == "T"
        else value
        for key, value in order.items()
    }


def test_orders_list_json_is_the_apis_order_list(api, make_account, make_item, link, make_channel_order):
    account = make_account("UK shop")
    mug = make_item("MUG", on_hand=5)
    link(account, "AMZ-MUG", mug)
    ShippingMethod.objects.create(name="Royal Mail 48")
    channel = services.import_channel_order(
        account=account,
        data=make_channel_order("202-0000001-0000001", lines=[("AMZ-MUG", 2)], buyer_name="Ann"),
    ).order_id
    Order.objects.filter(pk=channel).update(dispatch_by=timezone.now().replace(microsecond=123456))
    manual = services.create_manual_order(lines=[(mug, 1, "4.50")], buyer_name="Bob", external_order_id="M-1")
    services.process_order(order_id=manual.pk, tracking_number="RM1", shipping_method="Royal Mail 48")

    from_cli = json.loads(run("orders", "list", "--json")[0])
    from_api = api.get("/api/orders").json()["items"]

    assert [order["id"] for order in from_cli] == [manual.pk, channel]
    assert [milliseconds(order) for order in from_cli] == from_api
    assert from_cli[1]["account_name"] == "UK shop" and from_cli[1]["total"] == str(
        Order.objects.get(pk=channel).total
    )
    assert from_cli[1]["dispatch_by"].endswith(".123456Z") and from_api[1]["dispatch_by"].endswith(".123Z")
    assert from_cli[0]["processed_at"] is not None and from_cli[0]["account_name"] is None


def test_stock_show_json_is_the_apis_stock_item(api, make_item):
    mug = make_item("MUG-1", on_hand=5, title="Blue mug")
    receive_stock(
        item=mug, quantity=3, location=Location.objects.create(name="Back room", feeds_channels=False)
    )

    from_cli = json.loads(run("stock", "show", "MUG-1", "--json")[0])

    assert from_cli == api.get("/api/stock/MUG-1").json()
    assert (from_cli["on_hand"], from_cli["available_to_sell"], len(from_cli["levels"])) == (8, 5, 2)
