"""The Amazon connector against the SP-API simulator, over real HTTP."""

import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from unittest import mock

import jsonschema
import pytest

from stockroom.channels.contracts import (
    AccountConfig,
    ChannelOrderStatus,
    ShipmentConfirmation,
    ShipmentLine,
    StockUpdate,
    Transient,
    WriteOutcome,
)
from stockroom.connectors.amazon import positions
from stockroom.connectors.amazon.connector import AmazonConnector

from .conftest import FakeClock, amazon_json

UK, DE = "A1F83G8C2ARO7P", "A1PA6795UKMFR9"
_sellers = itertools.count(1)


@pytest.fixture
def seller(control):
    seller_id = f"A{next(_sellers):04d}SIMSELLER"
    return control.create_seller(seller_id, marketplaces=[UK, DE])


def connect(sim, seller, *, marketplaces=("UK",), clock="fake", credentials=None, seller_id=None, **options):
    creds = {k: seller[k] for k in ("client_id", "client_secret", "refresh_token")} | (credentials or {})
    config = AccountConfig(
        account_id=1,
        name="Simulated",
        external_account_id=seller_id if seller_id is not None else seller["seller_id"],
        region="EU",
        marketplaces=tuple(marketplaces),
        credentials=creds,
        options=options,
        endpoint=sim.base_url,
        token_url=sim.token_url,
    )
    return AmazonConnector(config, clock=FakeClock() if clock == "fake" else None)


def place(control, seller, sku="SKU-1", quantity=1, **extra):
    return control.place_order(
        seller["seller_id"],
        marketplace_id=UK,
        items=[{"sku": sku, "quantity": quantity, "unit_price": "9.99"}],
        status="Unshipped",
        **extra,
    )


def since():
    return datetime.now(UTC) - timedelta(hours=1)


def no_throttling(control) -> None:
    stats = control.stats()
    assert stats, "the simulator counted no calls"
    assert {op: s["throttled"] for per in stats.values() for op, s in per.items() if s["throttled"]} == {}


# ---------------------------------------------------------------------------------------------- check
def test_check_with_good_credentials_names_marketplaces_and_waiting_orders(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=10)
    place(control, seller)
    place(control, seller)
    control.advance_clock(180)

    result = connect(sim, seller, marketplaces=("UK", "DE")).check(orders_since=since())

    assert result.ok, result.message
    assert result.marketplaces == ("UK", "DE")
    assert result.orders_waiting == 2
    assert (
        result.message
        == f"Connected to Amazon as seller {seller['seller_id']} on UK, DE. 2 orders to download."
    )


def test_check_stops_counting_after_three_pages(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=1000)
    control.place_orders(
        seller["seller_id"],
        [{"marketplace_id": UK, "items": [{"sku": "SKU-1"}], "status": "Unshipped"}] * 301,
    )
    control.advance_clock(180)

    result = connect(sim, seller).check(orders_since=since())

    assert (result.ok, result.orders_waiting) == (True, 300)
    assert result.message.endswith("300+ orders to download.")
    assert result.warnings == ("more than 300 orders are waiting; the count stopped there",)


def test_check_names_a_trailing_space_in_the_secret(sim, control, seller):
    result = connect(sim, seller, credentials={"client_secret": seller["client_secret"] + " "}).check(
        orders_since=None
    )

    assert not result.ok
    assert "(invalid_client)" in result.message
    assert "the LWA client secret start or end with a space" in result.message


def test_check_explains_a_wrong_refresh_token(sim, control, seller):
    result = connect(sim, seller, credentials={"refresh_token": "Atzr|not-the-right-one"}).check(
        orders_since=None
    )

    assert not result.ok
    assert result.message.startswith("Amazon refused the refresh token (invalid_grant)")
    assert "space" not in result.message


def test_check_names_the_endpoint_when_nothing_answers(sim, control, seller):
    connector = connect(sim, seller)
    object.__setattr__(connector.config, "token_url", "http://127.0.0.1:9/auth/o2/token")

    result = connector.check(orders_since=None)

    assert not result.ok
    assert result.message.startswith("Amazon could not be reached (could not reach Login with Amazon")
    assert "token URL (http://127.0.0.1:9/auth/o2/token)" in result.message


