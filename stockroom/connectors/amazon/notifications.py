"""Orders pushed by Amazon (ADR 0016): the Notifications API with an SQS destination for ORDER_CHANGE.

The ``OrderPushes`` side of the Amazon connector (a mixin of ``AmazonConnector``):

* ``subscribe_order_pushes``: the queue's ARN (SQS ``GetQueueAttributes``), then the application's
  destination for it (grantless ``getDestinations``, or ``createDestination``), then the seller's
  ORDER_CHANGE subscription to it (``getSubscription``, or ``createSubscription``; one pointing at
  another destination is deleted first).
* ``unsubscribe_order_pushes``: ``deleteSubscriptionById`` (grantless), then ``deleteDestination``
  unless another seller's subscription still uses it (Amazon answers 409).
* ``receive_order_pushes`` / ``acknowledge_order_push``: SQS long polling and ``DeleteMessage``.
* ``fetch_order``: ``getOrder`` (Orders API 2026-01-01), translated like a ``searchOrders`` order.
"""

from __future__ import annotations

from collections.abc import Mapping

from stockroom.channels.contracts import (
    AuthFailed,
    ChannelOrder,
    Permanent,
    PushedOrder,
)

from . import mapping
from . import operations as ops
from .client import NOTIFICATIONS_SCOPE, SpApiClient
from .queue import SqsQueue

DESTINATION_NAME = "stockroom-order-change"


class OrderNotifications:
    """Mixed into ``AmazonConnector``: uses its ``config``, ``options``, ``client`` and ``_http``/``_clock``."""

    _grantless: SpApiClient | None = None
    _queue: SqsQueue | None = None

    def close_order_pushes(self) -> None:
        if self._grantless is not None:
            self._grantless.close()
            self._grantless = None
        if self._queue is not None:
            self._queue.close()
            self._queue = None

    # ------------------------------------------------------------------ plumbing
    @property
    def grantless(self) -> SpApiClient:
        """A client for the grantless operations (LWA client_credentials, scope notifications)."""
        if self._grantless is None:
            seller = self.client  # checks the credentials and region, and builds the seller's client
            self._grantless = SpApiClient(
                endpoint=seller.endpoint,
                token_url=seller.token_url,
                credentials=seller.credentials,
                seller_key=f"{seller.endpoint}|app:{seller.credentials.client_id}",
                token_cache=self.config.token_cache,
                http=self._http,
                clock=self._clock,
                grantless_scope=NOTIFICATIONS_SCOPE,
            )
        return self._grantless

    @property
    def queue(self) -> SqsQueue:
        if self._queue is None:
            url = self.order_push_address()
            if not url:
                raise Permanent("order notifications are off: no notification_queue_url on the account")
            creds = self.config.credentials or {}
            self._queue = SqsQueue(
                url,
                access_key_id=str(creds.get("aws_access_key_id") or ""),
                secret_access_key=str(creds.get("aws_secret_access_key") or ""),
            )
        return self._queue

    # ------------------------------------------------------------------ OrderPushes
    def order_push_address(self) -> str | None:
        if not self.options.get("order_notifications"):
            return None
        return str(self.options.get("notification_queue_url") or "").strip() or None

    def subscribe_order_pushes(self) -> dict[str, str]:
        arn = self.queue.arn()
        destination = next(
            (
                d
                for d in ops.get_destinations(self.grantless)
                if ((d.get("resource") or {}).get("sqs") or {}).get("arn") == arn
            ),
            None,
        ) or ops.create_destination(self.grantless, name=DESTINATION_NAME, arn=arn)
        destination_id = str(destination.get("destinationId") or "")
        if not destination_id:
            raise Permanent(f"Amazon created no destination for the queue {arn}")
        subscription = ops.get_subscription(self.client)
        if subscription is not None and subscription.get("destinationId") != destination_id:
            ops.delete_subscription_by_id(self.grantless, str(subscription["subscriptionId"]))
            subscription = None
        if subscription is None:
            subscription = ops.create_subscription(self.client, destination_id=destination_id)
        return {
            "destination_id": destination_id,
            "subscription_id": str(subscription.get("subscriptionId") or ""),
            "queue_arn": arn,
        }

    def unsubscribe_order_pushes(self, refs: Mapping[str, str]) -> None:
        subscription_id = refs.get("subscription_id")
        if subscription_id:
            try:
                ops.delete_subscription_by_id(self.grantless, subscription_id)
            except AuthFailed:
                raise
            except Permanent as error:
                if error.status != 404:  # already gone
                    raise
        destination_id = refs.get("destination_id")
        if destination_id:
            try:
                ops.delete_destination(self.grantless, destination_id)
            except AuthFailed:
                raise
            except Permanent as error:
                if error.status not in (404, 409):  # gone, or another seller's subscription uses it
                    raise

    def receive_order_pushes(self, *, wait_seconds: int) -> list[PushedOrder]:
        return [mapping.order_push_from_sqs(m) for m in self.queue.receive(wait_seconds=wait_seconds)]

    def acknowledge_order_push(self, push: PushedOrder) -> None:
        self.queue.delete(push.receipt)

    def fetch_order(self, external_order_id: str) -> ChannelOrder:
        raw = ops.get_order(self.client, external_order_id)
        orders, failed = mapping.orders_from_api([raw])
        if failed:
            raise Permanent(
                f"the order {external_order_id} could not be read: {failed[0][1]}", body=failed[0][2]
            )
        return orders[0]
