"""Pure translations, tested with Amazon's own sample documents and the models' sandbox examples."""

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import jsonschema
import pytest

from stockroom.channels.contracts import (
    Address,
    ChannelOrderStatus,
    ShipmentConfirmation,
    ShipmentLine,
    WriteOutcome,
)
from stockroom.connectors.amazon import mapping, schemas

from .conftest import amazon_file, amazon_json, amazon_order, sandbox_examples

FLAT_SHIPPING = "samples/synthetic/GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING.example.tsv"
FLAT_ALL = "samples/synthetic/GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL.example.tsv"
XML_SHIPPING = "samples/synthetic/GET_ORDER_REPORT_DATA_SHIPPING.example.xml"
XML_ALL = "samples/synthetic/GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL.example.xml"


def flat_text(relative: str) -> str:
    return mapping.decode_report(amazon_file(relative).read_bytes())


# ---------------------------------------------------------------------------------------------- flat files
def test_flat_shipping_report_groups_rows_into_orders_with_exact_money_and_address():
    orders, failed = mapping.orders_from_flat_report(flat_text(FLAT_SHIPPING))

    assert failed == []
    assert [o.external_order_id for o in orders] == ["026-0000001-0000001", "026-0000002-0000002"]
    one, two = orders
    assert one.status is ChannelOrderStatus.UNSHIPPED
    assert one.purchased_at == datetime(2026, 11, 20, 9, 15, tzinfo=UTC)
    assert one.marketplace == "UK" and one.currency == "GBP"
    assert (one.buyer_name, one.buyer_email) == ("Test Buyer One", "example1@marketplace.amazon.co.uk")
    assert one.address == Address(
        name="Test Recipient One",
        line1="1 Example Street",
        city="Exampletown",
        postcode="EX1 1AA",
        country_code="GB",
    )
    assert one.channel_shipping_service == "Std UK Dom_1"
    assert (one.subtotal, one.shipping_total, one.tax_total, one.total) == (
        Decimal("12.99"),
        Decimal("2.99"),
        Decimal("2.67"),
        Decimal("15.98"),
    )
    assert [(ln.external_line_id, ln.channel_sku, ln.quantity, ln.unit_price) for ln in two.lines] == [
        ("00000000000002", "STOCKROOM-SKU-002", 2, Decimal("10.00")),
        ("00000000000003", "STOCKROOM-SKU-003", 1, Decimal("5.50")),
    ]
    # UK prices include VAT; the promotion (-2.00) lowers the total
    assert (two.subtotal, two.tax_total, two.total) == (Decimal("25.50"), Decimal("4.25"), Decimal("23.50"))
    assert two.address.line2 == "22 Sample Road" and two.address.region == "Sampleshire"


def test_flat_all_orders_report_maps_status_fba_and_marketplace():
    orders, failed = mapping.orders_from_flat_report(flat_text(FLAT_ALL))

    assert failed == []
    pending, shipped = orders
    assert (pending.status, pending.channel_status, pending.fulfilled_by_channel) == (
        ChannelOrderStatus.PENDING,
        "Pending",
        False,
    )
    assert pending.last_updated_at == datetime(2026, 11, 20, 9, 46, tzinfo=UTC)
    assert pending.lines[0].external_line_id == "STOCKROOM-SKU-001"  # no order-item-id column in this report
    assert (shipped.status, shipped.fulfilled_by_channel, shipped.marketplace, shipped.currency) == (
        ChannelOrderStatus.SHIPPED,
        True,
        "DE",
        "EUR",
    )
    assert shipped.lines[0].quantity_shipped == 1
    assert shipped.total == Decimal("19.99")


def test_flat_report_is_read_by_header_name_not_position_and_ignores_unknown_columns():
    rows = [line.split("\t") for line in flat_text(FLAT_SHIPPING).splitlines()]
    shuffled = [["mystery-column" if n == 0 else "surprise", *reversed(row)] for n, row in enumerate(rows)]
    text = "\n".join("\t".join(row) for row in shuffled) + "\n"

    orders, failed = mapping.orders_from_flat_report(text)

    assert failed == []
    assert orders == mapping.orders_from_flat_report(flat_text(FLAT_SHIPPING))[0]


