"""Properties of the report readers, for any document: generated valid reports, and the same reports
rewritten (cut at any byte, bytes put anywhere, a value replaced, another encoding). Either the
document is refused before any order is given out, or every order in it comes out exactly once (read,
or failed with its raw lines); never a raw exception.

Examples per property: the Hypothesis profile (``tests/conftest.py``; HYPOTHESIS_PROFILE=ci for more).
"""

import functools
import io
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from stockroom.connectors.amazon import mapping
from stockroom.core.text import clean_text

HEADER = [
    "order-id",
    "order-item-id",
    "purchase-date",
    "buyer-name",
    "ship-address-1",
    "sku",
    "quantity-purchased",
    "currency",
    "item-price",
]
ID_CELL = 0


@dataclass(frozen=True)
class Line:
    item: str
    sku: str
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Order:
    order_id: str
    buyer: str
    address: str
    lines: tuple[Line, ...]

    def rows(self) -> list[list[str]]:
        return [
            [
                self.order_id,
                line.item,
                "2026-11-20T09:15:00+00:00",
                self.buyer,
                self.address,
                line.sku,
                str(line.quantity),
                "GBP",
                str(line.price),
            ]
            for line in self.lines
        ]


# text a channel may send in a cell: anything but the tab and line breaks that make the cells
cell_text = st.text(st.characters(codec="utf-8", exclude_characters="\t\n\r"), max_size=12)


@st.composite
def reports(draw, text=cell_text) -> list[Order]:
    count = draw(st.integers(0, 5))
    orders = []
    for n in range(count):
        lines = tuple(
            Line(
                item=f"{n}{k}",
                sku=draw(st.from_regex(r"[A-Z][A-Z0-9-]{0,9}", fullmatch=True)),
                quantity=draw(st.integers(1, 9)),
                price=Decimal(draw(st.integers(0, 10**8))).scaleb(-2),
            )
            for k in range(draw(st.integers(1, 3)))
        )
        orders.append(
            Order(f"026-{n:07d}-{draw(st.integers(0, 9999999)):07d}", draw(text), draw(text), lines)
        )
    return orders


def document(orders: list[Order], *, newline: str = "\n") -> str:
    rows = ["\t".join(HEADER)] + ["\t".join(row) for order in orders for row in order.rows()]
    return newline.join(rows) + newline


def expected(order: Order) -> tuple:
    """What the reader makes of a generated order: cells stripped, free text cleaned."""
    subtotal = sum((line.price for line in order.lines), Decimal("0.00"))
    return (
        order.order_id,
        clean_text(order.buyer.strip()),
        clean_text(order.address.strip()),
        tuple((line.item, line.sku, line.quantity) for line in order.lines),
        subtotal,
    )


def summary(order) -> tuple:
    return (
        order.external_order_id,
        order.buyer_name,
        order.address.line1,
        tuple((line.external_line_id, line.channel_sku, line.quantity) for line in order.lines),
        order.subtotal,
    )


def read(data: bytes, **kwargs):
    """(orders, failed), or None when the document is refused. Refusal comes before the first page;
    any other exception fails the property."""
    pages = mapping.report_pages(io.BytesIO(data), page_size=2, **kwargs)
    try:
        first = next(pages, None)
    except mapping.DocumentError:
        return None
    orders, failed = [], []
    for page in [first] if first is not None else []:
        orders += page[0]
        failed += page[1]
    for page_orders, page_failed in pages:  # a DocumentError after the first page fails the property
        orders += page_orders
        failed += page_failed
    return orders, failed


@given(reports(), st.sampled_from(["\n", "\r\n"]))
def test_a_valid_report_reads_every_order_exactly_once(orders, newline):
    result = read(document(orders, newline=newline).encode("utf-8"), kind="flat")

    assert result is not None
    read_orders, failed = result
    assert failed == []
    assert [summary(o) for o in read_orders] == [expected(o) for o in orders]


@given(reports(), st.data())
def test_a_report_cut_at_any_byte_is_refused_or_is_the_whole_rows_before_the_cut(orders, data):
    whole = document(orders).encode("utf-8")
    cut = data.draw(st.integers(0, len(whole) - 1))

    result = read(whole[:cut], kind="flat")

    if result is None:
        return
    # only a cut right after a line break reads: a shorter report of the rows before the cut (a cut
    # at a row boundary is not visible in an uncompressed report; GZIP's trailer would show it)
    assert whole[cut - 1 : cut] == b"\n"
    rows_kept = whole[:cut].count(b"\n") - 1
    kept, rows_seen = [], 0
    for order in orders:
        lines = order.lines[: max(0, rows_kept - rows_seen)]
        rows_seen += len(order.lines)
        if lines:
            kept.append(expected(Order(order.order_id, order.buyer, order.address, lines)))
    assert [summary(o) for o in result[0]] == kept
    assert result[1] == []


