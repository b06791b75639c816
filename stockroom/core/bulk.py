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

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models
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


class _Shape:
    """What ``unsaved`` and ``insert_new`` need of a model, worked out once per model."""

    def __init__(self, model: type[models.Model]) -> None:
        fields = model._meta.concrete_fields
        self.by_attname = {field.attname: field for field in fields}
        self.relations = {
            field.name: field for field in fields if field.is_relation and field.name != field.attname
        }
        # a default that is a value, not a callable nor a database default, is the same for every
        # instance (``Field.get_default`` returns that very value each time): copied in one go
        self.constant_defaults = {}
        self.computed_defaults = []
        for field in fields:
            if field.has_db_default() or (field.has_default() and callable(field.default)):
                self.computed_defaults.append(field)
            else:
                self.constant_defaults[field.attname] = field.get_default()
        self.copies: dict[tuple[str, bool], tuple] = {}  # (alias, keys) -> COPY plan


_SHAPES: dict[type[models.Model], _Shape] = {}


def _shape(model: type[models.Model]) -> _Shape:
    shape = _SHAPES.get(model)
    if shape is None:
        shape = _SHAPES[model] = _Shape(model)
    return shape


def unsaved(model: type[models.Model], **values) -> models.Model:
    """``model(**values)`` for many rows at a time: the same unsaved instance, a fraction of the cost.

    ``Model.__init__`` spends tens of microseconds per instance resolving keyword arguments (an order
    has some 40 fields); this sets the attributes directly. ``values`` are concrete fields by attribute
    name (``location_id``) or a related instance by field name (``location``, which is cached like
    ``__init__`` caches it); every other field gets its default. No ``pre_init``/``post_init``
    signals are sent, so it is only for models that have no receivers of them.
    """
    shape = _shape(model)
    by_attname, relations = shape.by_attname, shape.relations
    obj = model.__new__(model)
    state = obj._state = ModelState()
    attrs = obj.__dict__
    attrs.update(shape.constant_defaults)
    for name, value in values.items():
        if name in by_attname:
            attrs[name] = value
        elif name in relations:
            field = relations[name]
            attrs[field.attname] = None if value is None else getattr(value, field.target_field.attname)
            state.fields_cache[name] = value
        else:
            raise TypeError(f"{model.__name__} has no field {name!r}")
    for field in shape.computed_defaults:
        if field.attname not in attrs:
            attrs[field.attname] = field.get_default()
    return obj


def insert_new(objs: Sequence[models.Model], *, keys: bool = True) -> None:
    """Insert unsaved instances of one model; sets their primary keys (unless ``keys`` is False, when
    the caller needs none: the database numbers the rows and the instances keep ``pk`` None)."""
    if not objs:
        return
    model = type(objs[0])
    db = connections[DEFAULT_DB_ALIAS]  # the proxy ``connection`` resolves itself on every attribute
    if db.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    fields, statement, values_of, prepared = _copy_plan(model, db, keys)
    meta = model._meta
    now = timezone.now()
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)
        elif isinstance(field, IdentityKeyField):  # filled from its source, as bulk_create does
            for obj in objs:
                field.pre_save(obj, True)
    single = len(fields) == 1
    with db.cursor() as cursor, db.wrap_database_errors:
        if keys:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        logged = cursor.debug_sql(statement) if hasattr(cursor, "debug_sql") else nullcontext()
        with logged, cursor.cursor.copy(statement) as copy:  # in Django's query log when it keeps one
            write_row = copy.write_row
            for obj in objs:
                row = (values_of(obj),) if single else values_of(obj)
                if prepared:
                    row = list(row)
                    for n, field in prepared:
                        row[n] = field.get_db_prep_save(row[n], db)
                write_row(row)
    alias = db.alias
    for obj in objs:
        state = obj._state
        state.adding = False
        state.db = alias


def _copy_plan(model: type[models.Model], db, keys: bool) -> tuple:
    """(fields, COPY statement, row getter, fields needing their own preparation) for a model."""
    plans = _shape(model).copies
    plan = plans.get((db.alias, keys))
    if plan is None:
        meta = model._meta
        fields = [field for field in meta.concrete_fields if keys or field is not meta.pk]
        table = db.ops.quote_name(meta.db_table)
        columns = ", ".join(db.ops.quote_name(field.column) for field in fields)
        plan = plans[(db.alias, keys)] = (
            fields,
            f"COPY {table} ({columns}) FROM STDIN",
            attrgetter(*(field.attname for field in fields)),  # one C call per row
            [(n, field) for n, field in enumerate(fields) if type(field) not in PLAIN_FIELDS],
        )
    return plan


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