def test_a_bad_row_fails_its_order_only_and_keeps_the_raw_rows():
    text = flat_text(FLAT_SHIPPING).replace(
        "STOCKROOM-SKU-003\tExample Gizmo\t1", "STOCKROOM-SKU-003\tExample Gizmo\tabc"
    )

    orders, failed = mapping.orders_from_flat_report(text)

    assert [o.external_order_id for o in orders] == ["026-0000001-0000001"]
    assert len(failed) == 1
    order_id, message, raw = failed[0]
    assert order_id == "026-0000002-0000002"
    assert message == "quantity 'abc' is not a whole number"
    assert raw.splitlines()[0].startswith("order-id\torder-item-id") and len(raw.splitlines()) == 3


def test_a_truncated_flat_report_is_refused_as_a_whole():
    text = flat_text(FLAT_SHIPPING)
    cut = text[: text.index("Sampleford") + 3]

    with pytest.raises(mapping.DocumentError, match="cut short"):
        mapping.orders_from_flat_report(cut)


@pytest.mark.parametrize("cut", [40, 300], ids=["inside-header-columns", "inside-header-after-key-columns"])
def test_a_flat_report_cut_inside_its_header_is_refused(cut):
    with pytest.raises(mapping.DocumentError, match="cut short"):
        mapping.orders_from_flat_report(flat_text(FLAT_SHIPPING)[:cut])


def test_flat_report_encodings_windows_1252_and_shift_jis():
    header = "order-id\torder-item-id\tpurchase-date\tsku\tproduct-name\tquantity-purchased\titem-price\tcurrency\n"
    row = "026-1-1\t1\t2026-11-20T09:15:00+00:00\tSKU-1\t{title}\t1\t5.00\t{currency}\n"
    european = (header + row.format(title="Café – Crème brûlée", currency="EUR")).encode("cp1252")
    japanese = (header + row.format(title="エコードット 第4世代", currency="JPY")).encode("cp932")

    eu_orders, _ = mapping.orders_from_flat_report(mapping.decode_report(european))
    jp_orders, _ = mapping.orders_from_flat_report(mapping.decode_report(japanese, japanese=True))
    jp_declared, _ = mapping.orders_from_flat_report(
        mapping.decode_report(japanese, content_type="text/tab-separated-values; charset=Shift_JIS")
    )

    assert eu_orders[0].lines[0].title == "Café – Crème brûlée"
    assert jp_orders[0].lines[0].title == "エコードット 第4世代"
    assert jp_declared[0].lines[0].title == "エコードット 第4世代"
    assert jp_orders[0].lines[0].unit_price == Decimal("5")


# ---------------------------------------------------------------------------------------------- XML
def test_xml_order_report_gives_the_same_order_as_the_flat_file():
    xml_orders, failed = mapping.orders_from_xml_report(
        amazon_file(XML_SHIPPING).read_bytes(), default_marketplace="UK"
    )
    flat_one = mapping.orders_from_flat_report(flat_text(FLAT_SHIPPING))[0][0]

    assert failed == []
    assert len(xml_orders) == 1
    # the XML report carries the recipient's phone where the flat sample leaves it empty
    assert xml_orders[0] == replace(
        flat_one,
        address=replace(flat_one.address, phone="00000000000"),
        channel_shipping_service="Standard",
    )


def test_xml_order_tracking_report_in_iso_8859_1():
    orders, failed = mapping.orders_from_xml_report(amazon_file(XML_ALL).read_bytes())

    assert failed == []
    (order,) = orders
    assert (order.external_order_id, order.status, order.marketplace, order.currency) == (
        "026-0000001-0000001",
        ChannelOrderStatus.PENDING,
        "UK",
        "GBP",
    )
    assert [(ln.external_line_id, ln.channel_sku, ln.quantity, ln.unit_price) for ln in order.lines] == [
        ("STOCKROOM-SKU-001", "STOCKROOM-SKU-001", 1, Decimal("12.99"))
    ]
    assert order.total == Decimal("15.98")


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b"<AmazonEnvelope><Message><Order><AmazonOrderID>&lol2;</AmazonOrderID></Order></Message></AmazonEnvelope>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<AmazonEnvelope><Message><Order><AmazonOrderID>&x;</AmazonOrderID></Order></Message></AmazonEnvelope>",
        b'<?xml version="1.0"?><AmazonEnvelope><Message><Order><AmazonOrderID>026-1',
    ],
    ids=["entity-expansion", "external-entity", "truncated"],
)
def test_hostile_or_truncated_xml_is_refused(document):
    with pytest.raises(mapping.DocumentError):
        mapping.orders_from_xml_report(document)


