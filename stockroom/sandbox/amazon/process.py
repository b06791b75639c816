"""Start the simulator as a subprocess (for tests, the demo and benchmarks) and drive its /_sim/ control API."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SimulatorControl:
    """Thin httpx client for the /_sim/ routes of any running simulator."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url + "/_sim", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SimulatorControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, json: Any = None, params: dict | None = None) -> Any:
        resp = self._http.request(method, path, json=json, params=params)
        if resp.status_code >= 400:
            raise SimulatorError(resp.status_code, resp.text)
        return resp.json()

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

    # feeds / reports
    def feeds(self, seller_id: str) -> list[dict]:
        return self._call("GET", f"/sellers/{seller_id}/feeds")["feeds"]

    def reports(self, seller_id: str) -> list[dict]:
        return self._call("GET", f"/sellers/{seller_id}/reports")["reports"]

    # simulator
    def stats(self) -> dict:
        return self._call("GET", "/stats")["sellers"]

    def set_fault(
        self,
        operation: str,
        kind: str,
        *,
        count: int | None = None,
        probability: float | None = None,
        delay_seconds: float | None = None,
        seller_id: str | None = None,
    ) -> dict:
        body: dict[str, Any] = {"operation": operation, "kind": kind}
        for key, value in (
            ("count", count),
            ("probability", probability),
            ("delay_seconds", delay_seconds),
            ("seller_id", seller_id),
        ):
            if value is not None:
                body[key] = value
        return self._call("POST", "/faults", body)

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def advance_clock(self, seconds: float) -> dict:
        return self._call("POST", "/clock", {"advance_seconds": seconds})

    def freeze_clock(self, frozen: bool = True) -> dict:
        """Stop (or restart) real time from moving the simulated clock; advance_clock() still works."""
        return self._call("POST", "/clock", {"frozen": frozen})

    def clock(self) -> dict:
        return self._call("GET", "/clock")

    def configure(self, **settings: Any) -> dict:
        return self._call("POST", "/config", settings)

    def reset(self, seed: int | None = None) -> dict:
        return self._call("POST", "/reset", {} if seed is None else {"seed": seed})

    def health(self) -> dict:
        return self._call("GET", "/health")


class SimulatorError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"simulator answered {status}: {body}")
        self.status = status
        self.body = body


class SimulatorProcess:
    """Run `python -m stockroom.sandbox.amazon` in a subprocess; a context manager.

    ``base_url`` is both the SP-API endpoint and the LWA base (token URL = base_url + "/auth/o2/token").
    """

    def __init__(
        self, *, port: int = 0, seed: int = 1, time_scale: float = 1.0, state_file: str | None = None
    ) -> None:
        self.port = port
        self.seed = seed
        self.time_scale = time_scale
        self.state_file = state_file
        self.base_url = ""
        self.proc: subprocess.Popen | None = None

    @property
    def token_url(self) -> str:
        return self.base_url + "/auth/o2/token"

    def start(self, timeout: float = 20.0) -> SimulatorProcess:
        port = self.port or _free_port()
        cmd = [
            sys.executable,
            "-m",
            "stockroom.sandbox.amazon",
            "--port",
            str(port),
            "--seed",
            str(self.seed),
            "--time-scale",
            str(self.time_scale),
        ]
        if self.state_file:
            cmd += ["--state", self.state_file]
        env = dict(os.environ)
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=self._log)
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        probe = httpx.Client(timeout=1.0)
        try:
            self._wait_healthy(probe, deadline)
        finally:
            probe.close()
        return self

    def _wait_healthy(self, probe: httpx.Client, deadline: float) -> None:
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.seek(0)
                err = self._log.read().decode(errors="replace")
                raise RuntimeError(f"simulator exited with {self.proc.returncode}: {err}")
            try:
                if probe.get(self.base_url + "/_sim/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("simulator did not become healthy in time")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()
        self.proc = None

    def control(self) -> SimulatorControl:
        return SimulatorControl(self.base_url)

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
