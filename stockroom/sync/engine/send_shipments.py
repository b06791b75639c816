"""Step ``shipments``: send pending shipping confirmations, journaled before sending."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from stockroom.channels.contracts import (
    AuthFailed,
    ChannelError,
    ChannelOrder,
    ChannelOrderStatus,
    RateLimited,
    ShipmentConfirmation,
    ShipmentLine,
    WriteOutcome,
)
from stockroom.channels.contracts import WriteStatus as OutcomeStatus
from stockroom.channels.models import ChannelAccount
from stockroom.orders.models import ChannelShipment, ShipmentStatus
from stockroom.orders.models import ShipmentLine as ShipmentLineRow
from stockroom.orders.services import record_event
from stockroom.sync.engine.issues import resolve_issues
from stockroom.sync.engine.runs import _Pass
from stockroom.sync.models import (
    ChannelWrite,
    IssueKind,
    RetryAction,
    WriteKind,
    WriteStatus,
)

SHIPMENT_BATCH = 50


def _in_doubt_grace() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "STOCKROOM_SYNC_IN_DOUBT_GRACE_SECONDS", 180)))


def _shipment_key(shipment: ChannelShipment) -> str:
    return f"shipment:{shipment.pk}"


def _in_doubt_shipments(account: ChannelAccount) -> dict[str, list[ChannelWrite]]:
    """Journal rows of confirmations whose request left but whose outcome was never recorded, by
    external order id (an order may have several packages in doubt), in package order."""
    rows = ChannelWrite.objects.filter(
        account=account,
        kind=WriteKind.SHIPMENT,
        status=WriteStatus.QUEUED,
        attempts__gt=0,
        shipment__status=ShipmentStatus.PENDING,
    ).order_by("shipment__number", "pk")
    by_order: dict[str, list[ChannelWrite]] = defaultdict(list)
    for row in rows:
        by_order[row.key].append(row)
    return dict(by_order)


def _settle_in_doubt_shipments(data: ChannelOrder, writes: list[ChannelWrite]) -> None:
    """The channel shows the order (partly) shipped. A package in doubt whose units the channel counts
    as shipped, beyond the packages already confirmed, reached it: marked sent, nothing is sent again.
    Shipped in full settles every package; a package the channel's counts do not cover stays in doubt
    (sent again after the grace period with the same package reference, which the channel refuses as
    a duplicate if it did arrive)."""
    shipped_on_channel = {line.external_line_id: line.quantity_shipped for line in data.lines}
    whole = data.status == ChannelOrderStatus.SHIPPED
    rows = ShipmentLineRow.objects.filter(
        shipment__order__account_id=writes[0].account_id,
        shipment__order__external_order_id=data.external_order_id,
    )
    accounted: dict[str, int] = defaultdict(int)
    for ref, quantity in rows.filter(
        shipment__status__in=(ShipmentStatus.SENT, ShipmentStatus.NOT_NEEDED)
    ).values_list("order_line__external_line_id", "quantity"):
        accounted[ref] += quantity
    for write in writes:
        package = list(
            rows.filter(shipment_id=write.shipment_id).values_list("order_line__external_line_id", "quantity")
        )
        covered = all(
            shipped_on_channel.get(ref, 0) >= accounted[ref] + quantity for ref, quantity in package
        )
        if whole or (package and covered):
            _settle_in_doubt_shipment(write)
            for ref, quantity in package:
                accounted[ref] += quantity


def _settle_in_doubt_shipment(write: ChannelWrite) -> None:
    """The channel shows the package's units shipped: the earlier request reached it. Mark sent, send
    nothing."""
    with transaction.atomic():
        shipment = ChannelShipment.objects.select_for_update().get(pk=write.shipment_id)
        if shipment.status != ShipmentStatus.PENDING:
            return
        now = timezone.now()
        ChannelWrite.objects.filter(pk=write.pk).update(
            status=WriteStatus.CONFIRMED,
            response="the channel shows the order shipped: the earlier request reached it",
            updated_at=now,
        )
        shipment.status = ShipmentStatus.SENT
        shipment.sent_at = now
        shipment.last_error = ""
        shipment.save(update_fields=["status", "sent_at", "last_error", "updated_at"])
        record_event(
            shipment.order, "shipment", "Shipping confirmation confirmed by the channel's order status"
        )


def _send_shipments(current: _Pass, **_) -> None:
    account = current.account
    shipments = list(
        ChannelShipment.objects.filter(account=account, status=ShipmentStatus.PENDING)
        .select_related("order")
        .prefetch_related("lines__order_line")
        .order_by("pk")
    )
    if not shipments:
        return
    if account.options.get("hold_shipping_data"):
        # new dispatches stay held; a confirmation the seller released is sent (once: then it is sent)
        for shipment in shipments:
            if shipment.released_at is None:
                _hold_shipment(shipment)
        shipments = [shipment for shipment in shipments if shipment.released_at is not None]
        if not shipments:
            return
    current.progress("Sending shipping confirmations", total=len(shipments))
    mappings = {m.shipping_method.strip().lower(): m for m in account.shipping_mappings.all()}
    journal = {w.shipment_id: w for w in ChannelWrite.objects.filter(shipment__in=shipments)}
    ready: list[tuple[ChannelShipment, ShipmentConfirmation]] = []
    for shipment in shipments:
        write = journal.get(shipment.pk)
        if write is not None and write.status == WriteStatus.QUEUED and write.attempts > 0:
            # in doubt: sent once, outcome unknown. Re-send only after an order download that would
            # have shown the order shipped, and not before the grace period is over.
            cutoff = current.run.started_at - _in_doubt_grace()
            if not current.orders_downloaded or (write.last_attempt_at and write.last_attempt_at > cutoff):
                continue
        mapping = mappings.get(shipment.shipping_method.strip().lower())
        if mapping is None and not shipment.carrier_code:
            _fail_shipment(
                current,
                shipment,
                f"shipping method {shipment.shipping_method!r} has no mapping for account {account.name}: "
                "add a shipping mapping (carrier code and ship method), then retry",
            )
            continue
        ready.append((shipment, _confirmation(shipment, mapping)))
    done = 0
    for batch in _shipment_batches(ready):
        _send_shipment_batch(current, batch)
        done += len(batch)
        current.progress(done=done)


def _shipment_batches(ready: list[tuple[ChannelShipment, ShipmentConfirmation]]):
    """Batches of at most ``SHIPMENT_BATCH``, each holding at most one package of an order: a
    connector answers per external order id, so two packages of one order go in different batches
    (in package order)."""
    waiting = list(ready)
    while waiting:
        batch, orders, later = [], set(), []
        for item in waiting:
            order_id = item[0].order_id
            if len(batch) < SHIPMENT_BATCH and order_id not in orders:
                batch.append(item)
                orders.add(order_id)
            else:
                later.append(item)
        yield batch
        waiting = later


def _confirmation(shipment: ChannelShipment, mapping) -> ShipmentConfirmation:
    """The confirmation to send: the carrier set on the shipment (a correction), else the mapping's."""
    order = shipment.order
    if shipment.carrier_code:
        carrier_code, carrier_name = shipment.carrier_code, shipment.carrier_name
    else:
        carrier_code, carrier_name = mapping.carrier_code, mapping.carrier_name
    return ShipmentConfirmation(
        external_order_id=order.external_order_id,
        marketplace=order.marketplace,
        package_reference=shipment.package_reference or str(order.pk),
        carrier_code=carrier_code,
        carrier_name=carrier_name,
        ship_method=mapping.ship_method if mapping else "",
        tracking_number=shipment.tracking_number,
        shipped_at=shipment.shipped_at,
        lines=tuple(
            ShipmentLine(row.order_line.external_line_id, row.quantity) for row in shipment.lines.all()
        ),
    )