# ---------------------------------------------------------------------------------------------- Orders API
def _all_sandbox_orders() -> list[dict]:
    orders = []
    for example in sandbox_examples("orders_2026-01-01.json", "/orders/2026-01-01/orders"):
        orders.extend(example["response"].get("orders", []))
    for example in sandbox_examples("orders_2026-01-01.json", "/orders/2026-01-01/orders/{orderId}"):
        if "order" in example["response"]:
            orders.append(example["response"]["order"])
    return orders


def test_every_sandbox_order_of_the_2026_model_translates():
    raw = _all_sandbox_orders()

    orders, failed = mapping.orders_from_api(raw)

    assert failed == []
    assert len(orders) == len(raw) >= 4
    for order in orders:
        assert order.purchased_at.tzinfo is UTC
        assert all(isinstance(ln.unit_price, Decimal) for ln in order.lines)
        assert (
            order.status is not ChannelOrderStatus.UNKNOWN
            or order.channel_status not in mapping.FULFILLMENT_STATUS
        )


def test_sandbox_orders_map_exactly():
    by_id = {o.external_order_id: o for o in mapping.orders_from_api(_all_sandbox_orders())[0]}

    japan = by_id["250-1234567-8901234"]
    assert (japan.status, japan.fulfilled_by_channel, japan.marketplace, japan.currency, japan.total) == (
        ChannelOrderStatus.SHIPPED,
        True,
        "JP",
        "JPY",
        Decimal("19940"),
    )
    assert [(ln.channel_sku, ln.quantity, ln.quantity_shipped, ln.unit_price) for ln in japan.lines] == [
        ("ECHO-DOT-4-JP-CHARCOAL", 1, 1, Decimal("5980")),
        ("FIRE-TV-4K-MAX-JP", 2, 2, Decimal("6980")),
    ]
    uk = by_id["202-7654321-1098765"]
    assert (uk.fulfilled_by_channel, uk.buyer_name, uk.address.city, uk.address.phone) == (
        False,
        "Sarah Thompson",
        "London",
        "+44 20 7946 0958",
    )
    assert uk.dispatch_by == datetime(2024, 12, 25, 23, 59, 59, tzinfo=UTC)
    brazil = by_id["171-2345678-9012345"]
    assert (brazil.status, brazil.total, brazil.address.region) == (
        ChannelOrderStatus.UNSHIPPED,
        Decimal("1599.90"),
        "SP",
    )


@pytest.mark.parametrize(
    ("amazon", "ours"),
    [
        ("PENDING_AVAILABILITY", ChannelOrderStatus.PENDING),
        ("PENDING", ChannelOrderStatus.PENDING),
        ("UNSHIPPED", ChannelOrderStatus.UNSHIPPED),
        ("PARTIALLY_SHIPPED", ChannelOrderStatus.PARTIALLY_SHIPPED),
        ("SHIPPED", ChannelOrderStatus.SHIPPED),
        ("CANCELLED", ChannelOrderStatus.CANCELLED),
        ("CANCELED", ChannelOrderStatus.CANCELLED),
        ("UNFULFILLABLE", ChannelOrderStatus.UNKNOWN),
        ("TELEPORTED", ChannelOrderStatus.UNKNOWN),
    ],
)
def test_fulfillment_status_mapping_never_crashes_on_new_values(amazon, ours):
    raw = amazon_order() | {"fulfillment": {"fulfillmentStatus": amazon, "newField": {"x": 1}}}

    order = mapping.order_from_api(raw | {"brandNewDataset": [1, 2]})

    assert (order.status, order.channel_status) == (ours, amazon)


