"""The seller's safety options in the engine, channel-neutral (the fake channel): "Do not download
orders prior to" keeps every order bought before the cut-off out of the book, and a released held
confirmation is sent once while "Do not submit shipping data" holds new dispatches."""

from datetime import UTC, datetime, timedelta

from django.test import Client
from django.urls import reverse

from stockroom.channels.contracts import ChannelOrderStatus
from stockroom.cli.management.commands.sync import run_as_dict, run_line
from stockroom.orders import services as order_services
from stockroom.orders.models import ChannelShipment, Order, OrderEvent, ShippingMethod
from stockroom.sync import accounts, engine, services
from stockroom.sync.models import ChannelWrite, IssueStatus, SyncCursor, SyncIssue
from stockroom.web.permissions import ADMINISTRATOR
from tests.conftest import channel_order
from tests.factories import create_user

CUT_OFF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CUT_OFF_TEXT = "2026-11-20T12:00:00Z"


def bought(minutes: float, order_id: str, **fields):
    """An order bought ``minutes`` after the cut-off (negative: before it)."""
    return channel_order(order_id, purchased_at=CUT_OFF + timedelta(minutes=minutes), **fields)


def test_no_order_bought_before_the_cut_off_enters_the_book_whatever_its_later_updates(fake_account, channel):
    account = fake_account(download_orders_since=CUT_OFF_TEXT)
    state = channel(account)
    state.add_order(bought(-3, "EARLY-3M"))
    state.add_order(bought(-30, "PAID-LATER", status=ChannelOrderStatus.PENDING))
    state.add_order(bought(0, "AT-CUT-OFF"))
    state.add_order(bought(10, "AFTER"))

    first = engine.sync_account(account, trigger="cli")
    # the channel reports the early order paid after the cut-off: an update, still not wanted
    state.add_order(bought(-30, "PAID-LATER", status=ChannelOrderStatus.UNSHIPPED))
    state.add_order(bought(20, "LATER"))
    second = engine.sync_account(account, trigger="cli")

    assert sorted(Order.objects.values_list("external_order_id", flat=True)) == [
        "AFTER",
        "AT-CUT-OFF",
        "LATER",
    ]
    assert (first.status, first.orders_in, first.orders_new, first.orders_skipped) == ("ok", 2, 2, 2)
    assert first.message == (
        "2 order(s) downloaded (2 new, 0 updated), 2 order(s) skipped as bought before 2026-11-20 12:00:00 "
        'UTC, "Do not download orders prior to" (EARLY-3M, PAID-LATER), 0 confirmation(s) sent, '
        "0 stock update(s) sent"
    )
    assert (second.orders_in, second.orders_new, second.orders_skipped) == (1, 1, 1)
    assert "1 order(s) skipped as bought before 2026-11-20 12:00:00 UTC" in second.message
    assert second.message.endswith(
        '"Do not download orders prior to" (PAID-LATER), 0 confirmation(s) sent, 0 stock update(s) sent'
    )
    # the cursor moves past the skipped orders as past any other
    assert SyncCursor.objects.get(account=account, stream="orders").value == "6"
    assert run_as_dict(second)["orders_skipped"] == 1
    assert run_line(second) == (
        f"{account.name}: OK: 1 order(s) downloaded (1 new, 1 skipped as bought before the cut-off), "
        "0 confirmation(s) sent, 0 stock update(s) sent, 0 error(s)"
    )
    third = engine.sync_account(account, trigger="cli")
    assert (third.orders_in, third.orders_skipped, third.message) == (
        0,
        0,
        "0 order(s) downloaded (0 new, 0 updated), 0 confirmation(s) sent, 0 stock update(s) sent",
    )


def test_an_order_seen_twice_in_one_run_is_counted_once_and_the_summary_names_five(fake_account, channel):
    account = fake_account(download_orders_since=CUT_OFF_TEXT)
    state = channel(account)
    state.page_size = 3
    for n in range(7):
        state.add_order(bought(-60 - n, f"OLD-{n}"))
    state.add_order(bought(-60, "OLD-0", status=ChannelOrderStatus.CANCELLED))  # on a later page

    run = engine.sync_account(account, trigger="cli")

    assert (run.orders_in, run.orders_skipped) == (0, 7)
    assert (
        '7 order(s) skipped as bought before 2026-11-20 12:00:00 UTC, "Do not download orders prior to" '
        "(OLD-1, OLD-2, OLD-3, OLD-4, OLD-5, ...), 0 confirmation(s) sent"
    ) in run.message
    assert not Order.objects.exists()


def test_an_order_already_in_the_book_keeps_being_updated_after_a_cut_off_is_set(fake_account, channel):
    account = fake_account()
    state = channel(account)
    state.add_order(bought(-60, "KNOWN"))
    engine.sync_account(account, trigger="cli")
    account.options["download_orders_since"] = CUT_OFF_TEXT  # the fake channel has no option checks
    account.save(update_fields=["options"])

    state.add_order(bought(-60, "KNOWN", status=ChannelOrderStatus.CANCELLED))
    run = engine.sync_account(account, trigger="cli")

    assert (run.orders_in, run.orders_updated, run.orders_skipped) == (1, 1, 0)
    assert Order.objects.get(external_order_id="KNOWN").status == "cancelled"