HOSTILE = [b"\t", b"\n", b"\r", b"\r\n", b"\x00", b"\x1b", b"\xe9", b"\xff", b"\x81", "\u200b".encode()]


@given(reports(), st.data())
def test_bytes_put_anywhere_after_the_header_fail_only_the_orders_they_touch(orders, data):
    whole = document(orders).encode("utf-8")
    start = whole.index(b"\n") + 1
    at = data.draw(st.integers(start, len(whole)))
    token = data.draw(st.sampled_from(HOSTILE))

    result = read(whole[:at] + token + whole[at:], kind="flat")

    if result is None:
        return
    read_orders, failed = result
    # the orders whose lines (with their line break) hold the spot the bytes went in
    spans, position = {}, start
    for order in orders:
        end = position + sum(len("\t".join(row).encode()) + 1 for row in order.rows())
        spans[order.order_id] = (position, end)
        position = end
    touched = {oid for oid, (begin, end) in spans.items() if begin <= at <= end}
    read_ids = [o.external_order_id for o in read_orders]
    records = read_ids + [ref for ref, _, _ in failed]
    assert len(records) == len(set(records)) <= len(orders)  # no order twice, no fake order beside it
    for order in orders:
        if order.order_id in touched:
            continue
        # an order the bytes did not touch is read as it was, or (next to a row they cut) kept as failed
        assert order.order_id in records
        if order.order_id in read_ids:
            assert summary(read_orders[read_ids.index(order.order_id)]) == expected(order)


@given(reports(), st.data())
def test_a_value_replaced_by_a_bad_one_fails_that_order_alone(orders, data):
    assume(orders)
    victim = data.draw(st.integers(0, len(orders) - 1))
    column = data.draw(st.sampled_from(["purchase-date", "quantity-purchased", "item-price", "sku"]))
    bad = data.draw(
        st.sampled_from(
            {
                "purchase-date": ["9999-12-31T23:59:59-23:59", "0000-00-00", "", "1969-01-01T00:00:00Z"],
                "quantity-purchased": ["-1", "٣", "2000000001", "1e3", "NaN", "1.5"],
                "item-price": ["Infinity", "sNaN", "1e999999", "1000000000000", "-1e13", "١٢"],
                "sku": ["", "MUG\u200b-1", "MUG\x00", "MUG\x1b[2J", "X" * 201],
            }[column]
        )
    )
    rows = [order.rows() for order in orders]
    rows[victim][0][HEADER.index(column)] = bad
    text = "\n".join(["\t".join(HEADER)] + ["\t".join(r) for order_rows in rows for r in order_rows]) + "\n"

    result = read(text.encode("utf-8"), kind="flat")

    assert result is not None
    read_orders, failed = result
    others = [expected(o) for i, o in enumerate(orders) if i != victim]
    assert [summary(o) for o in read_orders] == others
    assert [ref for ref, _, _ in failed] == [orders[victim].order_id]
    assert failed[0][2].startswith("\t".join(HEADER) + "\n")


@functools.cache
def letters_of(encoding: str) -> str:
    """Every character up to U+FFFF that ``encoding`` writes and reads back as itself, but the tab, the line breaks and the C1
    controls: undeclared single-byte text is read as Windows-1252 (the documented rule), which gives
    letters where ISO-8859-1 has its C1 control characters, and no real text holds those."""
    letters = []
    for code in range(0x20, 0x10000):
        ch = chr(code)
        if 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
            continue
        try:
            if ch.encode(encoding).decode(encoding) != ch:
                continue  # cp932 writes "¢" as the bytes of "￠": what it reads back is the other one
        except UnicodeEncodeError:
            continue
        letters.append(ch)
    return "".join(letters)


@st.composite
def encoded_reports(draw) -> tuple[list[Order], str]:
    encoding = draw(st.sampled_from(["cp1252", "latin-1", "utf-16", "cp932"]))
    text = st.text(st.sampled_from(letters_of(encoding)), max_size=12)
    return draw(reports(text=text)), encoding


@given(encoded_reports(), st.sampled_from(["", "utf-8"]))
def test_a_report_in_another_encoding_than_declared_is_refused_or_read_right(report, declared):
    orders, encoding = report
    text = document(orders)
    data = text.encode(encoding)
    content_type = f"text/tab-separated-values; charset={declared}" if declared else ""
    if encoding != "utf-16":
        # bytes that are also UTF-8 ("Â" and a no-break space in Windows-1252 are the UTF-8 of a
        # no-break space) read as UTF-8, declared or not: no reader can tell them apart, and real
        # text is never both
        try:
            assume(data.decode("utf-8") == text)
        except UnicodeDecodeError:
            pass

    # Shift_JIS (cp932) comes from Amazon.co.jp: the account's marketplace says to expect it
    result = read(data, kind="flat", content_type=content_type, japanese=encoding == "cp932")

    if result is None:
        return
    # read: then it was read as what it is, never garbled
    assert result[1] == [] or all("cells where the header has" not in why for _, why, _ in result[1])
    assert [summary(o) for o in result[0]] == [expected(o) for o in orders]


