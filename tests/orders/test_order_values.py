"""Issue 10 items 7, 9, 13 and 15 on the order book: amounts, currencies, prices, lengths, terminal text.

The same cases run on SQLite and PostgreSQL (DATABASE_URL): the same message on both.
"""

import json
from dataclasses import replace
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from stockroom.access.tokens import create_api_token
from stockroom.core.errors import InvalidInput
from stockroom.orders import services
from stockroom.orders.models import Order, OrderLine
from stockroom.web.permissions import WAREHOUSE_STAFF
from tests.factories import create_user

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def staff(db) -> User:
    return create_user("staff", role=WAREHOUSE_STAFF)


@pytest.fixture
def one_order(make_account, make_item, link, make_channel_order) -> Order:
    account = make_account("Shop")
    link(account, "SKU-1", make_item("SKU-1", on_hand=5))
    result = services.import_channel_order(account=account, data=make_channel_order("202-0000001-0000001"))
    return Order.objects.get(pk=result.order_id)


# --- amounts, prices and currencies a channel or a person gives (items 7 and 15) ----------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"total": Decimal("1000000000000")},
            "order 202-0000001-0000001: total 1000000000000.00 is too large: "
            "at most 999,999,999,999.99 can be stored",
        ),
        (
            {"subtotal": Decimal("1e30")},
            "order 202-0000001-0000001: subtotal 1000000000000000000000000000000.00 is too large: "
            "at most 999,999,999,999.99 can be stored",
        ),
        (
            {"currency": "GBPX"},
            "order 202-0000001-0000001: currency 'GBPX' is not an ISO 4217 currency code (three letters, e.g. GBP)",
        ),
        (
            {"currency": "XYZ"},
            "order 202-0000001-0000001: currency 'XYZ' is not an ISO 4217 currency code (three letters, e.g. GBP)",
        ),
    ],
)
def test_a_channel_order_with_an_amount_or_currency_the_book_cannot_hold_is_refused(
    make_account, make_channel_order, fields, message
):
    data = replace(make_channel_order("202-0000001-0000001"), **fields)

    with pytest.raises(InvalidInput) as error:
        services.import_channel_order(account=make_account("Shop"), data=data)

    assert error.value.message == message
    assert not Order.objects.exists()


def test_a_channel_order_line_with_a_negative_unit_price_is_refused(make_account, make_channel_order):
    data = make_channel_order("202-0000001-0000001")
    data = replace(data, lines=(replace(data.lines[0], unit_price=Decimal("-5")),))

    with pytest.raises(InvalidInput) as error:
        services.import_channel_order(account=make_account("Shop"), data=data)

    assert error.value.message == (
        "order 202-0000001-0000001 line 202-0000001-0000001-1 unit price cannot be negative, got -5.00"
    )
    assert not OrderLine.objects.exists()


def test_a_channel_currency_in_small_letters_is_stored_in_capitals(make_account, make_channel_order):
    result = services.import_channel_order(
        account=make_account("Shop"), data=replace(make_channel_order("202-0000001-0000001"), currency="eur")
    )

    assert Order.objects.get(pk=result.order_id).currency == "EUR"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"currency": "EURO"}, "currency 'EURO' is not an ISO 4217 currency code (three letters, e.g. GBP)"),
        ({"price": "-1.00"}, "line 1 unit price cannot be negative, got -1.00"),
        ({"price": "٣"}, "line 1 unit price must be a decimal amount, got '٣'"),
        ({"buyer_name": "b" * 301}, "buyer name is longer than 300 characters (301)"),
        (
            {"price": "999999999999", "quantity": 2},
            "order total 1999999999998.00 is too large: at most 999,999,999,999.99 can be stored",
        ),
    ],
)
def test_a_manual_order_with_a_bad_value_is_refused_and_nothing_is_written(make_item, kwargs, message):
    item = make_item("MUG-1", on_hand=5)
    price, quantity = kwargs.pop("price", "9.99"), kwargs.pop("quantity", 1)

    with pytest.raises(InvalidInput) as error:
        services.create_manual_order(lines=[(item, quantity, price)], **kwargs)

    assert error.value.message == message
    assert not Order.objects.exists()


