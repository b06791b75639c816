"""Order book search: the indexed path (UPPER() indexes, pg_trgm on PostgreSQL, FTS5 trigram on
SQLite) finds exactly the orders the plain query finds, for ordinary and hostile terms alike."""

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Q

from stockroom.orders import selectors, services
from stockroom.orders.models import Order, OrderLine

pytestmark = pytest.mark.django_db

BUYERS = {
    "202-0000001-0000001": ("Ann Smith", "AMZ-MUG"),
    "202-0000002-0000001": ("ANN SMITHSON", "AMZ-CUP"),
    "202-0000003-0000001": ("Zoë Ångström", "AMZ-MUG"),
    "202-0000004-0000001": ("Bob Müller", "UNLINKED-1"),
    "202-0000005-0000001": ("100% Cotton Ltd", "UNLINKED-2"),
    "202-0000006-0000001": ("under_score", "UNLINKED-3"),
    "202-0000007-0000001": ('Quinn "Q" O\'Neil', "UNLINKED-4"),
    "202-0000008-0000001": ("Back\\slash Ann", "UNLINKED-5"),
    "202-0000009-0000001": ("Dev Patel", "mug"),
    "MANUAL-ANN": ("", "AMZ-MUG"),
}
TERMS = [
    "smith", "SMITHSON", "ann smith", "n s", "Ann", "an", "A", "ångström", "Ångström", "ÅNGSTRÖM",
    "müller", "bob m", "%", "_", "0%", "%%", "% C", "under_", "'", '"', "\"Q\"", "O'Neil", "\\",
    "k\\s", "202-0000001-0000001", "202-0000001-000000", "202-0000001", "manual-ann", "amz-mug", "MUG",
    "mu", "NEAR(ann smith)", "ann*", "-smith", "smith OR bob", "buyer_name:ann", "^ann", "ann AND",
    "x" * 199 + "ann", "ann" + " " * 300 + "x", "\x00ann", "  Dev Patel  ", "no such buyer",
]  # fmt: skip


@pytest.fixture
def book(make_account, make_item, link, make_channel_order):
    account = make_account("Shop UK")
    mug, cup = make_item("MUG", on_hand=10), make_item("CUP", on_hand=10)
    link(account, "AMZ-MUG", mug)
    link(account, "AMZ-CUP", cup)
    for order_id, (buyer, sku) in BUYERS.items():
        if order_id.startswith("MANUAL"):
            continue
        services.import_channel_order(
            account=account, data=make_channel_order(order_id, buyer_name=buyer, lines=[(sku, 1)])
        )
    manual = make_channel_order("MANUAL-ANN", buyer_name="", lines=[("AMZ-MUG", 1)])
    services.import_channel_order(account=make_account("Other shop"), data=manual)
    return account