def test_an_untranslatable_order_goes_to_failed_with_its_raw_json():
    good = amazon_order()
    bad = {k: v for k, v in good.items() if k != "createdTime"} | {"orderId": "026-BAD"}

    orders, failed = mapping.orders_from_api([bad, good])

    assert [o.external_order_id for o in orders] == [good["orderId"]]
    assert failed[0][0] == "026-BAD"
    assert failed[0][1] == "order payload invalid at createdTime: Field required"
    assert json.loads(failed[0][2]) == bad


# ---------------------------------------------------------------------------------------------- stock
def test_listings_feed_matches_amazons_schema_and_the_inventory_sample():
    schema = amazon_json("schemas/feeds/listings-feed-schema-v2.json")
    sample = amazon_json("samples/synthetic/JSON_LISTINGS_FEED.inventory-only.example.json")
    messages = mapping.listings_feed_messages([("STOCKROOM-SKU-001", 7), ("STOCKROOM-SKU-002", 0)])

    document = mapping.build_listings_feed("A1EXAMPLESELLER", messages)

    parsed = json.loads(document)
    jsonschema.validate(parsed, schema)
    assert parsed["messages"] == sample["messages"]
    assert parsed["header"] == {"sellerId": "A1EXAMPLESELLER", "version": "2.0"}
    assert document == mapping.build_listings_feed(
        "A1EXAMPLESELLER", messages
    )  # deterministic: safe to resend


def test_a_feed_holds_at_most_25000_messages():
    messages = mapping.listings_feed_messages([(f"SKU-{n}", n) for n in range(25_000)])
    assert (messages[0].message_id, messages[-1].message_id, messages[-1].sku) == (1, 25_000, "SKU-24999")
    max_items = amazon_json("schemas/feeds/listings-feed-schema-v2.json")["properties"]["messages"][
        "maxItems"
    ]
    assert len(json.loads(mapping.build_listings_feed("A1", messages))["messages"]) == max_items
    with pytest.raises(ValueError, match="at most 25000"):
        mapping.listings_feed_messages([("SKU", 1)] * 25_001)


def test_processing_report_gives_one_outcome_per_sku():
    report = amazon_json("schemas/feeds/listings-feed-processing-report-schema-v2.example.json")
    messages = [
        (2, "My-SKU-A", "f/2/My-SKU-A"),
        (4, "My-SKU-B", "f/4/My-SKU-B"),
        (5, "My-SKU-C", "f/5/My-SKU-C"),
    ]

    outcomes = mapping.feed_outcomes(report, messages)

    assert outcomes == [
        WriteOutcome("My-SKU-A", "confirmed", "", "f/2/My-SKU-A"),
        WriteOutcome(
            "My-SKU-B",
            "error",
            "90220: '[batteries_required]' is required but not supplied.; "
            "90220: '[supplier_declared_dg_hz_regulation]' is required but not supplied.",
            "f/4/My-SKU-B",
        ),
        WriteOutcome(
            "My-SKU-C",
            "error",
            "99022: The field '\"prices\"' for the attribute 'purchasable_offer.our_price' does not have enough "
            "values. The required minimum is '1' value(s).",
            "f/5/My-SKU-C",
        ),
    ]


def test_patch_body_matches_the_sample_and_the_answer_maps_to_an_outcome():
    assert mapping.patch_listings_item_body(7) == amazon_json(
        "samples/synthetic/patchListingsItem.inventory-only.request.json"
    )
    accepted = amazon_json("samples/amazon-samples/pricing-patchListingsItem.response.json")
    invalid = {
        "sku": "SKU-X",
        "status": "INVALID",
        "submissionId": "abc",
        "issues": [{"code": "90000006", "message": "fulfilled by Amazon", "severity": "ERROR"}],
    }

    assert mapping.patch_outcome("TEST-SKU-001", accepted, 7) == WriteOutcome(
        "TEST-SKU-001", "confirmed", "", "f1dc291475dd11edb8780242ac120002", quantity=7
    )
    assert mapping.patch_outcome("SKU-X", invalid, 3) == WriteOutcome(
        "SKU-X", "error", "90000006: fulfilled by Amazon", "abc", quantity=3
    )