def test_check_explains_a_wrong_client_id(sim, control, seller):
    result = connect(sim, seller, credentials={"client_id": "amzn1.application-oa2-client.other"}).check(
        orders_since=None
    )

    assert not result.ok
    assert result.message.startswith(
        "Amazon refused the app's LWA client id or client secret (invalid_client)"
    )


def test_check_refuses_a_merchant_token_of_another_seller(sim, control, seller):
    result = connect(sim, seller, seller_id="A9OTHERSELLER").check(orders_since=None)

    assert not result.ok
    assert "The merchant token (seller id) 'A9OTHERSELLER' does not belong to the seller" in result.message


def test_check_names_a_marketplace_the_app_is_not_authorised_for(sim, control):
    only_uk = control.create_seller("A1ONLYUK", marketplaces=[UK])

    result = connect(sim, only_uk, marketplaces=("UK", "DE")).check(orders_since=None)

    assert not result.ok
    assert result.message.startswith("The seller does not sell on DE, or the app was not authorised for it.")
    assert result.marketplaces == ("UK",)


# ---------------------------------------------------------------------------------------------- orders API
def test_orders_arrive_once_across_pages_and_the_cursor_comes_last(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=1000)
    placed = control.place_orders(
        seller["seller_id"],
        [{"marketplace_id": UK, "items": [{"sku": "SKU-1"}], "status": "Unshipped"}] * 230,
    )
    control.advance_clock(180)

    pages = list(connect(sim, seller).fetch_orders(cursor=None, since=since()))

    # every page carries the position after it: inside the window, the next page's token
    assert [(len(p.orders), p.done, bool(positions.decode(p.next_cursor).window)) for p in pages] == [
        (100, False, True),
        (100, False, True),
        (30, True, False),
    ]
    ids = [o.external_order_id for p in pages for o in p.orders]
    assert len(ids) == len(set(ids)) == 230
    assert set(ids) == {o["order_id"] for o in placed}
    assert all(p.failed == () for p in pages)
    sim_now = datetime.fromisoformat(control.clock()["now"].replace("Z", "+00:00"))
    cursor = positions.decode(pages[-1].next_cursor).until
    assert abs(cursor - (sim_now - timedelta(minutes=2))) <= timedelta(seconds=5)


def test_with_the_simulators_rate_limits_off_the_client_is_not_held_to_the_default_plan(sim, control, seller):
    # searchOrders' default plan is a burst of 20 pages, then one every 180 s; with the limits off the
    # simulator's x-amzn-RateLimit-Limit says so and the client reads all 21 pages in one go
    control.configure(rate_limits_enabled=False)
    control.create_listing(seller["seller_id"], "SKU-1", quantity=5000)
    control.place_orders(
        seller["seller_id"],
        [{"marketplace_id": UK, "items": [{"sku": "SKU-1"}], "status": "Unshipped"}] * 2001,
    )
    control.advance_clock(180)

    pages = list(connect(sim, seller).fetch_orders(cursor=None, since=since()))

    assert (len(pages), sum(len(p.orders) for p in pages), pages[-1].done) == (21, 2001, True)


def test_a_first_sync_reads_the_whole_lookback_window_by_window_in_one_run(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=10)
    now = datetime.now(UTC)
    old = place(control, seller, created_at=(now - timedelta(days=5)).isoformat())
    recent = place(control, seller, created_at=(now - timedelta(hours=1)).isoformat())

    pages = list(connect(sim, seller).fetch_orders(cursor=None, since=None))
    finished = datetime.now(UTC)

    ids = [o.external_order_id for p in pages for o in p.orders]
    assert sorted(ids) == sorted([old["order_id"], recent["order_id"]])
    assert [p.done for p in pages] == [False] * (len(pages) - 1) + [True]
    # each window read completely moves the position on (a day at a time)
    untils = [positions.decode(p.next_cursor).until for p in pages]
    assert untils == sorted(untils) and len(set(untils)) == len(pages)
    assert 6 <= len(pages) <= 8  # seven days read a day at a time, the last window up to now - 2 min
    cursor = untils[-1]
    # "now" was read while the run went on: between the test's start and its end (however loaded
    # the machine), and the simulator's clock is the real one here (within a second)
    assert (
        now - timedelta(minutes=2, seconds=1)
        <= cursor
        <= finished - timedelta(minutes=2) + timedelta(seconds=1)
    )
    no_throttling(control)


