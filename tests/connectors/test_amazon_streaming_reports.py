"""Report documents read as streams: the same orders as the whole-document readers, page by page, with
memory that does not grow with the document."""

import io
import tracemalloc
from decimal import Decimal

import pytest

from stockroom.connectors.amazon import mapping

from .conftest import amazon_file

FLAT_SHIPPING = "samples/synthetic/GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING.example.tsv"
FLAT_ALL = "samples/synthetic/GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL.example.tsv"
XML_SHIPPING = "samples/synthetic/GET_ORDER_REPORT_DATA_SHIPPING.example.xml"
XML_ALL = "samples/synthetic/GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL.example.xml"


def _pages(data: bytes, **kwargs):
    return list(mapping.report_pages(io.BytesIO(data), **kwargs))


def _flatten(pages):
    return [o for orders, _ in pages for o in orders], [f for _, failed in pages for f in failed]


@pytest.mark.parametrize("sample", [FLAT_SHIPPING, FLAT_ALL])
def test_flat_report_pages_give_the_whole_document_readers_orders(sample):
    data = amazon_file(sample).read_bytes()
    whole = mapping.orders_from_flat_report(mapping.decode_report(data), default_marketplace="UK")

    pages = _pages(data, default_marketplace="UK", page_size=1)

    assert _flatten(pages) == (whole[0], whole[1])
    assert [len(orders) + len(failed) for orders, failed in pages] == [1] * len(whole[0])


@pytest.mark.parametrize("sample", [XML_SHIPPING, XML_ALL])
def test_xml_report_pages_give_the_whole_document_readers_orders(sample):
    data = amazon_file(sample).read_bytes()

    assert _flatten(_pages(data, default_marketplace="UK")) == (
        *mapping.orders_from_xml_report(data, default_marketplace="UK"),
    )


def test_a_bad_row_fails_its_order_only_in_a_stream():
    data = (
        amazon_file(FLAT_SHIPPING)
        .read_bytes()
        .replace(b"STOCKROOM-SKU-003\tExample Gizmo\t1", b"STOCKROOM-SKU-003\tExample Gizmo\tabc")
    )

    orders, failed = _flatten(_pages(data))

    assert [o.external_order_id for o in orders] == ["026-0000001-0000001"]
    assert failed == mapping.orders_from_flat_report(mapping.decode_report(data))[1]
    assert failed[0][:2] == ("026-0000002-0000002", "quantity 'abc' is not a whole number")


def test_a_truncated_stream_is_refused():
    data = amazon_file(FLAT_SHIPPING).read_bytes()
    cut = data[: data.index(b"Sampleford") + 3]

    with pytest.raises(mapping.DocumentError, match="cut short"):
        _pages(cut)


@pytest.mark.parametrize("cut", [40, 300], ids=["inside-header-columns", "inside-header-after-key-columns"])
def test_a_stream_cut_inside_its_header_is_refused(cut):
    with pytest.raises(mapping.DocumentError, match="cut short"):
        _pages(amazon_file(FLAT_SHIPPING).read_bytes()[:cut])


def test_stream_encodings_windows_1252_and_shift_jis():
    header = "order-id\torder-item-id\tpurchase-date\tsku\tproduct-name\tquantity-purchased\titem-price\tcurrency\n"
    row = "026-1-1\t1\t2026-11-20T09:15:00+00:00\tSKU-1\t{title}\t1\t5.00\t{currency}\n"
    european = (header + row.format(title="Café – Crème brûlée", currency="EUR")).encode("cp1252")
    japanese = (header + row.format(title="エコードット 第4世代", currency="JPY")).encode("cp932")

    (eu,), _ = _flatten(_pages(european))
    (jp,), _ = _flatten(_pages(japanese, japanese=True))
    (declared,), _ = _flatten(_pages(japanese, content_type="text/tab-separated-values; charset=Shift_JIS"))

    assert eu.lines[0].title == "Café – Crème brûlée"
    assert jp.lines[0].title == declared.lines[0].title == "エコードット 第4世代"


@pytest.mark.parametrize(
    "content_type", ["", "text/tab-separated-values; charset=UTF-8", "text/plain;charset=utf8"]
)
def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column(content_type):
    header = "order-id\torder-item-id\tpurchase-date\tsku\tproduct-name\tquantity-purchased\titem-price\tcurrency\n"
    row = "026-1-1\t1\t2026-11-20T09:15:00+00:00\tSKU-1\tCafé\t1\t5.00\tEUR\n"
    document = b"\xef\xbb\xbf" + (header + row).encode("utf-8")

    (order,), failed = _flatten(_pages(document, content_type=content_type))
    whole, whole_failed = mapping.orders_from_flat_report(
        mapping.decode_report(document, content_type=content_type)
    )

    assert (order.external_order_id, order.lines[0].title, failed) == ("026-1-1", "Café", [])
    assert ([o.external_order_id for o in whole], whole_failed) == (["026-1-1"], [])


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
def test_hostile_or_truncated_xml_streams_are_refused(document):
    with pytest.raises(mapping.DocumentError):
        _pages(document)


