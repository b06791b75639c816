"""Allocation under real concurrency, on PostgreSQL (SQLite serialises writers anyway)."""

import threading

import pytest
from django.db import connection

from stockroom.catalog.models import StockItem
from stockroom.inventory.models import StockLevel
from stockroom.inventory.selectors import ledger_mismatches
from stockroom.orders import services
from stockroom.orders.models import Order, ShippingMethod

pytestmark = [pytest.mark.postgres]

THREADS = 10


def run_in_threads(target, count):
    barrier = threading.Barrier(count)
    errors = []

    def worker(n):
        try:
            barrier.wait()
            target(n)
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return errors


def test_concurrent_orders_never_allocate_more_than_on_hand(on_postgres, make_item):
    items = [make_item(f"LAST-{n}", on_hand=3) for n in range(3)]

    # each order wants one of every item, in a different line order, so lock order matters
    def place(n):
        chosen = items[n % 3 :] + items[: n % 3]
        services.create_manual_order(lines=[(item, 1, "5.00") for item in chosen], external_order_id=f"C-{n}")

    errors = run_in_threads(place, THREADS)

    assert errors == []
    assert Order.objects.count() == THREADS
    for item in items:
        level = StockLevel.objects.get(item=item)
        assert (level.on_hand, level.allocated) == (3, 3)
    full = Order.objects.filter(allocation_state="full").count()
    assert full <= 3
    allocated_lines = sum(o.lines.filter(allocated_quantity=1).count() for o in Order.objects.all())
    assert allocated_lines == 9


def test_concurrent_dispatch_and_adjustment_keep_the_ledger(on_postgres, make_item):
    ShippingMethod.objects.create(name="Courier")
    item = make_item("BUSY", on_hand=20)
    orders = [
        services.create_manual_order(lines=[(item, 1, "1")], external_order_id=f"D-{n}") for n in range(8)
    ]

    def work(n):
        if n < len(orders):
            services.process_order(order_id=orders[n].pk, tracking_number=f"T{n}", shipping_method="Courier")
        else:
            from stockroom.inventory.services import adjust_stock, receive_stock

            receive_stock(item=StockItem.objects.get(pk=item.pk), quantity=2)
            adjust_stock(item=StockItem.objects.get(pk=item.pk), delta=-1, reason="breakage")

    errors = run_in_threads(work, 12)

    assert errors == []
    level = StockLevel.objects.get(item=item)
    assert (level.on_hand, level.allocated) == (20 - 8 + 4 * 1, 0)
    assert ledger_mismatches() == []
