"""The reserve over real HTTP: two Amazon accounts in the simulator share a scarce item (ADR 0015).

Both accounts' orders reach Stockroom ten minutes after they were bought, and each has sold the item
this week, so each may sell a unit before Stockroom hears of it. With one unit left, only one listing
shows it: a buyer on the other account finds none, and nothing is sold twice.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from stockroom.channels.models import ChannelAccount, Listing
from stockroom.inventory.selectors import available_to_sell
from stockroom.inventory.services import adjust_stock, receive_stock
from stockroom.orders.models import Order
from stockroom.sandbox.common.process import SimulatorError
from stockroom.sync import engine
from tests.sync import test_simulator_e2e as e2e
from tests.sync.test_simulator_e2e import UK, place, seller_of, shown

amazon_account = e2e.amazon_account  # the fixture: an Amazon account of the simulator
pytestmark = pytest.mark.django_db(transaction=True)


def bought_minutes_ago(control, account, sku, *, count, minutes):
    """Orders a buyer placed ``minutes`` ago (real time), listable on the simulated Amazon now."""
    bought = (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    order = {
        "marketplace_id": UK,
        "items": [{"sku": sku, "quantity": 1}],
        "status": "Unshipped",
        "force": True,
        "created_at": bought,
    }
    control.place_orders(seller_of(account), [order] * count)


def test_a_scarce_item_on_two_amazon_accounts_is_never_shown_twice(control, amazon_account, make_item, link):
    # given two Amazon accounts, added a day ago, that list one item
    first, second = amazon_account("Amazon A"), amazon_account("Amazon B")
    ChannelAccount.objects.update(created_at=timezone.now() - timedelta(days=1))
    control.create_listing(seller_of(first), "A-SCARCE", quantity=0)
    control.create_listing(seller_of(second), "B-SCARCE", quantity=0)
    item = make_item("SCARCE", on_hand=6)
    on_first = link(first, "A-SCARCE", item)
    link(second, "B-SCARCE", item)
    # and this week's sales, each order imported ten minutes after it was bought: B sells faster
    bought_minutes_ago(control, first, "A-SCARCE", count=1, minutes=10)
    bought_minutes_ago(control, second, "B-SCARCE", count=3, minutes=10)
    runs = engine.sync_all(trigger="schedule")
    assert [run.status for run in runs] == ["ok", "ok"], [run.errors for run in runs]
    assert Order.objects.count() == 4 and available_to_sell(item.pk) == 2
    # two units: each account keeps the one it may sell before Stockroom knows
    assert (shown(control, first, "A-SCARCE"), shown(control, second, "B-SCARCE")) == (2, 2)

    # when a unit breaks, one is left (the hook pushes at once)
    adjust_stock(item=item, delta=-1, reason="broken in the warehouse")

    # then only the faster seller shows it; the other shows 0 and says why
    assert (shown(control, first, "A-SCARCE"), shown(control, second, "B-SCARCE")) == (0, 1)
    on_first.refresh_from_db()
    assert (on_first.last_confirmed_quantity, on_first.reserve_held) == (0, 1)
    # a buyer on A finds none to buy, so the unit cannot sell twice
    with pytest.raises(SimulatorError) as refused:
        control.place_order(seller_of(first), marketplace_id=UK, items=[{"sku": "A-SCARCE", "quantity": 1}])
    assert str(refused.value) == (
        'simulator answered 409: {"error":"sku A-SCARCE: only 0 available, 1 ordered"}'
    )

    # when B sells it and the order arrives, both show 0
    place(control, second, "B-SCARCE")
    control.advance_clock(180)
    assert engine.sync_account(second, trigger="schedule").orders_new == 1
    assert available_to_sell(item.pk) == 0
    assert (shown(control, first, "A-SCARCE"), shown(control, second, "B-SCARCE")) == (0, 0)
    assert Listing.objects.get(pk=on_first.pk).reserve_held == 0

    # and when stock arrives, both show all of it again
    receive_stock(item=item, quantity=5)
    assert (shown(control, first, "A-SCARCE"), shown(control, second, "B-SCARCE")) == (5, 5)
