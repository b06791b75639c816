"""Issue 10's documents: every order report is read completely, or refused whole with a clear reason
before any of its orders is given out; one bad row or message fails its order alone; every value that
comes through is one the order book can hold on any database."""

import codecs
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from stockroom.channels.contracts import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS, QUANTITY_MAX
from stockroom.connectors.amazon import mapping

HEADER = (
    "order-id\torder-item-id\tpurchase-date\tbuyer-name\trecipient-name\tship-address-1\tship-city\t"
    "sku\tproduct-name\tquantity-purchased\tcurrency\titem-price\tsales-channel"
)
WIDTH = HEADER.count("\t") + 1


def row(
    order_id="026-1-1",
    *,
    item="1",
    date="2026-11-20T09:15:00+00:00",
    buyer="Zoë O'Brien",
    address="1 Example Street",
    sku="SKU-1",
    quantity="1",
    price="5.00",
) -> str:
    return "\t".join(
        [
            order_id,
            item,
            date,
            buyer,
            buyer,
            address,
            "Leeds",
            sku,
            "Mug",
            quantity,
            "GBP",
            price,
            "Amazon.co.uk",
        ]
    )


def flat(*rows: str, end: str = "\n") -> bytes:
    return ("\n".join([HEADER, *rows]) + end).encode("utf-8")


def read(data: bytes, **kwargs):
    orders, failed = [], []
    for page_orders, page_failed in mapping.report_pages(io.BytesIO(data), **kwargs):
        orders += page_orders
        failed += page_failed
    return orders, failed


def refused(data: bytes, **kwargs) -> str:
    pages = mapping.report_pages(io.BytesIO(data), **kwargs)
    with pytest.raises(mapping.DocumentError) as caught:
        next(pages)  # refused before the first page: nothing of it is ever imported
    return str(caught.value)


def xml(*messages: str, envelope: str = "<AmazonEnvelope>", message_type: str = "OrderReport") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"{envelope}<Header><DocumentVersion>1.01</DocumentVersion></Header>"
        f"<MessageType>{message_type}</MessageType>{''.join(messages)}</AmazonEnvelope>\n"
    )


def message(
    order_id="026-1-1", *, name="Zoë O'Brien", amount="5.00", date="2026-11-20T09:15:00+00:00"
) -> str:
    return (
        f"<Message><MessageID>1</MessageID><OrderReport><AmazonOrderID>{order_id}</AmazonOrderID>"
        f"<OrderDate>{date}</OrderDate><BillingData><BuyerName>{name}</BuyerName></BillingData>"
        f"<FulfillmentData><Address><Name>{name}</Name><City>Leeds</City></Address></FulfillmentData>"
        "<Item><AmazonOrderItemCode>1</AmazonOrderItemCode><SKU>SKU-1</SKU><Title>Mug</Title>"
        f'<Quantity>1</Quantity><ItemPrice><Component><Type>Principal</Type><Amount currency="GBP">{amount}'
        "</Amount></Component></ItemPrice></Item></OrderReport></Message>"
    )


# ---------------------------------------------------------------------------------------------- 1: cut short
def test_a_flat_report_cut_at_a_row_boundary_before_its_line_break_is_refused():
    whole = flat(row("026-1-1"), row("026-2-2"))

    assert "does not end with a line break" in refused(whole[:-1])


def test_a_flat_report_cut_inside_its_last_column_is_refused():
    whole = flat(row("026-1-1"), row("026-2-2"))

    assert "cut short in its last row" in refused(whole[: whole.rindex(b"Amazon.co.uk") + 6])


def test_a_complete_flat_report_with_windows_line_breaks_is_read():
    orders, failed = read(flat(row("026-1-1"), row("026-2-2"), end="\r\n").replace(b"\n", b"\r\n"))

    assert ([o.external_order_id for o in orders], failed) == (["026-1-1", "026-2-2"], [])


# ---------------------------------------------------------------------------------------------- 2: "0 orders"
def test_an_empty_document_is_refused_not_read_as_no_orders():
    assert refused(b"", kind="flat").startswith("the report document is empty (0 bytes)")
    assert refused(b"", kind="xml").startswith("the report document is empty (0 bytes)")
    assert "only blank space" in refused(b"\n\n  \n", kind="flat")


