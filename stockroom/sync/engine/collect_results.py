"""Step ``results``: collect the results of earlier stock submissions."""

from __future__ import annotations

import dataclasses

from django.db.models import F
from django.utils import timezone

from stockroom.channels.contracts import WriteOutcome
from stockroom.channels.contracts import WriteStatus as OutcomeStatus
from stockroom.channels.models import Listing, ListingStatus, ListingStatusLog
from stockroom.sync.engine.push_stock import BULK_CHUNK, _chunks, _record_stock_outcomes, _StockResult
from stockroom.sync.engine.runs import _Pass
from stockroom.sync.models import (
    ChannelWrite,
    ListingPushMarker,
    PendingSubmission,
    WriteKind,
)


def _collect_results(current: _Pass, **_) -> None:
    account = current.account
    submissions = list(PendingSubmission.objects.filter(account=account, kind=WriteKind.STOCK).order_by("pk"))
    if not submissions:
        return
    current.progress("Collecting stock results", total=len(submissions))
    refs = list(dict.fromkeys(entry["ref"] for s in submissions for entry in s.entries))
    outcomes = current.connector.collect_stock_results(refs)
    by_ref_and_sku = {(o.submission_ref, o.key): o for o in outcomes if o.submission_ref}
    by_sku = {o.key: o for o in outcomes if not o.submission_ref}
    now = timezone.now()
    for submission in submissions:
        open_entries, answered = [], []
        for entry in submission.entries:
            outcome = by_ref_and_sku.get((entry["ref"], entry["sku"])) or by_sku.get(entry["sku"])
            if outcome is None or outcome.status == OutcomeStatus.PENDING:
                open_entries.append(entry)
            else:
                answered.append((entry, dataclasses.replace(outcome, submission_ref=entry["ref"])))
        if answered:
            _record_collected_results(current, submission.submission_ref, answered)
        if open_entries:
            PendingSubmission.objects.filter(pk=submission.pk).update(
                entries=open_entries, checks=F("checks") + 1, last_checked_at=now
            )
        else:
            submission.delete()


def _record_collected_results(current: _Pass, key: str, answered: list[tuple[dict, WriteOutcome]]) -> None:
    """Results of one submission (``key``): every journal row gets its outcome; a listing only when it
    still waits for exactly this submission (a newer quantity may have been sent since). A listing
    whose quantity failed for a reason worth retrying is marked, so the next stock step sends it again."""
    account = current.account
    listings: dict[tuple[str, str], Listing] = {}
    writes: dict[tuple[str, str], ChannelWrite] = {}
    for chunk in _chunks(answered):
        skus = [entry["sku"] for entry, _ in chunk]
        # the batch's key; a submission recorded before batches had one keeps a ref per entry
        refs = {key, *(entry["ref"] for entry, _ in chunk)}
        listings.update(
            ((listing.channel_sku, listing.pending_submission), listing)
            for listing in Listing.objects.filter(
                account=account, channel_sku__in=skus, pending_submission__in={r[:100] for r in refs}
            )
        )
        writes.update(
            ((write.key, write.submission_ref), write)
            for write in ChannelWrite.objects.filter(
                account=account,
                kind=WriteKind.STOCK,
                key__in=skus,
                submission_ref__in={r[:200] for r in refs},
            )
        )

    def waiting(found: dict, entry: dict, size: int):
        return found.get((entry["sku"], key[:size])) or found.get((entry["sku"], entry["ref"][:size]))

    # the Pending log rows written when these quantities were sent, keyed like the listings
    pending_logs: dict[tuple[str, str], int] = {}
    for chunk in _chunks(answered):
        refs = {key[:100], *(entry["ref"][:100] for entry, _ in chunk)}
        pending_logs.update(
            ((sku, ref), pk)
            for pk, sku, ref in ListingStatusLog.objects.filter(
                listing__account=account,
                listing__channel_sku__in=[entry["sku"] for entry, _ in chunk],
                outcome=ListingStatus.PENDING,
                submission_ref__in=refs,
            ).values_list("pk", "listing__channel_sku", "submission_ref")
        )

    results = [
        _StockResult(
            waiting(listings, entry, 100),
            entry["quantity"],
            outcome=outcome,
            write=waiting(writes, entry, 200),
            pending_log_id=waiting(pending_logs, entry, 100),
        )
        for entry, outcome in answered
    ]
    _record_stock_outcomes(current, results)
    again = [
        r.listing
        for r in results
        if r.listing is not None and r.outcome.status == OutcomeStatus.ERROR and r.outcome.retryable
    ]
    now = timezone.now()
    ListingPushMarker.objects.bulk_create(
        [ListingPushMarker(listing=listing, account=account, changed_at=now) for listing in again],
        batch_size=BULK_CHUNK,
    )
