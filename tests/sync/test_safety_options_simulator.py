"""The seller's safety options end to end, as a seller uses them: the stockroom commands against the
Amazon SP-API simulator over real HTTP (run on SQLite and, with DATABASE_URL, on PostgreSQL).

- "Do not download orders prior to": no order bought before the cut-off enters the book, whatever
  its later updates, from every order source (Orders API, flat and XML reports, a secondary
  integration reading another system's reports); each run says how many it skipped and why.
- "Do not submit shipping data": a released confirmation is sent once by the next sync, new
  dispatches stay held.
"""

import io
import itertools
import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.core.management import call_command

from stockroom.channels.contracts import AccountConfig
from stockroom.connectors.amazon.connector import REPORT_TYPES, AmazonConnector
from stockroom.orders.models import Order, OrderEvent
from stockroom.sandbox.pytest_plugin import SimulatorOptions

UK = "A1F83G8C2ARO7P"
REPORT_CYCLE = 15 * 60 + 90  # a 15-minute schedule fires, Amazon queues and processes the report
_sellers = itertools.count(1)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def simulator_options():
    """``sim`` and ``control`` (tests/conftest.py) are the simulators' plugin fixtures, reset with seed 17."""
    return SimulatorOptions(seed=17)


@pytest.fixture
def seller(control):
    seller = control.create_seller(f"A{next(_sellers):04d}SAFESELLER", marketplaces=[UK])
    control.create_listing(seller["seller_id"], "SKU-1", quantity=100)
    return seller


