"""Indexes for the order book's search (ADR 0007): exact order id and SKU through UPPER() expression
indexes (both databases), buyer name substrings through a trigram index: pg_trgm GIN on PostgreSQL,
an FTS5 ``trigram`` table kept in step by triggers on SQLite.

The trigram structures are not Django model state (a GinIndex in ``Meta.indexes`` would break SQLite,
and Django has no FTS5 model), so they are created here per database and noted on ``Order``.
A later migration that makes SQLite rebuild ``orders_order`` (e.g. ``AlterField``) drops the table's
triggers: it must drop and create them again as below (tests/orders/test_search.py would fail).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models
from django.db.models.functions import Upper

# the expression Django's icontains compares on PostgreSQL: UPPER("buyer_name"::text) LIKE UPPER(%s)
POSTGRES_CREATE = (
    "CREATE INDEX orders_buyer_name_trgm ON orders_order USING gin (UPPER(buyer_name) gin_trgm_ops)"
)
POSTGRES_DROP = "DROP INDEX IF EXISTS orders_buyer_name_trgm"

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE orders_order_search USING fts5("
    "buyer_name, content='orders_order', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER orders_order_search_insert AFTER INSERT ON orders_order BEGIN "
    "INSERT INTO orders_order_search(rowid, buyer_name) VALUES (new.id, new.buyer_name); END",
    "CREATE TRIGGER orders_order_search_delete AFTER DELETE ON orders_order BEGIN "
    "INSERT INTO orders_order_search(orders_order_search, rowid, buyer_name) "
    "VALUES ('delete', old.id, old.buyer_name); END",
    "CREATE TRIGGER orders_order_search_update AFTER UPDATE OF id, buyer_name ON orders_order BEGIN "
    "INSERT INTO orders_order_search(orders_order_search, rowid, buyer_name) "
    "VALUES ('delete', old.id, old.buyer_name); "
    "INSERT INTO orders_order_search(rowid, buyer_name) VALUES (new.id, new.buyer_name); END",
    "INSERT INTO orders_order_search(orders_order_search) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS orders_order_search_insert",
    "DROP TRIGGER IF EXISTS orders_order_search_delete",
    "DROP TRIGGER IF EXISTS orders_order_search_update",
    "DROP TABLE IF EXISTS orders_order_search",
]


class TrigramExtensionOnPostgres(TrigramExtension):
    """Django's operation skips other databases going forwards but not backwards (it reads
    pg_extension): skip them both ways."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def _per_database(postgresql: list[str], sqlite: list[str]):
    def run(apps, schema_editor):
        for sql in {"postgresql": postgresql, "sqlite": sqlite}.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_order_purchased_id_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(Upper("external_order_id"), name="orders_external_id_upper"),
        ),
        migrations.AddIndex(
            model_name="orderline",
            index=models.Index(Upper("channel_sku"), name="orders_line_sku_upper"),
        ),
        TrigramExtensionOnPostgres(),
        migrations.RunPython(
            _per_database([POSTGRES_CREATE], SQLITE_CREATE), _per_database([POSTGRES_DROP], SQLITE_DROP)
        ),
    ]
