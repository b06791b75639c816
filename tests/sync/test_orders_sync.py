"""Downloading orders: exactly once, the cursor saved after each stored page, bad records kept as issues."""

from unittest.mock import Mock

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from stockroom.channels.contracts import ChannelOrderStatus, FailedRecord, RateLimited
from stockroom.inventory.models import StockLevel
from stockroom.orders.models import Order, OrderLine
from stockroom.sync import engine, services
from stockroom.sync.locks import DatabaseLease
from stockroom.sync.models import IssueStatus, SyncCursor, SyncIssue, SyncRunStatus
from tests.conftest import channel_order
from tests.sync.concurrency import runs_that_worked, sync_all_in_threads


def add_orders(state, count, sku="CH-1", prefix="A"):
    for n in range(count):
        state.add_order(channel_order(f"{prefix}-{n:04d}", lines=((sku, 1),)))


def test_sync_imports_every_order_once_and_stores_the_cursor_after_the_last_page(fake_account, channel):
    account = fake_account()
    add_orders(channel(account), 25)

    run = engine.sync_account(account, trigger="cli")

    assert (run.status, run.orders_in, run.orders_new, run.orders_updated) == ("ok", 25, 25, 0)
    assert Order.objects.filter(account=account).count() == 25
    assert SyncCursor.objects.get(account=account, stream="orders").value == "25"
    again = engine.sync_account(account, trigger="cli")
    assert (again.orders_in, again.orders_new) == (0, 0)
    assert Order.objects.filter(account=account).count() == 25


def test_changed_order_is_updated_not_duplicated(fake_account, channel):
    account = fake_account()
    state = channel(account)
    state.add_order(channel_order("U-1", status=ChannelOrderStatus.PENDING))
    engine.sync_account(account, trigger="cli")

    state.add_order(channel_order("U-1", status=ChannelOrderStatus.UNSHIPPED))
    run = engine.sync_account(account, trigger="cli")

    assert (run.orders_in, run.orders_new, run.orders_updated) == (1, 0, 1)
    assert list(Order.objects.values_list("external_order_id", "status")) == [("U-1", "open")]


def test_a_run_killed_half_way_keeps_the_position_of_its_last_stored_page_and_the_rerun_goes_on(
    fake_account, channel
):
    account = fake_account()
    state = channel(account)
    add_orders(state, 25)
    state.fail_fetch_after_pages = 2

    broken = engine.sync_account(account, trigger="cli")

    assert broken.status == SyncRunStatus.PARTIAL
    assert broken.orders_new == 20
    assert any("dropped half-way" in error for error in broken.errors)
    # the cursor of the second page, saved once its orders were stored
    assert SyncCursor.objects.get(account=account, stream="orders").value == "20"

    rerun = engine.sync_account(account, trigger="cli")

    # the rerun reads only the page it had not stored
    assert (rerun.status, rerun.orders_in, rerun.orders_new, rerun.orders_updated) == ("ok", 5, 5, 0)
    assert Order.objects.filter(account=account).count() == 25
    assert OrderLine.objects.filter(order__account=account).count() == 25
    assert SyncCursor.objects.get(account=account, stream="orders").value == "25"


def test_a_bad_order_becomes_an_issue_with_raw_data_and_the_run_goes_on(fake_account, channel):
    account = fake_account()
    state = channel(account)
    state.add_order(channel_order("GOOD-1"))
    state.add_order(channel_order("BAD-1", lines=()))
    state.add_order(channel_order("GOOD-2"))

    run = engine.sync_account(account, trigger="cli")

    assert run.status == SyncRunStatus.PARTIAL
    assert (run.orders_in, run.orders_new, run.order_errors) == (3, 2, 1)
    assert set(Order.objects.values_list("external_order_id", flat=True)) == {"GOOD-1", "GOOD-2"}
    issue = SyncIssue.objects.get(account=account)
    assert (issue.kind, issue.external_ref, issue.status, issue.retry_action) == (
        "order",
        "BAD-1",
        "open",
        "reimport_order",
    )
    assert issue.message == "order BAD-1 has no lines"
    assert '"external_order_id": "BAD-1"' in issue.raw_data


