"""The Amazon simulator's control API under /_sim/ (JSON; not part of Amazon's API): sellers, listings,
orders, feeds and reports, on top of the routes every simulator has (``sandbox.common.control``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from ..common.clock import iso
from ..common.control import PREFIX, base_routes, control_endpoint
from . import feeds as feeds_mod
from . import reports as reports_mod
from .state import ControlError, Store, check_quantity


def seller_view(seller: dict) -> dict:
    return {k: v for k, v in seller.items() if k != "created_at"} | {"created_at": iso(seller["created_at"])}


def listing_view(listing: dict) -> dict:
    pending = listing["pending_updates"]
    return {
        "sku": listing["sku"],
        "asin": listing["asin"],
        "product_type": listing["product_type"],
        "title": listing["title"],
        "fulfillment_channel": listing["fulfillment_channel"],
        "quantity": listing["quantity"],
        "pending_quantity": pending[-1]["quantity"] if pending else None,
        "pending_updates": [
            {"apply_at": iso(p["apply_at"]), "quantity": p["quantity"], "source": p["source"]}
            for p in pending
        ],
        "marketplaces": listing["marketplaces"],
        "price": listing["price"],
        "attributes": listing["attributes"],
        "created_at": iso(listing["created_at"]),
        "last_updated": iso(listing["last_updated"]),
        "history": [
            {"at": iso(h["at"]), "quantity": h["quantity"], "previous": h["previous"], "source": h["source"]}
            for h in listing["history"]
        ],
    }


def order_view(order: dict) -> dict:
    return {
        "order_id": order["order_id"],
        "seller_id": order["seller_id"],
        "marketplace_id": order["marketplace_id"],
        "status": order["status"],
        "fulfillment_channel": order["fulfillment_channel"],
        "currency": order["currency"],
        "created_at": iso(order["created_at"]),
        "last_updated": iso(order["last_updated"]),
        "pending_until": iso(order["pending_until"]),
        "visible_at": iso(order["visible_at"]),
        "buyer_name": order["buyer_name"],
        "buyer_email": order["buyer_email"],
        "address": order["address"],
        "shipping_level": order["shipping_level"],
        "ship_service_level": order["ship_service_level"],
        "seller_order_id": order["seller_order_id"],
        "order_item_ids": [i["order_item_id"] for i in order["items"]],
        "items": order["items"],
        "shipments": [
            sh | {"ship_date": iso(sh["ship_date"]), "received_at": iso(sh["received_at"])}
            for sh in order["shipments"]
        ],
        "cancellation": None
        if not order["cancellation"]
        else order["cancellation"] | {"at": iso(order["cancellation"]["at"])},
        "history": [h | {"at": iso(h["at"])} for h in order["history"]],
    }


def feed_control_view(store: Store, feed: dict) -> dict:
    doc = store.s["feed_documents"].get(feed["_input"])
    result = store.s["feed_documents"].get(feed.get("resultFeedDocumentId") or "")
    raw = feeds_mod.doc_bytes(doc) if doc else b""
    return {
        "feed_id": feed["feedId"],
        "feed_type": feed["feedType"],
        "status": feed["processingStatus"],
        "marketplace_ids": feed["marketplaceIds"],
        "created_time": feed["createdTime"],
        "input_document_id": feed["_input"],
        "content_type": doc["content_type"] if doc else None,
        "uploaded": bool(doc and doc["uploaded"]),
        "document": raw.decode("utf-8", errors="replace"),
        "result_document_id": feed.get("resultFeedDocumentId"),
        "result_document": feeds_mod.doc_bytes(result).decode("utf-8", errors="replace") if result else None,
    }


def check_settings(body: dict) -> None:
    if "report_compression" in body and body["report_compression"] not in (None, "GZIP"):
        raise ControlError(400, "report_compression must be null or GZIP")
    endpoint = body.get("sqs_endpoint_url")
    if endpoint is not None and (
        not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://"))
    ):
        raise ControlError(400, "sqs_endpoint_url must be null or an http(s) URL (e.g. moto's server)")
    delay = body.get("notification_delay_seconds", 0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
        raise ControlError(400, "notification_delay_seconds must be a number of seconds >= 0")


def control_routes(store: Store) -> list[Route]:
    def wrap(fn: Callable[..., Any], *, json_body: bool = False):
        return control_endpoint(store, fn, json_body=json_body)

    def _order(request: Request) -> dict:
        store.seller(request.path_params["seller_id"])
        order = store.s["orders"].get(request.path_params["order_id"])
        if order is None or order["seller_id"] != request.path_params["seller_id"]:
            raise ControlError(404, "unknown order")
        return order

    def _listing(request: Request) -> dict:
        store.seller(request.path_params["seller_id"])
        listing = store.listing(request.path_params["seller_id"], request.path_params["sku"])
        if listing is None:
            raise ControlError(404, "unknown sku")
        return listing

    def create_seller(request, body):
        return seller_view(store.create_seller(body)), 201

    def list_sellers(request):
        return {"sellers": [seller_view(s) for s in store.s["sellers"].values()]}

    def get_seller(request):
        return seller_view(store.seller(request.path_params["seller_id"]))

    def create_listing(request, body):
        return listing_view(store.create_listing(request.path_params["seller_id"], body)), 201

    def list_listings(request):
        seller_id = request.path_params["seller_id"]
        store.seller(seller_id)
        return {"listings": [listing_view(x) for x in store.s["listings"][seller_id].values()]}

    def get_listing(request):
        return listing_view(_listing(request))

    def set_listing_quantity(request, body):
        listing = _listing(request)
        qty = check_quantity(body.get("quantity"), "quantity", 0)
        store.set_listing_quantity(
            request.path_params["seller_id"], listing, qty, body.get("source") or "control:set", store.now()
        )
        return listing_view(listing)

    def place_order(request, body):
        return order_view(store.place_order(request.path_params["seller_id"], body)), 201

    def bulk_orders(request, body):
        seller_id = request.path_params["seller_id"]
        orders = body.get("orders")
        if orders is None and "template" in body:
            count = body.get("count", 1)
            if not isinstance(count, int) or not 1 <= count <= 100000:
                raise ControlError(400, "count must be 1..100000")
            orders = [body["template"]] * count
        if not isinstance(orders, list) or not orders:
            raise ControlError(400, "give orders: [...] or template + count")
        placed = []
        for n, spec in enumerate(orders):
            try:
                order = store.place_order(seller_id, spec)
            except ControlError as err:
                raise ControlError(
                    err.status, f"orders[{n}]: {err.message} ({len(placed)} orders placed before it)"
                ) from err
            placed.append(
                {
                    "order_id": order["order_id"],
                    "order_item_ids": [i["order_item_id"] for i in order["items"]],
                }
            )
        return {"orders": placed, "count": len(placed)}, 201

    def list_orders(request):
        seller_id = request.path_params["seller_id"]
        store.seller(seller_id)
        status = request.query_params.get("status")
        return {
            "orders": [
                order_view(o) for o in store.seller_orders(seller_id) if not status or o["status"] == status
            ]
        }

    def get_order(request):
        return order_view(_order(request))

    def cancel_order(request, body):
        return order_view(store.cancel_order(_order(request), body))

    def list_feeds(request):
        seller_id = request.path_params["seller_id"]
        store.seller(seller_id)
        feeds = sorted(
            (f for f in store.s["feeds"].values() if f["_seller"] == seller_id), key=lambda f: f["_created"]
        )
        return {"feeds": [feed_control_view(store, f) for f in feeds]}

    def list_reports(request):
        seller_id = request.path_params["seller_id"]
        store.seller(seller_id)
        reports = sorted(
            (r for r in store.s["reports"].values() if r["_seller"] == seller_id), key=lambda r: r["_created"]
        )
        return {"reports": [reports_mod.report_view(r) for r in reports]}

    def list_notifications(request):
        """ORDER_CHANGE messages published (the last ones) and those waiting in the outbox."""
        return {
            "published": store.s.get("notification_log") or [],
            "waiting": [
                {
                    "id": e["id"],
                    "arn": e["arn"],
                    "due": iso(e["due"]),
                    "attempts": e["attempts"],
                    "error": e["error"],
                }
                for e in store.s.get("notification_outbox") or []
            ],
            "destinations": list((store.s.get("destinations") or {}).values()),
            "subscriptions": list((store.s.get("subscriptions") or {}).values()),
        }

    p = PREFIX
    s = p + "/sellers/{seller_id}"
    return [
        Route(p + "/sellers", wrap(create_seller, json_body=True), methods=["POST"]),
        Route(p + "/sellers", wrap(list_sellers), methods=["GET"]),
        Route(s, wrap(get_seller), methods=["GET"]),
        Route(s + "/listings", wrap(create_listing, json_body=True), methods=["POST"]),
        Route(s + "/listings", wrap(list_listings), methods=["GET"]),
        Route(s + "/listings/{sku}", wrap(get_listing), methods=["GET"]),
        Route(s + "/listings/{sku}/quantity", wrap(set_listing_quantity, json_body=True), methods=["POST"]),
        Route(s + "/orders", wrap(place_order, json_body=True), methods=["POST"]),
        Route(s + "/orders/bulk", wrap(bulk_orders, json_body=True), methods=["POST"]),
        Route(s + "/orders", wrap(list_orders), methods=["GET"]),
        Route(s + "/orders/{order_id}", wrap(get_order), methods=["GET"]),
        Route(s + "/orders/{order_id}/cancel", wrap(cancel_order, json_body=True), methods=["POST"]),
        Route(s + "/feeds", wrap(list_feeds), methods=["GET"]),
        Route(s + "/reports", wrap(list_reports), methods=["GET"]),
        Route(p + "/notifications", wrap(list_notifications), methods=["GET"]),
        *base_routes(store, accounts="sellers", check_settings=check_settings),
    ]
