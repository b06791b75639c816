"""Parsing of the two value kinds people type in: whole-unit quantities and money.

Only ASCII digits are numbers here: Python's ``int`` and ``Decimal`` also read ``٣`` or ``３`` as 3,
which a person checking the value would not see.
"""

import re
from decimal import Decimal, InvalidOperation

import pycountry

from stockroom.core.errors import InvalidInput, InvalidQuantity

MONEY_PLACES = Decimal("0.01")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_AMOUNT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


def parse_quantity(value, *, field: str = "quantity", allow_negative: bool = False) -> int:
    """Return ``value`` as an int, or raise InvalidQuantity naming the field and what was wrong."""
    if isinstance(value, bool):
        raise InvalidQuantity(f"{field} must be a whole number, got {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not _WHOLE_NUMBER.fullmatch(text):
            raise InvalidQuantity(f"{field} must be a whole number, got {text[:40]!r}")
        number = int(text)
    if number < 0 and not allow_negative:
        raise InvalidQuantity(f"{field} cannot be negative, got {number}")
    if abs(number) > 2_000_000_000:
        raise InvalidQuantity(f"{field} is too large: {number}")
    return number


def parse_money(value, *, field: str = "amount") -> Decimal:
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, Decimal):
        amount = value
    else:
        text = str(value).strip()
        if text.lower().lstrip("+-") in ("inf", "infinity", "nan", "snan"):
            raise InvalidInput(f"{field} must be a finite amount")
        if not _AMOUNT.fullmatch(text):
            raise InvalidInput(f"{field} must be a decimal amount, got {text[:40]!r}")
        amount = Decimal(text)
    if not amount.is_finite():
        raise InvalidInput(f"{field} must be a finite amount")
    try:
        return amount.quantize(MONEY_PLACES)
    except InvalidOperation:
        raise InvalidInput(f"{field} is too large: {amount:.3e}") from None


def parse_currency(value, *, field: str = "currency") -> str:
    """An ISO 4217 currency code in capitals ("" when none is given), or InvalidInput."""
    text = str(value if value is not None else "").strip()
    if not text:
        return ""
    if not (len(text) == 3 and text.isascii() and text.isalpha() and pycountry.currencies.get(alpha_3=text)):
        raise InvalidInput(
            f"{field} {text[:40]!r} is not an ISO 4217 currency code (three letters, e.g. GBP)"
        )
    return text.upper()


def parse_id(value) -> int | None:
    """A row id typed or posted as text: ASCII digits within a 64-bit key, else None.

    ``"٣".isdigit()`` is true and a 22-digit number overflows SQLite's integers, so neither may reach
    a query.
    """
    text = str(value if value is not None else "").strip()
    if not _WHOLE_NUMBER.fullmatch(text) or text[0] in "+-":
        return None
    number = int(text)
    return number if 0 < number < 2**63 else None