def _big_flat(rows: int) -> bytes:
    lines = [amazon_file(FLAT_SHIPPING).read_text(encoding="utf-8-sig").splitlines()[0]]
    template = amazon_file(FLAT_SHIPPING).read_text(encoding="utf-8-sig").splitlines()[1].split("\t")
    for n in range(rows):
        cells = list(template)
        cells[0] = f"026-{n:07d}-0000001"
        cells[1] = f"{n:014d}"
        lines.append("\t".join(cells))
    return ("\n".join(lines) + "\n").encode()


def test_memory_of_a_stream_does_not_grow_with_the_document():
    small, large = _big_flat(1_500), _big_flat(6_000)

    peaks = []
    for data in (small, large):
        handle = io.BytesIO(data)
        tracemalloc.start()
        count = sum(len(orders) for orders, _ in mapping.report_pages(handle, page_size=100))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert count == data.count(b"\n") - 1

    # four times the document, not four times the memory: pages of 100 orders are all that is held
    assert peaks[1] < peaks[0] * 1.5
    assert peaks[1] < len(large) / 2


# --- the quick row reader: a row is its line split at tabs, read by column position ---------------------
SMALL_HEADER = (
    "order-id\tpurchase-date\tsku\tquantity-purchased\titem-price\tshipping-price\tquantity-shipped\n"
)


def _small(*rows: str, header: str = SMALL_HEADER, newline: str = "\n") -> bytes:
    return (header + "".join(row + "\n" for row in rows)).replace("\n", newline).encode()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("026-1\t2026-11-20T09:15:00Z\tSKU-1\t1\tabc\t2.99\t", "item-price 'abc' is not an amount"),
        ("026-1\t2026-11-20T09:15:00Z\tSKU-1\t1\t5.00\t2,99\t", "shipping-price '2,99' is not an amount"),
        ("026-1\t2026-11-20T09:15:00Z\tSKU-1\t-1\t5.00\t2.99\t", "quantity '-1' is negative"),
        (
            "026-1\t2026-11-20T09:15:00Z\tSKU-1\t1\t5.00\t2.99\tone",
            "quantity-shipped 'one' is not a whole number",
        ),
        ("026-1\t2026-11-20T09:15:00Z\tSKU-1\t1\t5.00\t2.99\t-1", "quantity-shipped '-1' is negative"),
        # two bad values: the first one the mapping reads is named
        ("026-1\t2026-11-20T09:15:00Z\tSKU-1\tx\tabc\t2.99\t", "quantity 'x' is not a whole number"),
        ("026-1\t2026-11-20T09:15:00Z\tSKU-1\t1\tabc\t2,99\tone", "item-price 'abc' is not an amount"),
    ],
)
def test_a_bad_value_fails_its_order_naming_the_column(row, message):
    good = "026-2\t2026-11-20T09:15:00Z\tSKU-2\t2\t10.00\t0.00\t1"
    data = _small(row, good)

    orders, failed = _flatten(_pages(data))

    assert failed == [("026-1", message, SMALL_HEADER + row)]
    assert [(o.external_order_id, o.lines[0].quantity_shipped, o.subtotal) for o in orders] == [
        ("026-2", 1, Decimal("10.00"))
    ]


def test_a_bad_value_in_a_later_row_fails_the_whole_order_with_all_its_rows():
    first = "026-1\t2026-11-20T09:15:00Z\tSKU-1\t1\t5.00\t2.99\t"
    second = "026-1\t2026-11-20T09:15:00Z\tSKU-2\t1\t5,00\t0.00\t"

    orders, failed = _flatten(_pages(_small(first, second)))

    assert orders == []
    assert failed == [("026-1", "item-price '5,00' is not an amount", SMALL_HEADER + first + "\n" + second)]


def test_windows_line_ends_and_blank_lines_between_rows_read_as_plain_rows():
    rows = (
        "026-1\t2026-11-20T09:15:00Z\tSKU-1\t2\t5.00\t2.99\t",
        "026-2\t2026-11-20T09:15:00Z\tSKU-2\t1\t1.00\t0\t",
    )
    plain = _flatten(_pages(_small(*rows)))

    windows = _flatten(_pages(_small(rows[0], "", " \t \t", "\t\t", rows[1], newline="\r\n")))

    assert windows == plain
    assert [(o.external_order_id, o.subtotal, o.shipping_total) for o in plain[0]] == [
        ("026-1", Decimal("5.00"), Decimal("2.99")),
        ("026-2", Decimal("1.00"), Decimal("0")),
    ]


def test_a_repeated_column_name_is_read_from_its_last_column():
    header = "order-id\tpurchase-date\tsku\tquantity-purchased\tsku\n"
    data = _small("026-1\t2026-11-20T09:15:00Z\tfirst\t1\tlast", header=header)

    (order,), failed = _flatten(_pages(data))

    assert failed == [] and order.lines[0].channel_sku == "last"