def test_an_untranslatable_record_is_kept_and_the_same_failure_bumps_one_issue(fake_account, channel):
    account = fake_account()
    state = channel(account)
    state.add_order(channel_order("OK-1"))
    state.failed_records = [FailedRecord("X-9", "OrderTotal is not a number", "<Order>x</Order>")]
    engine.sync_account(account, trigger="cli")
    state.add_order(channel_order("OK-2"))
    state.failed_records = [FailedRecord("X-9", "OrderTotal is not a number", "<Order>x</Order>")]
    engine.sync_account(account, trigger="cli")

    issue = SyncIssue.objects.get(account=account)
    assert (issue.external_ref, issue.attempts, issue.raw_data) == ("X-9", 2, "<Order>x</Order>")
    assert issue.message == "the order could not be read: OrderTotal is not a number"
    assert Order.objects.count() == 2


def test_retry_reimports_the_raw_order_and_resolves_the_issue(fake_account, channel, monkeypatch):
    account = fake_account()
    channel(account).add_order(channel_order("FLAKY-1"))
    real_import = engine.download_orders.import_channel_order
    calls = []

    def failing_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real_import(**kwargs)

    monkeypatch.setattr(engine.download_orders, "import_channel_order", failing_once)
    monkeypatch.setattr(
        engine.download_orders, "import_new_channel_orders", lambda **kwargs: {}
    )  # leaves every order
    engine.sync_account(account, trigger="cli")
    issue = SyncIssue.objects.get(account=account)
    assert issue.message == "internal error while importing: database went away"
    assert not Order.objects.exists()

    message = services.retry_issue(issue_id=issue.pk)

    assert message == "order FLAKY-1 imported"
    issue.refresh_from_db()
    assert (issue.status, issue.resolution) == (IssueStatus.RESOLVED, "imported by a retry")
    assert list(Order.objects.values_list("external_order_id", flat=True)) == ["FLAKY-1"]


def test_retry_of_a_still_bad_order_keeps_the_issue_open_with_one_more_attempt(fake_account, channel):
    account = fake_account()
    channel(account).add_order(channel_order("BAD-2", lines=()))
    engine.sync_account(account, trigger="cli")
    issue = SyncIssue.objects.get()

    with pytest.raises(Exception, match="order BAD-2 has no lines"):
        services.retry_issue(issue_id=issue.pk)

    issue.refresh_from_db()
    assert (issue.status, issue.attempts) == ("open", 2)


def test_resolve_closes_an_issue_without_sending_anything(fake_account, channel, admin_user):
    account = fake_account()
    channel(account).add_order(channel_order("BAD-3", lines=()))
    engine.sync_account(account, trigger="cli")

    issue = services.resolve_issue(
        issue_id=SyncIssue.objects.get().pk, user=admin_user, note="cancelled on Amazon"
    )

    assert (issue.status, issue.resolution) == ("resolved", "resolved admin: cancelled on Amazon")


def test_rate_limit_ends_the_step_cleanly_and_the_other_steps_still_run(
    fake_account, channel, make_item, link
):
    account = fake_account()
    state = channel(account)
    add_orders(state, 3)
    link(account, "CH-9", make_item("RL-1", on_hand=4))
    state.fetch_error = RateLimited("QuotaExceeded: too many requests", retry_after=2)

    run = engine.sync_account(account, trigger="cli")

    assert run.status == SyncRunStatus.PARTIAL
    assert run.errors == [
        "orders: rate limited by the channel; carried on in the next run (QuotaExceeded: too many requests)"
    ]
    assert (run.orders_in, run.stock_updates_sent) == (0, 1)
    assert state.quantities == {"CH-9": 4}
    state.fetch_error = None
    assert engine.sync_account(account, trigger="cli").orders_new == 3


def test_disabled_account_is_not_synchronised(fake_account, channel):
    live, off = fake_account("Live"), fake_account("Off")
    add_orders(channel(live), 2, prefix="L")
    add_orders(channel(off), 2, prefix="O")
    off.enabled = False
    off.save()

    runs = engine.sync_all(trigger="schedule")

    assert [run.account_id for run in runs] == [live.pk]
    assert set(Order.objects.values_list("account_id", flat=True)) == {live.pk}
    skipped = engine.sync_account(off, trigger="cli")
    assert (skipped.status, skipped.message) == (
        "skipped",
        "the account is disabled: enable it to synchronise",
    )
    assert Order.objects.filter(account=off).count() == 0


