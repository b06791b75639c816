"""Order report documents through the engine into the order book, the same on SQLite and PostgreSQL:
a document that cannot be read is a report issue (with the start of the document) that blocks no
later document; a bad row is an order issue with its raw lines; text with NUL or control characters
lands cleaned; no run ends with "internal error"."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockroom.channels.contracts import FailedRecord, OrderPage
from stockroom.connectors.amazon import mapping
from stockroom.orders.models import Order
from stockroom.sync import engine
from stockroom.sync.models import IssueKind, IssueStatus, SyncCursor, SyncIssue, SyncRunStatus
from tests.fake_channel import FakeChannel

HEADER = (
    "order-id\torder-item-id\tpurchase-date\tbuyer-name\tship-address-1\tsku\tquantity-purchased\titem-price"
)


def row(order_id: str, *, buyer="Zoë O'Brien", address="1 Example Street", price="5.00", item="1") -> str:
    return "\t".join([order_id, item, "2026-11-20T09:15:00+00:00", buyer, address, "SKU-1", "1", price])


def report(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def document_pages(documents: list[tuple[str, bytes]]):
    """A channel whose orders come in report documents, read the way the Amazon connector reads them:
    each document checked whole, then streamed page by page; one that cannot be read is named in
    ``unreadable`` and the documents after it go on."""
    for ref, data in documents:
        pages = mapping.report_pages(io.BytesIO(data), kind="flat", page_size=2)
        try:
            first = next(pages, None)
        except mapping.DocumentError as exc:
            yield OrderPage(
                (), None, done=False, unreadable=(FailedRecord(ref, f"{ref} could not be read ({exc})", "…"),)
            )
            continue
        for orders, failed in [first, *pages] if first else []:
            yield OrderPage(tuple(orders), None, tuple(FailedRecord(*f) for f in failed), done=False)
        yield OrderPage((), None, done=False, documents_read=(ref,))
    yield OrderPage((), f"after {len(documents)} documents", done=True)


def holds(account, *documents: tuple[str, bytes]) -> None:
    """The documents the (fake) channel holds for the account."""
    FakeChannel.of(account).scripted_pages = lambda: document_pages(list(documents))


@pytest.fixture
def documents_account(fake_account):
    def make(*documents: tuple[str, bytes]):
        account = fake_account()
        holds(account, *documents)
        return account

    return make


def book(account) -> list[str]:
    return sorted(Order.objects.filter(account=account).values_list("external_order_id", flat=True))


def issues(account, kind) -> list[tuple[str, str]]:
    return list(
        SyncIssue.objects.filter(account=account, kind=kind, status=IssueStatus.OPEN)
        .order_by("external_ref")
        .values_list("external_ref", "message")
    )


def test_an_unreadable_report_is_an_issue_and_the_reports_after_it_land(documents_account):
    account = documents_account(
        ("report 1", report(row("026-1-1"))),
        ("report 2", report(row("026-2-2"))[:-1]),  # cut short
        ("report 3", report(row("026-3-3"))),
    )

    run = engine.sync_account(account, trigger="cli", steps=("orders",))

    assert book(account) == ["026-1-1", "026-3-3"]
    assert issues(account, IssueKind.REPORT) == [
        (
            "report 2",
            "report 2 could not be read (the report does not end with a line break: the download was cut "
            "short in its last row)",
        )
    ]
    assert SyncCursor.objects.get(account=account, stream="orders").value == "after 3 documents"
    assert run.status == SyncRunStatus.PARTIAL and run.errors == []


def test_a_report_read_completely_later_resolves_its_issue_and_imports_its_orders(documents_account):
    good = report(row("026-2-2"))
    account = documents_account(("report 2", good[:-1]))
    engine.sync_account(account, trigger="cli", steps=("orders",))

    holds(account, ("report 2", good))
    run = engine.sync_account(account, trigger="cli", steps=("orders",))

    assert book(account) == ["026-2-2"]
    assert issues(account, IssueKind.REPORT) == []
    issue = SyncIssue.objects.get(account=account, kind=IssueKind.REPORT)
    assert (issue.status, issue.resolution) == (IssueStatus.RESOLVED, "read completely on a later run")
    assert run.status == SyncRunStatus.OK


def test_nul_and_control_characters_in_names_and_addresses_import_cleaned_on_every_database(
    documents_account,
):
    account = documents_account(
        ("report 1", report(row("026-1-1", buyer="Zo\x00ë\x1b[1m", address="1\x00 Street\x7f")))
    )

    run = engine.sync_account(account, trigger="cli", steps=("orders",))

    order = Order.objects.get(account=account)
    assert (order.buyer_name, order.ship_line1) == ("Zoë[1m", "1 Street")
    assert run.status == SyncRunStatus.OK


def test_a_bad_value_in_one_row_is_an_order_issue_with_its_raw_lines_and_the_rest_lands(documents_account):
    account = documents_account(
        (
            "report 1",
            report(row("026-1-1"), row("026-2-2", price="Infinity"), row("026-3-3", price="1e999999")),
        )
    )

    run = engine.sync_account(account, trigger="cli", steps=("orders",))

    assert book(account) == ["026-1-1"]
    assert issues(account, IssueKind.ORDER) == [
        ("026-2-2", "the order could not be read: item-price 'Infinity' is not an amount"),
        ("026-3-3", "the order could not be read: item-price '1e999999' is not an amount"),
    ]
    raw = SyncIssue.objects.get(account=account, external_ref="026-2-2").raw_data
    assert raw == HEADER + "\n" + row("026-2-2", price="Infinity")
    assert run.errors == [] and "internal error" not in run.message


def test_a_row_whose_order_id_holds_nul_is_kept_as_an_issue_any_database_stores(documents_account):
    account = documents_account(("report 1", report(row("026-1-1"), row("026-\x002-2"))))

    engine.sync_account(account, trigger="cli", steps=("orders",))

    (issue,) = SyncIssue.objects.filter(account=account, kind=IssueKind.ORDER)
    assert issue.external_ref == "026-2-2"  # NUL removed from the reference
    assert issue.message == (
        "the order could not be read: line 3: the order id '026-\\x002-2' contains a control character (U+0000)"
    )
    assert "026-\\x002-2" in issue.raw_data and "\x00" not in issue.raw_data
    assert book(account) == ["026-1-1"]


rows_strategy = st.lists(
    st.tuples(
        st.integers(1, 3), st.text(st.characters(codec="utf-8", exclude_characters="\t\n\r"), max_size=8)
    ),
    max_size=4,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=20)
@given(rows_strategy, st.data())
def test_any_report_is_imported_exactly_once_or_refused_with_nothing_moved(documents_account, orders, data):
    rows = [
        row(f"026-{n:07d}-0000000", item=str(k), buyer=buyer)
        for n, (lines, buyer) in enumerate(orders)
        for k in range(lines)
    ]
    whole = report(*rows)
    cut = data.draw(st.integers(len(whole) // 2, len(whole)))
    document = whole[:cut]
    account = documents_account(("report 1", document))

    run = engine.sync_account(account, trigger="cli", steps=("orders",))
    engine.sync_account(account, trigger="cli", steps=("orders",))  # a second run changes nothing

    refused = issues(account, IssueKind.REPORT)
    assert "internal error" not in run.message and run.errors == []
    if refused:
        assert book(account) == []
    else:
        lines_kept = document.count(b"\n") - 1
        expected = sorted({r.split("\t")[0] for r in rows[:lines_kept]})
        assert book(account) == expected
        assert Order.objects.filter(account=account).count() == len(expected)
        assert issues(account, IssueKind.ORDER) == []
    assert SyncCursor.objects.get(account=account, stream="orders").value == "after 1 documents"


@pytest.mark.parametrize(
    ("document", "why"),
    [
        (
            report(row("026-2-2", buyer="X")).replace(b"\tX\t", b"\t\x81\t"),
            "in no encoding Stockroom reads: byte 0x81",
        ),
        (b"", "the report document is empty (0 bytes)"),
        (b"<html><body>Service Unavailable</body></html>\n", "the report has no order-id"),
    ],
    ids=["byte-no-encoding-reads", "empty", "html-page"],
)
def test_a_report_no_retry_can_read_blocks_no_report_after_it(documents_account, document, why):
    account = documents_account(("report 2", document), ("report 3", report(row("026-3-3"))))

    first = engine.sync_account(account, trigger="cli", steps=("orders",))
    second = engine.sync_account(account, trigger="cli", steps=("orders",))

    assert book(account) == ["026-3-3"]
    ((ref, message),) = issues(account, IssueKind.REPORT)
    assert ref == "report 2" and why in message
    assert SyncIssue.objects.get(account=account, kind=IssueKind.REPORT).attempts == 2
    assert (first.status, second.status) == (SyncRunStatus.PARTIAL, SyncRunStatus.PARTIAL)


def test_a_quoted_line_break_in_the_last_row_fails_that_order_and_the_report_is_done(documents_account):
    account = documents_account(
        ("report 1", report(row("026-1-1"), row("026-2-2", address='"Flat 3\n1 High St"')))
    )

    run = engine.sync_account(account, trigger="cli", steps=("orders",))

    assert book(account) == ["026-1-1"]
    assert issues(account, IssueKind.REPORT) == []
    assert issues(account, IssueKind.ORDER) == [
        (
            "026-2-2",
            "the order could not be read: line 3 is one row over 2 lines: a value holds a line break (altered in transit?)",
        )
    ]
    assert SyncCursor.objects.get(account=account, stream="orders").value == "after 1 documents"
    assert run.errors == []
