"""The stock push sends what the quantity rules and the reserve allow, and journals why (ADR 0015)."""

from datetime import timedelta

from django.utils import timezone

from stockroom.channels.models import ChannelAccount, Listing
from stockroom.inventory.models import PendingStockPush
from stockroom.inventory.services import adjust_stock, receive_stock
from stockroom.orders.models import Order
from stockroom.sync import engine
from stockroom.sync.models import ChannelWrite
from tests.conftest import channel_order


def test_account_rules_and_a_listings_own_rules_decide_what_is_sent(fake_account, channel, make_item, link):
    # given an account that shows at most 10, one listing of its own at 50%, one at a fixed 3
    account = fake_account(max_quantity=10, stock_reserve=False)
    item = make_item("RULE-1", on_hand=12)
    link(account, "CAPPED", item)
    link(account, "HALF", item, percentage=50)
    link(account, "FIXED", item, fixed_quantity=3)
    link(account, "IGNORED", item, ignore_sync=True)

    engine.sync_account(account, trigger="cli")

    # then each shows what its rules say and the journal keeps the sentence
    assert channel(account).quantities == {"CAPPED": 10, "HALF": 6, "FIXED": 3}
    assert {w.key: w.payload["why"] for w in ChannelWrite.objects.filter(kind="stock")} == {
        "CAPPED": "12 available, shows 10: at most 10",
        "HALF": "12 available, shows 6: 50% of 12, rounded down",
        "FIXED": "12 available, shows 3: fixed quantity 3",
    }

    # when stock falls to 4, the capped and half listings follow; the fixed one is not sent again
    adjust_stock(item=item, delta=-8, reason="breakage")
    engine.sync_account(account, trigger="cli")
    assert channel(account).quantities == {"CAPPED": 4, "HALF": 2, "FIXED": 3}
    assert [update.channel_sku for update in channel(account).stock_calls[-1]] == ["CAPPED", "HALF"]


def test_a_minimum_level_shows_0_at_or_below_it(fake_account, channel, make_item, link):
    account = fake_account(min_level=2, stock_reserve=False)
    item = make_item("RULE-2", on_hand=3)
    link(account, "LAST", item)
    engine.sync_account(account, trigger="cli")
    assert channel(account).quantities == {"LAST": 3}

    adjust_stock(item=item, delta=-1, reason="breakage")
    engine.sync_account(account, trigger="cli")

    assert channel(account).quantities == {"LAST": 0}
    assert ChannelWrite.objects.filter(kind="stock").latest("pk").payload["why"] == (
        "2 available, shows 0: at or below the minimum level 2"
    )


def _imported_late(account, channel, sku, *, count, minutes):
    """``count`` orders of one unit bought on the channel ``minutes`` before they are imported."""
    ChannelAccount.objects.filter(pk=account.pk).update(created_at=timezone.now() - timedelta(days=1))
    for _ in range(count):
        channel(account).add_order(
            channel_order(lines=((sku, 1),), purchased_at=timezone.now() - timedelta(minutes=minutes))
        )
    run = engine.sync_account(account, trigger="cli")
    assert run.orders_new == count, run.errors


def _shared_item(fake_account, channel, make_item, link, sku, *, on_hand, sold_on_b, first_options=None):
    """An item listed on Shop A (A-<sku>) and Shop B (B-<sku>), whose orders arrive 10 minutes late:
    A sold one this week, B ``sold_on_b``."""
    first, second = fake_account("Shop A", **(first_options or {})), fake_account("Shop B")
    item = make_item(f"SCARCE-{sku}", on_hand=on_hand)
    link(first, f"A-{sku}", item)
    link(second, f"B-{sku}", item)
    _imported_late(first, channel, f"A-{sku}", count=1, minutes=10)
    _imported_late(second, channel, f"B-{sku}", count=sold_on_b, minutes=10)
    return first, second, item


