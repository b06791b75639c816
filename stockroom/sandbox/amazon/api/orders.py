"""Orders API 2026-01-01 (searchOrders, getOrder) and v0 (getOrders, getOrder, getOrderItems, getOrderAddress,
getOrderBuyerInfo, confirmShipment)."""

from __future__ import annotations

import re
from collections.abc import Callable

from ...common.clock import iso, parse_iso
from ..render import STATUS_FROM_2026, order_2026, v0_address_payload, v0_order, v0_order_items
from ..tables import CARRIER_CODES
from .base import (
    Ctx,
    bad,
    json_body,
    marketplace_ids,
    new_page_token,
    not_found,
    use_page_token,
)

TWO_MINUTES = 120
ORDER_INCLUDED_DATA = {
    "BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION", "FULFILLMENT", "PACKAGES", "TAX",
    "PAYMENT", "FULFILLMENT_ORDERS",
}  # fmt: skip


def _filter_orders(
    ctx: Ctx,
    *,
    created: tuple | None,
    updated: tuple | None,
    statuses: set[str] | None,
    mps: list[str],
    channels: set[str] | None,
    ids: set[str] | None = None,
) -> list[str]:
    now = ctx.store.now()
    out = []
    for order in ctx.store.seller_orders(ctx.seller_id):
        if order["visible_at"] > now or order["marketplace_id"] not in mps:
            continue
        if created and not (created[0] <= order["created_at"] <= created[1]):
            continue
        if updated and not (updated[0] <= order["last_updated"] <= updated[1]):
            continue
        if statuses is not None and order["status"] not in statuses:
            continue
        if channels is not None and order["fulfillment_channel"] not in channels:
            continue
        if ids is not None and order["order_id"] not in ids:
            continue
        out.append(order)
    key = "created_at" if created else "last_updated"
    out.sort(key=lambda o: (o[key], o["order_id"]))
    return [o["order_id"] for o in out]


def _time_window(ctx: Ctx, names: tuple[str, str, str, str]) -> tuple[tuple | None, tuple | None, str, float]:
    ca_name, cb_name, ua_name, ub_name = names
    ca, cb, ua, ub = (ctx.qtime(n) for n in names)
    now = ctx.store.now()
    latest = now - TWO_MINUTES
    if (ca is None) == (ua is None):
        raise bad(f"Exactly one of {ca_name} and {ua_name} must be provided.")
    if ca is not None:
        if ua is not None or ub is not None:
            raise bad(f"{ua_name} and {ub_name} cannot be used with {ca_name}.")
        if cb is None:
            cb = latest
        elif cb < ca:
            raise bad(f"{cb_name} must be equal to or after {ca_name}.")
        elif cb > latest:
            raise bad(f"{cb_name} must be at least two minutes before the time of the request.")
        if ca > latest:
            raise bad(f"{ca_name} must be at least two minutes before the time of the request.")
        return (ca, cb), None, "created", cb
    if cb is not None:
        raise bad(f"{cb_name} cannot be used with {ua_name}.")
    if ub is None:
        ub = latest
    elif ub < ua:
        raise bad(f"{ub_name} must be equal to or after {ua_name}.")
    elif ub > latest:
        raise bad(f"{ub_name} must be at least two minutes before the time of the request.")
    if ua > latest:
        raise bad(f"{ua_name} must be at least two minutes before the time of the request.")
    return None, (ua, ub), "updated", ub


def _included(ctx: Ctx) -> set[str]:
    values = set(ctx.qlist("includedData"))
    unknown = values - ORDER_INCLUDED_DATA
    if unknown:
        raise bad(f"Invalid includedData value(s): {', '.join(sorted(unknown))}.")
    return values