@pytest.fixture
def index_path(db):
    """On PostgreSQL, make the planner answer through the indexes even on a tiny table."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")


def _found(term: str) -> set[str]:
    return set(selectors.order_list(search=term).values_list("external_order_id", flat=True))


def _plain(term: str) -> set[str]:
    """The search as a plain query (no index needed): what the order book has always meant."""
    term = term.replace("\x00", "").strip()[:200]
    sku = OrderLine.objects.filter(order=OuterRef("pk")).filter(
        Q(channel_sku__iexact=term) | Q(stock_item__sku__iexact=term)
    )
    orders = Order.objects.filter(
        Q(external_order_id__iexact=term) | Q(buyer_name__icontains=term) | Exists(sku)
    )
    return set(orders.values_list("external_order_id", flat=True))


@pytest.mark.parametrize("term", TERMS)
def test_search_finds_what_the_plain_query_finds(book, index_path, term):
    assert _found(term) == _plain(term)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("smith", {"202-0000001-0000001", "202-0000002-0000001"}),
        ("ann smith", {"202-0000001-0000001", "202-0000002-0000001"}),
        ("Ångström", {"202-0000003-0000001"}),
        ("bob müller", {"202-0000004-0000001"}),
        ("%", {"202-0000005-0000001"}),
        ("_", {"202-0000006-0000001"}),
        ('"Q" O\'', {"202-0000007-0000001"}),
        ("\\", {"202-0000008-0000001"}),
        ("202-0000004-0000001", {"202-0000004-0000001"}),
        ("202-0000004", set()),  # an order id matches whole, not in part
        ("Manual-Ann", {"MANUAL-ANN"}),
        ("mug", {"202-0000001-0000001", "202-0000003-0000001", "202-0000009-0000001"}),  # MANUAL-ANN's
        # line is not linked in its account
        ("amz-cup", {"202-0000002-0000001"}),
        ("cup", {"202-0000002-0000001"}),  # the stock item's SKU
        ("NEAR(ann smith)", set()),
        ("ann*", set()),
        ("x" * 5000, set()),
    ],
)
def test_search_matches(book, index_path, term, expected):
    assert _found(term) == expected


def test_search_keeps_the_filters_and_the_order(book, index_path):
    Order.objects.filter(external_order_id="202-0000002-0000001").update(status="processed")
    found = selectors.order_list(search="ann", status="open").values_list("external_order_id", flat=True)
    assert list(found) == ["202-0000008-0000001", "202-0000001-0000001"]


def test_search_follows_renamed_and_deleted_orders(book, index_path):
    order = Order.objects.get(external_order_id="202-0000004-0000001")
    Order.objects.filter(pk=order.pk).update(buyer_name="Carla Jensen")
    renamed = Order.objects.get(external_order_id="202-0000009-0000001")
    renamed.buyer_name = "Jens Olsen"
    renamed.save()
    Order.objects.filter(external_order_id="202-0000001-0000001").delete()

    assert _found("jens") == {"202-0000004-0000001", "202-0000009-0000001"}
    assert _found("müller") == set()
    assert _found("dev patel") == set()
    assert _found("smith") == {"202-0000002-0000001"}


def _trigram_rows(name: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {selectors.SQLITE_SEARCH_TABLE} WHERE buyer_name MATCH %s", [f'"{name}"']
        )
        return {row[0] for row in cursor.fetchall()}


def test_sqlite_trigram_table_is_kept_in_step_with_the_orders(book):
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 table exists on SQLite only")
    ids = dict(Order.objects.values_list("external_order_id", "pk"))
    Order.objects.filter(pk=ids["202-0000004-0000001"]).update(buyer_name="Carla Jensen")
    renamed = Order.objects.get(pk=ids["202-0000009-0000001"])
    renamed.buyer_name = "Carla Jensen-Patel"
    renamed.save()
    Order.objects.filter(pk=ids["202-0000001-0000001"]).delete()

    assert _trigram_rows("carla jensen") == {ids["202-0000004-0000001"], ids["202-0000009-0000001"]}
    assert _trigram_rows("bob müller") == set()
    assert _trigram_rows("dev patel") == set()
    assert _trigram_rows("ann smith") == {ids["202-0000002-0000001"]}
    assert _trigram_rows("zoë ångström") == {ids["202-0000003-0000001"]}


def test_sqlite_names_are_found_through_the_trigram_table(book):
    """The FTS5 table answers name searches of three characters or more: emptied, it finds no name."""
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 table exists on SQLite only")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {selectors.SQLITE_SEARCH_TABLE}({selectors.SQLITE_SEARCH_TABLE}) VALUES ('delete-all')"
        )
    assert _found("smith") == set()
    assert _found("an") == _plain("an") != set()


def test_postgresql_names_are_found_through_the_trigram_index(book, on_postgres, index_path):
    query = selectors.order_list(search="ann smith").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "orders_buyer_name_trgm" in plan
    assert "orders_external_id_upper" in plan
    assert "orders_line_sku_upper" in plan
