"""What a model's columns hold, checked before the database, with the same message on every database.

PostgreSQL refuses a value longer than its column, an integer beyond 32 bits or a NUL character, while
SQLite stores them all; either way a person gets a traceback or, worse, a value that only one
database keeps. Services call these helpers with the model and field name, so the limits are read
from the model (``max_length``, the integer type, ``max_digits``/``decimal_places``) and never
repeated as numbers.

- ``text_value``: free text (titles, notes, names): ``clean_text``, stripped, within ``max_length``.
- ``identifier_value``: SKUs, account names: ``clean_identifier``, within ``max_length``, and its
  ``identity_key`` within the key column.
- ``integer_value``: an int within the column's range (what the column holds *after* a change).
- ``money_value``: a finite Decimal with no more places and digits than the column holds.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

from stockroom.core.errors import InvalidInput, InvalidQuantity
from stockroom.core.quantities import parse_money
from stockroom.core.text import clean_identifier, clean_text, identity_key

# the SQL-standard ranges PostgreSQL enforces; SQLite would store anything, so these apply on both
INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges


def _field(model: type[models.Model], field: str) -> models.Field:
    return model._meta.get_field(field)


def max_length(model: type[models.Model], field: str) -> int:
    return _field(model, field).max_length


def integer_range(model: type[models.Model], field: str) -> tuple[int, int]:
    return INTEGER_RANGES[_field(model, field).get_internal_type()]


def _shown(value: str) -> str:
    return repr(value[:40] + ("…" if len(value) > 40 else ""))


def text_value(value, *, model: type[models.Model], field: str, label: str, required: bool = False) -> str:
    """Free text as the column stores it, or InvalidInput saying what is wrong."""
    text = clean_text(str(value) if value is not None else "").strip()
    if required and not text:
        raise InvalidInput(f"{label} is required")
    limit = max_length(model, field)
    if len(text) > limit:
        raise InvalidInput(f"{label} is longer than {limit} characters ({len(text)})")
    return text


def identifier_value(value, *, model: type[models.Model], field: str, label: str, key_field: str = "") -> str:
    """An identifier as stored (NFC), or InvalidInput: missing, too long, or a character it cannot hold."""
    text = str(value if value is not None else "").strip(" ")
    if not text:
        raise InvalidInput(f"{label} is required")
    limit = max_length(model, field)
    if len(text) > limit:
        raise InvalidInput(f"{label} is longer than {limit} characters ({len(text)})")
    try:
        text = clean_identifier(text)
    except ValueError as error:
        raise InvalidInput(f"{label} {_shown(text)} {error}") from None
    if key_field and len(identity_key(text)) > max_length(model, key_field):
        raise InvalidInput(f"{label} {_shown(text)} is too long once normalised")
    return text


def integer_value(value: int, *, model: type[models.Model], field: str, label: str) -> int:
    """``value`` when the column holds it; InvalidQuantity otherwise."""
    low, high = integer_range(model, field)
    if value > high:
        raise InvalidQuantity(f"{label} would be {value}, more than the {high:,} Stockroom can hold")
    if value < low:
        raise InvalidQuantity(f"{label} would be {value}, less than the {low:,} Stockroom can hold")
    return value


def money_value(value, *, model: type[models.Model], field: str, label: str) -> Decimal:
    """A finite amount (a Decimal, or text as ``parse_money`` reads it) rounded to the column's places
    and within its digits, or InvalidInput."""
    column = _field(model, field)
    if not isinstance(value, Decimal):
        value = parse_money(value, field=label)
    if not value.is_finite():
        raise InvalidInput(f"{label} must be a finite decimal amount, got {str(value)[:40]!r}")
    step = Decimal(1).scaleb(-column.decimal_places)
    largest = Decimal(10) ** (column.max_digits - column.decimal_places) - step
    if abs(value) > largest or abs(value.quantize(step)) > largest:
        shown = f"{value:.{column.decimal_places}f}" if value.adjusted() < 40 else f"{value:.3e}"
        raise InvalidInput(f"{label} {shown} is too large: at most {largest:,} can be stored")
    return value.quantize(step)