def _hold_shipment(shipment: ChannelShipment) -> None:
    with transaction.atomic():
        updated = ChannelShipment.objects.filter(pk=shipment.pk, status=ShipmentStatus.PENDING).update(
            status=ShipmentStatus.HELD, updated_at=timezone.now()
        )
        if updated:
            record_event(
                shipment.order,
                "shipment",
                "Shipping confirmation held: this account does not submit shipping data",
            )


def _fail_shipment(
    current: _Pass, shipment: ChannelShipment, message: str, write: ChannelWrite | None = None
):
    now = timezone.now()
    with transaction.atomic():
        if write is not None:
            ChannelWrite.objects.filter(pk=write.pk).update(
                status=WriteStatus.ERROR, response=message, updated_at=now
            )
        ChannelShipment.objects.filter(pk=shipment.pk).update(
            status=ShipmentStatus.ERROR, last_error=message[:5000], last_attempt_at=now, updated_at=now
        )
        record_event(shipment.order, "shipment_error", f"Shipping confirmation not accepted: {message}")
    current.count(confirmations_failed=1)
    current.issue(
        kind=IssueKind.SHIPMENT,
        external_ref=shipment.order.external_order_id,
        message=message,
        raw_data=json.dumps(write.payload if write else {"shipment": shipment.pk}, indent=1, default=str),
        retry_action=RetryAction.RESEND_SHIPMENT,
    )


