"""The Shopify simulator as a subprocess (tests, the demo, benchmarks) and a client of its /_sim/ control API."""

from __future__ import annotations

from typing import Any, ClassVar

from ..common.process import ControlClient
from ..common.process import SimulatorProcess as BaseSimulatorProcess

__all__ = ["ShopifyControl", "ShopifySimulatorProcess"]


class ShopifyControl(ControlClient):
    accounts: ClassVar[str] = "shops"

    def create_shop(self, shop: str, **fields: Any) -> dict:
        """The shop with its app's ``access_token``, ``client_id``, ``client_secret`` and ``location_id``."""
        return self._call("POST", "/shops", {"shop": shop, **fields})

    def shop(self, shop: str) -> dict:
        return self._call("GET", f"/shops/{shop}")

    def set_scopes(self, shop: str, scopes: list[str]) -> dict:
        return self._call("POST", f"/shops/{shop}/scopes", {"scopes": scopes})

    def create_location(self, shop: str, name: str) -> dict:
        return self._call("POST", f"/shops/{shop}/locations", {"name": name})

    def create_variant(self, shop: str, sku: str, *, quantity: int = 0, **fields: Any) -> dict:
        return self._call("POST", f"/shops/{shop}/variants", {"sku": sku, "quantity": quantity, **fields})

    def variant(self, shop: str, sku: str) -> dict:
        return self._call("GET", f"/shops/{shop}/variants/{sku}")

    def variants(self, shop: str) -> list[dict]:
        return self._call("GET", f"/shops/{shop}/variants")["variants"]

    def set_available(self, shop: str, sku: str, available: int) -> dict:
        return self._call("POST", f"/shops/{shop}/variants/{sku}/available", {"available": available})

    def place_order(self, shop: str, lines: list[tuple[str, int]], **fields: Any) -> dict:
        body = {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines], **fields}
        return self._call("POST", f"/shops/{shop}/orders", body)

    def orders(self, shop: str) -> list[dict]:
        return self._call("GET", f"/shops/{shop}/orders")["orders"]

    def order(self, shop: str, order_id: str) -> dict:
        return self._call("GET", f"/shops/{shop}/orders/{order_id}")

    def cancel_order(self, shop: str, order_id: str, **fields: Any) -> dict:
        return self._call("POST", f"/shops/{shop}/orders/{order_id}/cancel", fields)

    def deliveries(self, shop: str | None = None) -> list[dict]:
        return self._call("GET", "/webhooks/deliveries", params={"shop": shop} if shop else None)[
            "deliveries"
        ]

    def subscriptions(self) -> list[dict]:
        return self._call("GET", "/webhooks/subscriptions")["subscriptions"]

    def release_webhooks(self, *, reverse: bool = False) -> dict:
        return self._call("POST", "/webhooks/release", {"reverse": reverse})

    def redeliver(self, delivery_id: int) -> dict:
        return self._call("POST", f"/webhooks/deliveries/{delivery_id}/redeliver", {})


class ShopifySimulatorProcess(BaseSimulatorProcess):
    """Run ``python -m stockroom.sandbox.shopify`` in a subprocess; a context manager."""

    module: ClassVar[str] = "stockroom.sandbox.shopify"
    control_class: ClassVar[type[ControlClient]] = ShopifyControl

    def shop_endpoint(self, shop: str) -> str:
        """What a Stockroom account's endpoint is for ``shop`` on this simulator."""
        return f"{self.base_url}/shops/{shop}"