def test_one_failing_account_never_blocks_the_others(fake_account, make_account, channel):
    broken = make_account("Broken", channel="nowhere")
    fine = fake_account("Fine")
    add_orders(channel(fine), 1)

    runs = engine.sync_all(trigger="schedule")

    assert [(run.account_id, run.status) for run in runs] == [(broken.pk, "failed"), (fine.pk, "ok")]
    assert runs[0].message == "cannot talk to the channel: no connector for channel 'nowhere'"
    assert Order.objects.filter(account=fine).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_syncs_store_every_order_exactly_once(fake_account, channel):
    account = fake_account()
    state = channel(account)
    add_orders(state, 30)
    state.delay = 0.02
    errors = sync_all_in_threads(2)

    assert errors == []
    assert Order.objects.filter(account=account).count() == 30
    assert OrderLine.objects.filter(order__account=account).count() == 30
    assert sum(run.orders_new for run in runs_that_worked(account)) == 30


def test_a_page_of_new_orders_is_created_at_once_and_only_the_others_one_by_one(
    fake_account, channel, make_item, link, monkeypatch
):
    account = fake_account()
    link(account, "CH-1", make_item("PAGE-1", on_hand=5))
    state = channel(account)
    state.add_order(channel_order("KNOWN-1", lines=(("CH-1", 1),), status=ChannelOrderStatus.PENDING))
    engine.sync_account(account, trigger="cli")
    state.add_order(channel_order("KNOWN-1", lines=(("CH-1", 1),), status=ChannelOrderStatus.UNSHIPPED))
    state.add_order(channel_order("NEW-1", lines=(("CH-1", 2),)))
    state.add_order(channel_order("BAD-1", lines=()))
    state.add_order(channel_order("SHIPPED-1", lines=(("CH-1", 1),), status=ChannelOrderStatus.SHIPPED))
    state.add_order(channel_order("NEW-2", lines=(("CH-1", 3),)))
    one_by_one = []
    real_import = engine.download_orders.import_channel_order

    def spy(**kwargs):
        one_by_one.append(kwargs["data"].external_order_id)
        return real_import(**kwargs)

    monkeypatch.setattr(engine.download_orders, "import_channel_order", spy)
    run = engine.sync_account(account, trigger="cli")

    assert one_by_one == ["KNOWN-1", "BAD-1", "SHIPPED-1"]
    assert (run.status, run.orders_in, run.orders_new, run.orders_updated, run.order_errors) == (
        "partial",
        5,
        3,
        1,
        1,
    )
    assert dict(Order.objects.values_list("external_order_id", "status")) == {
        "KNOWN-1": "open",
        "NEW-1": "open",
        "NEW-2": "open",
        "SHIPPED-1": "processed",
    }
    # the page's new orders were allocated in page order; the order shipped on arrival found none free
    assert dict(OrderLine.objects.values_list("order__external_order_id", "allocated_quantity")) == {
        "KNOWN-1": 1,
        "NEW-1": 2,
        "NEW-2": 2,
        "SHIPPED-1": 0,
    }
    assert list(SyncIssue.objects.values_list("external_ref", flat=True)) == ["BAD-1"]


def test_when_the_page_import_fails_every_order_is_imported_one_by_one(fake_account, channel, monkeypatch):
    account = fake_account()
    add_orders(channel(account), 4)

    def broken(**kwargs):
        raise RuntimeError("a bug in the page import")

    monkeypatch.setattr(engine.download_orders, "import_new_channel_orders", broken)
    run = engine.sync_account(account, trigger="cli")

    assert (run.status, run.orders_in, run.orders_new, run.order_errors) == ("ok", 4, 4, 0)
    assert Order.objects.filter(account=account).count() == 4
    assert not SyncIssue.objects.exists()


def test_a_page_import_that_meets_an_order_stored_meanwhile_is_undone_whole_then_one_by_one(
    fake_account, channel, make_item, link, monkeypatch
):
    account = fake_account()
    item = make_item("MUG", on_hand=10)
    link(account, "CH-1", item)
    add_orders(channel(account), 4)
    real = engine.download_orders.import_new_channel_orders

    def raced(**kwargs):
        assert kwargs["savepoint"] is False  # the engine's savepoint is the page import's only one
        real(**kwargs)  # stored and allocated, then another worker's order trips the constraint
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(engine.download_orders, "import_new_channel_orders", raced)
    run = engine.sync_account(account, trigger="cli")

    assert (run.status, run.orders_in, run.orders_new, run.order_errors) == ("ok", 4, 4, 0)
    assert Order.objects.filter(account=account).count() == 4
    lines = OrderLine.objects.filter(order__account=account)
    assert [(line.stock_item_id, line.allocated_quantity) for line in lines] == [(item.pk, 1)] * 4
    assert StockLevel.objects.get(item=item).allocated == 4  # held once, not twice
    assert not SyncIssue.objects.exists()


