"""What the account page and the account command say about the safety options ("Do not download
orders prior to", "Do not submit shipping data" and releasing held confirmations): the same as what
synchronisation does (tests/sync/test_safety_options*.py)."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from stockroom.orders.models import ChannelShipment, OrderEvent, ShipmentStatus, ShippingMethod
from stockroom.orders.services import import_channel_order, process_order
from stockroom.sync import accounts

CUT_OFF_HELP = (
    "Do not download orders prior to this time (UTC): yyyy-mm-dd hh:mm:ss or ISO 8601. No order bought "
    "before it enters the book, whatever its later updates, from any order source; each sync run says "
    "how many it skipped. Empty = no cut-off (the first sync reads the last 7 days)."
)
HOLD_HELP = (
    "Do not submit shipping data: dispatches are recorded here but never sent to Amazon until you "
    "release them; the next sync sends each released confirmation once, and dispatches made after the "
    "release stay held."
)


def held_dispatch(account, make_item, link, make_channel_order):
    link(account, "AMZ-1", make_item(on_hand=1))
    order_id = import_channel_order(account=account, data=make_channel_order(lines=(("AMZ-1", 1),))).order_id
    ShippingMethod.objects.get_or_create(name="Post")
    process_order(order_id=order_id, tracking_number="T", shipping_method="Post")
    return order_id


def test_the_account_page_explains_both_options_as_they_behave(administrator_client, make_account):
    account = make_account(hold_shipping_data=True)

    page = administrator_client.get(reverse("account_detail", args=[account.pk])).content.decode()

    assert CUT_OFF_HELP in page
    assert HOLD_HELP in page
    option_help = accounts.option_help("amazon")
    assert (option_help["download_orders_since"], option_help["hold_shipping_data"]) == (
        CUT_OFF_HELP,
        HOLD_HELP,
    )


def test_releasing_from_the_page_says_the_next_sync_sends_each_once(
    administrator_client, make_account, make_item, link, make_channel_order
):
    account = make_account(hold_shipping_data=True)
    order_id = held_dispatch(account, make_item, link, make_channel_order)

    response = administrator_client.post(reverse("account_release_held", args=[account.pk]), follow=True)

    assert (
        "1 held shipping confirmation(s) released; the next sync sends each once (later dispatches stay held)."
        in response.content.decode()
    )
    shipment = ChannelShipment.objects.get(order_id=order_id)
    assert (shipment.status, shipment.released_at is not None) == (ShipmentStatus.PENDING, True)
    assert (
        OrderEvent.objects.filter(order_id=order_id, kind="shipment")
        .last()
        .message.startswith(
            "Held shipping confirmation released: the next sync sends it once, with the original ship date "
        )
    )


def test_release_held_on_the_command_line_says_the_same(make_account, make_item, link, make_channel_order):
    account = make_account("Held", hold_shipping_data=True)
    held_dispatch(account, make_item, link, make_channel_order)
    out, err = io.StringIO(), io.StringIO()

    call_command("account", "release-held", "Held", stdout=out, stderr=err)

    assert out.getvalue() == (
        "Held: 1 held shipping confirmation(s) released; the next sync sends each once "
        "(later dispatches stay held)\n"
    )
    assert (
        "Released confirmations are sent with their original ship dates, which may be older than Amazon "
        "accepts (it refuses ship dates too far in the past); those come back as errors to fix by hand.\n"
    ) in err.getvalue()
    again = io.StringIO()
    call_command("account", "release-held", "Held", "--json", stdout=again, stderr=io.StringIO())
    assert json.loads(again.getvalue())["released"] == 0


def test_account_set_help_lists_every_option_with_what_it_does(capsys):
    with pytest.raises(SystemExit):
        call_command("account", "set", "--help")

    help_text = " ".join(capsys.readouterr().out.split())
    for option, text in accounts.option_help("amazon").items():
        assert f"{option}: {text}" in help_text
