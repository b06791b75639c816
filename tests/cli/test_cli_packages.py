"""`stockroom orders dispatch ORDER --line EXTERNAL_LINE_ID=QTY ...`: a package from the command line."""

import json

import pytest
from django.core.management.base import CommandError

from stockroom.orders.models import ChannelShipment, OrderLine
from tests.cli.test_cli_commands import run
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


def test_cli_dispatches_a_package_line_by_line_then_the_rest(order_id):
    out, _ = run(
        "orders", "dispatch", "202-0000001-0000001", "--line", f"{MUG_LINE}=1", "--line", f"{CUP_LINE}=1",
        "--tracking", "RM1", "--method", "Courier",
    )  # fmt: skip
    rest, _ = run("orders", "dispatch", str(order_id), "--tracking", "RM2", "--method", "Courier", "--json")

    assert out.strip() == (
        f"Order 202-0000001-0000001: package 1 dispatched ({MUG_LINE}=1, {CUP_LINE}=1), Courier, tracking RM1; "
        "the order is partially dispatched"
    )
    data = json.loads(rest)
    assert (data["status"], data["package"]["number"], data["package"]["lines"]) == (
        "processed",
        2,
        [{"external_line_id": MUG_LINE, "quantity": 2}],
    )
    assert shipped(order_id) == [3, 1]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (f"{MUG_LINE}=5", "cannot ship 5, only 3 of 3 left to ship"),
        (f"{MUG_LINE}=0", "quantity must be at least 1"),
        (f"{MUG_LINE}", "write it as EXTERNAL_LINE_ID=QTY"),
        ("NOPE=1", "has no line 'NOPE'"),
    ],
)
def test_cli_refuses_a_bad_line_and_nothing_changes(order_id, line, message):
    with pytest.raises(CommandError, match=message):
        run(
            "orders",
            "dispatch",
            "202-0000001-0000001",
            "--line",
            line,
            "--tracking",
            "T",
            "--method",
            "Courier",
        )

    assert not ChannelShipment.objects.exists() and shipped(order_id) == [0, 0]


def test_cli_refuses_an_inactive_method_as_the_web_and_api_do(order_id):
    with pytest.raises(CommandError, match="shipping method Old is no longer offered"):
        run(
            "orders",
            "dispatch",
            "202-0000001-0000001",
            "--line",
            f"{MUG_LINE}=1",
            "--tracking",
            "T",
            "--method",
            "Old",
        )
    with pytest.raises(CommandError, match="unknown shipping method 'Owl'"):
        run("orders", "process", "202-0000001-0000001", "--tracking", "T", "--method", "Owl")