def test_an_order_created_by_the_page_import_resolves_its_open_issue(fake_account, channel, monkeypatch):
    account = fake_account()
    state = channel(account)
    state.add_order(channel_order("FLAKY-2"))
    with monkeypatch.context() as patch:
        patch.setattr(engine.download_orders, "import_new_channel_orders", lambda **kwargs: {})
        patch.setattr(
            engine.download_orders,
            "import_channel_order",
            Mock(side_effect=RuntimeError("database went away")),
        )
        engine.sync_account(account, trigger="cli")
    assert SyncIssue.objects.get().status == IssueStatus.OPEN

    state.add_order(channel_order("FLAKY-2"))  # the channel serves it again after the cursor
    run = engine.sync_account(account, trigger="cli")

    assert (run.orders_in, run.orders_new) == (1, 1)
    issue = SyncIssue.objects.get()
    assert (issue.status, issue.resolution) == (IssueStatus.RESOLVED, "imported on a later run")
    assert list(Order.objects.values_list("external_order_id", flat=True)) == ["FLAKY-2"]


def test_a_page_of_new_orders_takes_the_same_queries_whatever_its_size(
    fake_account, channel, make_item, link
):
    items = [make_item(f"Q-{n}", on_hand=100) for n in range(4)]
    small, large = fake_account("Small"), fake_account("Large")
    for account in (small, large):
        for n, item in enumerate(items):
            link(account, f"CH-{n}", item)
    # 20 orders: within SQLite's 999 parameters per INSERT, so the database splits no batch
    for account, count in ((small, 3), (large, 20)):
        state = channel(account)
        state.page_size = 50
        for n in range(count):
            state.add_order(
                channel_order(f"{account.name}-{n}", lines=((f"CH-{n % 4}", 1), (f"CH-{(n + 1) % 4}", 2)))
            )
    queries = {}
    for account in (small, large):
        with CaptureQueriesContext(connection) as captured:
            run = engine.sync_account(account, trigger="cli", steps=("orders",))
        queries[account.name] = len(captured)
        assert run.orders_new == len(channel(account).orders)

    assert queries["Large"] == queries["Small"]
    assert OrderLine.objects.filter(order__account=large).count() == 40


def test_page_checkpoints_keep_the_lease_and_show_progress_at_most_once_a_second(
    fake_account, channel, monkeypatch
):
    account = fake_account()
    add_orders(channel(account), 35)  # four pages of ten
    clock = {"now": 1000.0}
    monkeypatch.setattr(engine.runs.time, "monotonic", lambda: clock["now"])
    checkpoints = []
    real_extend, real_import = DatabaseLease.extend, engine.import_new_orders

    def extend(lease):
        checkpoints.append(Order.objects.filter(account=account).count())
        return real_extend(lease)

    def import_page(current, orders):
        clock["now"] += 0.6  # each page takes 0.6 s
        return real_import(current, orders)

    monkeypatch.setattr(DatabaseLease, "extend", extend)
    monkeypatch.setattr(engine.download_orders, "import_new_orders", import_page)
    run = engine.sync_account(account, trigger="cli", steps=("orders",))

    # the phase at once; then pages 2 and 4, when a second has passed since the last checkpoint
    assert checkpoints == [0, 20, 35]
    assert run.orders_new == 35


def test_an_update_imported_one_by_one_resolves_the_issue_an_earlier_run_opened(
    fake_account, channel, monkeypatch
):
    account = fake_account()
    state = channel(account)
    state.add_order(channel_order("UPD-1", status=ChannelOrderStatus.PENDING))
    engine.sync_account(account, trigger="cli")
    state.add_order(channel_order("UPD-1", status=ChannelOrderStatus.UNSHIPPED))
    with monkeypatch.context() as patch:
        patch.setattr(
            engine.download_orders,
            "import_channel_order",
            Mock(side_effect=RuntimeError("database went away")),
        )
        engine.sync_account(account, trigger="cli")
    assert SyncIssue.objects.get().status == IssueStatus.OPEN

    state.add_order(channel_order("UPD-1", status=ChannelOrderStatus.UNSHIPPED))
    run = engine.sync_account(account, trigger="cli")

    assert (run.orders_in, run.orders_updated) == (1, 1)
    issue = SyncIssue.objects.get()
    assert (issue.status, issue.resolution) == (IssueStatus.RESOLVED, "imported on a later run")
    assert Order.objects.get().status == "open"
