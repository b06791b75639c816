"""ORDER_CHANGE notifications: built when an order is placed or changes status, published to the
subscribed SQS destination after ``notification_delay_seconds`` (simulated) by a background thread.

The message is shaped like Amazon's (``NotificationType``, ``Payload.OrderChangeNotification`` with
``AmazonOrderId``, ``SellerId``, ``OrderChangeTrigger``, ``Summary``, ``NotificationMetadata``). The queue
is reached with boto3 at ``sqs_endpoint_url`` (a setting: moto's standalone server in tests and the
demo); with none set, due messages wait in the outbox. A message SQS did not take stays in the outbox
and is sent again ``NOTIFICATION_RETRY_SECONDS`` later.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from ..common.clock import iso

log = logging.getLogger("stockroom.sandbox.amazon.notifications")

NOTIFICATION_RETRY_SECONDS = 5.0  # real seconds before a message SQS refused is sent again
PUBLISH_EVERY_SECONDS = 0.1  # how often (real) the publisher looks for due messages
LOG_KEPT = 500  # published messages kept for /_sim/notifications


def order_change_message(store, order: dict, sub: dict, *, reason: str, at: float) -> dict:
    """The ORDER_CHANGE notification of ``order`` as it is now (PublishTime filled in when sent)."""
    items = order["items"]
    shipped = sum(i["quantity_shipped"] for i in items)
    ordered = sum(i["quantity"] for i in items)
    return {
        "NotificationVersion": "1.0",
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": "1.0",
        "EventTime": iso(at),
        "Payload": {
            "OrderChangeNotification": {
                "NotificationLevel": "OrderLevel",
                "SellerId": order["seller_id"],
                "AmazonOrderId": order["order_id"],
                "OrderChangeType": "OrderStatusChange",
                "OrderChangeTrigger": {"TimeOfOrderChange": iso(at), "ChangeReason": reason},
                "Summary": {
                    "MarketplaceId": order["marketplace_id"],
                    "OrderStatus": order["status"],
                    "PurchaseDate": iso(order["created_at"]),
                    "DestinationPostalCode": (order.get("address") or {}).get("postal_code"),
                    "FulfillmentType": order["fulfillment_channel"],
                    "OrderType": "StandardOrder",
                    "NumberOfItemsShipped": shipped,
                    "NumberOfItemsUnshipped": ordered - shipped,
                    "EarliestShipDate": iso(order["created_at"]),
                    "LatestShipDate": iso(order["created_at"] + 2 * 86400),
                    "OrderItems": [
                        {
                            "OrderItemId": i["order_item_id"],
                            "SellerSKU": i["sku"],
                            "SupplySourceId": None,
                            "OrderItemStatus": "Shipped"
                            if i["quantity_shipped"] >= i["quantity"]
                            else "Unshipped",
                            "Quantity": i["quantity"],
                            "QuantityShipped": i["quantity_shipped"],
                        }
                        for i in items
                    ],
                },
            }
        },
        "NotificationMetadata": {
            "ApplicationId": sub["_client"],
            "SubscriptionId": sub["subscriptionId"],
            "PublishTime": None,
            "NotificationId": store._uuid(store.token_rng),
        },
    }


def _wanted(sub: dict, order: dict) -> bool:
    """The subscription's eventFilter: marketplaces and order change types (none: every one)."""
    event_filter = (sub.get("processingDirective") or {}).get("eventFilter") or {}
    marketplaces = event_filter.get("marketplaceIds")
    if marketplaces and order["marketplace_id"] not in marketplaces:
        return False
    types = event_filter.get("orderChangeTypes")
    return not types or "OrderStatusChange" in types


def queue_order_change(store, order: dict, *, reason: str, at: float) -> None:
    """Put an ORDER_CHANGE message of ``order`` in the outbox of every subscription that wants it."""
    subs = store.s.get("subscriptions") or {}
    if not subs:
        return
    destinations = store.s.get("destinations") or {}
    for sub in subs.values():
        if sub["_seller"] != order["seller_id"] or sub["_type"] != "ORDER_CHANGE" or not _wanted(sub, order):
            continue
        dest = destinations.get(sub["destinationId"])
        if dest is None:
            continue
        message = order_change_message(store, order, sub, reason=reason, at=at)
        outbox = store.s.setdefault("notification_outbox", [])
        outbox.append(
            {
                "id": message["NotificationMetadata"]["NotificationId"],
                "arn": dest["resource"]["sqs"]["arn"],
                "due": store.now() + store.settings["notification_delay_seconds"],
                "message": message,
                "attempts": 0,
                "error": None,
            }
        )