@pytest.mark.parametrize("kind", ["xml", ""])
def test_a_well_formed_html_page_without_doctype_is_refused(kind):
    page = b"<html><head><title>503</title></head><body><p>Service Unavailable</p></body></html>"

    assert refused(page, kind=kind) == (
        "the document is not an Amazon order report: its root element is <html>, not <AmazonEnvelope> "
        "(an error page?)"
    )


def test_an_html_page_in_place_of_a_flat_report_is_refused():
    page = b"<html><body>Service Unavailable</body></html>\n"

    assert "has no order-id, purchase-date, sku, quantity column" in refused(page, kind="flat")


def test_an_envelope_with_a_default_namespace_is_refused():
    document = xml(message(), envelope='<AmazonEnvelope xmlns="urn:example:rewritten">').encode()

    assert "in the namespace 'urn:example:rewritten'" in refused(document)


def test_an_envelope_of_another_message_type_is_refused():
    document = xml(message(), message_type="ProcessingReport").encode()

    assert refused(document) == "the XML report's MessageType is 'ProcessingReport', not an order report"


def test_a_valid_empty_report_reads_as_no_orders():
    assert read(flat()) == ([], [])
    assert read(xml().encode()) == ([], [])


def test_a_message_without_an_order_fails_instead_of_vanishing():
    orders, failed = read(xml(message("026-1-1"), "<Message><MessageID>2</MessageID></Message>").encode())

    assert [o.external_order_id for o in orders] == ["026-1-1"]
    assert [(ref, why) for ref, why, _ in failed] == [("", "a message holds no OrderReport or Order")]


# ---------------------------------------------------------------------------------------------- 3, 6: encodings
def test_a_declared_utf8_report_with_one_stray_byte_is_refused_not_decoded_as_windows_1252():
    document = flat(row("026-1-1"), row("026-2-2", buyer="Ren\xe9e")).replace("Renée".encode(), b"Ren\xe9e")

    why = refused(document, content_type="text/tab-separated-values; charset=UTF-8")

    assert why.startswith("the report declares charset UTF-8 but byte 0xE9 at offset ")
    assert "is not UTF-8" in why


def test_an_undeclared_utf8_report_with_one_stray_byte_is_refused():
    document = flat(row("026-1-1"), row("026-2-2", buyer="Chloé")) + b""
    document = document.replace(b"Chlo\xc3\xa9", b"Chlo\xe9")  # one buyer in Windows-1252 ...
    document = document.replace(b"Zo\xc3\xab", b"Zo\xc3\xab", 1)  # ... beside UTF-8 "Zoë"

    why = refused(document)

    assert why.startswith("the report is UTF-8 but byte 0xE9 at offset ")
    assert "does not read it as Windows-1252 because of one byte" in why


def test_an_undeclared_windows_1252_report_is_read_as_windows_1252():
    document = flat(row("026-1-1", buyer="Chloé Brûlée")).decode().encode("cp1252")

    (order,), failed = read(document)

    assert (order.buyer_name, failed) == ("Chloé Brûlée", [])


def test_a_byte_no_supported_encoding_reads_refuses_the_report():
    document = flat(row("026-1-1", buyer="X")).replace(b"\tX\t", b"\t\x81\t", 1)

    assert refused(document).startswith("the report is in no encoding Stockroom reads: byte 0x81 at offset ")


def test_an_unknown_declared_charset_is_refused():
    assert refused(flat(row()), content_type="text/plain; charset=x-klingon") == (
        "the report declares charset 'x-klingon', which Stockroom cannot read"
    )


def test_a_utf16_flat_report_with_its_byte_order_mark_is_read():
    document = codecs.BOM_UTF16_LE + flat(row(buyer="Zoë")).decode().encode("utf-16-le")

    (order,), _ = read(document, kind="flat")

    assert order.buyer_name == "Zoë"


