"""The sync engine with the real Amazon connector against the SP-API simulator, over real HTTP.

Two Amazon accounts are ``ChannelAccount`` rows pointing at the simulator's base URL. Simulated
time is advanced through the control API (orders become listable after Amazon's two minutes,
quantities become visible after the listing update delay), so no test waits for real.
"""

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from stockroom.channels.contracts import AccountConfig, ShipmentConfirmation, ShipmentLine
from stockroom.channels.models import ChannelAccount, ShippingMethodMapping
from stockroom.connectors.amazon.connector import AmazonConnector
from stockroom.inventory.services import adjust_stock
from stockroom.orders import services as order_services
from stockroom.orders.models import ChannelShipment, Order, OrderLine, ShippingMethod
from stockroom.sync import engine
from stockroom.sync.models import ChannelWrite, IssueKind, IssueStatus, SyncCursor, SyncIssue
from tests.sync.concurrency import runs_that_worked, sync_all_in_threads

UK = "A1F83G8C2ARO7P"
_sellers = itertools.count(1)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def amazon_account(sim, control):
    def make(name, **options):
        seller = control.create_seller(f"A{next(_sellers):04d}E2ESELLER", marketplaces=[UK])
        account = ChannelAccount.objects.create(
            channel="amazon",
            name=name,
            external_account_id=seller["seller_id"],
            region="eu",
            marketplaces=["UK"],
            options={"inventory_update": True, "download_orders_since": recent(), **options},
            credentials={k: seller[k] for k in ("client_id", "client_secret", "refresh_token")},
            endpoint=sim.base_url,
            token_url=sim.token_url,
        )
        ShippingMethod.objects.get_or_create(name="Courier")
        ShippingMethodMapping.objects.create(
            account=account, shipping_method="Courier", carrier_code="Royal Mail", ship_method="Tracked 48"
        )
        return account

    return make