def take_due(store) -> list[dict]:
    """The outbox entries due now (left in the outbox until ``published``)."""
    now = store.now()
    return [e for e in store.s.get("notification_outbox") or [] if e["due"] <= now and not e.get("sending")]


def published(store, entry_id: str, publish_time: float, message_id: str) -> None:
    outbox = store.s.get("notification_outbox") or []
    for n, entry in enumerate(outbox):
        if entry["id"] == entry_id:
            del outbox[n]
            entry["message"]["NotificationMetadata"]["PublishTime"] = iso(publish_time)
            sent = store.s.setdefault("notification_log", [])
            sent.append(
                {"id": entry_id, "arn": entry["arn"], "sqs_message_id": message_id, **entry["message"]}
            )
            del sent[:-LOG_KEPT]
            seller = entry["message"]["Payload"]["OrderChangeNotification"]["SellerId"]
            store.stat(seller, "notificationPublished", "calls")
            return


def failed(store, entry_id: str, error: str, retry_at: float) -> None:
    for entry in store.s.get("notification_outbox") or []:
        if entry["id"] == entry_id:
            entry["attempts"] += 1
            entry["error"] = error
            entry["due"] = retry_at
            entry.pop("sending", None)
            return


def queue_url(sqs, arn: str) -> str:
    """arn:aws:sqs:<region>:<account>:<name> -> the queue's URL (SQS GetQueueUrl)."""
    _arn, _aws, _sqs, _region, account, name = arn.split(":", 5)
    return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


class Publisher(threading.Thread):
    """Sends due ORDER_CHANGE messages to SQS; also moves the simulated clock's due events (tick)."""

    def __init__(self, store) -> None:
        super().__init__(name="sqs-publisher", daemon=True)
        self.store = store
        self.stop_event = threading.Event()
        self._clients: dict[tuple[str, str], Any] = {}

    def _sqs(self, endpoint: str, region: str):
        key = (endpoint, region)
        if key not in self._clients:
            import boto3

            self._clients[key] = boto3.client(
                "sqs",
                endpoint_url=endpoint,
                region_name=region,
                aws_access_key_id="simulator",  # moto takes any key; Amazon signs as itself
                aws_secret_access_key="simulator",  # noqa: S106 - not a secret: a local test server's
            )
        return self._clients[key]

    def run(self) -> None:
        while not self.stop_event.wait(PUBLISH_EVERY_SECONDS):
            try:
                self.publish_due()
            except Exception:  # the publisher never dies: the next round tries again
                log.exception("publishing notifications failed")

    def publish_due(self) -> int:
        store = self.store
        with store.lock:
            endpoint = store.settings.get("sqs_endpoint_url")
            if not endpoint or not store.s.get("notification_outbox"):
                return 0
            store.tick()
            due = take_due(store)
            for entry in due:
                entry["sending"] = True
            work = [(e["id"], e["arn"], json.loads(json.dumps(e["message"]))) for e in due]
        sent = 0
        for entry_id, arn, message in work:
            region = arn.split(":")[3]
            try:
                sqs = self._sqs(endpoint, region)
                with store.lock:
                    now = store.now()
                message["NotificationMetadata"]["PublishTime"] = iso(now)
                answer = sqs.send_message(QueueUrl=queue_url(sqs, arn), MessageBody=json.dumps(message))
            except Exception as error:  # noqa: BLE001 - kept in the outbox and sent again later
                with store.lock:
                    retry = store.now() + NOTIFICATION_RETRY_SECONDS * store.clock.time_scale
                    failed(store, entry_id, f"{type(error).__name__}: {error}", retry)
                continue
            with store.lock:
                published(store, entry_id, now, answer.get("MessageId", ""))
            sent += 1
        return sent