# ---------------------------------------------------------------------------------------------- 8: DOCTYPE
def test_a_doctype_after_the_first_64_kib_behind_a_comment_is_refused():
    document = xml(message()).replace(
        "<AmazonEnvelope>",
        "<!--" + "x" * 70_000 + '-->\n<!DOCTYPE e [<!ENTITY n "Mallory">]>\n<AmazonEnvelope>',
    )

    assert (
        refused(document.encode()) == "the XML report declares a DOCTYPE; Stockroom refuses DTDs and entities"
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_xml_report_with_a_doctype_is_refused(encoding):
    document = xml(message(name="&n;")).replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="{encoding.upper()}"?><!DOCTYPE e [<!ENTITY n "Mallory">]>',
    )
    data = document.encode(encoding)
    if encoding != "utf-16":
        data = (codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE) + data

    assert "declares a DOCTYPE" in refused(data)


def test_a_utf16_xml_report_without_doctype_is_read():
    data = xml(message(name="Zoë")).replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    (order,), failed = read(data)

    assert (order.buyer_name, order.address.name, failed) == ("Zoë", "Zoë", [])


# ---------------------------------------------------------------------------------------------- 15: tab, line break
def test_a_quoted_line_break_inside_a_row_fails_that_order_and_makes_no_fake_one():
    split = row("026-2-2", address='"Flat 3\n12 High Street"')
    document = flat(row("026-1-1"), split, row("026-3-3"))

    orders, failed = read(document)

    assert [o.external_order_id for o in orders] == ["026-1-1", "026-3-3"]
    ((ref, why, raw),) = failed
    assert ref == "026-2-2"
    assert why == "line 3 is one row over 2 lines: a value holds a line break (altered in transit?)"
    assert raw == HEADER + "\n" + split


def test_a_quoted_line_break_in_the_last_row_fails_that_order_only():
    split = row("026-2-2", address='"Flat 3\n12 High Street"')

    orders, failed = read(flat(row("026-1-1"), split))

    assert [o.external_order_id for o in orders] == ["026-1-1"]
    assert [ref for ref, _, _ in failed] == ["026-2-2"]


def test_a_quoted_tab_inside_a_row_fails_that_order():
    tabbed = row("026-2-2", address='"Flat 3\t12 High Street"')

    orders, failed = read(flat(row("026-1-1"), tabbed, row("026-3-3")))

    assert [o.external_order_id for o in orders] == ["026-1-1", "026-3-3"]
    assert [(ref, why) for ref, why, _ in failed] == [
        (
            "026-2-2",
            f"line 3 has {WIDTH + 1} cells where the header has {WIDTH}: a value holds a tab (altered in transit?)",
        )
    ]


def test_a_broken_row_fails_every_row_of_its_order():
    document = flat(row("026-1-1", item="1"), row("026-1-1", item="2", address="a\tb"), row("026-2-2"))

    orders, failed = read(document)

    assert [o.external_order_id for o in orders] == ["026-2-2"]
    assert [ref for ref, _, _ in failed] == ["026-1-1"]
    assert failed[0][2].count("\n") == 2  # the header and both rows


# ---------------------------------------------------------------------------------------------- 4: NUL, controls
def test_nul_and_control_characters_leave_names_and_addresses_at_the_edge():
    document = flat(row(buyer="Zo\x00e\x1b[31m", address="1 Example\x00 Street\x7f"))

    ((order,), failed) = read(document)

    assert failed == []
    assert order.buyer_name == order.address.name == "Zoe[31m"
    assert order.address.line1 == "1 Example Street"


def test_text_from_channels_is_nfc():
    ((order,), _) = read(flat(row(buyer="Zoe\u0308")))

    assert order.buyer_name == "Zoë"


@pytest.mark.parametrize(
    ("sku", "why"),
    [
        (
            "MUG\u200b-1",
            "contains an invisible formatting character (zero-width or direction override) (U+200B)",
        ),
        (
            "MUG\u202e-1",
            "contains an invisible formatting character (zero-width or direction override) (U+202E)",
        ),
        ("MUG\x85-1", "contains a control character (U+0085)"),
        ("MUG\x7f-1", "contains a control character (U+007F)"),
        ("MUG\x00-1", "contains a control character (U+0000)"),
    ],
)
def test_an_identifier_with_an_invisible_or_control_character_fails_its_order(sku, why):
    ((good,), failed) = read(flat(row("026-1-1"), row("026-2-2", sku=sku)))

    assert good.external_order_id == "026-1-1"
    assert [(ref, message) for ref, message, _ in failed] == [
        ("026-2-2", f"order 026-2-2: SKU {sku!r} {why}")
    ]