def test_listing_from_amazons_get_listings_item_sample():
    listing = mapping.listing_from_item(
        amazon_json("samples/amazon-samples/listings-getListingsItem.response.json")
    )

    assert (listing.channel_sku, listing.external_ref, listing.title, listing.quantity) == (
        "TEST-SKU-001",
        "B08N5WRWNW",
        "Sample Product Title",
        100,
    )
    assert (listing.fulfilled_by_channel, listing.marketplace) == (False, "BR")
    fba = mapping.listing_from_item(
        {"sku": "F", "fulfillmentAvailability": [{"fulfillmentChannelCode": "AMAZON_EU", "quantity": 4}]}
    )
    assert (fba.fulfilled_by_channel, fba.quantity) == (True, 4)


# ---------------------------------------------------------------------------------------------- shipments
def _shipment(**changes) -> ShipmentConfirmation:
    base = ShipmentConfirmation(
        external_order_id="026-0000001-0000001",
        marketplace="UK",
        package_reference="1",
        carrier_code="Royal Mail",
        carrier_name="",
        ship_method="Tracked 48",
        tracking_number="XX000000000GB",
        shipped_at=datetime(2026, 11, 20, 15, 4, 5, tzinfo=UTC),
        lines=(ShipmentLine("00000000000001", 1),),
    )
    return replace(base, **changes)


def test_confirm_shipment_body_matches_the_sample():
    assert mapping.confirm_shipment_body(_shipment(), "A1F83G8C2ARO7P") == amazon_json(
        "samples/synthetic/confirmShipment.request.json"
    )


def test_an_unlisted_carrier_is_sent_as_other_with_its_name():
    body = mapping.confirm_shipment_body(
        _shipment(carrier_code="Example Local Courier", package_reference="PKG-7"), "A1F83G8C2ARO7P"
    )
    detail = body["packageDetail"]
    assert (detail["carrierCode"], detail["carrierName"]) == ("Other", "Example Local Courier")
    assert detail["packageReferenceId"].isdigit()
    assert detail["packageReferenceId"] == mapping.package_reference_id("PKG-7")  # stable across retries
    assert (
        mapping.confirm_shipment_body(_shipment(carrier_code="royal mail"), "X")["packageDetail"][
            "carrierCode"
        ]
        == "Royal Mail"
    )


def test_a_shipment_amazon_would_refuse_is_refused_before_sending():
    with pytest.raises(mapping.MappingError, match="'Other' but has no name"):
        mapping.confirm_shipment_body(_shipment(carrier_code="Other"), "X")
    with pytest.raises(mapping.MappingError, match="tracking number"):
        mapping.confirm_shipment_body(_shipment(tracking_number=" "), "X")


def test_amazons_own_sample_answers_read_into_the_schemas():
    feed = schemas.Feed.model_validate(amazon_json("samples/amazon-samples/feeds-getFeed.response.json"))
    feed_doc = schemas.Document.model_validate(
        amazon_json("samples/amazon-samples/feeds-getFeedDocument.response.json")
    )
    report = schemas.Report.model_validate(
        amazon_json("samples/amazon-samples/reports-getReport.response.json")
    )
    report_doc = schemas.Document.model_validate(
        amazon_json("samples/amazon-samples/reports-getReportDocument.response.json")
    )

    assert (feed.processing_status, feed.result_feed_document_id) == (
        "DONE",
        "amzn1.tortuga.result.3.ed4cd0d8-447b-4c22-8a3e-52b69EXAMPLE",
    )
    assert feed_doc.url == "http://localhost:3000/resources/feeds-feedResultDocument.xml"
    assert (report.report_id, report.processing_status, len(report.marketplace_ids)) == (
        "383187020424",
        "DONE",
        5,
    )
    assert (report_doc.compression_algorithm, report_doc.document_id) == (
        "GZIP",
        "amzn1.spdoc.1.4.na.52d7591e-de2b-4d70-8fb1-0923856f9d59.T2OL05CQTET8D2.3211",
    )
    participations = schemas.ParticipationsResponse.model_validate(
        sandbox_examples("sellers.json", "/sellers/v1/marketplaceParticipations")[0]["response"]
    )
    assert [(p.marketplace.id, p.participation.is_participating) for p in participations.payload] == [
        ("ATVPDKIKX0DER", True)
    ]
