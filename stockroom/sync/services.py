"""Write operations on sync issues: retry (re-run the record) and resolve."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from stockroom.channels.models import Listing
from stockroom.core.errors import Conflict, InvalidInput, NotFound, StockroomError
from stockroom.orders.models import ChannelShipment, ShipmentStatus
from stockroom.orders.services import import_channel_order, record_event
from stockroom.sync import engine
from stockroom.sync.models import (
    IssueStatus,
    ListingPushMarker,
    RetryAction,
    SyncIssue,
    SyncRun,
    SyncRunStatus,
    SyncTrigger,
)


def _issue_for_update(issue_id: int) -> SyncIssue:
    try:
        return SyncIssue.objects.select_related("account").get(pk=issue_id)
    except SyncIssue.DoesNotExist:
        raise NotFound(f"sync issue {issue_id} does not exist") from None


def resolve_issue(*, issue_id: int, user=None, note: str = "") -> SyncIssue:
    """Mark an issue dealt with by hand (nothing is sent)."""
    issue = _issue_for_update(issue_id)
    if issue.status == IssueStatus.RESOLVED:
        return issue
    who = getattr(user, "username", "") or "by hand"
    issue.status = IssueStatus.RESOLVED
    issue.resolved_at = timezone.now()
    issue.resolution = (f"resolved {who}" + (f": {note.strip()}" if note.strip() else ""))[:300]
    issue.save(update_fields=["status", "resolved_at", "resolution", "updated_at"])
    return issue


def _check_run(run: SyncRun | None, what: str) -> SyncRun:
    if run is None or run.status == SyncRunStatus.SKIPPED:
        reason = run.message if run is not None else "another worker is synchronising this account"
        raise Conflict(f"{what} was not retried: {reason}. Try again in a minute.")
    return run


def retry_issue(*, issue_id: int, user=None) -> str:
    """Re-run the failed record: re-import the order, re-send the shipment, re-push the listing.

    Returns what happened; raises a ``StockroomError`` saying why when the retry failed (the issue
    stays open with one more attempt).
    """
    issue = _issue_for_update(issue_id)
    if issue.status == IssueStatus.RESOLVED:
        raise Conflict(f"sync issue {issue.pk} is already resolved")
    account = issue.account
    if issue.retry_action == RetryAction.REIMPORT_ORDER:
        try:
            data = engine.order_from_raw(issue.raw_data)
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidInput(
                f"the stored order cannot be read again ({error}); synchronise the account"
            ) from error
        cut_off = engine.left_out_by_cut_off(account, data)
        if cut_off is not None:
            engine.resolve_issues(
                account=account,
                kind=issue.kind,
                external_ref=issue.external_ref,
                resolution=engine.CUT_OFF_RESOLUTION,
            )
            return (
                f"order {data.external_order_id} not imported: bought before {cut_off:%Y-%m-%d %H:%M:%S} UTC "
                '("Do not download orders prior to")'
            )
        try:
            with transaction.atomic():
                result = import_channel_order(account=account, data=data)
        except StockroomError as error:
            engine.open_issue(
                account=account,
                kind=issue.kind,
                external_ref=issue.external_ref,
                message=error.message,
                retry_action=issue.retry_action,
            )
            raise
        engine.resolve_issues(
            account=account,
            kind=issue.kind,
            external_ref=issue.external_ref,
            resolution="imported by a retry",
        )
        return f"order {data.external_order_id} {'imported' if result.created else 'updated'}"
    if issue.retry_action == RetryAction.RESEND_SHIPMENT:
        # every package of the order that is refused or waiting: the issue is the order's
        packages = list(
            ChannelShipment.objects.filter(account=account, order__external_order_id=issue.external_ref)
            .exclude(status__in=(ShipmentStatus.SENT, ShipmentStatus.NOT_NEEDED, ShipmentStatus.HELD))
            .select_related("order")
            .order_by("number")
        )
        if not packages:
            raise NotFound(f"order {issue.external_ref} has no shipping confirmation to send")
        for shipment in packages:
            if shipment.status == ShipmentStatus.ERROR:
                ChannelShipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.PENDING)
                what = f" of package {shipment.number}" if shipment.number > 1 else ""
                record_event(
                    shipment.order, "shipment", f"Shipping confirmation{what} queued again (retry)", user
                )
        _check_run(
            engine.sync_account(account, trigger=SyncTrigger.RETRY, steps=("shipments",)),
            "the shipping confirmation",
        )
        unsent = [s for s in packages if ChannelShipment.objects.get(pk=s.pk).status != ShipmentStatus.SENT]
        if not unsent:
            return f"shipping confirmation for {issue.external_ref} sent"
        errors = "; ".join(ChannelShipment.objects.get(pk=s.pk).last_error for s in unsent)
        raise Conflict(f"shipping confirmation for {issue.external_ref} not sent: {errors}")
    if issue.retry_action == RetryAction.REPUSH_LISTING:
        listing = Listing.objects.filter(account=account, channel_sku=issue.external_ref).first()
        if listing is None:
            raise NotFound(f"listing {issue.external_ref} no longer exists on {account.name}")
        Listing.objects.filter(pk=listing.pk, status="confirmed").update(status="not_sent")
        # the seller's Retry of a refused listing (a conflict: the channel changed by hand) is consent to
        # write over what the channel shows: the compare-and-swap baseline becomes what it shows now
        Listing.objects.filter(pk=listing.pk, status="error").update(last_confirmed_quantity=None)
        ListingPushMarker.objects.create(listing=listing, account=account, changed_at=timezone.now())
        _check_run(engine.sync_account(account, trigger=SyncTrigger.RETRY, steps=("stock",)), "the listing")
        listing.refresh_from_db()
        if listing.status == "error":
            raise Conflict(f"listing {listing.channel_sku}: {listing.last_error}")
        return f"listing {listing.channel_sku}: quantity sent ({listing.get_status_display()})"
    run = _check_run(engine.sync_account(account, trigger=SyncTrigger.RETRY), "the account")
    return f"{account.name}: {run.message}"
