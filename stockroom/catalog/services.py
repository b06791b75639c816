"""Write operations on the catalog.

Every value is checked against what its column holds before the database sees it (``core.limits``),
so SQLite and PostgreSQL give the same answer: a clear ``InvalidInput``, never a traceback.
"""

from django.db import IntegrityError, transaction

from stockroom.catalog.models import StockItem
from stockroom.core.errors import Conflict, InvalidInput
from stockroom.core.limits import identifier_value, integer_value, max_length, text_value
from stockroom.core.text import identity_key

SKU_MAX = max_length(StockItem, "sku")
DIMENSIONS = {
    "weight_grams": "weight (grams)",
    "length_mm": "length (mm)",
    "width_mm": "width (mm)",
    "height_mm": "height (mm)",
}


def clean_sku(raw) -> str:
    """The SKU as stored, or InvalidInput: missing, too long, or an invisible or control character."""
    return identifier_value(raw, model=StockItem, field="sku", label="SKU", key_field="sku_key")


def _about(sku: str, what: str) -> str:
    return f"SKU {sku}: {what}" if sku else what


def clean_title(raw, *, sku: str = "") -> str:
    return text_value(raw, model=StockItem, field="title", label=_about(sku, "title"), required=True)


def clean_barcode(raw, *, sku: str = "") -> str:
    return text_value(raw, model=StockItem, field="barcode", label=_about(sku, "barcode"))


def _dimensions(sku: str, values: dict) -> dict:
    checked = {}
    for field, label in DIMENSIONS.items():
        value = values[field]
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(f"SKU {sku}: {label} must be a whole number")
            integer_value(value, model=StockItem, field=field, label=f"SKU {sku}: {label}")
        checked[field] = value
    return checked


def sku_taken(sku: str) -> bool:
    return StockItem.objects.filter(sku_key=identity_key(sku)).exists()


def create_stock_item(
    *,
    sku: str,
    title: str,
    barcode: str = "",
    weight_grams: int | None = None,
    length_mm: int | None = None,
    width_mm: int | None = None,
    height_mm: int | None = None,
) -> StockItem:
    sku = clean_sku(sku)
    title = clean_title(title, sku=sku)
    barcode = clean_barcode(barcode, sku=sku)
    dimensions = _dimensions(
        sku,
        {"weight_grams": weight_grams, "length_mm": length_mm, "width_mm": width_mm, "height_mm": height_mm},
    )
    if sku_taken(sku):
        raise Conflict(f"a stock item with SKU {sku} already exists")
    try:
        with transaction.atomic():
            return StockItem.objects.create(sku=sku, title=title, barcode=barcode, **dimensions)
    except IntegrityError:
        raise Conflict(f"a stock item with SKU {sku} already exists") from None


def update_stock_item(
    *,
    item: StockItem,
    title: str,
    barcode: str = "",
    weight_grams: int | None = None,
    length_mm: int | None = None,
    width_mm: int | None = None,
    height_mm: int | None = None,
) -> StockItem:
    title = clean_title(title, sku=item.sku)
    barcode = clean_barcode(barcode, sku=item.sku)
    dimensions = _dimensions(
        item.sku,
        {"weight_grams": weight_grams, "length_mm": length_mm, "width_mm": width_mm, "height_mm": height_mm},
    )
    item.title, item.barcode = title, barcode
    for field, value in dimensions.items():
        setattr(item, field, value)
    item.save()
    return item
