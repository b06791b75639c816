"""POST /api/orders/{id}/shipments: a package (lines and units) or everything still to ship, and the
packages on the order detail; refused alike by the one dispatch service."""

import pytest

from stockroom.orders import services
from stockroom.orders.models import ChannelShipment, Order, OrderLine
from tests.conftest import PACKED_LINES

pytestmark = pytest.mark.django_db

MUG_LINE, CUP_LINE = PACKED_LINES


@pytest.fixture
def order_id(packed_order):
    return packed_order


def shipped(order_id):
    return list(
        OrderLine.objects.filter(order_id=order_id).order_by("pk").values_list("shipped_quantity", flat=True)
    )


def test_api_dispatches_a_package_and_lists_the_packages_on_the_order(api, order_id):
    path = f"/api/orders/{order_id}/shipments"

    first = api.post(
        path,
        {
            "lines": [{"external_line_id": MUG_LINE, "quantity": 2}],
            "tracking_number": "RM1",
            "shipping_method": "Courier",
        },
    )
    rest = api.post(path, {"tracking_number": "RM2", "shipping_method": "Courier"})

    assert first.status_code == 201
    assert first.json()["status"] == "partially_dispatched"
    assert [
        (p["number"], p["status"], p["tracking_number"], p["lines"]) for p in first.json()["shipments"]
    ] == [(1, "pending", "RM1", [{"external_line_id": MUG_LINE, "quantity": 2}])]
    assert rest.status_code == 201
    body = api.get(f"/api/orders/{order_id}").json()
    assert body["status"] == "processed"
    assert [(p["number"], p["tracking_number"], p["lines"]) for p in body["shipments"]] == [
        (1, "RM1", [{"external_line_id": MUG_LINE, "quantity": 2}]),
        (
            2,
            "RM2",
            [{"external_line_id": MUG_LINE, "quantity": 1}, {"external_line_id": CUP_LINE, "quantity": 1}],
        ),
    ]
    assert body["shipment"]["number"] == 2
    assert [(line["quantity"], line["shipped_quantity"]) for line in body["lines"]] == [(3, 3), (1, 1)]


@pytest.mark.parametrize(
    ("body", "status", "error", "message"),
    [
        (
            {"lines": [{"external_line_id": MUG_LINE, "quantity": 4}]},
            409,
            "conflict",
            f"order 202-0000001-0000001 line {MUG_LINE} (AMZ-MUG): cannot ship 4, only 3 of 3 left to ship",
        ),
        (
            {"lines": [{"external_line_id": MUG_LINE, "quantity": 0}]},
            400,
            "invalid_input",
            f"line {MUG_LINE}: quantity must be at least 1 (leave the line out to ship none of it)",
        ),
        (
            {"lines": [{"external_line_id": "NOPE", "quantity": 1}]},
            400,
            "invalid_input",
            f"order 202-0000001-0000001 has no line 'NOPE' (its lines: {MUG_LINE}, {CUP_LINE})",
        ),
        (
            {"lines": [{"external_line_id": MUG_LINE, "quantity": 1}], "shipping_method": "Old"},
            400,
            "invalid_input",
            "shipping method Old is no longer offered: choose an active one, or an administrator can offer it "
            "again under Shipping methods",
        ),
        (
            {"lines": [{"external_line_id": MUG_LINE, "quantity": 1}], "shipping_method": "Teleport"},
            400,
            "invalid_input",
            "unknown shipping method 'Teleport': choose one of Courier",
        ),
    ],
)
def test_api_refuses_a_bad_package_and_nothing_changes(api, order_id, body, status, error, message):
    response = api.post(
        f"/api/orders/{order_id}/shipments", {"tracking_number": "RM1", "shipping_method": "Courier", **body}
    )

    assert response.status_code == status
    assert (response.json()["error"], response.json()["message"]) == (error, message)
    assert Order.objects.get(pk=order_id).status == "open"
    assert not ChannelShipment.objects.exists() and shipped(order_id) == [0, 0]


def test_api_refuses_a_package_of_a_cancelled_order(api, order_id):
    services.cancel_order(order_id=order_id)

    response = api.post(
        f"/api/orders/{order_id}/shipments",
        {
            "lines": [{"external_line_id": MUG_LINE, "quantity": 1}],
            "tracking_number": "T",
            "shipping_method": "Courier",
        },
    )

    assert (response.status_code, response.json()["message"]) == (
        409,
        "order 202-0000001-0000001 is cancelled; only open orders can be processed",
    )
