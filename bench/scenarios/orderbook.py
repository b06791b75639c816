"""Order book: N orders (with 1-2 lines each), Open Orders filtered by source and searched by buyer, on
the web screen (``/orders/``) and the REST API (``/api/orders``, when installed).

The book is written with COPY on PostgreSQL and ``executemany`` on SQLite, with explicit ids. The pages
are served over HTTP by the production server (``stockroom serve``: gunicorn) on a local port and timed
by the client, from the request sent to the response read, so the time includes the server's processes,
its WSGI layer and the local socket, not the browser's rendering. Every request is different: searches
by surnames, full names, order ids and SKUs of the book under varied filters, and listings followed page
after page by their own Next links (keyset cursors).
"""

from __future__ import annotations

import html
import random
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import httpx

from bench.data import make_account, metric
from bench.stats import percentile

NAME = "orderbook"
TITLE = "order book"
DEFAULT_REPEAT = 1
NEEDS_DB = True
SIZES = {
    "tiny": {"orders": 300, "searches": 8, "pages": 2},
    "quick": {"orders": 100_000, "searches": 40, "pages": 5},
    "full": {"orders": 1_000_000, "searches": 80, "pages": 10},
}
TARGET_MS = 200
FIRST = ["Ann", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jon", "Kai", "Lena",
         "Mo", "Nia", "Owen", "Priya", "Quinn", "Ravi", "Sara", "Tom", "Uma", "Vik", "Wen", "Yusuf", "Zoe"]  # fmt: skip
LAST = [f"{stem}{suffix}" for stem in ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson",
        "Davies", "Patel", "Wright", "Khan", "Müller", "García", "Rossi", "Nowak", "Kowalski", "Lee", "Chen")
        for suffix in ("", "son", "ley", "ford", "er", "ton", "wood", "field", "by", "ham")]  # fmt: skip
ACTIVE_SHARE = 0.04  # pending + open: a seller dispatches daily, so most of the book is history


def _rows(count: int, accounts: list, location_id: int):
    rng = random.Random(11)
    now = datetime.now(UTC)
    start = now - timedelta(days=730)
    step = (now - start) / count
    for n in range(1, count + 1):
        purchased = start + step * n
        kind = rng.random()
        if kind < 0.85:
            account = accounts[n % len(accounts)]
            source, account_id = "amazon", account.pk
        else:
            source, account_id = "manual", None
        active = purchased > now - timedelta(days=730 * ACTIVE_SHARE) or rng.random() < 0.002
        status = (
            rng.choice(["open", "open", "pending"])
            if active
            else rng.choice(["processed"] * 30 + ["cancelled"])
        )
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        total = Decimal(rng.randint(500, 20000)) / 100
        yield (
            {
                "id": n,
                "created_at": purchased,
                "updated_at": purchased,
                "account_id": account_id,
                "source": source,
                "external_order_id": f"{200 + n % 100}-{n:07d}-{rng.randint(1000000, 9999999)}",
                "marketplace": "UK",
                "status": status,
                "channel_status": status.title(),
                "allocation_state": "full" if active else "not_needed",
                "location_id": location_id,
                "buyer_name": name,
                "buyer_email": f"{n}@marketplace.amazon.co.uk",
                "ship_name": name,
                "ship_line1": f"{n} High Street",
                "ship_city": "London",
                "ship_postcode": "SW1A 1AA",
                "ship_country_code": "GB",
                "purchased_at": purchased,
                "processed_at": purchased + timedelta(days=1) if status == "processed" else None,
                "cancelled_at": purchased + timedelta(hours=2) if status == "cancelled" else None,
                "currency": "GBP",
                "subtotal": total,
                "total": total,
            },
            [
                {
                    "order_id": n,
                    "external_line_id": f"{n:08d}{k}",
                    "channel_sku": f"SKU-{rng.randint(0, 19999):05d}",
                    "title": "Bench product",
                    "quantity": rng.randint(1, 3),
                    "unit_price": total,
                    "allocated_quantity": 0,
                }
                for k in range(rng.randint(1, 2))
            ],
        )