def search_orders(ctx: Ctx):
    store = ctx.store
    max_results = ctx.qint("maxResultsPerPage", 100, 1, 100)
    token = ctx.q("paginationToken")
    if token:
        data = use_page_token(ctx, "searchOrders", token, "paginationToken")
        ids, offset, extra = data["ids"], data["offset"], data["extra"]
        max_results, included = extra["max"], set(extra["included"])
    else:
        created, updated, kind, upper = _time_window(
            ctx, ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore")
        )
        included = _included(ctx)
        mps = marketplace_ids(ctx, ctx.qlist("marketplaceIds"), required=False)
        statuses = None
        if ctx.qlist("fulfillmentStatuses"):
            statuses = set()
            for value in ctx.qlist("fulfillmentStatuses"):
                if value not in (
                    "PENDING_AVAILABILITY",
                    "PENDING",
                    "UNSHIPPED",
                    "PARTIALLY_SHIPPED",
                    "SHIPPED",
                    "CANCELLED",
                    "UNFULFILLABLE",
                ):
                    raise bad(f"Invalid fulfillmentStatuses value '{value}'.")
                if value in STATUS_FROM_2026:
                    statuses.add(STATUS_FROM_2026[value])
        channels = None
        if ctx.qlist("fulfilledBy"):
            channels = set()
            for value in ctx.qlist("fulfilledBy"):
                if value not in ("MERCHANT", "AMAZON"):
                    raise bad(f"Invalid fulfilledBy value '{value}'.")
                channels.add("MFN" if value == "MERCHANT" else "AFN")
        ids = _filter_orders(
            ctx, created=created, updated=updated, statuses=statuses, mps=mps, channels=channels
        )
        offset = 0
        extra = {"max": max_results, "included": sorted(included), "kind": kind, "upper": iso(upper)}
    page = ids[offset : offset + max_results]
    body: dict = {"orders": [order_2026(store.s["orders"][oid], included) for oid in page]}
    if offset + max_results < len(ids):
        body["pagination"] = {
            "nextToken": new_page_token(
                store, "searchOrders", ctx.seller_id, ids, offset + max_results, extra
            )
        }
    body["lastUpdatedBefore" if extra["kind"] == "updated" else "createdBefore"] = extra["upper"]
    return 200, body


def _order(ctx: Ctx) -> dict:
    order = ctx.store.s["orders"].get(ctx.path["orderId"])
    if order is None or order["seller_id"] != ctx.seller_id:
        raise not_found(f"Order {ctx.path['orderId']} was not found.")
    return order


def get_order_2026(ctx: Ctx):
    included = _included(ctx)
    return 200, {"order": order_2026(_order(ctx), included)}


V0_STATUSES = {
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
}


def v0_get_orders(ctx: Ctx):
    store = ctx.store
    mps = marketplace_ids(ctx, ctx.qlist("MarketplaceIds"), required=True, name="MarketplaceIds")
    token = ctx.q("NextToken")
    if token:
        data = use_page_token(ctx, "v0.getOrders", token, "NextToken")
        ids, offset, extra = data["ids"], data["offset"], data["extra"]
        max_results = extra["max"]
    else:
        max_results = ctx.qint("MaxResultsPerPage", 100, 1, 100)
        statuses = None
        if ctx.qlist("OrderStatuses"):
            statuses = set(ctx.qlist("OrderStatuses"))
            if statuses - V0_STATUSES:
                raise bad(f"Invalid OrderStatuses value(s): {', '.join(sorted(statuses - V0_STATUSES))}.")
            if ("Unshipped" in statuses) != ("PartiallyShipped" in statuses):
                raise bad(
                    "Unshipped and PartiallyShipped must be used together in this version of the Orders API."
                )
        channels = set(ctx.qlist("FulfillmentChannels")) or None
        if channels and channels - {"MFN", "AFN"}:
            raise bad("FulfillmentChannels must be AFN or MFN.")
        id_filter = set(ctx.qlist("AmazonOrderIds")) or None
        if id_filter:
            if len(id_filter) > 50:
                raise bad("AmazonOrderIds accepts at most 50 ids.")
            created, updated, kind, upper = (0.0, store.now()), None, "created", store.now() - TWO_MINUTES
        else:
            created, updated, kind, upper = _time_window(
                ctx, ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore")
            )
        ids = _filter_orders(
            ctx,
            created=created,
            updated=updated,
            statuses=statuses,
            mps=mps,
            channels=channels,
            ids=id_filter,
        )
        offset = 0
        extra = {"max": max_results, "kind": kind, "upper": iso(upper)}
    page = ids[offset : offset + max_results]
    pii = ctx.has_data_element("shippingAddress")
    buyer = ctx.has_data_element("buyerInfo")
    orders = []
    for oid in page:
        rendered = v0_order(store.s["orders"][oid], pii=pii, ship_from=ctx.seller.get("ship_from"))
        if not buyer:
            rendered.pop("BuyerInfo", None)
        orders.append(rendered)
    payload: dict = {"Orders": orders}
    if offset + max_results < len(ids):
        payload["NextToken"] = new_page_token(
            store, "v0.getOrders", ctx.seller_id, ids, offset + max_results, extra
        )
    payload["LastUpdatedBefore" if extra["kind"] == "updated" else "CreatedBefore"] = extra["upper"]
    return 200, {"payload": payload}