def test_a_late_order_is_caught_by_the_overlap_of_the_next_run(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=10)
    early = place(control, seller)
    late = place(control, seller, visible_after_seconds=200)
    control.advance_clock(180)
    connector = connect(sim, seller)

    first = list(connector.fetch_orders(cursor=None, since=since()))
    control.advance_clock(240)
    second = list(connector.fetch_orders(cursor=first[-1].next_cursor, since=None))

    assert [o.external_order_id for p in first for o in p.orders] == [early["order_id"]]
    assert late["order_id"] in [o.external_order_id for p in second for o in p.orders]
    assert second[-1].next_cursor > first[-1].next_cursor


def test_order_statuses_and_fba_come_through(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=10)
    control.create_listing(seller["seller_id"], "FBA-1", quantity=10, fulfillment_channel="AMAZON_EU")
    hostile = '<script>alert(1)</script>"onmouseover=x عربي 中文 ' + "x" * 300
    pending = control.place_order(
        seller["seller_id"], marketplace_id=UK, items=[{"sku": "SKU-1"}], buyer_name=hostile
    )
    cancelled = place(control, seller)
    control.cancel_order(seller["seller_id"], cancelled["order_id"])
    fba = control.place_order(
        seller["seller_id"], marketplace_id=UK, items=[{"sku": "FBA-1"}], status="Unshipped"
    )
    control.advance_clock(180)

    orders = {
        o.external_order_id: o
        for p in connect(sim, seller).fetch_orders(cursor=None, since=since())
        for o in p.orders
    }

    assert orders[pending["order_id"]].status is ChannelOrderStatus.PENDING
    assert orders[pending["order_id"]].buyer_name == hostile  # kept intact; escaping is the interface's job
    assert orders[cancelled["order_id"]].status is ChannelOrderStatus.CANCELLED
    assert (orders[fba["order_id"]].fulfilled_by_channel, orders[fba["order_id"]].status) == (
        True,
        ChannelOrderStatus.UNSHIPPED,
    )


def test_a_5xx_on_a_later_page_raises_transient_and_the_next_run_resumes_at_that_page(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=1000)
    control.place_orders(
        seller["seller_id"],
        [{"marketplace_id": UK, "items": [{"sku": "SKU-1"}], "status": "Unshipped"}] * 150,
    )
    control.advance_clock(180)
    pages = connect(sim, seller).fetch_orders(cursor=None, since=since())

    first = next(pages)
    control.set_fault("searchOrders", "http_503", count=3)
    with pytest.raises(Transient, match="503 \\(an HTML error page\\)"):
        next(pages)

    assert (len(first.orders), first.done) == (100, False)
    assert control.stats()[seller["seller_id"]]["searchOrders"]["faults"] == 3
    rest = list(connect(sim, seller).fetch_orders(cursor=first.next_cursor, since=since()))
    ids = [o.external_order_id for p in [first, *rest] for o in p.orders]
    assert (len(rest), len(ids), len(set(ids))) == (1, 150, 150)  # the second page, by its token
    assert control.stats()[seller["seller_id"]]["searchOrders"]["calls"] == 2 + 3


def test_an_access_token_expired_on_amazons_side_is_renewed(sim, control, seller):
    connector = connect(sim, seller)
    assert connector.check(orders_since=None).ok
    control.advance_clock(3700)  # the simulated hour is over; our cached token still looks fresh

    pages = list(connector.fetch_orders(cursor=None, since=since()))

    assert pages[-1].done and pages[-1].next_cursor is not None


# ---------------------------------------------------------------------------------------------- shipments
def _shipment(order, **changes):
    return replace(
        ShipmentConfirmation(
            external_order_id=order["order_id"],
            marketplace="UK",
            package_reference="1",
            carrier_code="Royal Mail",
            carrier_name="",
            ship_method="Tracked 48",
            tracking_number="XX000000001GB",
            shipped_at=datetime.now(UTC).replace(microsecond=0),
            lines=tuple(ShipmentLine(i["order_item_id"], i["quantity"]) for i in order["items"]),
        ),
        **changes,
    )