def _columns(model) -> list:
    return [f for f in model._meta.concrete_fields]


def _row_maker(fields: list, adapt=None):
    """A function turning a row dict into the column values, in ``fields`` order: a column the dict
    lacks gets the field's default (computed once) or its empty value; ``adapt(field)`` may give a
    converter for the columns whose Python value the database driver cannot take as it is."""
    spec = []
    for f in fields:
        default = f.get_default() if f.has_default() else (None if f.null else "")
        convert = adapt(f) if adapt else None
        spec.append((f.attname, default, convert))

    def make(row: dict) -> list:
        values = []
        for name, default, convert in spec:
            value = row.get(name, default)
            values.append(convert(value) if convert is not None and value is not None else value)
        return values

    return make


@contextmanager
def _secondary_indexes_deferred(cursor, vendor: str, tables: list[str]):
    """Drop the tables' secondary indexes (and on SQLite their triggers), then create them again
    from their own definitions once the rows are in: one sorted build per index is far faster than
    a million inserts into each. Constraint indexes stay; the schema ends exactly as it began."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " WHERE t.relname = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
            [tables],
        )
        saved = [("INDEX", name, sql) for name, sql in cursor.fetchall()]
    else:
        marks = ", ".join("%s" for _ in tables)
        cursor.execute(
            f"SELECT upper(type), name, sql FROM sqlite_master WHERE tbl_name IN ({marks})"  # noqa: S608
            " AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            tables,
        )
        saved = cursor.fetchall()
    for kind, name, _ in saved:
        cursor.execute(f'DROP {kind} "{name}"')
    yield
    for _, _, sql in saved:
        cursor.execute(sql)


def build_book(count: int, accounts: list) -> None:
    """Write ``count`` orders and their lines by the fastest path each database has."""
    from django.db import connection, transaction

    from stockroom.inventory.locks import default_location
    from stockroom.orders.models import Order, OrderLine
    from stockroom.orders.selectors import SQLITE_SEARCH_TABLE

    location_id = default_location().pk
    order_fields, line_fields = _columns(Order), [f for f in _columns(OrderLine) if f.attname != "id"]
    order_cols = ", ".join(f.column for f in order_fields)
    line_cols = ", ".join(f.column for f in line_fields)
    tables = [Order._meta.db_table, OrderLine._meta.db_table]
    rows = _rows(count, accounts, location_id)
    if connection.vendor == "postgresql":
        order_row, line_row = _row_maker(order_fields), _row_maker(line_fields)
        connection.ensure_connection()
        raw = connection.connection
        batch_lines = []
        with raw.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            with _secondary_indexes_deferred(cursor, "postgresql", tables):
                with cursor.copy(f"COPY {Order._meta.db_table} ({order_cols}) FROM STDIN") as copy:
                    for order, lines in rows:
                        copy.write_row(order_row(order))
                        batch_lines.extend(lines)
                with cursor.copy(f"COPY {OrderLine._meta.db_table} ({line_cols}) FROM STDIN") as copy:
                    for line in batch_lines:
                        copy.write_row(line_row(line))
            cursor.execute("RESET maintenance_work_mem")
        raw.commit()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Order._meta.db_table}', 'id'), {count})")
            cursor.execute(f"ANALYZE {Order._meta.db_table}")
            cursor.execute(f"ANALYZE {OrderLine._meta.db_table}")
        return

    def adapt(field):
        # as Django's SQLite backend stores an aware datetime: naive UTC text (get_db_prep_save,
        # a hundred times slower); the driver takes the other values as they are
        if field.get_internal_type() == "DateTimeField":
            return lambda value: str(value.astimezone(UTC).replace(tzinfo=None))
        return None

    order_row, line_row = _row_maker(order_fields, adapt), _row_maker(line_fields, adapt)
    order_sql = (
        f"INSERT INTO {Order._meta.db_table} ({order_cols}) VALUES ({', '.join('%s' for _ in order_fields)})"
    )
    line_sql = f"INSERT INTO {OrderLine._meta.db_table} ({line_cols}) VALUES ({', '.join('%s' for _ in line_fields)})"
    chunk_orders, chunk_lines = [], []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MB for this connection's index builds
        with _secondary_indexes_deferred(cursor, "sqlite", tables):
            for order, lines in rows:
                chunk_orders.append(order_row(order))
                chunk_lines.extend(line_row(line) for line in lines)
                if len(chunk_orders) >= 20000:
                    cursor.executemany(order_sql, chunk_orders)
                    cursor.executemany(line_sql, chunk_lines)
                    chunk_orders, chunk_lines = [], []
            if chunk_orders:
                cursor.executemany(order_sql, chunk_orders)
                cursor.executemany(line_sql, chunk_lines)
        # the search table's triggers were off while the rows went in: index them all at once
        cursor.execute(f"INSERT INTO {SQLITE_SEARCH_TABLE}({SQLITE_SEARCH_TABLE}) VALUES ('rebuild')")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _searches(
    rng: random.Random, count: int, order_ids: list[str], skus: list[str]
) -> list[tuple[str, dict]]:
    """``count`` different searches a seller might type, each with its own term and filters: surnames,
    full names, order ids and SKUs of the book, within open or all orders, all sources or Amazon's."""
    kinds = ["surname", "full name", "order id", "sku"]
    searches, seen = [], set()
    for _ in range(count * 100):
        if len(searches) == count:
            break
        kind = kinds[len(searches) % len(kinds)]
        term = {
            "surname": lambda: rng.choice(LAST),
            "full name": lambda: f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "order id": lambda: rng.choice(order_ids),
            "sku": lambda: rng.choice(skus),
        }[kind]()
        params = {"q": term}
        if rng.random() < 0.5:
            params["source"] = "amazon"
        if rng.random() < 0.5:
            params["status"] = "all"
        key = tuple(sorted(params.items()))
        if key not in seen:
            seen.add(key)
            searches.append((kind, params))
    if len(searches) < count:
        raise ValueError(f"only {len(searches)} different searches of {count}: too few order ids or SKUs")
    return searches


