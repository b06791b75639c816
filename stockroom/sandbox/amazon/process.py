"""The Amazon simulator as a subprocess (tests, the demo, benchmarks) and a client of its /_sim/ control API."""

from __future__ import annotations

from typing import Any

from ..common.process import ControlClient, SimulatorError, free_port
from ..common.process import SimulatorProcess as BaseSimulatorProcess

__all__ = ["SimulatorControl", "SimulatorError", "SimulatorProcess", "free_port"]


class SimulatorControl(ControlClient):
    """Thin httpx client for the /_sim/ routes of any running Amazon simulator."""

    accounts = "sellers"

    # sellers
    def create_seller(
        self,
        seller_id: str,
        *,
        region: str = "EU",
        marketplaces: list[str] | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        name: str | None = None,
    ) -> dict:
        body = {
            "seller_id": seller_id,
            "region": region,
            "marketplaces": marketplaces or ["A1F83G8C2ARO7P"],
            "client_id": client_id or f"amzn1.application-oa2-client.{seller_id.lower()}",
            "client_secret": client_secret or f"secret-{seller_id.lower()}",
            "refresh_token": refresh_token or f"Atzr|refresh-{seller_id.lower()}",
        }
        if name:
            body["name"] = name
        return self._call("POST", "/sellers", body)

    def sellers(self) -> list[dict]:
        return self._call("GET", "/sellers")["sellers"]

    # listings
    def create_listing(
        self,
        seller_id: str,
        sku: str,
        *,
        quantity: int = 0,
        asin: str | None = None,
        product_type: str = "PRODUCT",
        fulfillment_channel: str = "DEFAULT",
        **extra: Any,
    ) -> dict:
        body = {
            "sku": sku,
            "quantity": quantity,
            "product_type": product_type,
            "fulfillment_channel": fulfillment_channel,
        }
        if asin:
            body["asin"] = asin
        body.update(extra)
        return self._call("POST", f"/sellers/{seller_id}/listings", body)

    def get_listing(self, seller_id: str, sku: str) -> dict:
        return self._call("GET", f"/sellers/{seller_id}/listings/{sku}")

    def listings(self, seller_id: str) -> list[dict]:
        return self._call("GET", f"/sellers/{seller_id}/listings")["listings"]

    def set_listing_quantity(self, seller_id: str, sku: str, quantity: int) -> dict:
        return self._call("POST", f"/sellers/{seller_id}/listings/{sku}/quantity", {"quantity": quantity})

    # orders
    def place_order(self, seller_id: str, *, marketplace_id: str, items: list[dict], **extra: Any) -> dict:
        return self._call(
            "POST",
            f"/sellers/{seller_id}/orders",
            {"marketplace_id": marketplace_id, "items": items, **extra},
        )

    def place_orders(self, seller_id: str, orders: list[dict]) -> list[dict]:
        return self._call("POST", f"/sellers/{seller_id}/orders/bulk", {"orders": orders})["orders"]

    def cancel_order(
        self, seller_id: str, order_id: str, *, by: str = "buyer", reason: str | None = None
    ) -> dict:
        return self._call(
            "POST", f"/sellers/{seller_id}/orders/{order_id}/cancel", {"by": by, "reason": reason}
        )

    def get_order(self, seller_id: str, order_id: str) -> dict:
        return self._call("GET", f"/sellers/{seller_id}/orders/{order_id}")

    def orders(self, seller_id: str) -> list[dict]:
        return self._call("GET", f"/sellers/{seller_id}/orders")["orders"]

    # notifications (ORDER_CHANGE messages published to SQS, and those waiting)
    def notifications(self) -> dict:
        return self._call("GET", "/notifications")

    # feeds / reports
    def feeds(self, seller_id: str) -> list[dict]:
        return self._call("GET", f"/sellers/{seller_id}/feeds")["feeds"]

    def reports(self, seller_id: str) -> list[dict]:
        return self._call("GET", f"/sellers/{seller_id}/reports")["reports"]


class SimulatorProcess(BaseSimulatorProcess):
    """Run `python -m stockroom.sandbox.amazon` in a subprocess; a context manager.

    ``base_url`` is both the SP-API endpoint and the LWA base (token URL = base_url + "/auth/o2/token").
    """

    module = "stockroom.sandbox.amazon"
    control_class = SimulatorControl

    @property
    def token_url(self) -> str:
        return self.base_url + "/auth/o2/token"

    def control(self) -> SimulatorControl:
        return SimulatorControl(self.base_url)

    def __enter__(self) -> SimulatorProcess:
        return self.start()
