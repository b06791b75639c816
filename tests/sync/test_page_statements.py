"""A downloaded page of new orders costs a fixed, counted number of statements (round trips to the
database): the page's orders, its allocation, the run's counts and the position after it in one
transaction, whatever the page's size and however many pages came before."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stockroom.orders.models import OrderLine
from stockroom.sync import engine
from stockroom.sync.models import SyncCursor
from tests.conftest import channel_order

PAGE_SIZE = 5


def _statements_of_a_run(fake_account, channel, items, link, name, pages) -> list[str]:
    account = fake_account(name)
    for n, item in enumerate(items):
        link(account, f"CH-{n}", item)
    state = channel(account)
    state.page_size = PAGE_SIZE
    for n in range(pages * PAGE_SIZE):
        state.add_order(channel_order(f"{name}-{n}", lines=((f"CH-{n % 4}", 1), (f"CH-{(n + 1) % 4}", 2))))
    with CaptureQueriesContext(connection) as captured:
        run = engine.sync_account(account, trigger="cli", steps=("orders",))
    assert (run.status, run.orders_new) == ("ok", pages * PAGE_SIZE)
    assert SyncCursor.objects.get(account=account, stream="orders").value == str(pages * PAGE_SIZE)
    return [q["sql"] for q in captured.captured_queries]


def _kind(sql: str) -> str:
    """A statement as its verb and table: "SELECT orders_order", "SAVEPOINT", "SELECT" (no table)."""
    sql = re.sub(r"^\d+ times: ", "", sql)  # Django's record of an executemany
    verb = sql.split()[0]
    table = re.search(r'(?:FROM|INTO|UPDATE|COPY)\s+"(\w+)"', sql)
    return f"{verb} {table.group(1)}" if table and verb not in ("SAVEPOINT", "RELEASE", "SET") else verb


@pytest.mark.django_db
def test_each_page_after_the_first_costs_the_same_counted_statements(
    fake_account, channel, make_item, link, monkeypatch
):
    monkeypatch.setattr(engine.runs.time, "monotonic", lambda: 1000.0)  # no progress checkpoint per page
    items = [make_item(f"Q-{n}", on_hand=100) for n in range(4)]
    three = _statements_of_a_run(fake_account, channel, items, link, "Three", 3)
    four = _statements_of_a_run(fake_account, channel, items, link, "Four", 4)

    kinds = [_kind(sql) for sql in four]
    starts = [n for n, kind in enumerate(kinds) if kind == "SELECT orders_order"]  # each page's look-up
    assert len(starts) == 4
    postgres = connection.vendor == "postgresql"
    # the third page, from its look-up of known orders to the fourth page's (the test's own
    # transaction makes each page's BEGIN/COMMIT a SAVEPOINT/RELEASE)
    assert kinds[starts[2] : starts[3]] == [
        "SELECT orders_order",  # orders already known (the default location was read once, before)
        "SELECT channels_listing",  # the linked stock items
        # PostgreSQL: the levels locked in pk order, the grants added and their outbox rows appended,
        # in one statement; SQLite: locked, then every item's allocation by one executemany, then
        # the outbox rows
        *(
            ["WITH inventory_stocklevel"]
            if postgres
            else [
                "SELECT inventory_stocklevel",
                "UPDATE inventory_stocklevel",
                "INSERT inventory_pendingstockpush",
            ]
        ),
        *(["SELECT"] if postgres else []),  # the orders' keys from the sequence
        *(
            ["COPY orders_order", "COPY orders_orderline", "COPY orders_orderevent"]
            if postgres
            else ["INSERT orders_order", "INSERT orders_orderline", "INSERT orders_orderevent"]
        ),
        "UPDATE sync_syncrun",  # the run's counts
        "RELEASE",  # the page import's one savepoint
        "UPDATE sync_synccursor",  # the position after the page: one UPDATE, no read
        "RELEASE",
        "SAVEPOINT",  # the next page's transaction (its commit does not wait for the disk: set once)
        "SAVEPOINT",  # the page import: undone whole if it fails, then order by order
    ]
    assert len(four) - len(three) == starts[3] - starts[2] == (13 if postgres else 14)
    assert OrderLine.objects.count() == (3 + 4) * PAGE_SIZE * 2


@pytest.mark.django_db
def test_a_download_refreshes_the_books_statistics_as_its_new_orders_double(
    fake_account, channel, make_item, link, monkeypatch
):
    # a book loaded from empty has no statistics until autovacuum runs; the planner then walks the
    # account's orders for each page's look-up of known ones (see core.bulk.refresh_statistics)
    monkeypatch.setattr(engine.download_orders, "STATISTICS_AFTER_NEW_ORDERS", 10)
    items = [make_item(f"Q-{n}", on_hand=100) for n in range(4)]
    statements = _statements_of_a_run(fake_account, channel, items, link, "Grow", 9)  # 45 orders

    kinds = [_kind(sql) for sql in statements]
    pages_before = [
        kinds[: n + 1].count("COPY orders_order") for n, kind in enumerate(kinds) if kind == "ANALYZE"
    ]
    if connection.vendor == "postgresql":
        # after the pages that brought the run's new orders to 10, then to 20 and 40 (5 a page)
        assert pages_before == [2, 4, 8]
        assert [sql for sql in statements if sql.startswith("ANALYZE")] == ['ANALYZE "orders_order"'] * 3
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'orders_order'")
            assert cursor.fetchone()[0] == 40  # the book as the last refresh saw it
    else:
        assert pages_before == []
