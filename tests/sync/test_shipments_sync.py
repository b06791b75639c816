"""Shipping confirmations: journaled before sending, sent exactly once, errors shown on the order."""

from dataclasses import replace

import pytest

from stockroom.channels.contracts import ChannelOrderStatus, RateLimited
from stockroom.core.errors import Conflict
from stockroom.orders import services as order_services
from stockroom.orders.models import ChannelShipment, Order, OrderEvent, ShippingMethod
from stockroom.sync import accounts, engine, services
from stockroom.sync.models import ChannelWrite, SyncIssue
from tests.conftest import channel_order


def dispatched_order(account, channel, make_item, link, order_id="S-1", method="Courier"):
    ShippingMethod.objects.get_or_create(name=method)
    item = make_item(on_hand=5)
    link(account, "CH-S", item)
    channel(account).add_order(channel_order(order_id, lines=(("CH-S", 1),)))
    engine.sync_account(account, trigger="cli", steps=("orders",))
    order = Order.objects.get(external_order_id=order_id)
    order_services.process_order(order_id=order.pk, tracking_number="TRK1", shipping_method=method)
    return order


def test_pending_confirmation_is_journaled_sent_once_and_marked_sent(
    fake_account, channel, make_item, link, mapping
):
    account = fake_account()
    mapping(account)
    order = dispatched_order(account, channel, make_item, link)

    run = engine.sync_account(account, trigger="cli")

    assert run.confirmations_sent == 1
    sent = channel(account).shipments
    assert [(s.external_order_id, s.carrier_code, s.ship_method, s.tracking_number) for s in sent] == [
        ("S-1", "Royal Mail", "Tracked 48", "TRK1")
    ]
    assert [(line.external_line_id, line.quantity) for line in sent[0].lines] == [("S-1-1", 1)]
    shipment = ChannelShipment.objects.get(order=order)
    assert (shipment.status, shipment.attempts) == ("sent", 1)
    write = ChannelWrite.objects.get(shipment=shipment)
    assert (write.kind, write.key, write.status, write.attempts) == ("shipment", "S-1", "confirmed", 1)
    assert write.payload["tracking_number"] == "TRK1"
    assert OrderEvent.objects.filter(order=order, kind="shipment").last().message == (
        f"Shipping confirmation sent to {account.name}"
    )
    engine.sync_account(account, trigger="cli")
    assert len(channel(account).shipments) == 1


def test_unmapped_shipping_method_is_an_error_before_anything_is_sent_and_retry_sends_it(
    fake_account, channel, make_item, link, mapping
):
    account = fake_account()
    order = dispatched_order(account, channel, make_item, link, method="Pigeon")

    run = engine.sync_account(account, trigger="cli")

    assert channel(account).shipments == []
    assert run.confirmations_failed == 1
    shipment = ChannelShipment.objects.get(order=order)
    expected = (
        f"shipping method 'Pigeon' has no mapping for account {account.name}: add a shipping mapping "
        "(carrier code and ship method), then retry"
    )
    assert (shipment.status, shipment.last_error) == ("error", expected)
    assert not ChannelWrite.objects.filter(kind="shipment").exists()
    assert OrderEvent.objects.filter(order=order, kind="shipment_error").get().message == (
        f"Shipping confirmation not accepted: {expected}"
    )
    issue = SyncIssue.objects.get(kind="shipment")
    assert (issue.external_ref, issue.retry_action) == ("S-1", "resend_shipment")

    mapping(account, method="pigeon", carrier="DPD")
    assert services.retry_issue(issue_id=issue.pk) == "shipping confirmation for S-1 sent"

    assert [s.carrier_code for s in channel(account).shipments] == ["DPD"]
    shipment.refresh_from_db()
    assert shipment.status == "sent"
    issue.refresh_from_db()
    assert issue.status == "resolved"


def test_channel_refusal_shows_the_channels_message_on_the_order(
    fake_account, channel, make_item, link, mapping
):
    account = fake_account()
    mapping(account)
    state = channel(account)
    state.shipment_errors["S-1"] = ("InvalidInput: carrierCode 'Royal Mail' is not valid for UK", False)
    order = dispatched_order(account, channel, make_item, link)

    engine.sync_account(account, trigger="cli")

    shipment = ChannelShipment.objects.get(order=order)
    assert (shipment.status, shipment.last_error) == (
        "error",
        "InvalidInput: carrierCode 'Royal Mail' is not valid for UK",
    )
    assert ChannelWrite.objects.get(kind="shipment").status == "error"
    assert (
        "carrierCode 'Royal Mail' is not valid"
        in OrderEvent.objects.get(order=order, kind="shipment_error").message
    )
    engine.sync_account(account, trigger="cli")
    assert ChannelWrite.objects.get(kind="shipment").attempts == 1  # an error is not re-sent by itself


