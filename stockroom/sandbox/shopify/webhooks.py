"""Webhook delivery: a thread that POSTs each queued delivery to its subscription's URL, signed as Shopify
signs (``X-Shopify-Hmac-SHA256``: base64 HMAC-SHA256 of the raw body with the app's client secret), and
retries a failed one with a doubling wait on the simulated clock.

On demand (``/_sim/config``): ``webhook_hold`` keeps deliveries queued until ``/_sim/webhooks/release``
(which may send them in reverse order: out-of-order delivery), ``webhook_duplicates`` sends each twice with
the same ``X-Shopify-Webhook-Id``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading

import httpx

from .state import Store

log = logging.getLogger("stockroom.sandbox.shopify")


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def headers(store: Store, delivery: dict) -> dict[str, str]:
    app = store.app_of(delivery["shop"])
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": delivery["topic"],
        "X-Shopify-Hmac-SHA256": signature(app["client_secret"], delivery["body"].encode()),
        "X-Shopify-Shop-Domain": delivery["shop"],
        "X-Shopify-API-Version": delivery["api_version"],
        "X-Shopify-Webhook-Id": delivery["webhook_id"],
        "X-Shopify-Triggered-At": delivery["triggered_at"],
        "X-Shopify-Event-Id": f"{delivery['webhook_id']}-event",
    }


class Deliverer:
    """Sends due deliveries every 50 ms of real time (outside the store lock)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.stop = threading.Event()
        self.http = httpx.Client(timeout=5.0)
        self.thread = threading.Thread(target=self.run, name="webhooks", daemon=True)

    def start(self) -> Deliverer:
        self.thread.start()
        return self

    def due(self) -> list[tuple[dict, dict]]:
        with self.store.lock:
            if self.store.settings["webhook_hold"]:
                return []
            now = self.store.now()
            picked = []
            for delivery in self.store.s["deliveries"]:
                if delivery["status"] == "queued" and delivery["next_at"] <= now:
                    delivery["status"] = "sending"
                    picked.append((delivery, headers(self.store, delivery)))
            return picked

    def send(self, delivery: dict, sent_headers: dict) -> None:
        copies = 2 if self.store.settings["webhook_duplicates"] else 1
        status = None
        for _ in range(copies):
            try:
                status = self.http.post(
                    delivery["url"], content=delivery["body"].encode(), headers=sent_headers
                ).status_code
            except httpx.HTTPError as error:
                status = None
                log.info("webhook %s to %s failed: %s", delivery["id"], delivery["url"], error)
        with self.store.lock:
            delivery["attempts"] += 1
            delivery["responses"].append(status)
            if status is not None and 200 <= status < 300:
                delivery["status"] = "delivered"
            elif delivery["attempts"] >= self.store.settings["webhook_max_attempts"]:
                delivery["status"] = "failed"
            else:
                wait = self.store.settings["webhook_retry_seconds"] * 2 ** (delivery["attempts"] - 1)
                delivery["next_at"] = self.store.now() + wait
                delivery["status"] = "queued"

    def run(self) -> None:
        while not self.stop.wait(0.05):
            for delivery, sent_headers in self.due():
                self.send(delivery, sent_headers)


def release(store: Store, *, reverse: bool) -> list[dict]:
    """Let held deliveries go (in reverse order if asked): they are sent at once, in that order."""
    queued = [d for d in store.s["deliveries"] if d["status"] == "queued"]
    if reverse:
        others = [d for d in store.s["deliveries"] if d["status"] != "queued"]
        store.s["deliveries"] = others + list(reversed(queued))
    store.settings["webhook_hold"] = False
    return queued


def redeliver(store: Store, delivery_id: int) -> dict:
    """Send a delivery again, with the same webhook id (a duplicate, as Shopify sends at times)."""
    original = next((d for d in store.s["deliveries"] if d["id"] == delivery_id), None)
    if original is None:
        from .state import ControlError

        raise ControlError(404, f"no delivery {delivery_id}")
    copy = original | {
        "id": len(store.s["deliveries"]) + 1,
        "status": "queued",
        "attempts": 0,
        "responses": [],
        "next_at": store.now(),
    }
    store.s["deliveries"].append(copy)
    return copy
