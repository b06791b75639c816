"""Dispatch on the web: the tracking number a channel needs, the default method per buyer's service,
correcting a refused shipping confirmation on the order page, and sync issues linking to the order."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from stockroom.catalog.models import StockItem
from stockroom.channels.services import set_shipping_default
from stockroom.inventory.models import StockLevel
from stockroom.orders.models import ChannelShipment, Order, OrderEvent, ShipmentStatus, ShippingMethod
from stockroom.orders.services import create_manual_order, import_channel_order
from stockroom.sync.engine import open_issue
from stockroom.sync.models import IssueKind, RetryAction
from tests.conftest import channel_order
from tests.web.conftest import failed_shipment


@pytest.fixture
def method(db):
    return ShippingMethod.objects.create(name="Royal Mail 48")


@pytest.fixture
def shop(make_account, make_item, link):
    account = make_account("Shop UK")
    link(account, "AMZ-MUG", make_item("MUG", on_hand=10))
    return account


def _order(account, order_id, *, minutes=0, service=""):
    data = channel_order(
        order_id,
        lines=(("AMZ-MUG", 1),),
        purchased_at=datetime(2026, 11, 20, 10, minutes, tzinfo=UTC),
        channel_shipping_service=service,
    )
    return Order.objects.get(pk=import_channel_order(account=account, data=data).order_id)


def level_of(sku: str) -> tuple[int, int]:
    level = StockLevel.objects.get(item__sku=sku)
    return level.on_hand, level.allocated


def test_batch_refuses_orders_without_the_tracking_number_their_channel_needs_and_processes_the_rest(
    staff_client, shop, method
):
    tracked, untracked = _order(shop, "TRACKED"), _order(shop, "UNTRACKED", minutes=1)
    manual = create_manual_order(lines=[(Order.objects.get(pk=tracked.pk).lines.get().stock_item, 1, "1")])

    response = staff_client.post(
        reverse("orders_process"),
        {
            "order": [tracked.pk, untracked.pk, manual.pk],
            f"tracking-{tracked.pk}": "TRK1",
            f"tracking-{untracked.pk}": "  ",
            f"tracking-{manual.pk}": "",
            "shipping_method": method.name,
        },
    )

    html = response.content.decode()
    assert "2 processed with Royal Mail 48" in html and "1 not processed" in html
    assert (
        "order UNTRACKED needs a tracking number: Shop UK (Amazon) refuses a shipping confirmation without one"
        in html
    )
    statuses = dict(Order.objects.values_list("external_order_id", "status"))
    assert statuses == {"TRACKED": "processed", "UNTRACKED": "open", manual.external_order_id: "processed"}
    # the manual order's package has no channel to be confirmed to
    assert sorted(ChannelShipment.objects.values_list("order__external_order_id", "status")) == sorted(
        [("TRACKED", "pending"), (manual.external_order_id, "local")]
    )
    assert level_of("MUG") == (8, 1)


def test_batch_uses_each_accounts_default_for_the_buyers_service_unless_a_method_is_picked(
    staff_client, shop, method, make_account, link
):
    other = make_account("Shop US")
    link(other, "AMZ-MUG", StockItem.objects.get(sku="MUG"))
    ShippingMethod.objects.bulk_create([ShippingMethod(name="Courier"), ShippingMethod(name="A First Class")])
    set_shipping_default(account=shop, channel_service="Expedited", shipping_method="Courier")
    set_shipping_default(account=other, channel_service="expedited", shipping_method="Royal Mail 48")
    uk = _order(shop, "UK-1", service="Expedited")
    us = _order(other, "US-1", service="EXPEDITED")
    none = _order(shop, "UK-2", service="Standard")
    picked = _order(shop, "UK-3", service="Expedited")
    page = staff_client.get(reverse("orders")).content.decode()
    assert '<option value="" selected>Buyer\'s service default (per account)</option>' in page

    response = staff_client.post(
        reverse("orders_process"),
        {"order": [uk.pk, us.pk, none.pk], **{f"tracking-{o.pk}": f"T{o.pk}" for o in (uk, us, none)}},
    )
    staff_client.post(
        reverse("orders_process"),
        {"order": [picked.pk], f"tracking-{picked.pk}": "T", "shipping_method": "A First Class"},
    )

    html = response.content.decode()
    assert "2 processed with each order's default for its buyer's service" in html
    assert "UK-1 processed (Courier)" in html and "US-1 processed (Royal Mail 48)" in html
    assert (
        "order UK-2: choose a shipping method; Shop UK has no default for the buyer&#x27;s service "
        "&#x27;Standard&#x27;" in html
    )
    methods = dict(Order.objects.values_list("external_order_id", "shipping_method"))
    assert methods == {"UK-1": "Courier", "US-1": "Royal Mail 48", "UK-2": "", "UK-3": "A First Class"}


def test_detail_preselects_the_default_for_the_buyers_service(staff_client, shop, method):
    ShippingMethod.objects.create(name="Courier")
    set_shipping_default(account=shop, channel_service="Expedited", shipping_method="Courier")
    with_default = _order(shop, "UK-1", service="Expedited")
    without = _order(shop, "UK-2", service="Standard")

    page = staff_client.get(reverse("order_detail", args=[with_default.pk])).content.decode()
    other = staff_client.get(reverse("order_detail", args=[without.pk])).content.decode()

    assert '<option value="Courier" selected>Courier (default for the buyer\'s service)</option>' in page
    assert '<option value="" selected>choose…</option>' in other


def test_refused_confirmation_shows_the_channels_words_and_a_correction_form(staff_client, shop, method):
    order = _order(shop, "REFUSED")
    failed_shipment(order, last_error="packageDetail.trackingNumber is required.")

    page = staff_client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "Shop UK refused the shipping confirmation" in page
    assert (
        '<strong class="wrap-anywhere" data-refusal>packageDetail.trackingNumber is required.</strong>'
        in page
    )
    assert f'action="/orders/{order.pk}/shipment/"' in page
    assert '<option value="Royal Mail 48" selected>Royal Mail 48</option>' in page
    assert '<option value="">as mapped for the method</option>' in page and '<option value="Other">' in page


def test_correcting_a_refused_confirmation_queues_it_once_and_a_second_submit_changes_nothing(
    staff_client, staff_user, shop, method
):
    order = _order(shop, "REFUSED")
    shipment = failed_shipment(order, last_error="packageDetail.trackingNumber is required.")
    url = reverse("order_correct_shipment", args=[order.pk])
    values = {"tracking_number": "RM123", "shipping_method": "Royal Mail 48", "carrier_code": "royal mail"}

    first = staff_client.post(url, values)
    second = staff_client.post(url, {**values, "tracking_number": "RM999"})

    assert (first.status_code, first["Location"]) == (302, f"/orders/{order.pk}/#shipment")
    assert second.status_code == 400
    assert (
        "the shipping confirmation of order REFUSED is waiting to send: only a refused confirmation can be "
        "corrected" in second.content.decode()
    )
    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_number, shipment.carrier_code) == (
        "pending",
        "RM123",
        "Royal Mail",
    )
    event = OrderEvent.objects.filter(order=order, kind="shipment").get()
    assert (event.user, event.message) == (
        staff_user,
        "Shipping confirmation corrected (tracking T → RM123; carrier as mapped → Royal Mail): it will be sent "
        "again",
    )


def test_correction_refuses_what_the_channel_would_refuse_again_and_keeps_the_input(
    staff_client, shop, method
):
    order = _order(shop, "REFUSED")
    shipment = failed_shipment(order, last_error="refused")
    url = reverse("order_correct_shipment", args=[order.pk])

    no_tracking = staff_client.post(url, {"tracking_number": " ", "shipping_method": "Royal Mail 48"})
    bad_carrier = staff_client.post(
        url, {"tracking_number": "RM1", "shipping_method": "Royal Mail 48", "carrier_code": "Owl"}
    )

    assert no_tracking.status_code == 400
    assert "order REFUSED needs a tracking number: Shop UK (Amazon) refuses" in no_tracking.content.decode()
    assert bad_carrier.status_code == 400
    html = bad_carrier.content.decode()
    assert "&#x27;Owl&#x27; is not one of Amazon&#x27;s carrier codes" in html
    assert 'id="fix-tracking" name="tracking_number" maxlength="100" autocomplete="off" value="RM1"' in html
    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_number) == (ShipmentStatus.ERROR, "T")


def test_a_shipping_confirmation_issue_links_to_its_order(admin_client, shop, method):
    order = _order(shop, "ISSUE-1")
    open_issue(
        account=shop,
        kind=IssueKind.SHIPMENT,
        external_ref="ISSUE-1",
        message="refused",
        retry_action=RetryAction.RESEND_SHIPMENT,
    )
    open_issue(
        account=shop,
        kind=IssueKind.LISTING,
        external_ref="ISSUE-1",
        message="x",
        retry_action=RetryAction.REPUSH_LISTING,
    )

    page = admin_client.get(reverse("sync_issues")).content.decode()

    assert page.count(f'<a href="/orders/{order.pk}/#shipment">ISSUE-1</a>') == 1
    assert page.count(f"/orders/{order.pk}/") == 1
