"""Keyset ("seek") pagination: pages cost the same at row 50 and row 5,000,000, no COUNT(*).

A page is fetched with ``WHERE (sort value, id) > (last seen)`` on an index-friendly ordering; the
cursor in the URL is the last (or first) row's sort value and primary key, signed so a
hand-edited URL yields the first page rather than an error. The UI offers Previous / Next /
First page instead of page numbers.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core import signing
from django.db.models import F, Q, QuerySet

SALT = "stockroom.web.pagination"


@dataclass(frozen=True)
class SortOption:
    """A sortable column: ``key`` appears in the URL, ``field`` is the queryset field (or annotation)."""

    key: str
    field: str
    kind: type = str  # str, int, Decimal or datetime: how the cursor value is read back
    nullable: bool = False  # NULLs sort as the smallest values; NOT NULL columns keep plain
    # ORDER BY so the database can walk an index on them


@dataclass
class Page:
    rows: list
    has_next: bool = False
    has_previous: bool = False
    next_cursor: str = ""
    previous_cursor: str = ""
    is_first: bool = True
    sort: str = ""
    extra: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)


def _encode(value, pk) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    elif isinstance(value, Decimal):
        value = str(value)
    return signing.dumps([value, pk], salt=SALT, compress=True)


def _decode(cursor: str, kind: type):
    try:
        value, pk = signing.loads(cursor, salt=SALT)
        if value is not None:
            value = datetime.fromisoformat(value) if kind is datetime else kind(value)
        return value, int(pk)
    except (signing.BadSignature, ValueError, TypeError, ArithmeticError):
        return None


def _seek(name: str, value, pk, *, forward: bool, descending: bool, nullable: bool) -> Q:
    """Rows after (value, pk) in the given direction, treating NULL sort values as smallest.

    ``value >= v AND (value > v OR pk > p)``: the first term is a plain range on the sort column,
    so an index on it is used (the OR alone would not be)."""
    greater = forward != descending
    op = "gt" if greater else "lt"
    if value is None:
        if greater:
            return Q(**{f"{name}__isnull": True, f"pk__{op}": pk}) | Q(**{f"{name}__isnull": False})
        return Q(**{f"{name}__isnull": True, f"pk__{op}": pk})
    condition = Q(**{f"{name}__{op}e": value}) & (Q(**{f"{name}__{op}": value}) | Q(**{f"pk__{op}": pk}))
    if nullable and not greater:
        condition |= Q(**{f"{name}__isnull": True})
    return condition


def paginate(
    queryset: QuerySet,
    *,
    params,
    options: dict[str, SortOption],
    default_sort: str,
    per_page: int = 50,
) -> Page:
    """One page of ``queryset`` for the request's ``sort``, ``after`` and ``before`` parameters."""
    sort = params.get("sort") or default_sort
    if sort.lstrip("-") not in options:
        sort = default_sort
    descending = sort.startswith("-")
    option = options[sort.lstrip("-")]
    name = option.field

    def ordered(reverse: bool) -> QuerySet:
        down = descending != reverse
        if option.nullable:
            expression = F(name).desc(nulls_last=True) if down else F(name).asc(nulls_first=True)
        else:
            expression = F(name).desc() if down else F(name).asc()
        return queryset.order_by(expression, "-pk" if down else "pk")

    after, before = params.get("after", ""), params.get("before", "")
    backwards = False
    query = ordered(False)
    cursor = _decode(after, option.kind) if after else None
    if cursor is None and before:
        cursor = _decode(before, option.kind)
        backwards = cursor is not None
    if cursor is not None:
        value, pk = cursor
        if backwards:
            query = ordered(True).filter(
                _seek(name, value, pk, forward=False, descending=descending, nullable=option.nullable)
            )
        else:
            query = query.filter(
                _seek(name, value, pk, forward=True, descending=descending, nullable=option.nullable)
            )

    rows = list(query[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    page = Page(rows=rows, sort=sort, is_first=cursor is None)
    if backwards:
        page.has_previous = more
        page.has_next = True
    else:
        page.has_previous = cursor is not None
        page.has_next = more
    if rows:
        first, last = rows[0], rows[-1]
        page.previous_cursor = _encode(_value(first, name), first.pk)
        page.next_cursor = _encode(_value(last, name), last.pk)
    if backwards and not page.has_previous:
        page.is_first = True
    return page


def _value(row, name: str):
    value = row
    for part in name.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    if hasattr(value, "pk"):
        return value.pk
    return value


def count_up_to(queryset: QuerySet, limit: int) -> int:
    """How many rows, counted no further than ``limit + 1``: one bounded ``COUNT`` over a
    ``LIMIT`` subquery, so a list of a million rows costs what a list of ``limit`` costs. A result
    above ``limit`` means "more than ``limit``"."""
    return queryset.order_by()[: limit + 1].count()