def test_retryable_error_stays_pending_and_is_sent_by_a_later_run(
    fake_account, channel, make_item, link, mapping
):
    account = fake_account()
    mapping(account)
    state = channel(account)
    state.shipment_errors["S-1"] = ("InternalFailure", True)
    order = dispatched_order(account, channel, make_item, link)

    engine.sync_account(account, trigger="cli")
    shipment = ChannelShipment.objects.get(order=order)
    assert (shipment.status, shipment.attempts, shipment.last_error) == ("pending", 1, "InternalFailure")

    del state.shipment_errors["S-1"]
    engine.sync_account(account, trigger="cli")

    shipment.refresh_from_db()
    assert (shipment.status, shipment.attempts) == ("sent", 2)
    assert len(state.shipments) == 1
    assert ChannelWrite.objects.get(kind="shipment").attempts == 2


def test_a_run_whose_confirmation_failed_with_a_5xx_is_not_ok_and_says_once_what_happens(
    fake_account, channel, make_item, link, mapping
):
    # given a dispatched order whose confirmation the channel answers with a server error
    account = fake_account()
    mapping(account)
    channel(account).shipment_errors["S-1"] = ("Amazon answered confirmShipment with 500 (an error)", True)
    dispatched_order(account, channel, make_item, link)

    # when the account is synchronised
    run = engine.sync_account(account, trigger="cli")

    # then the run asks for attention (Partly failed), with one clear sentence about the confirmation
    assert run.status == "partial"
    assert run.errors == [
        "shipments: S-1: Amazon answered confirmShipment with 500 (an error); the confirmation is sent "
        "again in the next run"
    ]
    assert run.message.endswith("1 error(s)")


def test_rate_limited_confirmation_is_not_in_doubt_and_goes_next_run(
    fake_account, channel, make_item, link, mapping
):
    account = fake_account()
    mapping(account)
    state = channel(account)
    order = dispatched_order(account, channel, make_item, link)
    state.raise_once["confirm_shipments"] = RateLimited("QuotaExceeded", retry_after=1)

    run = engine.sync_account(account, trigger="cli")

    assert run.errors == [
        "shipments: rate limited by the channel; carried on in the next run (QuotaExceeded)"
    ]
    assert ChannelWrite.objects.get(kind="shipment").status == "error"
    engine.sync_account(account, trigger="cli")
    assert ChannelShipment.objects.get(order=order).status == "sent"
    assert len(state.shipments) == 1


def test_crash_between_send_and_mark_is_settled_from_the_channel_without_resending(
    fake_account, channel, make_item, link, mapping, monkeypatch
):
    account = fake_account()
    mapping(account)
    state = channel(account)
    order = dispatched_order(account, channel, make_item, link)

    def crash(*args, **kwargs):
        raise SystemExit("killed after the request left")

    with monkeypatch.context() as patch:
        patch.setattr(engine.send_shipments, "record_shipment_outcome", crash)
        try:
            engine.sync_account(account, trigger="cli")
        except SystemExit:
            pass
    shipment = ChannelShipment.objects.get(order=order)
    write = ChannelWrite.objects.get(kind="shipment")
    assert (shipment.status, write.status, write.attempts) == ("pending", "queued", 1)
    assert len(state.shipments) == 1

    engine.sync_account(account, trigger="cli")

    shipment.refresh_from_db()
    write.refresh_from_db()
    assert (shipment.status, write.status, write.attempts) == ("sent", "confirmed", 1)
    assert len(state.shipments) == 1
    assert write.response == "the channel shows the order shipped: the earlier request reached it"


def test_timeout_after_delivery_never_duplicates(fake_account, channel, make_item, link, mapping, settings):
    settings.STOCKROOM_SYNC_IN_DOUBT_GRACE_SECONDS = 0
    account = fake_account()
    mapping(account)
    state = channel(account)
    order = dispatched_order(account, channel, make_item, link)
    state.swallow_shipments = True

    first = engine.sync_account(account, trigger="cli")
    assert first.errors == ["shipments: timed out waiting for the answer (injected)"]
    assert ChannelWrite.objects.get(kind="shipment").status == "queued"

    engine.sync_account(account, trigger="cli")
    engine.sync_account(account, trigger="cli")

    assert len(state.shipments) == 1
    assert ChannelShipment.objects.get(order=order).status == "sent"