def v0_get_order(ctx: Ctx):
    pii = ctx.has_data_element("shippingAddress")
    rendered = v0_order(_order(ctx), pii=pii, ship_from=ctx.seller.get("ship_from"))
    if not ctx.has_data_element("buyerInfo"):
        rendered.pop("BuyerInfo", None)
    return 200, {"payload": rendered}


def v0_get_order_items(ctx: Ctx):
    order = _order(ctx)
    return 200, {"payload": {"AmazonOrderId": order["order_id"], "OrderItems": v0_order_items(order)}}


def v0_get_order_address(ctx: Ctx):
    return 200, {"payload": v0_address_payload(_order(ctx))}


def v0_get_order_buyer_info(ctx: Ctx):
    order = _order(ctx)
    return 200, {
        "payload": {
            "AmazonOrderId": order["order_id"],
            "BuyerEmail": order["buyer_email"],
            "BuyerName": order["buyer_name"],
        }
    }


PACKAGE_REF = re.compile(r"^[0-9]+$")


def v0_confirm_shipment(ctx: Ctx):
    body = json_body(ctx)
    order = _order(ctx)
    mp = body.get("marketplaceId")
    if not isinstance(mp, str) or not mp:
        raise bad("marketplaceId is required.")
    if mp != order["marketplace_id"]:
        raise bad(f"marketplaceId '{mp}' does not match the order's marketplace.")
    pkg = body.get("packageDetail")
    if not isinstance(pkg, dict):
        raise bad("packageDetail is required.")
    for name in ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems"):
        if pkg.get(name) in (None, "", []):
            raise bad(f"packageDetail.{name} is required.")
    ref = pkg["packageReferenceId"]
    if not isinstance(ref, str) or not PACKAGE_REF.match(ref) or int(ref) <= 0:
        raise bad("packageReferenceId must be a positive numeric value.")
    carrier = pkg["carrierCode"]
    if carrier not in CARRIER_CODES:
        raise bad(
            f"carrierCode '{carrier}' is not a valid carrier code. Use 'Other' and provide carrierName."
        )
    if carrier == "Other" and not pkg.get("carrierName"):
        raise bad("carrierName is required when carrierCode is 'Other'.")
    try:
        ship_date = parse_iso(pkg["shipDate"])
    except ValueError:
        raise bad("shipDate must be an ISO 8601 date-time.") from None
    lines = []
    if not isinstance(pkg["orderItems"], list):
        raise bad("packageDetail.orderItems must be an array.")
    for item in pkg["orderItems"]:
        if not isinstance(item, dict) or not isinstance(item.get("orderItemId"), str):
            raise bad("Each order item needs an orderItemId.")
        qty = item.get("quantity")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            raise bad(f"quantity for order item {item['orderItemId']} must be a positive integer.")
        lines.append({"order_item_id": item["orderItemId"], "quantity": qty})
    problem = ctx.store.validate_shipment(order, ref, lines)
    if problem:
        raise bad(problem)
    now = ctx.store.now()
    ctx.store.record_shipment(
        order,
        {
            "package_reference_id": ref,
            "carrier_code": carrier,
            "carrier_name": pkg.get("carrierName"),
            "tracking_number": pkg["trackingNumber"],
            "ship_date": ship_date,
            "shipping_method": pkg.get("shippingMethod"),
            "items": lines,
            "via": "confirmShipment",
            "received_at": now,
        },
        now,
    )
    return 204, None


HANDLERS: dict[str, Callable[[Ctx], tuple]] = {
    "searchOrders": search_orders,
    "getOrder": get_order_2026,
    "v0.getOrders": v0_get_orders,
    "v0.getOrder": v0_get_order,
    "v0.getOrderBuyerInfo": v0_get_order_buyer_info,
    "v0.getOrderAddress": v0_get_order_address,
    "v0.getOrderItems": v0_get_order_items,
    "v0.confirmShipment": v0_confirm_shipment,
}