def test_a_confirmed_shipment_reaches_amazon_and_a_resend_is_harmless(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=10)
    order = place(control, seller, quantity=2)
    connector = connect(sim, seller)

    first = connector.confirm_shipments([_shipment(order)])
    again = connector.confirm_shipments([_shipment(order)])

    assert first == [WriteOutcome(order["order_id"], "confirmed", "", "1")]
    assert again == [WriteOutcome(order["order_id"], "confirmed", "package 1 was already confirmed", "1")]
    stored = control.get_order(seller["seller_id"], order["order_id"])
    assert stored["status"] == "Shipped"
    assert [
        (s["carrier_code"], s["tracking_number"], s["shipping_method"], s["items"])
        for s in stored["shipments"]
    ] == [
        (
            "Royal Mail",
            "XX000000001GB",
            "Tracked 48",
            [{"order_item_id": order["items"][0]["order_item_id"], "quantity": 2}],
        )
    ]


def test_shipment_errors_are_typed_per_shipment(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=10)
    unknown_item, down, fine = (place(control, seller) for _ in range(3))
    connector = connect(sim, seller)
    control.set_fault("v0.confirmShipment", "http_503", count=3, seller_id=seller["seller_id"])

    outcomes = connector.confirm_shipments(
        [
            _shipment(down),
            _shipment(unknown_item, lines=(ShipmentLine("99999999999999", 1),)),
            _shipment(fine, carrier_code="Example Local Courier"),
        ]
    )

    assert [(o.key, o.status, o.retryable) for o in outcomes] == [
        (down["order_id"], "error", True),
        (unknown_item["order_id"], "error", False),
        (fine["order_id"], "confirmed", False),
    ]
    assert "99999999999999 was not found" in outcomes[1].message
    shipment = control.get_order(seller["seller_id"], fine["order_id"])["shipments"][0]
    assert (shipment["carrier_code"], shipment["carrier_name"]) == ("Other", "Example Local Courier")


# ---------------------------------------------------------------------------------------------- stock
def test_a_patched_quantity_is_visible_after_amazons_delay(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=10)

    outcomes = connect(sim, seller).push_stock([StockUpdate("SKU-1", 4)])

    assert [(o.key, o.status, o.quantity) for o in outcomes] == [("SKU-1", "confirmed", 4)]
    assert control.get_listing(seller["seller_id"], "SKU-1")["quantity"] == 10
    control.advance_clock(130)
    assert control.get_listing(seller["seller_id"], "SKU-1")["quantity"] == 4


def test_fba_listings_are_never_sent_a_quantity(sim, control, seller):
    control.create_listing(seller["seller_id"], "FBA-1", quantity=10, fulfillment_channel="AMAZON_EU")

    outcomes = connect(sim, seller).push_stock([StockUpdate("FBA-1", 3, fulfilled_by_channel=True)])

    assert [(o.key, o.status, o.retryable) for o in outcomes] == [("FBA-1", "error", False)]
    assert "patchListingsItem" not in control.stats().get(seller["seller_id"], {})


def test_an_fba_listing_pushed_as_merchant_is_refused_by_amazon_per_sku(sim, control, seller):
    control.create_listing(seller["seller_id"], "FBA-1", quantity=10, fulfillment_channel="AMAZON_EU")
    control.create_listing(seller["seller_id"], "SKU-1", quantity=10)

    outcomes = connect(sim, seller).push_stock([StockUpdate("FBA-1", 3), StockUpdate("SKU-1", 2)])

    assert [(o.key, o.status) for o in outcomes] == [("FBA-1", "error"), ("SKU-1", "confirmed")]
    assert "fulfilled by Amazon" in outcomes[0].message


def test_a_feed_runs_to_done_with_per_sku_outcomes(sim, control, seller):
    for n in range(12):
        control.create_listing(seller["seller_id"], f"SKU-{n}", quantity=50)
    connector = connect(sim, seller, patch_threshold=0)
    updates = [StockUpdate(f"SKU-{n}", n) for n in range(12)] + [StockUpdate("NO-SUCH-SKU", 5)]

    pending = connector.push_stock(updates)
    feed_id = pending[0].submission_ref.split("/")[0]
    not_yet = connector.collect_stock_results([o.submission_ref for o in pending])
    control.advance_clock(100)
    results = connector.collect_stock_results([o.submission_ref for o in pending])

    assert [(o.key, o.status, o.submission_ref) for o in pending] == [
        (u.channel_sku, "pending", f"{feed_id}/{n}/{u.channel_sku}") for n, u in enumerate(updates, start=1)
    ]
    assert not_yet == []
    assert [(o.key, o.status) for o in results] == [(f"SKU-{n}", "confirmed") for n in range(12)] + [
        ("NO-SUCH-SKU", "error")
    ]
    assert "'NO-SUCH-SKU' does not exist" in results[-1].message
    (feed,) = control.feeds(seller["seller_id"])
    jsonschema.validate(
        json.loads(feed["document"]), amazon_json("schemas/feeds/listings-feed-schema-v2.json")
    )
    control.advance_clock(130)
    assert control.get_listing(seller["seller_id"], "SKU-7")["quantity"] == 7