LISTINGS = [
    ("open orders", {}),
    ("source amazon", {"source": "amazon"}),
    ("all statuses", {"status": "all"}),
    ("all statuses, source manual", {"status": "all", "source": "manual"}),
]


def _api_params(params: dict) -> dict:
    out = {"limit": 50}
    if params.get("source"):
        out["source"] = params["source"]
    if params.get("q"):
        out["search"] = params["q"]
    if params.get("status") != "all":
        out["status"] = "open"
    return out


NEXT_LINK = re.compile(r'<a href="([^"]*)" rel="next"')


def _next_web(path: str, response) -> str | None:
    found = NEXT_LINK.search(response.text)
    return path + html.unescape(found.group(1)) if found else None


def _next_api(path: str, params: dict):
    def follow(response) -> str | None:
        cursor = response.json().get("next_cursor")
        return f"{path}?{urlencode({**params, 'cursor': cursor})}" if cursor else None

    return follow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def production_server():
    """``stockroom serve`` (gunicorn, its default 2 processes x 4 threads; no task worker) on a free
    local port, for as long as the block runs; yields its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "stockroom.cli.main", "serve", "--no-worker", f"--port={port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/login/", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"stockroom serve did not answer on {base} (exit {process.poll()})"
                    ) from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _get(client: httpx.Client, url: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]!r}")
    return elapsed, response


def run(size: dict, repeat: int, **_) -> dict:  # noqa: PLR0915 - one measured story
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from stockroom.orders.models import Order, OrderLine

    accounts = [make_account(f"Book {n}", seller_id=f"BOOK{n}") for n in range(3)]
    started = time.perf_counter()
    build_book(size["orders"], accounts)
    build_seconds = time.perf_counter() - started
    assert Order.objects.count() == size["orders"]
    user = get_user_model().objects.create_user(
        "bench", password="bench-password-1", is_staff=True, is_superuser=True
    )
    # a signed-in browser's session, made the way Django's test client makes one
    session = Client()
    session.force_login(user)
    cookies = {settings.SESSION_COOKIE_NAME: session.cookies[settings.SESSION_COOKIE_NAME].value}
    rng = random.Random(3)
    step = max(1, size["orders"] // 2000)
    order_ids = list(
        Order.objects.filter(pk__in=range(1, size["orders"] + 1, step)).values_list(
            "external_order_id", flat=True
        )
    )
    skus = sorted(
        set(
            OrderLine.objects.filter(order_id__in=range(1, size["orders"] + 1, step)).values_list(
                "channel_sku", flat=True
            )
        )
    )
    searches = _searches(rng, size["searches"] * repeat, order_ids, skus)
    interfaces = [("web", "/orders/", lambda p: p, {})]
    api_note = ""
    try:
        from stockroom.access.tokens import create_api_token
    except ImportError:
        api_note = "REST API /api/orders is not on main yet: web only"
    else:
        secret = create_api_token(username=user.username, name="bench").secret
        interfaces.append(("api", "/api/orders", _api_params, {"Authorization": f"Bearer {secret}"}))
    metrics, worst, counts = [], [], {}
    with production_server() as base:
        for label, path, to_params, headers in interfaces:
            with httpx.Client(
                base_url=base, headers=headers, cookies=cookies if label == "web" else None, timeout=60
            ) as client:
                _get(client, path)  # one request to open the connection and wake the processes, not timed
                by_kind: dict[str, list[float]] = {}
                for kind, params in searches:
                    query = to_params(params)
                    elapsed, _ = _get(client, path + ("?" + urlencode(query) if query else ""))
                    by_kind.setdefault(f"search by {kind}", []).append(elapsed)
                deep = size["pages"] * repeat
                for _, params in LISTINGS:
                    query = to_params(params)
                    url = path + ("?" + urlencode(query) if query else "")
                    for _ in range(deep):
                        elapsed, response = _get(client, url)
                        by_kind.setdefault(f"listing pages 1-{deep}", []).append(elapsed)
                        url = (
                            _next_web(path, response) if label == "web" else _next_api(path, query)(response)
                        )
                        if url is None:
                            break
            everything = [t for samples in by_kind.values() for t in samples]
            counts[label] = len(everything)
            metrics.append(
                metric(f"{label}: all requests p50", everything, "ms", value=percentile(everything, 50))
            )
            metrics.append(
                metric(
                    f"{label}: all requests p95",
                    everything,
                    "ms",
                    target=f"< {TARGET_MS}",
                    ok=percentile(everything, 95) < TARGET_MS,
                    value=percentile(everything, 95),
                )
            )
            for kind, samples in by_kind.items():
                worst.append((percentile(samples, 95), f"{label} {kind}"))
                metrics.append(
                    metric(
                        f"{label}: {kind} p95 ({len(samples)})", samples, "ms", value=percentile(samples, 95)
                    )
                )
    for m in metrics:
        m["runs"] = []  # every sample would swamp the JSON; p50/p95 are what matter
    notes = [
        f"book of {size['orders']:,} orders written in {build_seconds:.0f} s",
        "served over HTTP by `stockroom serve` (gunicorn, 2 processes x 4 threads) on a local port; time is "
        "the client's, request sent to response read, one request at a time; every URL different: "
        f"{len(searches)} searches (own term and filters each) and {len(LISTINGS)} listings followed "
        f"{size['pages'] * repeat} pages deep by their Next links; one untimed request first per interface",
        f"slowest kind: {max(worst)[1]}",
    ]
    if api_note:
        notes.append(api_note)
    return {
        "size": f"{size['orders']:,} orders, "
        + ", ".join(f"{label} {n} requests" for label, n in counts.items()),
        "metrics": metrics,
        "notes": notes,
    }