def test_in_doubt_confirmation_the_channel_never_got_is_resent_only_after_the_grace(
    fake_account, channel, make_item, link, mapping, settings
):
    account = fake_account()
    mapping(account)
    state = channel(account)
    order = dispatched_order(account, channel, make_item, link)
    from stockroom.channels.contracts import Transient

    state.raise_once["confirm_shipments"] = Transient("503 Service Unavailable")
    engine.sync_account(account, trigger="cli")
    engine.sync_account(account, trigger="cli")
    assert state.shipments == []
    assert ChannelShipment.objects.get(order=order).status == "pending"

    settings.STOCKROOM_SYNC_IN_DOUBT_GRACE_SECONDS = 0
    engine.sync_account(account, trigger="cli")

    assert len(state.shipments) == 1
    assert ChannelShipment.objects.get(order=order).status == "sent"
    assert ChannelWrite.objects.get(kind="shipment").attempts == 2


def test_historic_import_of_shipped_orders_sends_no_confirmation(
    fake_account, channel, make_item, link, mapping
):
    account = fake_account()
    mapping(account)
    link(account, "CH-H", make_item(on_hand=10))
    state = channel(account)
    for n in range(3):
        state.add_order(channel_order(f"H-{n}", lines=(("CH-H", 1),), status=ChannelOrderStatus.SHIPPED))

    engine.sync_account(account, trigger="cli")
    engine.sync_account(account, trigger="cli")

    assert state.shipments == []
    assert set(ChannelShipment.objects.values_list("status", flat=True)) == {"not_needed"}
    assert not ChannelWrite.objects.filter(kind="shipment").exists()


def test_read_only_account_sends_nothing(fake_account, channel, make_item, link, mapping):
    account = fake_account(hold_shipping_data=True, inventory_update=False)
    mapping(account)
    order = dispatched_order(account, channel, make_item, link)
    ChannelShipment.objects.filter(order=order).update(status="pending")  # e.g. made read-only after dispatch

    engine.sync_account(account, trigger="cli")

    state = channel(account)
    assert (state.shipments, state.stock_calls) == ([], [])
    assert ChannelShipment.objects.get(order=order).status == "held"
    assert not ChannelWrite.objects.filter(kind="shipment").exists()


def test_a_refused_confirmation_corrected_is_sent_again_exactly_once_through_the_same_journal_row(
    fake_account, channel, make_item, link, mapping
):
    account = fake_account()
    mapping(account)
    ShippingMethod.objects.create(name="Express")
    mapping(account, method="Express", carrier="DPD", ship_method="Next Day")
    state = channel(account)
    state.shipment_errors["S-1"] = ("the tracking number TRK1 is not a valid tracking number", False)
    order = dispatched_order(account, channel, make_item, link)
    engine.sync_account(account, trigger="cli")
    issue = SyncIssue.objects.get(kind="shipment")
    assert issue.status == "open" and state.shipments == []
    del state.shipment_errors["S-1"]

    accounts.correct_refused_shipment(
        order_id=order.pk,
        tracking_number=" TRK-FIXED ",
        shipping_method="express",
        carrier_code="Other",
        carrier_name="Pigeon Post",
    )
    with pytest.raises(Conflict, match="is waiting to send: only a refused confirmation can be corrected"):
        accounts.correct_refused_shipment(order_id=order.pk, tracking_number="TRK-AGAIN", shipping_method="")
    engine.sync_account(account, trigger="cli")
    engine.sync_account(account, trigger="cli")

    assert [(s.tracking_number, s.carrier_code, s.carrier_name, s.ship_method) for s in state.shipments] == [
        ("TRK-FIXED", "Other", "Pigeon Post", "Next Day")
    ]
    write = ChannelWrite.objects.get(kind="shipment")
    assert (write.status, write.attempts, write.payload["tracking_number"]) == ("confirmed", 2, "TRK-FIXED")
    shipment = ChannelShipment.objects.get(order=order)
    assert (shipment.status, shipment.attempts, shipment.last_error) == ("sent", 2, "")
    order.refresh_from_db()
    assert (order.tracking_number, order.shipping_method) == ("TRK-FIXED", "Express")
    assert OrderEvent.objects.filter(order=order, kind="shipment").values_list("message", flat=True)[0] == (
        "Shipping confirmation corrected (tracking TRK1 → TRK-FIXED; method Courier → Express; carrier as "
        "mapped → Other): it will be sent again"
    )
    issue.refresh_from_db()
    assert (issue.status, issue.resolution) == ("resolved", "sent")


