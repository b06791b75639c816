"""Read selectors added for the web screens: attention counts, charts, stock list annotations."""

from datetime import timedelta

from django.utils import timezone

from stockroom.channels.models import ListingStatus
from stockroom.channels.selectors import attention_counts as channel_attention_counts
from stockroom.inventory.selectors import on_hand_by_day, stock_item_list
from stockroom.inventory.services import adjust_stock
from stockroom.orders.models import Order, OrderLine
from stockroom.orders.selectors import attention_counts, held_quantity_by_day, order_list, orders_per_day
from stockroom.orders.services import cancel_order, import_channel_order, set_hold
from tests.conftest import channel_order


def test_attention_counts(make_account, make_item, link):
    account = make_account()
    item = make_item("MUG", on_hand=2)
    link(account, "MUG", item)
    ok = import_channel_order(account=account, data=channel_order("OK", lines=(("MUG", 1),)))
    import_channel_order(account=account, data=channel_order("SHORT", lines=(("MUG", 5),)))
    import_channel_order(account=account, data=channel_order("UNLINKED", lines=(("X", 1),)))
    set_hold(order_id=ok.order_id, on_hold=True)
    assert attention_counts() == {"to_dispatch": 2, "unlinked": 1, "short_stock": 1, "failed_shipments": 0}


def test_order_list_short_stock_and_statuses(make_account, make_item, link):
    account = make_account()
    link(account, "MUG", make_item("MUG", on_hand=1))
    import_channel_order(account=account, data=channel_order("FULL", lines=(("MUG", 1),)))
    short = import_channel_order(account=account, data=channel_order("SHORT", lines=(("MUG", 1),)))
    assert [o.external_order_id for o in order_list(short_stock=True)] == ["SHORT"]
    assert [o.external_order_id for o in order_list(short_stock=False)] == ["FULL"]
    cancel_order(order_id=short.order_id)
    assert [o.external_order_id for o in order_list(statuses=("open", "pending"))] == ["FULL"]


def test_channel_attention_counts(make_account, link):
    failing = make_account()
    failing.last_check_ok = False
    failing.save()
    disabled = make_account()
    disabled.last_check_ok, disabled.enabled = False, False
    disabled.save()
    link(failing, "A", None, status=ListingStatus.ERROR)
    link(failing, "B", None, status=ListingStatus.CONFIRMED)
    assert channel_attention_counts() == {
        "listings_in_error": 1,
        "listing_error_accounts": [failing.pk],
        "accounts_failing": 1,
    }


def test_orders_per_day_groups_by_local_day_and_source(make_account):
    account = make_account()
    now = timezone.now()
    import_channel_order(account=account, data=channel_order("A", purchased_at=now))
    import_channel_order(account=account, data=channel_order("B", purchased_at=now - timedelta(days=2)))
    import_channel_order(account=account, data=channel_order("OLD", purchased_at=now - timedelta(days=40)))
    rows = orders_per_day(days=30)
    assert [(r["day"], r["source"], r["count"]) for r in rows] == [
        (timezone.localtime(now - timedelta(days=2)).date(), "amazon", 1),
        (timezone.localtime(now).date(), "amazon", 1),
    ]


def test_stock_item_list_annotations(make_item, make_account, link):
    account = make_account()
    item = make_item("MUG", on_hand=5)
    make_item("EMPTY")
    link(account, "MUG", item)
    import_channel_order(account=account, data=channel_order("A", lines=(("MUG", 2),)))
    rows = {i.sku: (i.on_hand, i.allocated, i.available) for i in stock_item_list()}
    assert rows == {"MUG": (5, 2, 3), "EMPTY": (0, 0, 0)}
    assert [i.sku for i in stock_item_list(search="mu")] == ["MUG"]


def test_on_hand_and_held_by_day(make_item, make_account, link):
    account = make_account()
    item = make_item("MUG", on_hand=5)
    link(account, "MUG", item)
    history = on_hand_by_day(item_id=item.pk, days=3)
    assert [q for _, q in history] == [0, 0, 5]
    import_channel_order(account=account, data=channel_order("A", lines=(("MUG", 2),)))
    assert held_quantity_by_day(item_id=item.pk, days=3) == [0, 0, 2]
    # an order created two days ago and cancelled yesterday held stock on the day before yesterday only
    old = import_channel_order(account=account, data=channel_order("OLD", lines=(("MUG", 1),)))
    Order.objects.filter(pk=old.order_id).update(
        created_at=timezone.now() - timedelta(days=2), cancelled_at=timezone.now() - timedelta(days=1)
    )
    assert OrderLine.objects.filter(order_id=old.order_id).count() == 1
    assert held_quantity_by_day(item_id=item.pk, days=3) == [1, 0, 2]
    adjust_stock(item=item, delta=-1, reason="broken")
    assert [q for _, q in on_hand_by_day(item_id=item.pk, days=3)] == [0, 0, 4]
