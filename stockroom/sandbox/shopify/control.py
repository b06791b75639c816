"""The Shopify simulator's /_sim/ control API, on top of the routes every simulator has: shops (with their
app's admin token, client id and secret, scopes), locations, variants with their inventory per location,
orders placed and cancelled by a buyer, webhook deliveries (list, hold and release, redeliver)."""

from __future__ import annotations

from starlette.routing import Route

from ..common.control import PREFIX, base_routes, control_endpoint
from . import webhooks
from .state import ControlError, Store


def control_routes(store: Store) -> list[Route]:
    def create_shop(request, body):
        return store.create_shop(body), 201

    def list_shops(request):
        return {"shops": [store.shop_view(domain) for domain in store.s["shops"]]}

    def get_shop(request):
        return store.shop_view(request.path_params["shop"])

    def set_scopes(request, body):
        return store.set_scopes(request.path_params["shop"], body.get("scopes"))

    def create_location(request, body):
        return store.create_location(request.path_params["shop"], body), 201

    def create_variant(request, body):
        return store.create_variant(request.path_params["shop"], body), 201

    def list_variants(request):
        domain = store.shop(request.path_params["shop"])["domain"]
        return {
            "variants": [store.variant_view(v) for v in store.s["variants"].values() if v["shop"] == domain]
        }

    def get_variant(request):
        domain = store.shop(request.path_params["shop"])["domain"]
        return store.variant_view(store.variant_by_sku(domain, request.path_params["sku"]))

    def set_available(request, body):
        domain = store.shop(request.path_params["shop"])["domain"]
        variant = store.variant_by_sku(domain, request.path_params["sku"])
        quantity = body.get("available")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ControlError(400, "available must be a whole number >= 0")
        levels = store.s["items"][variant["inventory_item_id"]]["levels"]
        location_id = str(body.get("location_id") or next(iter(levels)))
        level = levels.get(location_id)
        if level is None:
            raise ControlError(400, f"not stocked at location {location_id}")
        level["on_hand"] += quantity - level["available"]
        level["available"] = quantity
        return store.variant_view(variant)

    def place_order(request, body):
        return store.place_order(store.shop(request.path_params["shop"])["domain"], body), 201

    def list_orders(request):
        domain = store.shop(request.path_params["shop"])["domain"]
        return {"orders": [store.order_view(o) for o in store.s["orders"].values() if o["shop"] == domain]}

    def get_order(request):
        domain = store.shop(request.path_params["shop"])["domain"]
        return store.order_view(store.order(domain, request.path_params["order_id"]))

    def cancel_order(request, body):
        domain = store.shop(request.path_params["shop"])["domain"]
        order = store.order(domain, request.path_params["order_id"])
        problem = store.cancel_order(
            order, reason=str(body.get("reason", "CUSTOMER")), restock=bool(body.get("restock", True))
        )
        if problem:
            raise ControlError(409, problem)
        return store.order_view(order)

    def list_deliveries(request):
        shop = request.query_params.get("shop")
        return {"deliveries": [d for d in store.s["deliveries"] if not shop or d["shop"] == shop]}

    def list_subscriptions(request):
        return {"subscriptions": list(store.s["webhooks"].values())}

    def release(request, body):
        return {"released": len(webhooks.release(store, reverse=bool(body.get("reverse", False))))}

    def redeliver(request, body):
        return webhooks.redeliver(store, int(request.path_params["delivery_id"])), 201

    def route(path: str, fn, method: str, *, json_body: bool = False) -> Route:
        return Route(PREFIX + path, control_endpoint(store, fn, json_body=json_body), methods=[method])

    shop = "/shops/{shop}"
    return [
        *base_routes(store, accounts="shops"),
        route("/shops", create_shop, "POST", json_body=True),
        route("/shops", list_shops, "GET"),
        route(shop, get_shop, "GET"),
        route(shop + "/scopes", set_scopes, "POST", json_body=True),
        route(shop + "/locations", create_location, "POST", json_body=True),
        route(shop + "/variants", create_variant, "POST", json_body=True),
        route(shop + "/variants", list_variants, "GET"),
        route(shop + "/variants/{sku}", get_variant, "GET"),
        route(shop + "/variants/{sku}/available", set_available, "POST", json_body=True),
        route(shop + "/orders", place_order, "POST", json_body=True),
        route(shop + "/orders", list_orders, "GET"),
        route(shop + "/orders/{order_id}", get_order, "GET"),
        route(shop + "/orders/{order_id}/cancel", cancel_order, "POST", json_body=True),
        route("/webhooks/deliveries", list_deliveries, "GET"),
        route("/webhooks/subscriptions", list_subscriptions, "GET"),
        route("/webhooks/release", release, "POST", json_body=True),
        route("/webhooks/deliveries/{delivery_id}/redeliver", redeliver, "POST", json_body=True),
    ]