def stockroom(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def add_account(sim, seller, name: str, **options) -> None:
    stockroom(
        "account", "add", "amazon", "--name", name, "--seller-id", seller["seller_id"], "--region", "eu",
        "--marketplaces", "UK", "--client-id", seller["client_id"], "--client-secret", seller["client_secret"],
        "--refresh-token", seller["refresh_token"], "--endpoint", sim.base_url, "--token-url", sim.token_url,
    )  # fmt: skip
    for option, value in options.items():  # one at a time, in this order, as a seller types them
        stockroom("account", "set", name, option, value)


def sync(name: str) -> dict:
    (run,) = json.loads(stockroom("sync", "--account", name, "--json"))
    assert run["status"] == "ok", run
    return run


def skipped_ids(run: dict) -> set[str]:
    """The order ids a run's summary names as skipped (bought before the cut-off)."""
    found = re.search(r'"Do not download orders prior to" \((.*?)\), \d+ confirmation', run["message"])
    return set(found.group(1).split(", ")) if found else set()


def place(control, seller, *, bought: datetime, paid: datetime | None = None) -> str:
    """An order bought at ``bought``; paid then, or at ``paid`` (Pending until then)."""
    extra = {"status": "Unshipped"}
    if paid is not None:
        extra = {"status": "Pending", "pending_seconds": (paid - bought).total_seconds()}
    return control.place_order(
        seller["seller_id"],
        marketplace_id=UK,
        items=[{"sku": "SKU-1", "quantity": 1, "unit_price": "9.99"}],
        created_at=bought.isoformat(),
        **extra,
    )["order_id"]


def sim_now(control) -> datetime:
    return datetime.fromisoformat(control.clock()["now"].replace("Z", "+00:00"))


def other_system(sim, seller, source: str) -> AmazonConnector:
    """The seller's primary integration: it owns the report schedule (a secondary one only reads)."""
    return AmazonConnector(
        AccountConfig(
            account_id=0,
            name="Other system",
            external_account_id=seller["seller_id"],
            region="eu",
            marketplaces=("UK",),
            credentials={k: seller[k] for k in ("client_id", "client_secret", "refresh_token")},
            options={"order_source": source, "report_period": "PT15M"},
            endpoint=sim.base_url,
            token_url=sim.token_url,
        )
    )


SOURCES = {
    # source: (options after download_orders_since, skipped per run)
    "orders_api": ({}, [{"NEAR"}, {"PAID-LATER"}, {"PAID-LATER"}]),
    "report_flat": ({"order_source": "report_flat", "report_period": "15m"}, [set(), {"PAID-LATER"}, set()]),
    "report_xml": ({"order_source": "report_xml", "report_period": "15m"}, [set(), {"PAID-LATER"}, set()]),
    "report_flat_secondary": (
        {"order_source": "report_flat", "secondary_integrated": "on"},
        [set(), {"EARLY", "NEAR", "PAID-LATER"}, {"EARLY", "NEAR", "PAID-LATER"}],
    ),
    # GET_ORDER_REPORT_DATA_SHIPPING can only be scheduled: the other system's scheduled reports
    "report_xml_secondary": (
        {"order_source": "report_xml", "secondary_integrated": "on"},
        [set(), {"PAID-LATER"}, {"PAID-LATER"}],
    ),
}


@pytest.mark.parametrize("source", list(SOURCES))
def test_no_order_bought_before_the_cut_off_enters_the_book_from_any_order_source(
    sim, control, seller, source
):
    options, skipped_per_run = SOURCES[source]
    cut_off = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    name = f"Safe {source}"
    add_account(sim, seller, name, download_orders_since=cut_off.strftime("%Y-%m-%d %H:%M:%S"), **options)
    secondary = options.get("secondary_integrated") == "on"
    if secondary:  # the other system scheduled the reports before Stockroom was set up
        primary = other_system(sim, seller, options["order_source"])
        list(primary.fetch_orders(cursor=None, since=cut_off))
    paid_soon = sim_now(control) + timedelta(minutes=5)  # after the first sync, in the next report
    ids = {
        place(control, seller, bought=cut_off - timedelta(days=2)): "EARLY",
        place(control, seller, bought=cut_off - timedelta(minutes=3)): "NEAR",
        place(control, seller, bought=cut_off - timedelta(minutes=30), paid=paid_soon): "PAID-LATER",
        place(control, seller, bought=cut_off + timedelta(minutes=10), paid=paid_soon): "AFTER",
    }
    by_name = {label: order_id for order_id, label in ids.items()}

    runs = [sync(name)]
    control.advance_clock(REPORT_CYCLE)
    if secondary and options["order_source"] == "report_flat":  # the other system asks for 30 days
        httpx.post(
            f"{sim.base_url}/reports/2021-06-30/reports",
            headers={"x-amz-access-token": primary.client.access_token()},
            json={"reportType": REPORT_TYPES[options["order_source"]], "marketplaceIds": [UK]},
        ).raise_for_status()
        control.advance_clock(90)
    runs.append(sync(name))
    control.cancel_order(seller["seller_id"], by_name["PAID-LATER"])  # a later update of an early order
    ids[place(control, seller, bought=sim_now(control))] = "FRESH"
    control.advance_clock(REPORT_CYCLE)
    runs.append(sync(name))

    book = Order.objects.filter(account__name=name)
    assert sorted(ids[external_id] for external_id in book.values_list("external_order_id", flat=True)) == [
        "AFTER",
        "FRESH",
    ]
    assert [{ids[ref] for ref in skipped_ids(run)} for run in runs] == skipped_per_run
    assert [run["orders_skipped"] for run in runs] == [len(skipped) for skipped in skipped_per_run]
    for run in runs:
        if run["orders_skipped"]:
            assert (
                f"{run['orders_skipped']} order(s) skipped as bought before "
                f'{cut_off:%Y-%m-%d %H:%M:%S} UTC, "Do not download orders prior to" ('
            ) in run["message"]


def test_check_counts_only_orders_bought_since_the_cut_off(sim, control, seller):
    cut_off = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    add_account(sim, seller, "Checked", download_orders_since=cut_off.isoformat())
    place(control, seller, bought=cut_off - timedelta(minutes=3))
    place(control, seller, bought=cut_off - timedelta(minutes=30), paid=cut_off + timedelta(minutes=30))
    place(control, seller, bought=cut_off + timedelta(minutes=1))
    control.advance_clock(180)

    data = json.loads(stockroom("account", "check", "Checked", "--json"))

    assert (data["ok"], data["orders_waiting"]) == (True, 1)


def test_a_released_confirmation_is_sent_once_by_the_next_sync_and_new_dispatches_stay_held(
    sim, control, seller, settings
):
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = False  # nothing sends at once: the next sync does
    add_account(sim, seller, "Read only", hold_shipping_data="on", inventory_update="off")
    stockroom("shipping", "add-method", "Courier")
    stockroom(
        "shipping",
        "map",
        "Read only",
        "Courier",
        "--carrier-code",
        "Royal Mail",
        "--ship-method",
        "Tracked 48",
    )
    seller_id = seller["seller_id"]
    now = sim_now(control)
    first = place(control, seller, bought=now)
    control.advance_clock(180)
    sync("Read only")
    stockroom("orders", "process", first, "--tracking", "TRK-1", "--method", "Courier")
    sync("Read only")  # held
    held_calls = control.stats().get(seller_id, {}).get("v0.confirmShipment", {}).get("calls", 0)

    released = json.loads(stockroom("account", "release-held", "Read only", "--json"))
    second = place(control, seller, bought=sim_now(control))
    control.advance_clock(180)
    runs = [sync("Read only")]
    stockroom("orders", "process", second, "--tracking", "TRK-2", "--method", "Courier")
    runs += [sync("Read only"), sync("Read only")]

    assert (held_calls, released["released"]) == (0, 1)
    assert control.stats()[seller_id]["v0.confirmShipment"]["calls"] == 1
    assert [run["confirmations_sent"] for run in runs] == [1, 0, 0]
    on_amazon = control.get_order(seller_id, first)
    assert (on_amazon["status"], on_amazon["shipments"][0]["tracking_number"]) == ("Shipped", "TRK-1")
    assert control.get_order(seller_id, second)["status"] == "Unshipped"
    history = [
        message.split(":")[0]
        for message in OrderEvent.objects.filter(order__external_order_id=first, kind="shipment")
        .order_by("pk")
        .values_list("message", flat=True)
    ]
    assert history == [
        "Shipping confirmation held",
        "Held shipping confirmation released",
        "Shipping confirmation sent to Read only",
    ]
    shown = json.loads(stockroom("account", "show", "Read only", "--json"))
    assert shown["held_shipments"] == 1  # the dispatch after the release