def test_an_amount_an_older_release_let_into_sqlite_does_not_break_a_page(one_order, staff, client):
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite ever stored such an amount; PostgreSQL's numeric(14, 2) refuses it")
    # SQLite stored what PostgreSQL refuses; the pages listing such an order must still show
    Order.objects.filter(pk=one_order.pk).update(total=Decimal("1000000000000.00"))
    OrderLine.objects.filter(order=one_order).update(unit_price=Decimal("1e13"))
    client.force_login(staff)
    token = create_api_token(username=staff.username).secret

    pages = [
        client.get(reverse("dashboard")),
        client.get(reverse("orders")),
        client.get(reverse("order_detail", args=[one_order.pk])),
        client.get("/api/orders", headers={"Authorization": f"Bearer {token}"}),
        client.get(f"/api/orders/{one_order.pk}", headers={"Authorization": f"Bearer {token}"}),
    ]
    listed = json.loads(run("orders", "list", "--json"))

    assert [page.status_code for page in pages] == [200] * 5
    assert pages[3].json()["items"][0]["total"] == "1000000000000.00"
    assert pages[4].json()["lines"][0]["unit_price"] == "10000000000000.00"
    assert listed[0]["total"] == "1000000000000.00"
    assert "1000000000000.00" in run("orders", "list")


@pytest.mark.parametrize("account", ["1" * 22, "-1", "0"])
def test_an_order_filter_account_id_out_of_range_is_a_422_not_a_500(staff, client, account):
    token = create_api_token(username=staff.username).secret

    response = client.get("/api/orders", {"account": account}, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"


def test_open_orders_ignores_an_account_id_that_is_no_id(one_order, staff, client):
    client.force_login(staff)

    response = client.get(reverse("orders"), {"account": "1" * 22})

    assert response.status_code == 200


# --- lengths (item 9) ----------------------------------------------------------------------------


def test_processing_with_a_4000_character_shipping_method_is_refused(one_order):
    with pytest.raises(CommandError, match=r"^shipping method is longer than 100 characters \(4000\)$"):
        run("orders", "process", one_order.external_order_id, "--method", "m" * 4000)

    assert Order.objects.get(pk=one_order.pk).status == "open"


def test_a_shipping_method_name_too_long_is_refused(db):
    with pytest.raises(InvalidInput, match=r"^shipping method name is longer than 100 characters \(101\)$"):
        services.create_shipping_method(name="n" * 101)


def test_a_date_that_does_not_exist_is_refused_by_account_set(make_account):
    make_account("Shop")

    for value in ("9999-99-99", "9999-12-31T23:59:59-23:59", "٢٠٢٦-٠١-٠١"):
        with pytest.raises(CommandError) as error:
            run("account", "set", "Shop", "download_orders_since", value)
        assert str(error.value) == (
            f"download_orders_since {value!r} is not a time: write yyyy-mm-dd hh:mm:ss (UTC) or ISO 8601"
        )


# --- terminal text (item 13) -------------------------------------------------------------------------


def test_orders_list_escapes_control_characters_in_text_output(one_order):
    Order.objects.filter(pk=one_order.pk).update(buyer_name="Eve\x1b[2J\x1b]0;owned\x07\u202eX\x9b1m")

    text = run("orders", "list")
    as_json = json.loads(run("orders", "list", "--json"))

    assert "Eve\\x1b[2J\\x1b]0;owned\\x07\\u202eX\\x9b1m" in text
    assert not any(ch in text for ch in "\x1b\x07\u202e\x9b")
    assert as_json[0]["buyer_name"] == "Eve\x1b[2J\x1b]0;owned\x07\u202eX\x9b1m"  # JSON escapes it itself


def test_an_error_message_printed_by_a_command_is_escaped_too(db, capsys, tmp_path):
    # what the console script does with argv (main() would also set Django up again)
    command = load_command_class("stockroom.cli", "items")
    missing = tmp_path / "evil\x1b]0;owned\x07.csv"

    with pytest.raises(SystemExit) as exit_:
        command.run_from_argv(["stockroom", "items", "import", str(missing)])

    assert exit_.value.code == 1
    assert capsys.readouterr().err == (
        f"CommandError: cannot read {tmp_path}/evil\\x1b]0;owned\\x07.csv: No such file or directory\n"
    )


def test_bad_rows_of_an_import_are_printed_escaped(db, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("sku,title\nA\x1b[31m,Red\n")
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("items", "import", str(path), stdout=StringIO(), stderr=err)

    assert err.getvalue().startswith(f"{path}:2 (A\\x1b[31m): SKU 'A\\x1b[31m' contains a control character")
