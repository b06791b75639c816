"""Orders pushed by the channel (ADR 0016): the channel-neutral path from a push message to the book.

A channel whose connector declares ``capabilities.order_pushes`` tells of a new or changed order at
once (Amazon: an ORDER_CHANGE notification in the seller's SQS queue). For every enabled account
that uses pushes (``connector.order_push_address()``):

* ``keep_subscriptions`` asks the channel to push (``subscribe_order_pushes``) and remembers its refs
  (``OrderPushSubscription``); an account that stops using pushes (option off, account disabled,
  another address) is unsubscribed with those refs.
* ``receive_pushed_orders`` reads each address once (long polling, with any of its accounts'
  connectors) and, for every message: a message already stored (``PushedOrderMessage``) is only
  acknowledged; otherwise the order is fetched (``fetch_order``) and imported like a downloaded one
  (``import_channel_order``, one transaction with the message's row); the message is acknowledged
  only after that commit. A message whose fetch or import fails is not acknowledged: the channel
  delivers it again (SQS: after the queue's visibility timeout) and it is tried again.

Polling (``sync_account``) goes on as the reconciler: whatever a lost message missed, the next run
downloads. A message that cannot be read at all is kept as a sync issue, then acknowledged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from stockroom.channels.contracts import ChannelError, PushedOrder
from stockroom.channels.models import ChannelAccount
from stockroom.orders.services import import_channel_order
from stockroom.sync.engine.codec import order_to_raw
from stockroom.sync.engine.download_orders import left_out_by_cut_off
from stockroom.sync.engine.issues import open_issue, resolve_issues
from stockroom.sync.models import (
    PUSHED_MESSAGE_KEPT,
    IssueKind,
    OrderPushSubscription,
    PushedOrderMessage,
    RetryAction,
)
from stockroom.sync.registry import channel_capabilities, connector_for

logger = logging.getLogger(__name__)

LONG_POLL_SECONDS = 20


@dataclass
class PushSummary:
    """What one pass over the push addresses did."""

    addresses: int = 0  # addresses read
    received: int = 0
    imported: list[str] = field(default_factory=list)  # external order ids stored
    duplicates: int = 0  # messages already stored: acknowledged, nothing else
    kept: list[str] = field(default_factory=list)  # failed: not acknowledged, delivered again later
    unreadable: int = 0
    not_ours: int = 0  # for an account not reading this address: acknowledged, logged
    errors: list[str] = field(default_factory=list)  # an address that could not be read


def push_accounts() -> list[tuple[ChannelAccount, str]]:
    """(account, address) of every enabled account whose channel pushes and that uses it."""
    found = []
    for account in ChannelAccount.objects.filter(enabled=True).order_by("pk"):
        if not channel_capabilities(account.channel).order_pushes:
            continue
        with connector_for(account) as connector:
            address = connector.order_push_address()
        if address:
            found.append((account, address))
    return found


def _unsubscribe(subscription: OrderPushSubscription) -> str:
    """Ask the channel to stop pushing the subscription's account's orders; returns the problem ("" when
    it stopped)."""
    try:
        with connector_for(subscription.account) as connector:
            connector.unsubscribe_order_pushes(subscription.refs)
    except ChannelError as error:
        return f"{subscription.account.name}: could not stop order pushes: {error.message}"
    return ""


def stop_order_pushes(account: ChannelAccount) -> str:
    """Ask the channel to stop pushing the account's orders (its subscription and destination), as the
    account is about to be deleted; returns the problem, or "" when stopped or never subscribed. The
    account's subscription row goes with the account: a failure is logged with the channel's refs so the
    person running the server can remove them by hand."""
    subscription = OrderPushSubscription.objects.filter(account=account).first()
    if subscription is None:
        return ""
    subscription.account = account
    problem = _unsubscribe(subscription)
    if problem:
        logger.warning("%s; the channel's subscription is left: %s", problem, subscription.refs)
    else:
        logger.info("account %s: order pushes stopped before it was deleted", account.pk)
    return problem


def keep_subscriptions() -> list[str]:
    """Subscribe the accounts that use pushes and are not subscribed (or moved address); unsubscribe
    those that no longer do. Returns the problems (one per account that failed; retried next time)."""
    wanted = {account.pk: (account, address) for account, address in push_accounts()}
    problems = []
    for subscription in OrderPushSubscription.objects.select_related("account").order_by("pk"):
        entry = wanted.get(subscription.account_id)
        if entry is not None and entry[1] == subscription.address:
            continue
        problem = _unsubscribe(subscription)
        if problem:
            problems.append(problem)
            continue
        subscription.delete()
        logger.info("account %s: order pushes stopped (%s)", subscription.account_id, subscription.address)
    subscribed = set(OrderPushSubscription.objects.values_list("account_id", flat=True))
    for account, address in wanted.values():
        if account.pk in subscribed:
            continue
        try:
            with connector_for(account) as connector:
                refs = connector.subscribe_order_pushes()
        except ChannelError as error:
            problems.append(f"{account.name}: could not start order pushes: {error.message}")
            continue
        OrderPushSubscription.objects.create(
            account=account, address=address, refs=refs, subscribed_at=timezone.now()
        )
        logger.info("account %s: order pushes started (%s)", account.pk, address)
    return problems


def receive_pushed_orders(*, wait_seconds: int = LONG_POLL_SECONDS) -> PushSummary:
    """One pass: read every address once (waiting up to ``wait_seconds`` for messages) and store the
    orders they name. Only subscribed accounts are read (``keep_subscriptions`` first)."""
    summary = PushSummary()
    by_address: dict[str, list[ChannelAccount]] = {}
    for subscription in OrderPushSubscription.objects.select_related("account").order_by("pk"):
        if subscription.account.enabled:
            by_address.setdefault(subscription.address, []).append(subscription.account)
    summary.addresses = len(by_address)
    for address, accounts in by_address.items():
        try:
            with connector_for(accounts[0]) as reader:
                pushes = reader.receive_order_pushes(wait_seconds=wait_seconds)
                summary.received += len(pushes)
                by_ref = {a.external_account_id.strip(): a for a in accounts}
                for push in pushes:
                    _take(reader, by_ref, push, summary)
        except ChannelError as error:
            logger.warning("order pushes at %s could not be read: %s", address, error.message)
            summary.errors.append(f"{address}: {error.message}")
    return summary


def _take(reader, by_ref: dict[str, ChannelAccount], push: PushedOrder, summary: PushSummary) -> None:
    account = by_ref.get(push.account_ref)
    if push.problem:
        summary.unreadable += 1
        if account is not None:
            open_issue(
                account=account,
                kind=IssueKind.ORDER,
                external_ref=f"push:{push.message_id}",
                message=f"an order notification could not be read: {push.problem}",
                raw_data=push.raw,
                retry_action=RetryAction.RESYNC_ACCOUNT,
            )
        logger.warning("unreadable order push %s (%s) acknowledged", push.message_id, push.problem)
        reader.acknowledge_order_push(push)
        return
    if account is None:
        summary.not_ours += 1
        logger.warning(
            "order push %s for %r: no account reads it at this address; acknowledged",
            push.message_id,
            push.account_ref,
        )
        reader.acknowledge_order_push(push)
        return
    if PushedOrderMessage.objects.filter(account=account, message_id=push.message_id).exists():
        summary.duplicates += 1
        reader.acknowledge_order_push(push)
        return
    if _store(account, push, summary):
        reader.acknowledge_order_push(push)  # only once the order is committed


def _store(account: ChannelAccount, push: PushedOrder, summary: PushSummary) -> bool:
    """Fetch and import the order with the message's row, in one transaction; False when it failed
    (the message is then delivered again)."""
    order_id = push.external_order_id
    try:
        with connector_for(account) as connector:
            data = connector.fetch_order(order_id)
    except ChannelError as error:
        logger.warning("account %s: pushed order %s not fetched: %s", account.pk, order_id, error.message)
        summary.kept.append(order_id)
        return False
    try:
        with transaction.atomic():
            if left_out_by_cut_off(account, data) is None:
                import_channel_order(account=account, data=data)
                resolve_issues(
                    account=account, kind=IssueKind.ORDER, external_ref=order_id, resolution="imported"
                )
                summary.imported.append(order_id)
            PushedOrderMessage.objects.create(
                account=account,
                message_id=push.message_id,
                external_order_id=order_id,
                stored_at=timezone.now(),
            )
    except IntegrityError:  # another worker stored the same message meanwhile
        summary.duplicates += 1
        return True
    except Exception as error:  # noqa: BLE001 - kept: the channel delivers the message again
        logger.exception("account %s: pushed order %s failed to import", account.pk, order_id)
        summary.kept.append(order_id)
        open_issue(
            account=account,
            kind=IssueKind.ORDER,
            external_ref=order_id,
            message=f"a pushed order failed to import (it is tried again): {error}",
            raw_data=order_to_raw(data),
            retry_action=RetryAction.REIMPORT_ORDER,
        )
        return False
    return True


def forget_old_messages() -> int:
    """Rows of messages older than any the channel may still deliver."""
    deleted, _ = PushedOrderMessage.objects.filter(
        stored_at__lt=timezone.now() - PUSHED_MESSAGE_KEPT
    ).delete()
    return deleted


def listen(*, seconds: float | None = None, wait_seconds: int = LONG_POLL_SECONDS) -> int:
    """Keep the subscriptions and read the addresses, pass after pass, for ``seconds`` (None: until
    stopped). Returns the orders imported."""
    ends = None if seconds is None else time.monotonic() + seconds
    imported = 0
    n = 0
    while ends is None or time.monotonic() < ends:
        # every pass (calls the channel only for a change): options changed, accounts added or disabled
        for problem in keep_subscriptions():
            logger.warning("%s", problem)
        if n % 1000 == 0:
            forget_old_messages()
        n += 1
        wait = wait_seconds if ends is None else max(1, min(wait_seconds, int(ends - time.monotonic())))
        summary = receive_pushed_orders(wait_seconds=wait)
        imported += len(summary.imported)
        if summary.received:
            logger.info(
                "order pushes: %d received, %d imported, %d duplicates, %d kept",
                summary.received,
                len(summary.imported),
                summary.duplicates,
                len(summary.kept),
            )
        if not summary.addresses:
            return imported  # no account uses pushes: nothing to wait on
        if summary.errors:
            time.sleep(wait)  # an address failing: no busy loop
    return imported
