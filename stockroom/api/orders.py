"""/api/orders: the order book, filtered and keyset-paged, and dispatch (process)."""

from datetime import datetime

from django.db.models import Q
from ninja import Query, Router

from stockroom.api.auth import staff_auth
from stockroom.api.pagination import decode_cursor, encode_cursor
from stockroom.api.schemas import (
    ErrorOut,
    OrderDetailOut,
    OrderFilters,
    OrderPageOut,
    ProcessIn,
    ShipmentCorrectionIn,
    ShipmentIn,
)
from stockroom.core.errors import NotFound
from stockroom.orders import selectors, services
from stockroom.orders.models import Order
from stockroom.sync import accounts

router = Router(tags=["orders"], auth=staff_auth)
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _detail(order_id: int) -> Order:
    try:
        return selectors.order_detail(order_id)
    except Order.DoesNotExist:
        raise NotFound(f"order {order_id} does not exist", order_id=order_id) from None


@router.get("/orders", response={200: OrderPageOut, **ERRORS}, summary="List orders, newest first")
def list_orders(request, filters: Query[OrderFilters]):
    orders = selectors.order_list(
        source=filters.source,
        account_id=filters.account,
        status=filters.status or "",
        search=filters.search,
        allocation_state=filters.allocation_state or "",
        unlinked=filters.unlinked,
        on_hold=filters.on_hold,
    )
    if filters.cursor:
        purchased_at, last_id = decode_cursor(filters.cursor, datetime, int)
        # (purchased_at, id) < cursor, written so that "purchased_at <=" is an index range condition
        orders = orders.filter(
            Q(purchased_at__lte=purchased_at), Q(purchased_at__lt=purchased_at) | Q(pk__lt=last_id)
        )
    page = list(orders[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "items": page,
        "next_cursor": encode_cursor(page[-1].purchased_at, page[-1].pk) if more else None,
    }


@router.get("/orders/{int:order_id}", response={200: OrderDetailOut, **ERRORS}, summary="One order")
def get_order(request, order_id: int):
    return _detail(order_id)


@router.post(
    "/orders/{int:order_id}/process",
    response={200: OrderDetailOut, **ERRORS},
    summary="Process (dispatch) an order",
    description="Consumes its allocated stock and queues the shipping confirmation to the channel.",
)
def process_order(request, order_id: int, body: ProcessIn):
    services.process_order(
        order_id=order_id,
        tracking_number=body.tracking_number,
        shipping_method=body.shipping_method,
        shipped_at=body.shipped_at,
        user=request.auth.user,
    )
    return _detail(order_id)


@router.post(
    "/orders/{int:order_id}/shipments",
    response={201: OrderDetailOut, **ERRORS},
    summary="Dispatch a package (some lines and units, or everything still to ship)",
    description="Consumes the package's allocated stock and queues its shipping confirmation to the channel; "
    "the order becomes partially dispatched, or processed once every unit has left. Over-shipping a line is "
    "a 409; zero quantities, unknown or repeated lines, an unknown or inactive method are a 400.",
)
def dispatch_shipment(request, order_id: int, body: ShipmentIn):
    services.dispatch_shipment(
        order_id=order_id,
        lines=None if body.lines is None else [(line.external_line_id, line.quantity) for line in body.lines],
        tracking_number=body.tracking_number,
        shipping_method=body.shipping_method,
        shipped_at=body.shipped_at,
        user=request.auth.user,
    )
    return 201, _detail(order_id)


@router.post(
    "/orders/{int:order_id}/shipment/correct",
    response={200: OrderDetailOut, **ERRORS},
    summary="Correct a refused shipping confirmation and send it again",
    description="Only a confirmation the channel refused (shipment status error) can be corrected; it is "
    "queued once and sent by the sync engine. A second correction is a 409 while it waits or once sent.",
)
def correct_shipment(request, order_id: int, body: ShipmentCorrectionIn):
    accounts.correct_refused_shipment(order_id=order_id, user=request.auth.user, **body.model_dump())
    return _detail(order_id)