def test_a_fatal_feed_gives_an_error_for_every_sku(sim, control, seller):
    for n in range(11):
        control.create_listing(seller["seller_id"], f"SKU-{n}", quantity=50)
    connector = connect(sim, seller, patch_threshold=0)
    control.set_fault("createFeed", "fatal", count=1)

    pending = connector.push_stock([StockUpdate(f"SKU-{n}", 1) for n in range(11)])
    control.advance_clock(100)
    results = connector.collect_stock_results([o.submission_ref for o in pending])

    assert [(o.key, o.status, o.retryable) for o in results] == [
        (f"SKU-{n}", "error", True) for n in range(11)
    ]
    assert results[0].message.startswith(f"feed {pending[0].submission_ref.split('/')[0]} ended FATAL")


def test_patch_threshold_0_sends_even_one_quantity_in_a_feed(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=10)

    outcomes = connect(sim, seller, patch_threshold=0).push_stock([StockUpdate("SKU-1", 4)])

    assert [(o.key, o.status) for o in outcomes] == [("SKU-1", "pending")]
    calls = control.stats()[seller["seller_id"]]
    assert (calls["createFeed"]["calls"], "patchListingsItem" in calls) == (1, False)


def test_list_listings_pages_and_detects_fba(sim, control, seller):
    for n in range(25):
        control.create_listing(seller["seller_id"], f"SKU-{n:02d}", quantity=n)
    control.create_listing(seller["seller_id"], "FBA-1", quantity=9, fulfillment_channel="AMAZON_EU")

    listings = {x.channel_sku: x for x in connect(sim, seller).list_listings()}

    assert len(listings) == 26
    assert (
        listings["SKU-07"].quantity,
        listings["SKU-07"].fulfilled_by_channel,
        listings["SKU-07"].marketplace,
    ) == (
        7,
        False,
        "UK",
    )
    assert listings["FBA-1"].fulfilled_by_channel is True


# ---------------------------------------------------------------------------------------------- report mode
def _report_connectors(sim, seller):
    # the flat and the XML shipping reports cannot be scheduled for the same marketplaces at once
    flat = connect(sim, seller, order_source="report_flat", report_period="PT15M")
    xml = connect(sim, seller, marketplaces=("UK", "DE"), order_source="report_xml", report_period="PT15M")
    return flat, xml


def _comparable(order):
    return (
        order.external_order_id,
        order.status,
        order.purchased_at,
        order.lines,
        order.buyer_name,
        order.buyer_email,
        order.address,
        order.currency,
        (order.subtotal, order.shipping_total, order.tax_total, order.total),
    )


def test_flat_and_xml_reports_yield_the_same_orders(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=100)
    flat, xml = _report_connectors(sim, seller)
    list(flat.fetch_orders(cursor=None, since=since()))  # creates the report schedules
    list(xml.fetch_orders(cursor=None, since=since()))
    placed = [
        place(
            control,
            seller,
            buyer_name="Zoë O'Brien",
            address={"name": "Zoë", "address_line1": "1 Rue", "city": "Leeds", "postal_code": "LS1 1AA"},
        )
        for _ in range(3)
    ]
    control.advance_clock(15 * 60 + 90)

    flat_pages = list(flat.fetch_orders(cursor=None, since=since()))
    xml_pages = list(xml.fetch_orders(cursor=None, since=since()))

    flat_orders = [o for p in flat_pages for o in p.orders]
    xml_orders = [o for p in xml_pages for o in p.orders]
    assert sorted(o.external_order_id for o in flat_orders) == sorted(o["order_id"] for o in placed)
    assert [_comparable(o) for o in xml_orders] == [_comparable(o) for o in flat_orders]
    assert flat_orders[0].buyer_name == "Zoë O'Brien" and flat_orders[0].address.city == "Leeds"
    assert flat_pages[-1].done and flat_pages[-1].next_cursor is not None
    assert flat_orders[0].marketplace == "UK"


