"""A page of new channel orders is created in one go, with the same result as importing them one by one."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stockroom.channels.contracts import ChannelOrderStatus
from stockroom.inventory.models import PendingStockPush, StockLevel
from stockroom.orders import services
from stockroom.orders.models import Order, OrderEvent, OrderLine

pytestmark = pytest.mark.django_db


def _snapshot(account):
    return [
        (
            o.external_order_id,
            o.status,
            o.allocation_state,
            o.has_unlinked_lines,
            o.total,
            o.buyer_name,
            o.ship_city,
            [
                (li.channel_sku, li.stock_item_id, li.quantity, li.allocated_quantity)
                for li in o.lines.order_by("id")
            ],
            [(e.kind, e.message) for e in o.events.all()],
        )
        for o in Order.objects.filter(account=account).order_by("external_order_id")
    ]


def _two_accounts(make_item, make_account, link):
    """A mug (4) and a cup (10), and two accounts listing them (and an unlinked listing)."""
    mug, cup = make_item("MUG", on_hand=4), make_item("CUP", on_hand=10)
    one_by_one, bulk = make_account("One"), make_account("Bulk")
    for account in (one_by_one, bulk):
        link(account, "AMZ-MUG", mug)
        link(account, "AMZ-CUP", cup)
        link(account, "AMZ-NEW", None)
    return mug, cup, one_by_one, bulk


def test_a_page_is_created_exactly_as_one_by_one_import_would(
    make_item, make_account, link, make_channel_order
):
    mug, cup, one_by_one, bulk = _two_accounts(make_item, make_account, link)
    page = [
        make_channel_order("202-0000001-0000001", lines=[("AMZ-MUG", 3), ("AMZ-CUP", 1)]),
        make_channel_order("202-0000002-0000002", lines=[("AMZ-MUG", 3)], status=ChannelOrderStatus.PENDING),
        make_channel_order("202-0000003-0000003", lines=[("AMZ-NEW", 1), ("AMZ-CUP", 2)]),
        make_channel_order("202-0000004-0000004", lines=[("AMZ-MUG", 5)], fulfilled_by_channel=True),
    ]
    # the reference: one by one, stock split between the accounts so both see 4 mugs and 10 cups
    for data in page:
        services.import_channel_order(account=one_by_one, data=data)
    StockLevel.objects.filter(item=mug).update(on_hand=8)
    StockLevel.objects.filter(item=cup).update(on_hand=20)

    created = services.import_new_channel_orders(account=bulk, orders=page)

    assert sorted(created) == [data.external_order_id for data in page]
    assert all(r.created and r.changed for r in created.values())
    assert {r.order_id for r in created.values()} == set(
        Order.objects.filter(account=bulk).values_list("pk", flat=True)
    )
    assert _snapshot(bulk) == [
        (ext.replace("One", "Bulk"), *rest[:-1], [(k, m.replace("One", "Bulk")) for k, m in rest[-1]])
        for ext, *rest in _snapshot(one_by_one)
    ]
    # the second order found one mug left: partially allocated, like one by one
    second = Order.objects.get(account=bulk, external_order_id="202-0000002-0000002")
    assert (second.status, second.allocation_state) == ("pending", "partial")
    assert StockLevel.objects.get(item=mug).allocated == 8
    assert StockLevel.objects.get(item=cup).allocated == 6


def _rows(account):
    """Every column of the account's orders, lines and events, minus keys and clock times."""
    skip = {"id", "account", "created_at", "updated_at", "order"}

    def row(obj):
        values = {f.name: f.value_from_object(obj) for f in obj._meta.concrete_fields if f.name not in skip}
        return {k: v.replace(account.name, "ACCOUNT") if isinstance(v, str) else v for k, v in values.items()}

    orders = Order.objects.filter(account=account).order_by("external_order_id")
    return [
        (
            row(order),
            [row(line) for line in order.lines.order_by("external_line_id")],
            [row(event) for event in order.events.order_by("id")],
        )
        for order in orders
    ]


