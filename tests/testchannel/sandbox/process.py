"""The Test Store simulator as a subprocess and a client of its /_sim/ control API."""

from __future__ import annotations

from typing import Any, ClassVar

from stockroom.sandbox.common.process import ControlClient, SimulatorProcess


class TestStoreControl(ControlClient):
    __test__ = False
    accounts: ClassVar[str] = "shops"

    def create_shop(self, shop: str) -> dict:
        return self._call("POST", "/shops", {"shop": shop})

    def create_product(self, shop: str, sku: str, *, quantity: int = 0, title: str = "") -> dict:
        return self._call(
            "POST", f"/shops/{shop}/products", {"sku": sku, "quantity": quantity, "title": title or sku}
        )

    def product(self, shop: str, sku: str) -> dict:
        return self._call("GET", f"/shops/{shop}/products/{sku}")

    def place_order(self, shop: str, lines: list[tuple[str, int]], **fields: Any) -> dict:
        body = {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines], **fields}
        return self._call("POST", f"/shops/{shop}/orders", body)

    def order(self, shop: str, order_id: str) -> dict:
        return self._call("GET", f"/shops/{shop}/orders/{order_id}")


class TestStoreProcess(SimulatorProcess):
    __test__ = False  # not a test class, whatever pytest thinks of its name
    module: ClassVar[str] = "tests.testchannel.sandbox"
    control_class: ClassVar[type[ControlClient]] = TestStoreControl
