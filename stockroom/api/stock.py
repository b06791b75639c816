"""/api/stock and /api/items: stock levels, adjust, receive; creating stock items."""

from ninja import Query, Router

from stockroom.api.auth import administrator_auth, staff_auth
from stockroom.api.pagination import decode_cursor, encode_cursor
from stockroom.api.schemas import (
    AdjustIn,
    ErrorOut,
    ItemIn,
    ItemOut,
    ReceiveIn,
    StockDetailOut,
    StockFilters,
    StockPageOut,
)
from stockroom.catalog.selectors import stock_item_by_sku
from stockroom.catalog.services import create_stock_item
from stockroom.inventory import selectors, services

router = Router(tags=["stock"], auth=staff_auth)
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("/stock", response={200: StockPageOut, **ERRORS}, summary="Stock items with their totals")
def list_stock(request, filters: Query[StockFilters]):
    items = selectors.stock_item_list().order_by("sku")
    if filters.sku.strip():
        items = items.filter(sku__istartswith=filters.sku.strip())
    if filters.cursor:
        items = items.filter(sku__gt=decode_cursor(filters.cursor, str)[0])
    page = list(items[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    selling = selectors.available_to_sell_many(item.pk for item in page)
    return {
        "items": [
            {
                "sku": item.sku,
                "title": item.title,
                "barcode": item.barcode,
                "on_hand": item.on_hand,
                "allocated": item.allocated,
                "available": max(item.available, 0),
                "available_to_sell": selling[item.pk],
            }
            for item in page
        ],
        "next_cursor": encode_cursor(page[-1].sku) if more else None,
    }


# The routes with a suffix come first: a SKU may contain "/", so {path:sku} would swallow them.
@router.post("/stock/{path:sku}/adjust", response={200: StockDetailOut, **ERRORS}, summary="Adjust stock")
def adjust_stock(request, sku: str, body: AdjustIn):
    """Give exactly one of ``set`` (a new level, recorded as a count) or ``delta``, and a reason."""
    item = stock_item_by_sku(sku)
    services.adjust_stock(
        item=item,
        set_to=body.set,
        delta=body.delta,
        reason=body.reason,
        reference=body.reference,
        user=request.auth.user,
    )
    return selectors.stock_detail(item)


@router.post("/stock/{path:sku}/receive", response={200: StockDetailOut, **ERRORS}, summary="Receive stock")
def receive_stock(request, sku: str, body: ReceiveIn):
    item = stock_item_by_sku(sku)
    services.receive_stock(
        item=item, quantity=body.quantity, reference=body.reference, note=body.note, user=request.auth.user
    )
    return selectors.stock_detail(item)


@router.get("/stock/{path:sku}", response={200: StockDetailOut, **ERRORS}, summary="One stock item")
def get_stock(request, sku: str):
    return selectors.stock_detail(stock_item_by_sku(sku))


@router.post(
    "/items",
    response={201: ItemOut, **ERRORS},
    auth=administrator_auth,
    summary="Create a stock item (administrators)",
)
def create_item(request, body: ItemIn):
    return 201, create_stock_item(sku=body.sku, title=body.title, barcode=body.barcode)