@given(st.binary(max_size=300), st.sampled_from(["flat", "xml", ""]))
def test_any_bytes_at_all_are_refused_or_read_without_a_raw_exception(data, kind):
    result = read(data, kind=kind)

    if result is not None:
        orders, failed = result
        assert all(o.external_order_id for o in orders)
        assert all(isinstance(why, str) and why for _, why, _ in failed)


# ---------------------------------------------------------------------------------------------- XML
def xml_document(orders: list[Order]) -> bytes:
    from xml.sax.saxutils import escape

    def clean(value: str) -> str:  # what XML 1.0 can carry at all
        return "".join(
            ch
            for ch in value
            if ch in "\t" or ord(ch) >= 0x20 and not 0xD800 <= ord(ch) <= 0xDFFF and ch not in "\ufffe\uffff"
        )

    messages = []
    for order in orders:
        items = "".join(
            f"<Item><AmazonOrderItemCode>{line.item}</AmazonOrderItemCode><SKU>{line.sku}</SKU>"
            f"<Quantity>{line.quantity}</Quantity><ItemPrice><Component><Type>Principal</Type>"
            f'<Amount currency="GBP">{line.price}</Amount></Component></ItemPrice></Item>'
            for line in order.lines
        )
        messages.append(
            f"<Message><OrderReport><AmazonOrderID>{order.order_id}</AmazonOrderID>"
            "<OrderDate>2026-11-20T09:15:00+00:00</OrderDate>"
            f"<BillingData><BuyerName>{escape(clean(order.buyer))}</BuyerName></BillingData>"
            f"<FulfillmentData><Address><AddressFieldOne>{escape(clean(order.address))}</AddressFieldOne>"
            f"</Address></FulfillmentData>{items}</OrderReport></Message>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<AmazonEnvelope><MessageType>OrderReport</MessageType>'
        + "".join(messages)
        + "</AmazonEnvelope>\n"
    ).encode("utf-8")


@given(reports(), st.data())
def test_an_xml_report_is_read_whole_or_refused_when_cut_or_altered(orders, data):
    whole = xml_document(orders)
    valid = read(whole, kind="xml")
    assert valid is not None and valid[1] == []
    assert [o.external_order_id for o in valid[0]] == [o.order_id for o in orders]
    at = data.draw(st.integers(0, len(whole)))
    altered = data.draw(
        st.sampled_from(
            [
                whole[:at],
                whole[:at]
                + data.draw(st.sampled_from([b"<", b"&", b"\x00", b"\xff", b"<!DOCTYPE x>"]))
                + whole[at:],
            ]
        )
    )

    result = read(altered, kind="xml")

    if result is None:
        return
    records = [o.external_order_id for o in result[0]] + [ref for ref, _, _ in result[1]]
    assert len(records) == len(set(records)) or not all(records)
    if altered == whole[:at]:
        # the only cuts that read are after the envelope's end (blank space that followed it)
        assert [o.external_order_id for o in result[0]] == [o.order_id for o in orders]


# Shrunk counterexamples the properties found, kept as plain tests.
TWO_ORDERS = [
    Order(
        "026-0000000-0000000",
        "Ann",
        "1 Road",
        (Line("00", "A", 1, Decimal("1.00")), Line("01", "B", 1, Decimal("2.00"))),
    ),
    Order("026-0000001-0000000", "Bob", "2 Road", (Line("10", "A", 1, Decimal("0.00")),)),
]


def test_a_line_break_in_the_last_value_of_the_report_fails_that_order_not_a_fake_one():
    whole = document(TWO_ORDERS).encode()
    # "0.00\n" at the very end becomes "0.0\n0\n": a whole row, then a line the report ends inside
    orders, failed = read(whole[:-2] + b"\n" + whole[-2:], kind="flat")

    assert [summary(o) for o in orders] == [expected(TWO_ORDERS[0])]
    assert [(ref, why) for ref, why, _ in failed] == [
        ("026-0000001-0000000", "line 5 has 1 cells where the header has 9: the report ends inside it")
    ]


def test_a_byte_that_makes_an_order_id_non_ascii_fails_that_order_with_all_its_rows():
    whole = document(TWO_ORDERS).encode()
    first_row = whole.index(b"\n") + 1

    orders, failed = read(whole[:first_row] + b"\xe9" + whole[first_row:], kind="flat")

    assert [summary(o) for o in orders] == [expected(TWO_ORDERS[1])]
    [(ref, why, raw)] = failed
    assert ref == "026-0000000-0000000"
    assert why == (
        "line 2: the order id 'é026-0000000-0000000' holds 'é' (U+00E9): Amazon order ids are ASCII "
        "letters, digits and dashes"
    )
    assert raw.count("\n") == 2  # the header and both rows, kept for retry
