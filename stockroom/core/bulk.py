"""Insert many new rows at once: COPY on PostgreSQL, ``bulk_create`` elsewhere.

``bulk_create`` prepares every field of every row through Django's generic machinery; for a page of
orders that cost several times the insert itself. On PostgreSQL ``insert_new`` takes primary keys from
the table's sequence in one query and streams the rows with ``COPY``, letting psycopg adapt plain
values; a field of any other type (encrypted, JSON, custom) still goes through its own preparation.
Same result as ``bulk_create``: the instances get their primary keys, ``auto_now`` fields and identity
keys are set, no signals are sent, and a violated constraint raises ``django.db.IntegrityError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager, nullcontext
from operator import attrgetter

from django.db import DatabaseError, connection, models
from django.db.models.base import ModelState
from django.utils import timezone

from stockroom.core.fields import IdentityKeyField, MoneyField

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
        MoneyField,
    }
)


_FIELDS: dict[type[models.Model], tuple[dict[str, models.Field], dict[str, models.Field]]] = {}


def _fields_of(model: type[models.Model]) -> tuple[dict[str, models.Field], dict[str, models.Field]]:
    """``({attname: field}, {relation name: field})`` of the model's concrete fields."""
    if model not in _FIELDS:
        fields = model._meta.concrete_fields
        _FIELDS[model] = (
            {field.attname: field for field in fields},
            {field.name: field for field in fields if field.is_relation and field.name != field.attname},
        )
    return _FIELDS[model]


def unsaved(model: type[models.Model], **values) -> models.Model:
    """``model(**values)`` for many rows at a time: the same unsaved instance, a fraction of the cost.

    ``Model.__init__`` spends tens of microseconds per instance resolving keyword arguments (an order
    has some 40 fields); this sets the attributes directly. ``values`` are concrete fields by attribute
    name (``location_id``) or a related instance by field name (``location``, which is cached like
    ``__init__`` caches it); every other field gets its default. No ``pre_init``/``post_init``
    signals are sent, so it is only for models that have no receivers of them.
    """
    by_attname, relations = _fields_of(model)
    obj = model.__new__(model)
    state = obj._state = ModelState()
    attrs = obj.__dict__
    for name, value in values.items():
        if name in by_attname:
            attrs[name] = value
        elif name in relations:
            field = relations[name]
            attrs[field.attname] = None if value is None else getattr(value, field.target_field.attname)
            state.fields_cache[name] = value
        else:
            raise TypeError(f"{model.__name__} has no field {name!r}")
    for attname, field in by_attname.items():
        if attname not in attrs:
            attrs[attname] = field.get_default()
    return obj


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
        elif isinstance(field, IdentityKeyField):  # filled from its source, as bulk_create does
            for obj in objs:
                field.pre_save(obj, True)
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    values_of = attrgetter(*(field.attname for field in fields))  # one C call per row
    single = len(fields) == 1
    prepared = [(n, field) for n, field in enumerate(fields) if type(field) not in PLAIN_FIELDS]
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
                row = (values_of(obj),) if single else values_of(obj)
                if prepared:
                    row = list(row)
                    for n, field in prepared:
                        row[n] = field.get_db_prep_save(row[n], connection)
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


@contextmanager
def commits_without_waiting_for_disk():
    """On PostgreSQL, the block's commits do not wait for the WAL to reach the disk
    (``synchronous_commit`` off for the session, set back after the block: one statement for a whole
    download, where ``SET LOCAL`` cost one a transaction). A crash may then lose the last of those
    transactions, never part of one, and never a transaction committed after them: the next
    ordinary commit flushes them all. Only for work that is redone when lost, e.g. pages of
    downloaded orders each stored with its cursor. Nothing elsewhere."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:  # a failed transaction: rolling it back undoes the SET with it
            pass


def refresh_statistics(*tables: type[models.Model]) -> None:
    """On PostgreSQL, ``ANALYZE`` the models' tables now: the planner's picture of a table that a bulk
    load has just grown (row counts, value spread). Until autovacuum gets to it, a table loaded from
    empty has none, and the planner may then serve a key look-up by walking every row of one account
    (seen: the known-orders look-up of a download, 6 -> 19 ms a page over 100,000 new orders). It
    samples a bounded number of rows, so it costs about the same at any size, and takes a lock that
    writers do not wait for. Nothing on SQLite (its planner keeps to the unique indexes)."""
    if connection.vendor != "postgresql" or not tables:
        return
    names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {names}")
