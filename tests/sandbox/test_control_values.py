"""The control API refuses amounts and quantities no order could carry, so stored data always renders."""

import json

import pytest

from stockroom.sandbox.amazon.cli import main
from stockroom.sandbox.amazon.state import StateFileError, Store

from .conftest import ADDRESS, SELLER, UK

SEARCH = "/orders/2026-01-01/orders"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("unit_price", "inf", "items[0].unit_price must be a finite amount between 0 and 99999999.99, not 'inf'"),
        ("unit_price", "NaN", "items[0].unit_price must be a finite amount between 0 and 99999999.99, not 'NaN'"),
        ("unit_price", 1e30, "items[0].unit_price must be a finite amount between 0 and 99999999.99, not 1e+30"),
        ("unit_price", "1e30", "items[0].unit_price must be a finite amount between 0 and 99999999.99, not '1e30'"),
        ("unit_price", "-1", "items[0].unit_price must be a finite amount between 0 and 99999999.99, not '-1'"),
        ("unit_price", "twelve", "items[0].unit_price is not a number: 'twelve'"),
        ("unit_price", True, "items[0].unit_price must be a number or a decimal string, not True"),
        ("shipping_price", "Infinity", "items[0].shipping_price must be a finite amount between 0 and 99999999.99, not 'Infinity'"),
        ("item_tax", "100000000", "items[0].item_tax must be a finite amount between 0 and 99999999.99, not '100000000'"),
        ("quantity", 10**30, "items[0].quantity must be an integer between 1 and 1000000000"),
        ("quantity", 0, "items[0].quantity must be an integer between 1 and 1000000000"),
    ],
)  # fmt: skip
def test_an_order_with_a_value_out_of_range_is_refused_and_nothing_changes(
    api, control, listing, field, value, message
):
    item = {"sku": "SKU-1", "quantity": 1, "unit_price": "12.99", field: value}
    with pytest.raises(Exception) as refused:
        control.place_order(SELLER, marketplace_id=UK, items=[item], buyer_name="B", address=ADDRESS)
    assert (refused.value.status, json.loads(refused.value.body)) == (400, {"error": message})
    assert control.orders(SELLER) == []
    assert control.get_listing(SELLER, "SKU-1")["quantity"] == 10


def test_the_largest_accepted_values_are_listed_by_search_orders(api, control, seller):
    control.create_listing(SELLER, "BIG-1", quantity=10**9, price="99999999.99")
    big = [{"sku": "BIG-1", "quantity": 10**9, "shipping_price": "99999999.99", "item_tax": 0}]
    order = control.place_order(SELLER, marketplace_id=UK, items=big, buyer_name="B", address=ADDRESS)
    assert order["items"][0]["unit_price"] == "99999999.99"
    control.advance_clock(180)
    response = api.get(SEARCH, params={"createdAfter": "2020-01-01T00:00:00Z", "includedData": "PROCEEDS"})
    assert response.status_code == 200, response.text
    (listed,) = response.json()["orders"]
    assert listed["proceeds"]["grandTotal"] == {"amount": "100000000089999999.99", "currencyCode": "GBP"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"sku": "L-1", "quantity": 10**10}, "quantity must be an integer between 0 and 1000000000"),
        ({"sku": "L-1", "quantity": -1}, "quantity must be an integer between 0 and 1000000000"),
        (
            {"sku": "L-1", "price": "inf"},
            "price must be a finite amount between 0 and 99999999.99, not 'inf'",
        ),
    ],
)
def test_a_listing_with_a_value_out_of_range_is_refused(control, seller, body, message):
    with pytest.raises(Exception) as refused:
        control.create_listing(SELLER, **body)
    assert (refused.value.status, json.loads(refused.value.body)) == (400, {"error": message})
    assert control.listings(SELLER) == []


def _saved_state_with(tmp_path, unit_price: str) -> str:
    store = Store(seed=1)
    store.create_seller(
        {
            "seller_id": SELLER,
            "marketplaces": [UK],
            "client_id": "c",
            "client_secret": "s",
            "refresh_token": "r",
        }
    )
    store.create_listing(SELLER, {"sku": "SKU-1", "quantity": 5})
    order = store.place_order(SELLER, {"marketplace_id": UK, "items": [{"sku": "SKU-1"}]})
    path = tmp_path / "sim.json"
    store.save(str(path))
    data = json.loads(path.read_text())
    data["state"]["orders"][order["order_id"]]["items"][0]["unit_price"] = unit_price
    path.write_text(json.dumps(data))
    return str(path), order["order_id"]


def test_a_state_file_with_an_amount_no_order_can_carry_is_refused_by_name(tmp_path, capsys):
    path, order_id = _saved_state_with(tmp_path, "inf")
    with pytest.raises(StateFileError) as refused:
        Store(seed=1).load(path)
    expected = (
        f"{path}: order {order_id} items[0].unit_price must be a finite amount between 0 and 99999999.99, "
        "not 'inf'"
    )
    assert str(refused.value) == expected
    assert main(["--state", path, "--port", "0"]) == 2
    assert capsys.readouterr().err == f"cannot load the state file: {expected}\n"