def test_a_corrected_carrier_is_sent_even_for_a_method_the_account_has_not_mapped(
    fake_account, channel, make_item, link
):
    account = fake_account()
    state = channel(account)
    order = dispatched_order(account, channel, make_item, link, method="Courier")
    engine.sync_account(account, trigger="cli")
    assert ChannelShipment.objects.get(order=order).last_error.startswith(
        "shipping method 'Courier' has no mapping"
    )

    accounts.correct_refused_shipment(
        order_id=order.pk, tracking_number="TRK2", shipping_method="Courier", carrier_code="Royal Mail"
    )
    engine.sync_account(account, trigger="cli")

    assert [(s.tracking_number, s.carrier_code, s.carrier_name, s.ship_method) for s in state.shipments] == [
        ("TRK2", "Royal Mail", "", "")
    ]
    assert ChannelShipment.objects.get(order=order).status == "sent"


def package_in_doubt(account, channel, make_item, link, mapping):
    """An order of 3 units on ``account`` whose package 1 (2 units) reached the channel, but the call
    failed after it: its journal row is in doubt. Returns (order, package 1)."""
    mapping(account)
    ShippingMethod.objects.get_or_create(name="Courier")
    link(account, "CH-P", make_item(on_hand=10))
    state = channel(account)
    state.add_order(channel_order("P-1", lines=(("CH-P", 3),)))
    engine.sync_account(account, trigger="cli", steps=("orders",))
    order = Order.objects.get(external_order_id="P-1")
    state.swallow_shipments = True
    first = order_services.dispatch_shipment(
        order_id=order.pk, lines={"P-1-1": 2}, tracking_number="T1", shipping_method="Courier"
    )
    engine.sync_account(account, trigger="cli", steps=("shipments",))
    assert ChannelWrite.objects.get(shipment=first).status == "queued"
    return order, first


def test_packages_in_doubt_are_settled_by_the_channels_shipped_counts_and_never_sent_twice(
    fake_account, channel, make_item, link, mapping
):
    account = fake_account()
    order, first = package_in_doubt(account, channel, make_item, link, mapping)
    state = channel(account)
    # package 2 (1 unit) is dispatched before the next run
    second = order_services.dispatch_shipment(
        order_id=order.pk, lines={"P-1-1": 1}, tracking_number="T2", shipping_method="Courier"
    )
    assert state.order("P-1").status == ChannelOrderStatus.PARTIALLY_SHIPPED

    engine.sync_account(account, trigger="cli")

    # the channel counted 2 shipped: package 1 arrived and is settled; package 2 is sent, once
    assert [
        (s.package_reference, s.tracking_number, [ln.quantity for ln in s.lines]) for s in state.shipments
    ] == [
        (str(order.pk), "T1", [2]),
        (f"{order.pk}0002", "T2", [1]),
    ]
    assert list(ChannelShipment.objects.filter(order=order).values_list("number", "status")) == [
        (1, "sent"),
        (2, "sent"),
    ]
    assert ChannelWrite.objects.get(shipment=first).response == (
        "the channel shows the order shipped: the earlier request reached it"
    )
    assert ChannelWrite.objects.get(shipment=second).attempts == 1
    assert Order.objects.get(pk=order.pk).status == "processed"
    engine.sync_account(account, trigger="cli")
    assert len(state.shipments) == 2


def test_a_package_the_channels_counts_do_not_cover_stays_in_doubt(
    fake_account, channel, make_item, link, mapping
):
    from stockroom.sync.engine.send_shipments import _settle_in_doubt_shipments

    account = fake_account()
    _, first = package_in_doubt(account, channel, make_item, link, mapping)
    write = ChannelWrite.objects.get(shipment=first)

    # the channel shows only 1 unit shipped (another parcel, say): package 1's 2 units are not proven there
    seen = channel(account).order("P-1")
    one = replace(seen, lines=(replace(seen.lines[0], quantity_shipped=1),))
    _settle_in_doubt_shipments(one, [write])

    assert ChannelShipment.objects.get(pk=first.pk).status == "pending"
    assert ChannelWrite.objects.get(pk=write.pk).status == "queued"
    _settle_in_doubt_shipments(seen, [write])  # 2 shipped: it arrived
    assert ChannelShipment.objects.get(pk=first.pk).status == "sent"