def test_a_page_writes_every_column_as_one_by_one_import_does(
    make_item, make_account, link, make_channel_order
):
    mug, cup, one_by_one, bulk = _two_accounts(make_item, make_account, link)
    page = [
        make_channel_order(
            "202-0000001-0000001",
            lines=[("AMZ-MUG", 3), ("AMZ-CUP", 1)],
            buyer_email="ann@example.com",
            channel_shipping_service="Std UK",
            dispatch_by=datetime(2026, 11, 22, 18, 0, tzinfo=UTC),
            subtotal=Decimal("19.98"),
            shipping_total=Decimal("2.50"),
            tax_total=Decimal("3.33"),
        ),
        make_channel_order("202-0000002-0000002", lines=[("AMZ-MUG", 3)], status=ChannelOrderStatus.PENDING),
        make_channel_order("202-0000003-0000003", lines=[("AMZ-NEW", 1), ("AMZ-CUP", 2)]),
        make_channel_order("202-0000004-0000004", lines=[("AMZ-MUG", 5)], fulfilled_by_channel=True),
        make_channel_order("202-0000005-0000005", lines=[("AMZ-UNKNOWN", 1)], buyer_name="B" * 400),
    ]
    PendingStockPush.objects.all().delete()  # the opening stock's own announcements
    for data in page:
        services.import_channel_order(account=one_by_one, data=data)
    announced_one_by_one = set(PendingStockPush.objects.values_list("item_id", flat=True))
    PendingStockPush.objects.all().delete()
    StockLevel.objects.filter(item=mug).update(on_hand=8)  # both accounts see 4 mugs and 10 cups
    StockLevel.objects.filter(item=cup).update(on_hand=20)

    services.import_new_channel_orders(account=bulk, orders=page)

    assert Order.objects.filter(account=bulk).count() == len(page)
    assert _rows(bulk) == _rows(one_by_one)
    announced = set(PendingStockPush.objects.values_list("item_id", flat=True))
    assert announced == announced_one_by_one == {mug.pk, cup.pk}


def test_orders_it_does_not_take_are_left_for_one_by_one_import(
    make_item, make_account, link, make_channel_order
):
    item = make_item("MUG", on_hand=10)
    account = make_account()
    link(account, "AMZ-MUG", item)
    known = make_channel_order("202-0000001-0000001", lines=[("AMZ-MUG", 1)])
    services.import_channel_order(account=account, data=known)
    new = make_channel_order("202-0000002-0000002", lines=[("AMZ-MUG", 1)])
    shipped = make_channel_order(
        "202-0000003-0000003", lines=[("AMZ-MUG", 1)], status=ChannelOrderStatus.SHIPPED
    )
    cancelled = make_channel_order(
        "202-0000004-0000004", lines=[("AMZ-MUG", 1)], status=ChannelOrderStatus.CANCELLED
    )
    invalid = replace(make_channel_order("202-0000005-0000005"), lines=())
    twice = make_channel_order("202-0000006-0000006", lines=[("AMZ-MUG", 1)])

    created = services.import_new_channel_orders(
        account=account, orders=[known, new, shipped, cancelled, invalid, twice, twice]
    )

    assert list(created) == ["202-0000002-0000002"]
    assert set(Order.objects.values_list("external_order_id", flat=True)) == {
        "202-0000001-0000001",
        "202-0000002-0000002",
    }
    assert StockLevel.objects.get(item=item).allocated == 2
    assert OrderEvent.objects.filter(kind="imported").count() == 2


def test_a_page_announces_the_stock_change_once(make_item, make_account, link, make_channel_order):
    items = [make_item(f"SKU-{n}", on_hand=5) for n in range(3)]
    account = make_account()
    for n, item in enumerate(items):
        link(account, f"AMZ-{n}", item)
    page = [make_channel_order(lines=[(f"AMZ-{n % 3}", 1)]) for n in range(6)]
    PendingStockPush.objects.all().delete()  # the opening stock's own announcements

    services.import_new_channel_orders(account=account, orders=page)

    assert sorted(PendingStockPush.objects.values_list("item_id", flat=True)) == sorted(i.pk for i in items)


def _queries_for_page(account, make_channel_order, size: int, start: int) -> int:
    page = [
        make_channel_order(f"202-{start + n:07d}-0000001", lines=[(f"AMZ-{n}", 1), ("AMZ-CUP", 2)])
        for n in range(size)
    ]
    with CaptureQueriesContext(connection) as queries:
        created = services.import_new_channel_orders(account=account, orders=page)
    assert len(created) == size
    return len(queries.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_page(make_item, make_account, link, make_channel_order):
    account = make_account()
    link(account, "AMZ-CUP", make_item("CUP", on_hand=1000))
    for n in range(60):
        link(account, f"AMZ-{n}", make_item(f"ITEM-{n}", on_hand=10))

    small = _queries_for_page(account, make_channel_order, 2, 1)
    large = _queries_for_page(account, make_channel_order, 60, 100)

    # the same queries, every one of the 61 items allocated in one UPDATE; only SQLite's limit on
    # query parameters (999) splits the big inserts: the 60 orders in three, the 120 lines in two
    assert large == small + (3 if connection.vendor == "sqlite" else 0)
    assert OrderLine.objects.count() == 124
    allocated = dict(
        StockLevel.objects.filter(item__sku__startswith="ITEM-").values_list("item__sku", "allocated")
    )
    assert allocated == {f"ITEM-{n}": 2 if n < 2 else 1 for n in range(60)}  # 0 and 1: in both pages
    assert StockLevel.objects.get(item__sku="CUP").allocated == 124
