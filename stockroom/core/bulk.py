"""Insert many new rows at once: COPY on PostgreSQL, ``bulk_create`` elsewhere.

``bulk_create`` prepares every field of every row through Django's generic machinery; for a page of
orders that cost several times the insert itself. On PostgreSQL ``insert_new`` takes primary keys from
the table's sequence in one query and streams the rows with ``COPY``, letting psycopg adapt plain
values; a field of any other type (encrypted, JSON, custom) still goes through its own preparation.
Same result as ``bulk_create``: the instances get their primary keys, ``auto_now`` fields are set, no
signals are sent, and a violated constraint raises ``django.db.IntegrityError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext

from django.db import connection, models
from django.utils import timezone

# field classes whose values psycopg adapts as Django would store them (exact classes: a subclass,
# such as an encrypted text field, may prepare its value differently)
PLAIN_FIELDS = frozenset(
    {
        models.AutoField,
        models.BigAutoField,
        models.BigIntegerField,
        models.BooleanField,
        models.CharField,
        models.DateTimeField,
        models.DecimalField,
        models.ForeignKey,
        models.IntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.SmallIntegerField,
        models.TextField,
    }
)


def insert_new(objs: Sequence[models.Model], *, keys: bool = True) -> None:
    """Insert unsaved instances of one model; sets their primary keys (unless ``keys`` is False, when
    the caller needs none: the database numbers the rows and the instances keep ``pk`` None)."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    meta = model._meta
    fields = [field for field in meta.concrete_fields if keys or field is not meta.pk]
    now = timezone.now()
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    prepared = [(field.attname, None if type(field) in PLAIN_FIELDS else field) for field in fields]
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if keys:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        statement = f"COPY {table} ({columns}) FROM STDIN"
        logged = cursor.debug_sql(statement) if hasattr(cursor, "debug_sql") else nullcontext()
        with logged, cursor.cursor.copy(statement) as copy:  # in Django's query log when it keeps one
            for obj in objs:
                copy.write_row(
                    [
                        getattr(obj, attname)
                        if field is None
                        else field.get_db_prep_save(getattr(obj, attname), connection)
                        for attname, field in prepared
                    ]
                )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