def test_a_cell_longer_than_the_csv_modules_field_limit_is_read_whole():
    title = (
        "x" * 200_000
    )  # csv.reader refused cells over 131,072 characters (with csv.Error, not a failed row)
    header = "order-id\tpurchase-date\tsku\tquantity-purchased\tproduct-name\n"
    data = _small(f"026-1\t2026-11-20T09:15:00Z\tSKU-1\t1\t{title}", header=header)

    (order,), failed = _flatten(_pages(data))

    assert failed == [] and order.lines[0].title == title


def test_more_distinct_amounts_than_are_kept_parsed_still_add_up_exactly(monkeypatch):
    monkeypatch.setattr(mapping, "_AMOUNTS_KEPT", 3)
    rows = [f"026-1\t2026-11-20T09:15:00Z\tSKU-{n}\t1\t{n}.{n:02d}\t0.{n:02d}\t" for n in range(1, 11)]

    (order,), failed = _flatten(_pages(_small(*rows)))

    assert failed == []
    assert [line.unit_price for line in order.lines] == [Decimal(f"{n}.{n:02d}") for n in range(1, 11)]
    assert (order.subtotal, order.shipping_total) == (Decimal("55.55"), Decimal("0.55"))


def test_xml_fields_are_read_where_find_would_read_them():
    # a processing instruction among the children, a first FulfillmentData without an Address, two SKUs
    document = (
        b'<?xml version="1.0" encoding="UTF-8"?><AmazonEnvelope><Message><MessageID>1</MessageID><OrderReport>'
        b"<AmazonOrderID>026-1</AmazonOrderID><?stockroom note?><OrderDate>2026-11-20T09:15:00Z</OrderDate>"
        b"<FulfillmentData><FulfillmentServiceLevel>Standard</FulfillmentServiceLevel></FulfillmentData>"
        b"<FulfillmentData><Address><City> Exampletown </City></Address></FulfillmentData>"
        b"<Item><AmazonOrderItemCode>1</AmazonOrderItemCode><SKU>SKU-1</SKU><SKU>SKU-2</SKU><Quantity>2</Quantity>"
        b'<ItemPrice><Component><Type>Principal</Type><Amount currency="GBP">10.00</Amount></Component>'
        b'<Component><Type>Tax</Type><Amount currency="GBP">1.50</Amount></Component></ItemPrice>'
        b'<ItemPrice><Component><Type>Principal</Type><Amount currency="GBP">2.00</Amount></Component></ItemPrice>'
        b"</Item></OrderReport></Message></AmazonEnvelope>"
    )

    (order,), failed = _flatten(_pages(document, default_marketplace="UK"))

    assert failed == []
    assert (order.channel_shipping_service, order.address.city) == ("Standard", "Exampletown")
    assert [(ln.channel_sku, ln.quantity, ln.unit_price) for ln in order.lines] == [
        ("SKU-1", 2, Decimal("6.00"))
    ]
    assert (order.subtotal, order.tax_total, order.total, order.currency) == (
        Decimal("12.00"),
        Decimal("1.50"),
        Decimal("12.00"),
        "GBP",
    )
    assert mapping.orders_from_xml_report(document, default_marketplace="UK") == ([order], [])


def test_the_xml_order_report_tells_each_orders_marketplace_by_the_buyer_relay_or_the_currency():
    def message(number, email, currency):
        return (
            f"<Message><MessageID>{number}</MessageID><OrderReport><AmazonOrderID>026-{number}</AmazonOrderID>"
            "<OrderDate>2026-11-20T09:15:00+00:00</OrderDate><BillingData>"
            f"<BuyerEmailAddress>{email}</BuyerEmailAddress><BuyerName>B</BuyerName></BillingData>"
            f"<Item><AmazonOrderItemCode>{number}</AmazonOrderItemCode><SKU>S</SKU><Title>T</Title>"
            f"<Quantity>1</Quantity><ItemPrice><Component><Type>Principal</Type>"
            f'<Amount currency="{currency}">5.00</Amount></Component></ItemPrice></Item>'
            "</OrderReport></Message>"
        )

    document = (
        "<?xml version='1.0' encoding='UTF-8'?><AmazonEnvelope><MessageType>OrderReport</MessageType>"
        + message(1, "x1@marketplace.amazon.de", "EUR")
        + message(2, "x2@marketplace.amazon.fr", "EUR")
        + message(3, "someone@example.com", "GBP")
        + message(4, "", "EUR")  # EUR alone names no site: the report's own marketplace
        + message(5, "x5@marketplace.amazon.co.uk", "GBP")
        + "</AmazonEnvelope>"
    ).encode()

    for orders in (
        mapping.orders_from_xml_report(document, default_marketplace="IT")[0],
        _flatten(_pages(document, default_marketplace="IT"))[0],
    ):
        assert [(o.external_order_id, o.marketplace, o.currency) for o in orders] == [
            ("026-1", "DE", "EUR"),
            ("026-2", "FR", "EUR"),
            ("026-3", "UK", "GBP"),
            ("026-4", "IT", "EUR"),
            ("026-5", "UK", "GBP"),
        ]