def test_a_truncated_report_is_named_unreadable_kept_for_retry_and_read_on_the_next_run(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=100)
    connector = connect(sim, seller, order_source="report_flat", report_period="PT15M")
    empty = list(connector.fetch_orders(cursor=None, since=since()))
    order = place(control, seller)
    control.advance_clock(15 * 60 + 90)
    control.set_fault("downloadReportDocument", "truncated_document", count=1)

    cut = list(connector.fetch_orders(cursor=None, since=since()))
    retried = list(connector.fetch_orders(cursor=cut[-1].next_cursor, since=None))
    again = list(connector.fetch_orders(cursor=retried[-1].next_cursor, since=None))

    assert [(p.orders, p.next_cursor) for p in empty] == [((), None)]
    ((ref, message, raw),) = [(u.external_id, u.message, u.raw) for p in cut for u in p.unreadable]
    assert [o for p in cut for o in p.orders] == [] and cut[-1].done
    assert ref.startswith("report ") and "cut short" in message and "downloaded again" in message
    assert "The document starts:\norder-id\t" in raw
    assert json.loads(cut[-1].next_cursor)["retry"] == {ref.removeprefix("report "): mock.ANY}
    assert [o.external_order_id for p in retried for o in p.orders] == [order["order_id"]]
    assert [r for p in retried for r in p.documents_read] == [ref]
    assert not retried[-1].next_cursor.startswith("{")  # the retry list is empty again
    assert [(p.orders, p.unreadable, p.documents_read) for p in again] == [((), (), ())]


def test_an_unreadable_report_does_not_block_the_report_after_it(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=100)
    connector = connect(sim, seller, order_source="report_flat", report_period="PT15M")
    list(connector.fetch_orders(cursor=None, since=since()))
    first = place(control, seller)
    control.advance_clock(15 * 60 + 90)
    second = place(control, seller)
    control.advance_clock(15 * 60 + 90)
    control.set_fault("downloadReportDocument", "truncated_document", count=1)  # the older report

    run = list(connector.fetch_orders(cursor=None, since=since()))
    retried = list(connector.fetch_orders(cursor=run[-1].next_cursor, since=None))

    assert [o.external_order_id for p in run for o in p.orders] == [second["order_id"]]
    (ref,) = [u.external_id for p in run for u in p.unreadable]
    assert [r for p in run for r in p.documents_read] != [ref]
    assert list(json.loads(run[-1].next_cursor)["retry"]) == [ref.removeprefix("report ")]
    # the cursor moved past both reports, and the unreadable one is read again, alone
    assert [o.external_order_id for p in retried for o in p.orders] == [first["order_id"]]
    assert [r for p in retried for r in p.documents_read] == [ref]


def test_a_report_to_retry_that_amazon_no_longer_offers_leaves_the_list_with_a_last_word(
    sim, control, seller
):
    connector = connect(sim, seller, order_source="report_flat", report_period="PT15M")
    after = (datetime.now(UTC) - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cursor = json.dumps({"after": after, "retry": {"999999999": after, "999999998": after}})

    pages = list(connector.fetch_orders(cursor=cursor, since=None))

    assert [u.external_id for p in pages for u in p.unreadable] == ["report 999999999", "report 999999998"]
    assert "Amazon no longer offers it" in pages[0].unreadable[0].message
    assert pages[-1].next_cursor == after and pages[-1].done


def test_a_garbled_gzip_report_is_unreadable_then_read_on_the_next_run(sim, control, seller):
    control.configure(report_compression="GZIP")
    control.create_listing(seller["seller_id"], "SKU-1", quantity=100)
    connector = connect(sim, seller, order_source="report_xml", report_period="PT15M")
    list(connector.fetch_orders(cursor=None, since=since()))
    place(control, seller)
    control.advance_clock(15 * 60 + 90)
    control.set_fault("downloadReportDocument", "false_gzip", count=1)

    garbled = list(connector.fetch_orders(cursor=None, since=since()))
    orders = [o for p in connector.fetch_orders(cursor=garbled[-1].next_cursor, since=None) for o in p.orders]

    assert [u.message for p in garbled for u in p.unreadable] == [mock.ANY]
    assert "not valid GZIP" in garbled[-1].unreadable[0].message
    assert len(orders) == 1


def test_secondary_integration_rereads_recent_reports(sim, control, seller):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=100)
    connector = connect(sim, seller, order_source="report_flat", secondary_integrated=True)
    warned = connector.check(orders_since=None)
    primary = connect(sim, seller, order_source="report_flat", report_period="PT15M")
    list(primary.fetch_orders(cursor=None, since=since()))  # the primary integration schedules the report
    order = place(control, seller)
    control.advance_clock(15 * 60 + 90)

    first = [o.external_order_id for p in connector.fetch_orders(cursor=None, since=None) for o in p.orders]
    second = [
        o.external_order_id
        for p in connector.fetch_orders(cursor="2099-01-01T00:00:00Z", since=None)
        for o in p.orders
    ]

    assert first == second == [order["order_id"]]
    assert control.stats()[seller["seller_id"]]["createReportSchedule"]["calls"] == 1  # the primary's only
    assert warned.ok and warned.warnings == (
        "no GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING schedule exists: the primary integration must schedule it, "
        "or turn secondary integration off",
    )


