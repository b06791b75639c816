"""Insert many new rows at once: one ``INSERT ... SELECT FROM unnest(...)`` on PostgreSQL,
``bulk_create`` elsewhere.

``bulk_create`` prepares every field of every row through Django's generic machinery; for a page of
orders that cost several times the insert itself. On PostgreSQL ``insert_new`` sends the rows as one
array per column in one statement that returns their keys, a plain value written straight into its
array's literal; a field of any other type (encrypted, JSON, custom) still goes through its own
preparation and psycopg's adaptation. (It used
``COPY``, which took three round trips with the keys: ``nextval``, then COPY's own two.)
Same result as ``bulk_create``: the instances get their primary keys, ``auto_now`` fields and identity
keys are set, no signals are sent, and a violated constraint raises ``django.db.IntegrityError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from operator import attrgetter

from django.db import connection, models
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
    the caller needs none and the instances keep ``pk`` None). The database numbers the rows either way.

    PostgreSQL: one statement, ``INSERT ... SELECT * FROM unnest(<one array per column>)`` (with
    ``RETURNING`` the keys, in the order of the rows, as Django's own ``bulk_create`` reads them), one
    round trip where ``nextval`` and ``COPY`` took three.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    now = timezone.now()
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)
        elif isinstance(field, IdentityKeyField):  # filled from its source, as bulk_create does
            for obj in objs:
                field.pre_save(obj, True)
    values_of = attrgetter(*(field.attname for field in fields))  # one C call per row
    rows = [values_of(obj) for obj in objs]
    columns = list(zip(*rows, strict=True)) if len(fields) > 1 else [rows]
    params = [
        _array_literal(column)
        if type(field) in PLAIN_FIELDS
        else [field.get_db_prep_save(value, connection) for value in column]
        for field, column in zip(fields, columns, strict=True)
    ]
    quote = connection.ops.quote_name
    # each array typed without the column's length or precision (varchar[], numeric[]), as
    # bulk_create types them: a value too long for its column fails the insert instead of a cast
    # cutting it short
    arrays = ", ".join(f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields)
    statement = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "  # noqa: S608 - our table
        f"SELECT * FROM unnest({arrays})" + (f" RETURNING {quote(meta.pk.column)}" if keys else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        if keys:
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _array_literal(values) -> str:
    """A PostgreSQL array literal (``{"text",12.50,t,NULL}``) of plain values, as one string: psycopg
    adapts a Python list element by element in Python, several times the cost of the whole COPY it
    replaces; this is one string per column, cast to the column's type by the statement."""
    return "{" + ",".join(map(_array_element, values)) + "}"


def _array_element(value) -> str:
    if value is None:
        return "NULL"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'  # quoted, so NULL is "NULL"


def commit_without_waiting_for_disk() -> None:
    """In the current transaction on PostgreSQL: commit without waiting for the WAL to reach the disk
    (``SET LOCAL synchronous_commit = off``). A crash may then lose this transaction, never part of
    it, and never a transaction committed after it: every later ordinary commit flushes it too.
    Only for work that is redone when lost, e.g. a page of downloaded orders whose cursor is saved
    (with an ordinary commit) after the page. Nothing elsewhere."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