def test_an_order_id_too_long_for_its_column_fails_its_order():
    long_id = "0" * 101

    ((_, why, _),) = read(flat(row(long_id)))[1]

    assert why == f"order id {'0' * 100!r} is 101 characters long (at most 100)"


# ---------------------------------------------------------------------------------------------- 5, 7: values
@pytest.mark.parametrize(
    ("price", "why"),
    [
        ("Infinity", "item-price 'Infinity' is not an amount"),
        ("sNaN", "item-price 'sNaN' is not an amount"),
        ("NaN", "item-price 'NaN' is not an amount"),
        ("1e999999", "item-price '1e999999' is not an amount"),
        ("١٢.00", "item-price '١٢.00' is not an amount"),
        ("1_000.00", "item-price '1_000.00' is not an amount"),
        (
            "1000000000000.00",
            "item-price '1000000000000.00' is too large: Stockroom keeps amounts below 10^12",
        ),
        (
            "999999999999.995",
            "order 026-2-2: unit price of SKU SKU-1 1000000000000.00 is too large: Stockroom keeps amounts below 10^12",
        ),
    ],
)
def test_a_bad_amount_fails_its_order_with_the_reason_and_the_rest_lands(price, why):
    orders, failed = read(flat(row("026-1-1"), row("026-2-2", price=price), row("026-3-3")))

    assert [o.external_order_id for o in orders] == ["026-1-1", "026-3-3"]
    assert [(ref, message) for ref, message, _ in failed] == [("026-2-2", why)]


def test_amounts_that_sum_past_what_the_columns_hold_fail_the_order():
    big = "600000000000.00"
    document = flat(row("026-1-1", item="1", price=big), row("026-1-1", item="2", price=big))

    ((_, why, _),) = read(document)[1]

    assert why == "order 026-1-1: subtotal 1200000000000.00 is too large: Stockroom keeps amounts below 10^12"


@pytest.mark.parametrize(
    ("quantity", "why"),
    [
        ("٣", "quantity '٣' is not a whole number"),
        ("+3", "quantity '+3' is not a whole number"),
        ("-3", "quantity '-3' is negative"),
        ("2000000001", "quantity 2000000001 is too large (at most 2,000,000,000)"),
    ],
)
def test_a_bad_quantity_fails_its_order(quantity, why):
    ((_, message, _),) = read(flat(row(quantity=quantity)))[1]

    assert message == why


@pytest.mark.parametrize(
    ("date", "why"),
    [
        ("9999-12-31T23:59:59-23:59", "is outside the dates Stockroom keeps (1970-01-01 to 9000-01-01)"),
        ("0001-01-01T00:00:00+14:00", "is outside the dates Stockroom keeps (1970-01-01 to 9000-01-01)"),
        ("1969-12-31T23:59:59Z", "is outside the dates Stockroom keeps (1970-01-01 to 9000-01-01)"),
        ("2026-13-01T00:00:00Z", "is not an ISO 8601 date-time"),
    ],
)
def test_a_date_beyond_what_is_stored_fails_its_order(date, why):
    orders, failed = read(flat(row("026-1-1"), row("026-2-2", date=date)))

    assert [o.external_order_id for o in orders] == ["026-1-1"]
    assert [(ref, message) for ref, message, _ in failed] == [("026-2-2", f"purchase-date {date!r} {why}")]


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        ("Infinity", "Principal amount 'Infinity' is not an amount"),
        ("1e999999", "Principal amount '1e999999' is not an amount"),
        (
            "1000000000000",
            "Principal amount '1000000000000' is too large: Stockroom keeps amounts below 10^12",
        ),
    ],
)
def test_a_bad_amount_in_an_xml_message_fails_its_order(amount, why):
    orders, failed = read(xml(message("026-1-1"), message("026-2-2", amount=amount)).encode())

    assert [o.external_order_id for o in orders] == ["026-1-1"]
    assert [(ref, message) for ref, message, _ in failed] == [("026-2-2", why)]


