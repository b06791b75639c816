"""Orders as they happen: channel webhooks, received for any channel whose connector reads them.

The receiver is channel-neutral: ``/hooks/<account id>/`` hands the raw body and headers to the account's
connector (``read_webhook``), which verifies the signature and says which order changed
(``channels.contracts.WebhookNotice``). A delivery is recorded once (``WebhookReceipt``: unique per account
and delivery id, so a duplicate is dropped by the constraint) and the account's orders are then imported at
once by a background task (an ``orders`` step with trigger ``webhook``: the order as the channel has it now,
so late or out-of-order deliveries do no harm). A refused webhook is answered 401 and logged without its
body. Polling stays on as the reconciler.

``register_webhooks`` subscribes the account's channel to ``STOCKROOM_PUBLIC_URL`` + ``/hooks/<id>/``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from stockroom.channels.contracts import ChannelError, WebhookRefused
from stockroom.channels.models import ChannelAccount
from stockroom.core.errors import StockroomError
from stockroom.sync.models import WebhookReceipt
from stockroom.sync.registry import connector_for

logger = logging.getLogger(__name__)


class WebhooksNotPossible(StockroomError):
    pass


@dataclass(frozen=True)
class WebhookAnswer:
    status: int  # the HTTP status the channel gets
    message: str


def webhook_url(account: ChannelAccount) -> str:
    public = str(getattr(settings, "STOCKROOM_PUBLIC_URL", "") or "").rstrip("/")
    if not public:
        raise WebhooksNotPossible(
            "set STOCKROOM_PUBLIC_URL to this server's public address (https://...) so the channel can reach it"
        )
    return f"{public}/hooks/{account.pk}/"


def register_webhooks(account: ChannelAccount) -> list[str]:
    """Subscribe the account's channel to this server's webhook address; the topics added now."""
    url = webhook_url(account)
    with connector_for(account) as connector:
        if not hasattr(connector, "register_webhooks"):
            raise WebhooksNotPossible(f"{account.name}'s channel sends no webhooks Stockroom reads")
        try:
            added = connector.register_webhooks(url)
        except ChannelError as error:
            raise WebhooksNotPossible(
                f"the channel refused the webhook subscription: {error.message}"
            ) from None
    logger.info("webhooks of account %s at %s: %s added", account.pk, url, ", ".join(added) or "none")
    return added


def receive_webhook(*, account_id: int, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
    """Verify, record once and schedule the import of what a channel's webhook says."""
    account = ChannelAccount.objects.filter(pk=account_id, enabled=True).first()
    if account is None:
        return WebhookAnswer(404, "no such account")
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    try:
        with connector_for(account) as connector:
            if not hasattr(connector, "read_webhook"):
                return WebhookAnswer(404, "this account's channel sends no webhooks")
            notice = connector.read_webhook(lowered, body)
    except WebhookRefused as error:  # never log the body: it holds buyers' data
        logger.warning("webhook for account %s refused: %s (%d bytes)", account.pk, error.message, len(body))
        return WebhookAnswer(401, error.message)
    except (LookupError, ValueError) as error:
        logger.warning("webhook for account %s cannot be read: %s", account.pk, error)
        return WebhookAnswer(404, "this account cannot read webhooks")
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(
                account=account,
                delivery_id=notice.delivery_id,
                topic=notice.topic,
                external_order_id=notice.external_order_id,
            )
    except IntegrityError:
        return WebhookAnswer(200, "duplicate: already received")
    from stockroom.sync.tasks import import_webhook_orders_task

    transaction.on_commit(lambda: import_webhook_orders_task(account.pk))
    return WebhookAnswer(200, "received")
