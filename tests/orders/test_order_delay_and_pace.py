"""What the reserve measures: each account's order delay (p95) and each item's pace (ADR 0015)."""

from datetime import timedelta

from django.utils import timezone

from stockroom.channels.models import ChannelAccount
from stockroom.inventory.locks import default_location
from stockroom.orders.models import Order
from stockroom.orders.selectors import order_delay_p95, units_sold


def _order(account, n, *, bought, imported, item=None, quantity=1):
    order = Order.objects.create(
        account=account,
        source=account.channel,
        external_order_id=f"ORD-{account.pk}-{n}",
        purchased_at=bought,
        location=default_location(),
    )
    Order.objects.filter(pk=order.pk).update(created_at=imported)
    if item is not None:
        order.lines.create(external_line_id="1", channel_sku="X", stock_item=item, quantity=quantity)
    return order


def test_the_delay_is_the_p95_of_the_orders_bought_since_the_account_was_added(make_account):
    now = timezone.now()
    account = make_account("Shop A")
    ChannelAccount.objects.filter(pk=account.pk).update(created_at=now - timedelta(days=2))
    # twenty orders: nineteen imported 1..19 s after they were bought, one 600 s
    for n in range(1, 20):
        _order(
            account,
            n,
            bought=now - timedelta(hours=n),
            imported=now - timedelta(hours=n) + timedelta(seconds=n),
        )
    _order(
        account,
        20,
        bought=now - timedelta(hours=20),
        imported=now - timedelta(hours=20) + timedelta(seconds=600),
    )
    # the first download's backlog: bought before the account was added, imported days later
    _order(account, 21, bought=now - timedelta(days=3), imported=now - timedelta(days=2))
    # bought before the window
    _order(account, 22, bought=now - timedelta(days=1, hours=12), imported=now - timedelta(days=1))

    # nearest rank: the 19th of 20 sorted delays
    assert order_delay_p95([account.pk], since=now - timedelta(days=1)) == {account.pk: (19.0, 20)}
    assert order_delay_p95([account.pk], since=now) == {}


def test_the_pace_counts_units_per_item_and_account_in_the_window(make_account, make_item):
    now = timezone.now()
    first, second = make_account("Shop A"), make_account("Shop B")
    mug, cup = make_item("MUG-1"), make_item("CUP-1")
    _order(first, 1, bought=now - timedelta(days=1), imported=now, item=mug, quantity=2)
    _order(first, 2, bought=now - timedelta(days=2), imported=now, item=mug, quantity=3)
    _order(second, 1, bought=now - timedelta(days=1), imported=now, item=mug, quantity=1)
    _order(second, 2, bought=now - timedelta(days=1), imported=now, item=cup, quantity=4)
    _order(first, 3, bought=now - timedelta(days=9), imported=now, item=mug, quantity=7)  # before the window

    assert units_sold([mug.pk, cup.pk], [first.pk, second.pk], since=now - timedelta(days=7)) == {
        (mug.pk, first.pk): 5,
        (mug.pk, second.pk): 1,
        (cup.pk, second.pk): 4,
    }