def recent() -> str:
    """A first-run window of an hour (the connector catches up a week at a day per run)."""
    return (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def seller_of(account):
    return account.external_account_id


def place(control, account, sku, count=1, quantity=1):
    orders = [
        {
            "marketplace_id": UK,
            "items": [{"sku": sku, "quantity": quantity}],
            "status": "Unshipped",
            "force": True,
        }
    ]
    return control.place_orders(seller_of(account), orders * count)


def shown(control, account, sku):
    """The quantity Amazon shows once submitted quantities have propagated."""
    control.advance_clock(150)
    return control.get_listing(seller_of(account), sku)["quantity"]


def calls(control, account, operation, field="calls"):
    return control.stats().get(seller_of(account), {}).get(operation, {}).get(field, 0)


def throttled(control):
    return {
        (s, op): v["throttled"]
        for s, per in control.stats().items()
        for op, v in per.items()
        if v["throttled"]
    }


def test_multichannel_an_order_on_a_lowers_b_and_an_adjustment_reaches_both(
    control, amazon_account, make_item, link
):
    first, second = amazon_account("Amazon A"), amazon_account("Amazon B")
    control.create_listing(seller_of(first), "A-SKU", quantity=0)
    control.create_listing(seller_of(second), "B-SKU", quantity=0)
    item = make_item("E2E-MULTI", on_hand=10)
    link(first, "A-SKU", item)
    link(second, "B-SKU", item)

    runs = engine.sync_all(trigger="schedule")
    assert [run.status for run in runs] == ["ok", "ok"], [run.errors for run in runs]
    assert (shown(control, first, "A-SKU"), shown(control, second, "B-SKU")) == (10, 10)

    place(control, first, "A-SKU", quantity=3)
    control.advance_clock(180)
    run = engine.sync_account(first, trigger="schedule")

    assert (run.status, run.orders_new) == ("ok", 1), run.errors
    assert shown(control, second, "B-SKU") == 7
    assert shown(control, first, "A-SKU") == 7

    adjust_stock(item=item, delta=-2, reason="damaged")  # no sync call: the hook pushes

    assert (shown(control, first, "A-SKU"), shown(control, second, "B-SKU")) == (5, 5)
    assert throttled(control) == {}


def test_burst_of_50_orders_makes_far_fewer_than_50_quantity_updates(
    control, amazon_account, make_item, link
):
    first, second = amazon_account("Burst A"), amazon_account("Burst B")
    control.create_listing(seller_of(first), "BA", quantity=100)
    control.create_listing(seller_of(second), "BB", quantity=100)
    item = make_item("E2E-BURST", on_hand=100)
    link(first, "BA", item)
    link(second, "BB", item)
    engine.sync_all(trigger="schedule")
    patches_before = calls(control, second, "patchListingsItem")

    place(control, first, "BA", count=50)
    control.advance_clock(180)
    run = engine.sync_account(first, trigger="schedule")

    assert (run.orders_new, Order.objects.count()) == (50, 50), run.errors
    assert calls(control, second, "patchListingsItem") - patches_before == 1
    assert shown(control, second, "BB") == 50
    assert throttled(control) == {}


def test_orders_exactly_once_with_overlapping_syncs_and_after_a_kill_half_way(
    control, amazon_account, make_item, link, monkeypatch
):
    account = amazon_account("Once")
    control.create_listing(seller_of(account), "ONCE", quantity=500)
    link(account, "ONCE", make_item("E2E-ONCE", on_hand=500))
    place(control, account, "ONCE", count=30)
    control.advance_clock(180)
    real_import = engine.download_orders.import_order
    imported = []

    def killed_after_12(current, data):
        if len(imported) == 12:
            raise KeyboardInterrupt("worker killed half-way through a page")
        imported.append(data.external_order_id)
        return real_import(current, data)

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(engine.download_orders, "import_order", killed_after_12)
        patch.setattr(engine.download_orders, "import_new_channel_orders", lambda **kwargs: {})  # one by one
        engine.sync_account(account, trigger="schedule")
    assert len(imported) == 12
    assert Order.objects.count() == 0  # a page and the position after it are one commit: none of it kept

    errors = sync_all_in_threads(2)

    assert errors == []
    assert Order.objects.filter(account=account).count() == 30
    assert OrderLine.objects.filter(order__account=account).count() == 30
    runs = runs_that_worked(account)
    assert runs[0].status == "failed" and runs[0].message.startswith("interrupted")


def test_injected_5xx_and_html_errors_lose_and_duplicate_nothing(control, amazon_account, make_item, link):
    account = amazon_account("Faulty")
    control.create_listing(seller_of(account), "FLT", quantity=100)
    item = make_item("E2E-FAULT", on_hand=100)
    link(account, "FLT", item)
    place(control, account, "FLT", count=5)
    control.advance_clock(180)
    # three in a row outlast the client's own retries, so the engine sees the errors
    control.set_fault("searchOrders", "http_503", count=3)
    control.set_fault("patchListingsItem", "http_500", count=3)

    first = engine.sync_account(account, trigger="schedule")

    assert first.status == "partial"
    assert first.errors[0].startswith("orders: ")
    assert Order.objects.count() == 0
    assert not SyncCursor.objects.filter(account=account).exists()
    for _ in range(3):
        engine.sync_account(account, trigger="schedule")
    assert Order.objects.count() == 5
    assert shown(control, account, "FLT") == 95

    order = Order.objects.order_by("pk").first()
    control.set_fault("v0.confirmShipment", "http_500", count=2)
    control.set_fault("v0.confirmShipment", "timeout", count=2, delay_seconds=0.2)
    # dispatching sends at once (the order_dispatched hook); the faults make it fail and stay pending
    order_services.process_order(order_id=order.pk, tracking_number="TRK-E2E", shipping_method="Courier")
    assert ChannelShipment.objects.get(order=order).status == "pending"
    for _ in range(4):
        control.advance_clock(200)
        engine.sync_account(account, trigger="schedule")

    shipment = ChannelShipment.objects.get(order=order)
    assert shipment.status == "sent", shipment.last_error
    assert calls(control, account, "v0.confirmShipment", "faults") == 4
    assert len(control.get_order(seller_of(account), order.external_order_id)["shipments"]) == 1
    assert ChannelWrite.objects.filter(kind="shipment").count() == 1
    assert Order.objects.count() == 5
    assert throttled(control) == {}


def test_historic_shipped_orders_and_read_only_accounts_send_no_confirmation(
    sim, control, amazon_account, make_item, link
):
    historic = amazon_account("Historic")
    read_only = amazon_account("Read only", hold_shipping_data=True, inventory_update=False)
    for account, sku in ((historic, "HIS"), (read_only, "RO")):
        control.create_listing(seller_of(account), sku, quantity=50)
        link(account, sku, make_item(f"E2E-{sku}", on_hand=50))
    placed = [
        control.get_order(seller_of(historic), o["order_id"])
        for o in place(control, historic, "HIS", count=3)
    ]
    other_system = AmazonConnector(_config(historic))
    other_system.confirm_shipments(
        [
            ShipmentConfirmation(
                external_order_id=order["order_id"],
                marketplace=UK,
                package_reference=str(n + 1),
                carrier_code="Royal Mail",
                carrier_name="",
                ship_method="Tracked 48",
                tracking_number=f"OLD{n}",
                shipped_at=order_time(control),
                lines=tuple(ShipmentLine(i["order_item_id"], i["quantity"]) for i in order["items"]),
            )
            for n, order in enumerate(placed)
        ]
    )
    place(control, read_only, "RO", count=1)
    control.advance_clock(180)
    confirmations_before = calls(control, historic, "v0.confirmShipment")
    assert confirmations_before == 3  # the other system's

    engine.sync_all(trigger="schedule")
    held = Order.objects.get(account=read_only)
    order_services.process_order(order_id=held.pk, tracking_number="RO-1", shipping_method="Courier")
    engine.sync_all(trigger="schedule")

    assert set(Order.objects.filter(account=historic).values_list("status", flat=True)) == {"processed"}
    assert calls(control, historic, "v0.confirmShipment") == confirmations_before
    assert set(ChannelShipment.objects.filter(account=historic).values_list("status", flat=True)) == {
        "not_needed"
    }
    assert ChannelShipment.objects.get(order=held).status == "held"
    assert calls(control, read_only, "v0.confirmShipment") == 0
    assert calls(control, read_only, "patchListingsItem") == 0
    assert not ChannelWrite.objects.filter(account=read_only).exists()


def _config(account) -> AccountConfig:
    from stockroom.sync.registry import account_config

    return account_config(account)


def order_time(control):
    return datetime.now(UTC) - timedelta(minutes=1)


def test_one_sync_all_leaves_an_earlier_account_current_after_a_sale_on_a_later_one(
    control, amazon_account, make_item, link, settings
):
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = False  # no worker: `stockroom sync` runs alone
    first, second = amazon_account("Synced first"), amazon_account("Synced second")
    control.create_listing(seller_of(first), "F-SKU", quantity=0)
    control.create_listing(seller_of(second), "S-SKU", quantity=0)
    item = make_item("E2E-CURRENT", on_hand=10)
    link(first, "F-SKU", item)
    link(second, "S-SKU", item)
    engine.sync_all(trigger="cli")
    assert (shown(control, first, "F-SKU"), shown(control, second, "S-SKU")) == (10, 10)
    patches_before = calls(control, first, "patchListingsItem")

    place(control, second, "S-SKU", quantity=3)
    control.advance_clock(180)
    runs = engine.sync_all(trigger="cli")

    assert [(run.account.name, run.steps, run.status) for run in runs] == [
        ("Synced first", "orders,shipments,stock,results", "ok"),
        ("Synced second", "orders,shipments,stock,results", "ok"),
        ("Synced first", "stock", "ok"),
    ], [run.errors for run in runs]
    assert (runs[1].orders_new, runs[1].stock_updates_sent, runs[2].stock_updates_sent) == (1, 1, 1)
    assert calls(control, first, "patchListingsItem") - patches_before == 1
    assert (shown(control, first, "F-SKU"), shown(control, second, "S-SKU")) == (7, 7)
    assert engine.accounts_to_push() == []


def test_a_report_cut_short_in_transit_is_a_report_issue_then_read_on_the_next_run(control, amazon_account):
    account = amazon_account("Reports", order_source="report_flat", report_period="PT15M")
    control.create_listing(seller_of(account), "R-SKU", quantity=10)
    engine.sync_account(account, trigger="schedule", steps=("orders",))  # schedules the report
    (placed,) = place(control, account, "R-SKU")
    control.advance_clock(15 * 60 + 90)
    control.set_fault("downloadReportDocument", "truncated_document", count=1)

    cut = engine.sync_account(account, trigger="schedule", steps=("orders",))
    (issue,) = SyncIssue.objects.filter(account=account, kind=IssueKind.REPORT, status=IssueStatus.OPEN)
    cursor = SyncCursor.objects.get(account=account, stream="orders").value
    again = engine.sync_account(account, trigger="schedule", steps=("orders",))

    assert (cut.status, cut.orders_new, cut.errors) == ("partial", 0, [])
    assert "could not be read" in issue.message and "downloaded again on the next runs" in issue.message
    assert "The document starts:\norder-id\t" in issue.raw_data
    assert issue.external_ref.removeprefix("report ") in json.loads(cursor)["retry"]  # kept for a retry
    assert (again.status, again.orders_new) == ("ok", 1), again.errors
    assert list(Order.objects.filter(account=account).values_list("external_order_id", flat=True)) == [
        placed["order_id"]
    ]
    issue.refresh_from_db()
    assert (issue.status, issue.resolution) == (IssueStatus.RESOLVED, "read completely on a later run")


def test_two_syncs_and_a_stock_push_of_one_account_make_one_token_exchange(
    control, amazon_account, make_item, link
):
    account = amazon_account("Tokens")
    control.create_listing(seller_of(account), "TOK-1", quantity=0)
    item = make_item("E2E-TOK", on_hand=4)
    link(account, "TOK-1", item)

    first = engine.sync_account(account, trigger="schedule")
    second = engine.sync_account(account, trigger="schedule")
    adjust_stock(item=item, delta=-1, reason="sold in the shop")  # the hook pushes (a third connector)

    assert (first.status, second.status) == ("ok", "ok"), (first.errors, second.errors)
    assert shown(control, account, "TOK-1") == 3
    assert calls(control, account, "lwaToken") == 1  # the access token outlived each run


def test_a_token_the_channel_no_longer_accepts_is_exchanged_again(control, amazon_account):
    account = amazon_account("Stale token")
    engine.sync_account(account, trigger="schedule")
    control.advance_clock(2 * 3600)  # the simulator's access tokens last an hour: the cached one expired

    run = engine.sync_account(account, trigger="schedule")

    assert run.status == "ok", run.errors
    assert calls(control, account, "lwaToken") == 2