def _journal_shipments(current: _Pass, batch) -> dict[int, ChannelWrite]:
    """Record the writes (attempt n) before anything is sent."""
    now = timezone.now()
    writes = {}
    with transaction.atomic():
        for shipment, confirmation in batch:
            payload = json.loads(json.dumps(dataclasses.asdict(confirmation), default=str))
            write, _ = ChannelWrite.objects.get_or_create(
                idempotency_key=_shipment_key(shipment),
                defaults={
                    "account": current.account,
                    "kind": WriteKind.SHIPMENT,
                    "key": confirmation.external_order_id,
                    "shipment": shipment,
                },
            )
            write.run = current.run
            write.payload = payload
            write.status = WriteStatus.QUEUED
            write.attempts += 1
            write.last_attempt_at = now
            write.save()
            ChannelShipment.objects.filter(pk=shipment.pk).update(
                attempts=F("attempts") + 1, last_attempt_at=now, updated_at=now
            )
            writes[shipment.pk] = write
    return writes


def _send_shipment_batch(current: _Pass, batch: list[tuple[ChannelShipment, ShipmentConfirmation]]) -> None:
    writes = _journal_shipments(current, batch)
    try:
        outcomes = current.connector.confirm_shipments([confirmation for _, confirmation in batch])
    except RateLimited as error:
        # refused before processing: nothing reached the channel, so not in doubt
        _release_shipment_writes(writes.values(), f"rate limited, not sent: {error.message}")
        raise
    except AuthFailed as error:
        _release_shipment_writes(writes.values(), f"not sent: {error.message}")
        raise
    except ChannelError as error:
        # a 5xx or a timeout may or may not have reached the channel: the rows stay in doubt
        ChannelWrite.objects.filter(pk__in=[w.pk for w in writes.values()]).update(
            response=error.message[:5000]
        )
        ChannelShipment.objects.filter(pk__in=list(writes)).update(last_error=error.message[:5000])
        raise
    by_key = {outcome.key: outcome for outcome in outcomes}
    for shipment, confirmation in batch:
        outcome = by_key.get(confirmation.external_order_id)
        if outcome is None:
            continue  # no answer for this one: stays in doubt, settled by the next run
        record_shipment_outcome(current, shipment, writes[shipment.pk], outcome)


def _release_shipment_writes(writes: Iterable[ChannelWrite], message: str) -> None:
    ids = [w.pk for w in writes]
    ChannelWrite.objects.filter(pk__in=ids).update(status=WriteStatus.ERROR, response=message[:5000])
    ChannelShipment.objects.filter(writes__pk__in=ids).update(last_error=message[:5000])


def record_shipment_outcome(
    current: _Pass, shipment: ChannelShipment, write: ChannelWrite, outcome: WriteOutcome
) -> None:
    now = timezone.now()
    if outcome.status in (OutcomeStatus.CONFIRMED, OutcomeStatus.PENDING):
        with transaction.atomic():  # journal confirmed and shipment sent: together or not at all
            ChannelWrite.objects.filter(pk=write.pk).update(
                status=WriteStatus.CONFIRMED
                if outcome.status == OutcomeStatus.CONFIRMED
                else WriteStatus.SENT,
                response=outcome.message[:5000],
                submission_ref=outcome.submission_ref[:200],
                updated_at=now,
            )
            ChannelShipment.objects.filter(pk=shipment.pk).update(
                status=ShipmentStatus.SENT, sent_at=now, last_error="", updated_at=now
            )
            record_event(shipment.order, "shipment", f"Shipping confirmation sent to {current.account.name}")
        current.count(confirmations_sent=1)
        if not ChannelShipment.objects.filter(
            order_id=shipment.order_id, status=ShipmentStatus.ERROR
        ).exists():
            # the order's issue is resolved once none of its packages is refused
            resolve_issues(
                account=current.account,
                kind=IssueKind.SHIPMENT,
                external_ref=shipment.order.external_order_id,
                resolution="sent",
            )
    elif outcome.retryable:
        with transaction.atomic():
            ChannelWrite.objects.filter(pk=write.pk).update(
                status=WriteStatus.ERROR, response=outcome.message[:5000], updated_at=now
            )
            ChannelShipment.objects.filter(pk=shipment.pk).update(
                last_error=outcome.message[:5000], updated_at=now
            )
        current.error(
            "shipments",
            f"{shipment.order.external_order_id}: {outcome.message or 'no answer'}; the confirmation is "
            "sent again in the next run",
        )
    else:
        _fail_shipment(current, shipment, outcome.message or "refused by the channel", write)
