"""The eBay simulator as a subprocess (tests, the demo) and a client of its /_sim/ control API."""

from __future__ import annotations

from typing import Any, ClassVar

from ..common.process import ControlClient, SimulatorError, SimulatorProcess
from . import tables

__all__ = ["EbayControl", "EbaySimulatorProcess", "SimulatorError"]


class EbayControl(ControlClient):
    accounts: ClassVar[str] = "sellers"

    def create_seller(self, user_id: str, *, marketplace: str = "EBAY_GB", **fields: Any) -> dict:
        """A seller with its own app (or ``client_id``/``client_secret`` of an existing one) and a refresh
        token it already consented to (``scopes``: all by default); ``accept_url``: the RuName's accept URL."""
        return self._call("POST", "/sellers", {"user_id": user_id, "marketplace": marketplace, **fields})

    def sellers(self) -> list[str]:
        return self._call("GET", "/sellers")["sellers"]

    def set_accept_url(self, client_id: str, accept_url: str) -> dict:
        return self._call("POST", f"/apps/{client_id}", {"accept_url": accept_url})

    def quota(self, client_id: str) -> dict:
        return self._call("GET", f"/apps/{client_id}/quota")

    def create_listing(self, user_id: str, sku: str, *, quantity: int = 0, **fields: Any) -> dict:
        return self._call(
            "POST", f"/sellers/{user_id}/listings", {"sku": sku, "quantity": quantity, **fields}
        )

    def listing(self, user_id: str, sku: str) -> dict:
        return self._call("GET", f"/sellers/{user_id}/listings/{sku}")

    def listings(self, user_id: str) -> list[dict]:
        return self._call("GET", f"/sellers/{user_id}/listings")["listings"]

    def place_order(self, user_id: str, lines: list[tuple[str, int]], **fields: Any) -> dict:
        body = {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines], **fields}
        return self._call("POST", f"/sellers/{user_id}/orders", body)

    def place_orders(self, user_id: str, orders: list[dict]) -> list[dict]:
        return self._call("POST", f"/sellers/{user_id}/orders", {"orders": orders})["orders"]

    def orders(self, user_id: str) -> list[dict]:
        return self._call("GET", f"/sellers/{user_id}/orders")["orders"]

    def order(self, user_id: str, order_id: str) -> dict:
        return self._call("GET", f"/sellers/{user_id}/orders/{order_id}")

    def pay(self, user_id: str, order_id: str) -> dict:
        return self._call("POST", f"/sellers/{user_id}/orders/{order_id}/pay", {})

    def cancel_order(self, user_id: str, order_id: str) -> dict:
        return self._call("POST", f"/sellers/{user_id}/orders/{order_id}/cancel", {})

    def expire_tokens(self, user_id: str, *, refresh_tokens: bool = False) -> dict:
        return self._call("POST", f"/sellers/{user_id}/expire_tokens", {"refresh_tokens": refresh_tokens})


class EbaySimulatorProcess(SimulatorProcess):
    module: ClassVar[str] = "stockroom.sandbox.ebay"
    control_class: ClassVar[type[ControlClient]] = EbayControl
    records_exchanges: ClassVar[bool] = True  # takes ``record_file`` (``--record``)

    def __init__(self, *, record_file: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.record_file = record_file

    def command(self, port: int) -> list[str]:
        return super().command(port) + (["--record", self.record_file] if self.record_file else [])

    @property
    def token_url(self) -> str:
        return self.base_url + tables.TOKEN_PATH

    @property
    def consent_url(self) -> str:
        return self.base_url + tables.CONSENT_PATH