def test_changing_the_report_period_replaces_the_schedule(sim, control, seller):
    connect(sim, seller, order_source="report_flat", report_period="PT15M").check(orders_since=None)
    list(
        connect(sim, seller, order_source="report_flat", report_period="PT15M").fetch_orders(
            cursor=None, since=since()
        )
    )
    list(
        connect(sim, seller, order_source="report_flat", report_period="PT1H").fetch_orders(
            cursor=None, since=since()
        )
    )

    stats = control.stats()[seller["seller_id"]]
    assert stats["createReportSchedule"]["calls"] == 2


# ---------------------------------------------------------------------------------------------- a normal run
def test_a_normal_run_never_provokes_a_429(sim, control, seller):
    for n in range(15):
        control.create_listing(seller["seller_id"], f"SKU-{n}", quantity=100)
    orders = [place(control, seller, sku=f"SKU-{n}") for n in range(5)]
    control.advance_clock(180)
    connector = connect(sim, seller, clock="real", patch_threshold=10)

    assert connector.check(orders_since=since()).ok
    fetched = [o for p in connector.fetch_orders(cursor=None, since=since()) for o in p.orders]
    shipped = connector.confirm_shipments(
        [_shipment(o, tracking_number=f"T{n}") for n, o in enumerate(orders)]
    )
    patched = connector.push_stock([StockUpdate(f"SKU-{n}", n) for n in range(3)])
    fed = connector.push_stock([StockUpdate(f"SKU-{n}", n + 1) for n in range(15)])
    control.advance_clock(100)
    collected = connector.collect_stock_results([o.submission_ref for o in fed])
    listings = list(connector.list_listings())

    assert len(fetched) == 5
    assert {o.status for o in shipped + patched + collected} == {"confirmed"}
    assert len(listings) == 15
    no_throttling(control)


def test_when_amazons_document_quota_is_spent_the_run_stops_with_the_cursor_of_what_was_read(
    sim, control, seller
):
    control.create_listing(seller["seller_id"], "SKU-1", quantity=100)
    connector = connect(sim, seller, order_source="report_flat", report_period="PT15M")
    list(connector.fetch_orders(cursor=None, since=since()))
    placed = []
    for _ in range(17):  # one report per order; getReportDocument allows a burst of 15
        placed.append(place(control, seller)["order_id"])
        control.advance_clock(900)  # the schedule's period: each order in a report of its own
    control.advance_clock(60)

    first = list(connector.fetch_orders(cursor=None, since=since()))
    connector.client.clock.now += 125  # two more documents' worth of quota
    control.advance_clock(125)
    second = list(connector.fetch_orders(cursor=first[-1].next_cursor, since=None))

    first_ids = [o.external_order_id for p in first for o in p.orders]
    second_ids = [o.external_order_id for p in second for o in p.orders]
    assert first_ids == placed[:15]
    assert second_ids == placed[15:]
    reports = sorted(control.reports(seller["seller_id"]), key=lambda r: r["createdTime"])
    assert first[-1].next_cursor == reports[14]["createdTime"]
    assert second[-1].next_cursor == reports[16]["createdTime"]
    no_throttling(control)
