"""Report mode streams end to end: a seller's sync imports a report's first pages while the rest of the
document is still unread, and the order cursor moves only once the whole report is stored.

The Amazon connector and the sync engine against the SP-API simulator, over real HTTP: 1,000 orders
of one line each land in one scheduled report (ten pages of 100).
"""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from stockroom.channels.models import ChannelAccount
from stockroom.connectors.amazon.connector import AmazonConnector
from stockroom.orders.models import Order
from stockroom.sync import engine
from stockroom.sync.models import SyncCursor

UK = "A1F83G8C2ARO7P"
ORDERS = 1000
_sellers = itertools.count(1)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def report_account(sim, control):
    """An Amazon account in report mode whose one scheduled report holds ``ORDERS`` orders."""

    def make(source):
        seller = control.create_seller(f"A{next(_sellers):04d}STREAMSELLER", marketplaces=[UK])
        control.create_listing(seller["seller_id"], "ST-SKU", quantity=10**6)
        account = ChannelAccount.objects.create(
            channel="amazon",
            name=f"Streamed {source}",
            external_account_id=seller["seller_id"],
            region="eu",
            marketplaces=["UK"],
            options={
                "order_source": source,
                "report_period": "PT15M",
                "download_orders_since": (datetime.now(UTC) - timedelta(hours=1)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
            },
            credentials={k: seller[k] for k in ("client_id", "client_secret", "refresh_token")},
            endpoint=sim.base_url,
            token_url=sim.token_url,
        )
        engine.sync_account(account, trigger="schedule", steps=("orders",))  # schedules the report
        placed = control.place_orders(
            seller["seller_id"],
            [
                {
                    "marketplace_id": UK,
                    "items": [{"sku": "ST-SKU", "quantity": 1}],
                    "status": "Unshipped",
                    "force": True,
                }
            ]
            * ORDERS,
        )
        control.advance_clock(15 * 60 + 90)  # the report is created and processed
        return account, sorted(o["order_id"] for o in placed)

    return make


@pytest.fixture
def documents(monkeypatch):
    """Every report document the connector opens: (its file, its size in bytes)."""
    opened = []
    download = AmazonConnector._download_report

    def spy(self, *args, **kwargs):
        handle, content_type = download(self, *args, **kwargs)
        size = handle.seek(0, 2)
        handle.seek(0)
        opened.append((handle, size))
        return handle, content_type

    monkeypatch.setattr(AmazonConnector, "_download_report", spy)
    return opened


def _book(account):
    return sorted(Order.objects.filter(account=account).values_list("external_order_id", flat=True))


def _cursor(account):
    cursor = SyncCursor.objects.filter(account=account, stream="orders").first()
    return cursor.value if cursor else None


@pytest.mark.parametrize("source", ["report_flat", "report_xml"])
def test_the_first_pages_are_stored_before_the_report_is_read_to_its_end(
    report_account, documents, monkeypatch, source
):
    account, placed = report_account(source)
    cursor_before = _cursor(account)
    real_import = engine.download_orders.import_new_orders
    seen = []  # per page: (orders in the book before it, how far the document had been read)

    def import_page(current, orders):
        ((handle, size),) = documents
        seen.append(
            (Order.objects.filter(account=account).count(), handle.tell() if not handle.closed else size)
        )
        return real_import(current, orders)

    monkeypatch.setattr(engine.download_orders, "import_new_orders", import_page)
    run = engine.sync_account(account, trigger="schedule", steps=("orders",))

    ((_, size),) = documents
    assert (run.status, run.orders_new, run.errors) == ("ok", ORDERS, [])
    assert _book(account) == placed
    assert [stored for stored, _ in seen] == list(range(0, ORDERS, 100))  # ten pages, one after another
    # the first page went into the book while most of the document was still unread: it is read a
    # page (and the read-ahead's next one) at a time, never listed whole first
    assert seen[0][1] < size / 2
    assert [at for _, at in seen] == sorted(at for _, at in seen)
    assert _cursor(account) != cursor_before


@pytest.mark.parametrize("source", ["report_flat", "report_xml"])
def test_a_failure_in_the_middle_of_a_report_leaves_the_cursor_before_it_and_the_next_run_completes_it(
    report_account, documents, monkeypatch, source
):
    account, placed = report_account(source)
    cursor_before = _cursor(account)
    real_import = engine.download_orders.import_new_orders
    pages = itertools.count(1)

    def failing_import(current, orders):
        if next(pages) == 4:
            raise RuntimeError("the database went away")
        return real_import(current, orders)

    with monkeypatch.context() as patch:
        patch.setattr(engine.download_orders, "import_new_orders", failing_import)
        failed = engine.sync_account(account, trigger="schedule", steps=("orders",))
    stored_then, cursor_then = _book(account), _cursor(account)
    again = engine.sync_account(account, trigger="schedule", steps=("orders",))

    assert failed.status == "failed"
    assert failed.errors == ["orders: internal error: the database went away"]
    assert len(stored_then) == 300  # the three pages before the failure are kept
    assert cursor_then == cursor_before  # the report is not passed: it is read again
    assert all(handle.closed for handle, _ in documents)
    assert (again.status, again.orders_new, again.errors) == ("ok", ORDERS - 300, [])
    assert _book(account) == placed  # every order once
    assert _cursor(account) not in (None, cursor_before)
