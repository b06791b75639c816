"""Write operations on the catalog."""

from django.db import IntegrityError, transaction

from stockroom.catalog.models import StockItem
from stockroom.core.errors import Conflict, InvalidInput

SKU_MAX = 100


def clean_sku(raw) -> str:
    sku = (raw or "").strip()
    if not sku:
        raise InvalidInput("SKU is required")
    if len(sku) > SKU_MAX:
        raise InvalidInput(f"SKU is longer than {SKU_MAX} characters")
    if any(ch.isspace() and ch != " " for ch in sku) or any(ord(ch) < 32 for ch in sku):
        raise InvalidInput(f"SKU {sku[:40]!r} contains control characters")
    return sku


def clean_title(raw, *, sku: str) -> str:
    title = (raw or "").strip()
    if not title:
        raise InvalidInput(f"SKU {sku}: title is required")
    return title[:500]


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
    if StockItem.objects.filter(sku__iexact=sku).exists():
        raise Conflict(f"a stock item with SKU {sku} already exists")
    try:
        with transaction.atomic():
            return StockItem.objects.create(
                sku=sku,
                title=title,
                barcode=(barcode or "").strip(),
                weight_grams=weight_grams,
                length_mm=length_mm,
                width_mm=width_mm,
                height_mm=height_mm,
            )
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
    item.title = clean_title(title, sku=item.sku)
    item.barcode = (barcode or "").strip()
    item.weight_grams, item.length_mm, item.width_mm, item.height_mm = (
        weight_grams,
        length_mm,
        width_mm,
        height_mm,
    )
    item.save()
    return item