def test_a_skipped_order_resolves_its_open_import_issue(fake_account, channel):
    account = fake_account(download_orders_since=CUT_OFF_TEXT)
    engine.open_issue(
        account=account,
        kind="order",
        external_ref="EARLY",
        message="the order has no lines",
        retry_action="reimport_order",
    )
    channel(account).add_order(bought(-5, "EARLY"))

    run = engine.sync_account(account, trigger="cli")

    issue = SyncIssue.objects.get(account=account, external_ref="EARLY")
    assert (issue.status, issue.resolution) == (
        IssueStatus.RESOLVED,
        "bought before the account's cut-off: not imported",
    )
    assert (run.status, run.orders_skipped) == ("ok", 1)


def test_retrying_the_import_of_an_order_bought_before_the_cut_off_imports_nothing(fake_account):
    account = fake_account(download_orders_since=CUT_OFF_TEXT)
    issue = engine.open_issue(
        account=account,
        kind="order",
        external_ref="EARLY",
        message="internal error while importing",
        raw_data=engine.order_to_raw(bought(-5, "EARLY")),
        retry_action="reimport_order",
    )

    outcome = services.retry_issue(issue_id=issue.pk)

    assert outcome == (
        'order EARLY not imported: bought before 2026-11-20 12:00:00 UTC ("Do not download orders prior to")'
    )
    issue.refresh_from_db()
    assert (issue.status, issue.resolution) == (
        IssueStatus.RESOLVED,
        "bought before the account's cut-off: not imported",
    )
    assert not Order.objects.exists()
    late = engine.open_issue(
        account=account,
        kind="order",
        external_ref="LATE",
        message="internal error while importing",
        raw_data=engine.order_to_raw(bought(5, "LATE")),
        retry_action="reimport_order",
    )
    assert services.retry_issue(issue_id=late.pk) == "order LATE imported"


def test_without_a_cut_off_every_order_is_imported(fake_account, channel):
    account = fake_account()
    channel(account).add_order(bought(-60 * 24 * 365, "A-YEAR-AGO"))

    run = engine.sync_account(account, trigger="cli")

    assert (run.orders_new, run.orders_skipped) == (1, 0)


def test_the_run_history_shows_how_many_orders_were_skipped_and_why(fake_account, channel):
    account = fake_account("Cut-off Shop", download_orders_since=CUT_OFF_TEXT)
    channel(account).add_order(bought(-1, "EARLY-1"))
    channel(account).add_order(bought(1, "LATE-1"))
    run = engine.sync_account(account, trigger="cli")
    user = create_user("cut-off-admin", role=ADMINISTRATOR)
    web = Client()
    web.force_login(user)

    history = web.get(reverse("sync_runs")).content.decode()
    detail = web.get(reverse("sync_run", args=[run.pk])).content.decode()

    counts = "1 order (1 new, 0 updated, <span "
    assert counts in history and counts in detail
    assert ">1 skipped as bought before the cut-off</span>)" in history
    assert (
        "1 order(s) skipped as bought before 2026-11-20 12:00:00 UTC, &quot;Do not download orders prior "
        "to&quot; (EARLY-1)"
    ) in detail


# --- held shipping confirmations ------------------------------------------------------------------------


def dispatch(account, channel, make_item, link, order_id):
    link(account, f"CH-{order_id}", make_item(f"ITEM-{order_id}", on_hand=5))
    channel(account).add_order(channel_order(order_id, lines=((f"CH-{order_id}", 1),)))
    engine.sync_account(account, trigger="cli", steps=("orders",))
    order = Order.objects.get(external_order_id=order_id)
    ShippingMethod.objects.get_or_create(name="Courier")
    order_services.process_order(
        order_id=order.pk, tracking_number=f"T-{order_id}", shipping_method="Courier"
    )
    return order


def shipment_history(order):
    return [
        message.split(":")[0]
        for message in OrderEvent.objects.filter(order=order, kind="shipment").values_list(
            "message", flat=True
        )
    ]


def test_a_released_confirmation_is_sent_once_while_new_dispatches_stay_held(
    fake_account, channel, make_item, link, mapping, settings
):
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = False  # "the next sync" is this test's sync call
    account = fake_account(hold_shipping_data=True)
    mapping(account)
    first = dispatch(account, channel, make_item, link, "HELD-1")
    engine.sync_account(account, trigger="cli")
    assert ChannelShipment.objects.get(order=first).status == "held"

    assert accounts.release_held(account=account) == 1
    second = dispatch(account, channel, make_item, link, "NEW-1")  # after the release: held
    run = engine.sync_account(account, trigger="cli")
    again = engine.sync_account(account, trigger="cli")

    state = channel(account)
    assert [s.external_order_id for s in state.shipments] == ["HELD-1"]
    assert (run.confirmations_sent, again.confirmations_sent) == (1, 0)
    assert ChannelShipment.objects.get(order=first).status == "sent"
    assert ChannelShipment.objects.get(order=second).status == "held"
    assert list(ChannelWrite.objects.filter(kind="shipment").values_list("key", "status")) == [
        ("HELD-1", "confirmed")
    ]
    assert shipment_history(first) == [
        "Shipping confirmation held",
        "Held shipping confirmation released",
        f"Shipping confirmation sent to {account.name}",
    ]
    assert shipment_history(second) == ["Shipping confirmation held"]
    assert accounts.held_shipment_count(account) == 1


def test_a_confirmation_pending_when_the_account_became_read_only_is_held_not_sent(
    fake_account, channel, make_item, link, mapping, settings
):
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = False
    account = fake_account()
    mapping(account)
    order = dispatch(account, channel, make_item, link, "BEFORE")
    account.options["hold_shipping_data"] = True
    account.save(update_fields=["options"])

    engine.sync_account(account, trigger="cli")

    assert channel(account).shipments == []
    assert ChannelShipment.objects.get(order=order).status == "held"
