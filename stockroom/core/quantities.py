"""Parsing of the two value kinds people type in: whole-unit quantities and money."""

from decimal import Decimal, InvalidOperation

from stockroom.core.errors import InvalidInput, InvalidQuantity

MONEY_PLACES = Decimal("0.01")


def parse_quantity(value, *, field: str = "quantity", allow_negative: bool = False) -> int:
    """Return ``value`` as an int, or raise InvalidQuantity naming the field and what was wrong."""
    if isinstance(value, bool):
        raise InvalidQuantity(f"{field} must be a whole number, got {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        try:
            number = int(text)
        except ValueError:
            raise InvalidQuantity(f"{field} must be a whole number, got {text[:40]!r}") from None
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
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(f"{field} must be a decimal amount, got {str(value)[:40]!r}") from None
    if not amount.is_finite():
        raise InvalidInput(f"{field} must be a finite amount")
    return amount.quantize(MONEY_PLACES)