def test_the_reserve_keeps_the_last_unit_for_the_faster_account_and_gives_it_back(
    fake_account, channel, make_item, link
):
    # given one item listed on two accounts whose orders arrive 10 minutes late, B selling it faster
    first, second, item = _shared_item(fake_account, channel, make_item, link, "1", on_hand=6, sold_on_b=3)
    on_first, on_second = Listing.objects.get(channel_sku="A-1"), Listing.objects.get(channel_sku="B-1")
    assert Order.objects.count() == 4
    # (each may sell 1 unit during its delay: with 2 available, each keeps its own)
    engine.sync_all(trigger="cli")
    assert (channel(first).quantities, channel(second).quantities) == ({"A-1": 2}, {"B-1": 2})

    # when one more unit goes (a breakage): 1 left, which both may sell before Stockroom knows
    adjust_stock(item=item, delta=-1, reason="breakage")
    engine.sync_all(trigger="cli")

    # then the faster seller keeps it and the other shows 0, saying why
    assert (channel(first).quantities, channel(second).quantities) == ({"A-1": 0}, {"B-1": 1})
    on_first.refresh_from_db()
    assert on_first.reserve_held == 1
    assert ChannelWrite.objects.filter(kind="stock", key="A-1").latest("pk").payload["why"] == (
        "1 available, shows 0: 1 held for Shop B (orders arrive up to 10 min late, sells 3.0 a week)"
    )

    # and when stock arrives, the held listing shows it again
    receive_stock(item=item, quantity=4)
    engine.sync_all(trigger="cli")
    assert (channel(first).quantities, channel(second).quantities) == ({"A-1": 5}, {"B-1": 5})
    assert Listing.objects.get(pk=on_first.pk).reserve_held == 0
    assert Listing.objects.get(pk=on_second.pk).reserve_held == 0


def test_an_account_with_the_reserve_off_shows_everything(fake_account, channel, make_item, link):
    first, second, _ = _shared_item(
        fake_account,
        channel,
        make_item,
        link,
        "2",
        on_hand=6,
        sold_on_b=4,
        first_options={"stock_reserve": False},
    )  # 1 left

    engine.sync_all(trigger="cli")

    # B sells faster and keeps its unit; A, its reserve off, shows it too
    assert (channel(first).quantities, channel(second).quantities) == ({"A-2": 1}, {"B-2": 1})


def test_a_held_listing_comes_back_when_the_reserve_lets_go_without_a_stock_change(
    fake_account, channel, make_item, link
):
    # given A's listing holding the last unit back for B
    first, second, _ = _shared_item(
        fake_account, channel, make_item, link, "3", on_hand=5, sold_on_b=3
    )  # 1 left
    engine.sync_all(trigger="cli")
    assert (channel(first).quantities, channel(second).quantities) == ({"A-3": 0}, {"B-3": 1})

    # when the seller turns the reserve off for A: no stock changed, the next push shows the unit
    ChannelAccount.objects.filter(pk=first.pk).update(options={"stock_reserve": False})
    engine.sync_account(ChannelAccount.objects.get(pk=first.pk), trigger="cli")
    assert channel(first).quantities == {"A-3": 1}
    assert Listing.objects.get(channel_sku="A-3").reserve_held == 0

    # and when it is on again, the unit is held back again at the next push
    ChannelAccount.objects.filter(pk=first.pk).update(options={"stock_reserve": True})
    engine.sync_all(trigger="cli", all_listings=True)
    assert (channel(first).quantities, channel(second).quantities) == ({"A-3": 0}, {"B-3": 1})


def test_changing_an_accounts_rule_sends_its_listings_again(fake_account, channel, make_item, link):
    from stockroom.sync import accounts

    account = fake_account(stock_reserve=False)
    link(account, "CH-R", make_item("RULE-3", on_hand=12))
    engine.sync_account(account, trigger="cli")
    assert channel(account).quantities == {"CH-R": 12}

    accounts.set_account_options(account=account, values={"max_quantity": "5"})
    engine.sync_account(account, trigger="cli")
    assert channel(account).quantities == {"CH-R": 5}

    # an option that does not change what listings show marks nothing to send
    accounts.set_account_options(account=account, values={"hold_shipping_data": "on"})
    assert not PendingStockPush.objects.exists()