def test_a_bad_date_in_an_xml_message_fails_its_order():
    ((_, why, raw),) = read(xml(message(date="9999-12-31T23:59:59-23:59")).encode())[1]

    assert why.startswith("OrderDate '9999-12-31T23:59:59-23:59' is outside the dates Stockroom keeps")
    assert raw.startswith("<Message>")


def test_an_orders_api_order_with_an_infinite_or_huge_amount_fails_alone():
    def order(order_id: str, amount) -> dict:
        return {
            "orderId": order_id,
            "createdTime": "2026-11-20T09:15:00Z",
            "orderItems": [
                {
                    "orderItemId": "1",
                    "quantityOrdered": 1,
                    "product": {
                        "sellerSku": "SKU-1",
                        "price": {"unitPrice": {"amount": amount, "currencyCode": "GBP"}},
                    },
                }
            ],
        }

    orders, failed = mapping.orders_from_api([order("1", "5.00"), order("2", "Infinity"), order("3", "1e13")])

    assert [o.external_order_id for o in orders] == ["1"]
    assert [ref for ref, _, _ in failed] == ["2", "3"]
    assert [why for _, why, _ in failed] == [
        "order payload invalid at orderItems.0.product.price.unitPrice.amount: Input should be a finite number",
        "order 3: unit price of SKU SKU-1 1E+13 is too large: Stockroom keeps amounts below 10^12",
    ]


def test_checked_order_passes_an_ordinary_order_through_unchanged():
    ((order,), _) = read(flat(row()))

    assert mapping.checked_order(order) is order
    assert order.purchased_at == datetime(2026, 11, 20, 9, 15, tzinfo=UTC)
    assert order.lines[0].unit_price == Decimal("5.00")


def test_the_edge_limits_are_what_the_order_book_holds():
    from stockroom.orders.models import Order, OrderLine

    for model in (Order, OrderLine):
        for field in model._meta.get_fields():
            if field.get_internal_type() == "DecimalField":
                assert (field.max_digits, field.decimal_places) == (AMOUNT_MAX_DIGITS, AMOUNT_DECIMAL_PLACES)
    assert OrderLine._meta.get_field("quantity").get_internal_type() == "PositiveIntegerField"
    assert QUANTITY_MAX <= 2_147_483_647
    assert Order._meta.get_field("external_order_id").max_length == 100
    assert OrderLine._meta.get_field("external_line_id").max_length == 100
    assert OrderLine._meta.get_field("channel_sku").max_length == 200


def test_an_unexpected_error_in_one_record_fails_that_record_only(monkeypatch):
    real = mapping._order_from_flat

    def explode(order_id, *args):
        if order_id == "026-2-2":
            raise ZeroDivisionError("boom")
        return real(order_id, *args)

    monkeypatch.setattr(mapping, "_order_from_flat", explode)

    orders, failed = read(flat(row("026-1-1"), row("026-2-2"), row("026-3-3")))

    assert [o.external_order_id for o in orders] == ["026-1-1", "026-3-3"]
    assert [(ref, why) for ref, why, _ in failed] == [
        ("026-2-2", "the record could not be read (ZeroDivisionError: boom)")
    ]


def test_the_failed_record_of_an_api_order_keeps_its_json():
    raw = {"orderId": "9", "createdTime": "9999-12-31T23:59:59-23:59", "orderItems": []}

    orders, ((ref, why, kept),) = mapping.orders_from_api([raw])

    assert (orders, ref, json.loads(kept)) == ([], "9", raw)
    assert "outside the dates Stockroom keeps" in why


def test_a_listing_with_an_invisible_character_in_its_sku_is_refused_and_titles_are_cleaned():
    def item(sku: str, title: str) -> dict:
        return {
            "sku": sku,
            "summaries": [{"asin": "B000000001", "itemName": title, "marketplaceId": "A1F83G8C2ARO7P"}],
        }

    listing = mapping.listing_from_item(item("MUG-1", "Camping\x00 mug\x1b[0m"))

    assert (listing.channel_sku, listing.title) == ("MUG-1", "Camping mug[0m")
    with pytest.raises(mapping.MappingError, match=r"SKU 'MUG\\u200b-1' contains an invisible formatting"):
        mapping.listing_from_item(item("MUG\u200b-1", "Camping mug"))
