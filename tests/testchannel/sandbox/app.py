"""The Test Store simulator: a tiny web shop API, one shop per account, on the simulators' common base.

Shop API (``Authorization: Bearer <api key>`` of the shop):

* ``GET  /api/shops/{shop}``: the shop (check).
* ``GET  /api/shops/{shop}/orders?after=SEQ&limit=N``: orders changed after SEQ, oldest change first;
  ``next_after`` is the SEQ to ask after next (null when nothing followed).
* ``POST /api/shops/{shop}/orders/{id}/fulfillments``: ``{"tracking_number", "carrier", "lines": [{"id",
  "quantity"}]}``; the order becomes fulfilled.
* ``GET  /api/shops/{shop}/products``: the products (sku, title, quantity).
* ``PUT  /api/shops/{shop}/products/{sku}/stock``: ``{"quantity": n}``.

Control API (``/_sim/``, besides the common routes): create shops and products, place orders (a sale
lowers the product's quantity, as a shop does), read products and orders.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stockroom.sandbox.common.control import PREFIX, base_routes, control_endpoint
from stockroom.sandbox.common.errors import ControlError
from stockroom.sandbox.common.store import BaseStore

OPERATIONS = ("getShop", "listOrders", "createFulfillment", "listProducts", "setStock")


class Store(BaseStore):
    FAULT_KINDS: ClassVar[frozenset[str]] = frozenset({"http_500", "http_503", "http_429"})

    def new_state(self, seed: int) -> dict:
        return {**super().new_state(seed), "shops": {}, "seq": 0, "order_numbers": 1000}

    def apply_event(self, kind: str, key: str, due: float, now: float) -> None:  # no timed events
        return None

    def fault_operations(self) -> set[str]:
        return set(OPERATIONS)

    def rate_limit(self, operation: str) -> tuple[float, int]:
        return (40.0, 80)

    # ------------------------------------------------------------------ shops
    def shop(self, name: str) -> dict:
        shop = self.s["shops"].get(name)
        if shop is None:
            raise ControlError(404, f"no shop {name!r}")
        return shop

    def create_shop(self, body: dict) -> dict:
        name = str(body.get("shop") or "").strip().lower()
        if not name or name in self.s["shops"]:
            raise ControlError(400, "shop must be a new, non-empty name")
        key = body.get("api_key") or f"tsk_{self._uuid(self.token_rng).replace('-', '')}"
        self.s["shops"][name] = {"name": name, "api_key": key, "products": {}, "orders": {}}
        return {"shop": name, "api_key": key}

    def next_seq(self) -> int:
        self.s["seq"] += 1
        return self.s["seq"]

    def place_order(self, shop: dict, body: dict) -> dict:
        lines = body.get("lines") or []
        if not lines:
            raise ControlError(400, "an order needs lines")
        self.s["order_numbers"] += 1
        order_id = f"TS-{self.s['order_numbers']}"
        now = datetime.fromtimestamp(self.now(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        order = {
            "id": order_id,
            "status": body.get("status", "paid"),
            "created_at": now,
            "updated_at": now,
            "currency": "GBP",
            "buyer": body.get("buyer", "Test Buyer"),
            "lines": [],
            "fulfillments": [],
            "seq": self.next_seq(),
        }
        for number, line in enumerate(lines, start=1):
            product = shop["products"].get(line["sku"])
            if product is None:
                raise ControlError(400, f"no product {line['sku']!r}")
            quantity = int(line.get("quantity", 1))
            product["quantity"] = max(0, product["quantity"] - quantity)
            order["lines"].append(
                {
                    "id": f"{order_id}-{number}",
                    "sku": line["sku"],
                    "quantity": quantity,
                    "price": str(line.get("price", "10.00")),
                }
            )
        shop["orders"][order_id] = order
        return order


def _json(body: Any, status: int = 200) -> Response:
    return JSONResponse(body, status_code=status)


def create_app(store: Store, *, state_file: str | None = None) -> Starlette:
    def shop_call(operation: str, fn):
        """A shop API endpoint: the shop's key checked, faults and the rate limit applied, counted."""

        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            with store.lock:
                store.tick()
                name = request.path_params["shop"]
                shop = store.s["shops"].get(name)
                if shop is None:
                    return _json({"error": f"no shop {name!r}"}, 404)
                store.stat(name, operation, "calls")
                if request.headers.get("authorization") != f"Bearer {shop['api_key']}":
                    return _json({"error": "invalid API key"}, 401)
                fault = store.take_fault(operation, name)
                if fault is not None:
                    store.stat(name, operation, "faults")
                    status = int(fault["kind"].split("_")[1])
                    return _json({"error": f"injected {fault['kind']}"}, status)
                if not store.take_token(name, operation):
                    store.stat(name, operation, "throttled")
                    return Response('{"error": "slow down"}', 429, headers={"Retry-After": "1"})
                try:
                    body = json.loads(raw) if raw else {}
                except json.JSONDecodeError:
                    return _json({"error": "body is not JSON"}, 400)
                try:
                    result = fn(request, shop, body)
                except ControlError as error:
                    return _json({"error": error.message}, error.status)
            return _json(*result) if isinstance(result, tuple) else _json(result)

        return endpoint

    def get_shop(request, shop, body):
        return {"shop": shop["name"], "products": len(shop["products"]), "orders": len(shop["orders"])}

    def list_orders(request, shop, body):
        try:
            after = int(request.query_params.get("after", "0"))
            limit = min(max(int(request.query_params.get("limit", "50")), 1), 250)
        except ValueError:
            raise ControlError(400, "after and limit are whole numbers") from None
        changed = sorted((o for o in shop["orders"].values() if o["seq"] > after), key=lambda o: o["seq"])
        page = changed[:limit]
        return {
            "orders": [{k: v for k, v in o.items() if k != "fulfillments"} for o in page],
            "next_after": page[-1]["seq"] if page else None,
            "more": len(changed) > limit,
        }

    def fulfil(request, shop, body):
        order = shop["orders"].get(request.path_params["order_id"])
        if order is None:
            raise ControlError(404, "no such order")
        if not str(body.get("tracking_number") or "").strip():
            raise ControlError(400, "tracking_number is required")
        order["fulfillments"].append(
            {
                "id": f"F-{len(order['fulfillments']) + 1}",
                "tracking_number": body["tracking_number"],
                "carrier": body.get("carrier", ""),
                "lines": body.get("lines", []),
            }
        )
        order["status"] = "fulfilled"
        order["seq"] = store.next_seq()
        return {"fulfillment_id": order["fulfillments"][-1]["id"]}, 201

    def list_products(request, shop, body):
        return {"products": [dict(p) for p in shop["products"].values()]}

    def set_stock(request, shop, body):
        product = shop["products"].get(request.path_params["sku"])
        if product is None:
            raise ControlError(404, f"no product {request.path_params['sku']!r}")
        quantity = body.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ControlError(400, "quantity must be a whole number >= 0")
        product["quantity"] = quantity
        product["stock_updates"] = product.get("stock_updates", 0) + 1
        return {"sku": product["sku"], "quantity": quantity}

    # ------------------------------------------------------------------ control
    def sim_create_shop(request, body):
        return store.create_shop(body), 201

    def sim_create_product(request, body):
        shop = store.shop(request.path_params["shop"])
        sku = str(body.get("sku") or "")
        if not sku:
            raise ControlError(400, "sku is required")
        shop["products"][sku] = {
            "sku": sku,
            "title": body.get("title", sku),
            "quantity": int(body.get("quantity", 0)),
            "stock_updates": 0,
        }
        return shop["products"][sku], 201

    def sim_product(request):
        shop = store.shop(request.path_params["shop"])
        product = shop["products"].get(request.path_params["sku"])
        if product is None:
            raise ControlError(404, "no such product")
        return product

    def sim_place_order(request, body):
        return store.place_order(store.shop(request.path_params["shop"]), body), 201

    def sim_order(request):
        shop = store.shop(request.path_params["shop"])
        order = shop["orders"].get(request.path_params["order_id"])
        if order is None:
            raise ControlError(404, "no such order")
        return order

    def control(path: str, fn, method: str, *, json_body: bool = False) -> Route:
        return Route(PREFIX + path, control_endpoint(store, fn, json_body=json_body), methods=[method])

    api = "/api/shops/{shop}"
    routes = [
        Route(api, shop_call("getShop", get_shop), methods=["GET"]),
        Route(api + "/orders", shop_call("listOrders", list_orders), methods=["GET"]),
        Route(
            api + "/orders/{order_id}/fulfillments",
            shop_call("createFulfillment", fulfil),
            methods=["POST"],
        ),
        Route(api + "/products", shop_call("listProducts", list_products), methods=["GET"]),
        Route(api + "/products/{sku}/stock", shop_call("setStock", set_stock), methods=["PUT"]),
        *base_routes(store, accounts="shops"),
        control("/shops", sim_create_shop, "POST", json_body=True),
        control("/shops/{shop}/products", sim_create_product, "POST", json_body=True),
        control("/shops/{shop}/products/{sku}", sim_product, "GET"),
        control("/shops/{shop}/orders", sim_place_order, "POST", json_body=True),
        control("/shops/{shop}/orders/{order_id}", sim_order, "GET"),
    ]
    app = Starlette(routes=routes)
    app.state.state_file = state_file
    return app
