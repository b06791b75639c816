from stockroom.catalog.models import StockItem
from stockroom.core.errors import UnknownSku
from stockroom.core.text import identity_key


def stock_item_by_sku(sku: str) -> StockItem:
    item = StockItem.objects.filter(sku_key=identity_key((sku or "").strip())).first()
    if item is None:
        raise UnknownSku(f"unknown SKU {str(sku)[:100]!r}: no stock item has this SKU", sku=str(sku)[:100])
    return item
