"""Step ``orders``: download orders page by page into the order book."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from stockroom.channels.contracts import ChannelOrder, ChannelOrderStatus
from stockroom.channels.models import ChannelAccount
from stockroom.core.bulk import commits_without_waiting_for_disk
from stockroom.core.errors import StockroomError
from stockroom.inventory.locks import default_location
from stockroom.orders.selectors import orders_in_book
from stockroom.orders.services import (
    import_channel_order,
    import_new_channel_orders,
    refresh_order_book_statistics,
)
from stockroom.sync.accounts import orders_since
from stockroom.sync.deferral import stock_pushes_deferred
from stockroom.sync.engine.codec import order_to_raw
from stockroom.sync.engine.runs import SKIPPED_SHOWN, _Pass
from stockroom.sync.engine.send_shipments import _in_doubt_shipments, _settle_in_doubt_shipments
from stockroom.sync.models import (
    IssueKind,
    IssueStatus,
    RetryAction,
    SyncCursor,
    SyncIssue,
)
from stockroom.sync.readahead import read_ahead

logger = logging.getLogger(__name__)

ORDERS_STREAM = "orders"
CUT_OFF_RESOLUTION = "bought before the account's cut-off: not imported"
# a run that has stored this many new orders refreshes the database's statistics of the order book,
# then again each time its new orders double: a first import of months of orders starts from an empty
# table, and the planner would otherwise keep treating the growing book as empty (core.bulk)
STATISTICS_AFTER_NEW_ORDERS = 2_000


def within_cut_off(current: _Pass, orders: Sequence[ChannelOrder]) -> Sequence[ChannelOrder]:
    """The orders of a page that may be stored: no order bought before the account's cut-off enters
    the book, whatever its later updates (payment, shipping, cancellation), from any order source.

    Orders already in the book (imported before the cut-off was set) keep being updated. Each order
    left out is counted once per run, named in the run's summary and logged; an open issue of it is
    resolved (it is not wanted).
    """
    cut_off = current.cut_off
    if cut_off is None:
        return orders
    early = [data.external_order_id for data in orders if _aware(data.purchased_at) < cut_off]
    if not early:
        return orders
    left_out = set(early) - orders_in_book(account=current.account, external_ids=early)
    if not left_out:
        return orders
    new = [ref for ref in dict.fromkeys(early) if ref in left_out and ref not in current.skipped]
    if new:
        current.skipped.update(dict.fromkeys(new))
        current.count(orders_skipped=len(new))
        logger.info(
            "account %s: %d order(s) bought before the cut-off %s not imported: %s",
            current.account.pk,
            len(new),
            cut_off.isoformat(),
            ", ".join(new[:SKIPPED_SHOWN]),
        )
        current.resolve_order_issues(new, resolution=CUT_OFF_RESOLUTION)
    return [data for data in orders if data.external_order_id not in left_out]


def left_out_by_cut_off(account: ChannelAccount, data: ChannelOrder) -> datetime | None:
    """The account's cut-off if ``data`` was bought before it and is not in the book (so it may not
    enter it: a retried import obeys the same rule as a download); else None."""
    cut_off = orders_since(account)
    if cut_off is None or _aware(data.purchased_at) >= cut_off:
        return None
    return None if orders_in_book(account=account, external_ids=[data.external_order_id]) else cut_off


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if timezone.is_naive(moment) else moment


def _download_orders(current: _Pass, **_) -> None:
    account = current.account
    current.cut_off = orders_since(account)
    current.location = default_location()  # where new orders are allocated: once per run, not per page
    stored = SyncCursor.objects.filter(account=account, stream=ORDERS_STREAM).first()
    in_doubt = _in_doubt_shipments(account)
    current.open_order_issues = set(
        SyncIssue.objects.filter(account=account, kind=IssueKind.ORDER, status=IssueStatus.OPEN).values_list(
            "external_ref", flat=True
        )
    )
    current.open_report_issues = set(
        SyncIssue.objects.filter(account=account, kind=IssueKind.REPORT, status=IssueStatus.OPEN).values_list(
            "external_ref", flat=True
        )
    )
    current.progress("Downloading orders")
    finished = False
    refresh_at = STATISTICS_AFTER_NEW_ORDERS
    # the cut-off goes with the cursor: a connector may narrow its requests with it (the engine filters)
    pages = current.connector.fetch_orders(cursor=stored.value if stored else None, since=current.cut_off)
    # the next page is fetched while this one is stored
    # the pages' commits do not wait for the disk: a crash may lose the last pages with their
    # positions, never a page without its position; the run's final (ordinary) commit flushes them all
    with stock_pushes_deferred(), commits_without_waiting_for_disk(), closing(read_ahead(pages)) as pages:
        for page in pages:
            # the page's orders, its issues, the run's counts and the position after it: one commit, so
            # a run stopped anywhere (rate-limited, crashed) resumes from its last stored page
            with transaction.atomic():
                _store_page(current, page, in_doubt)
                if page.next_cursor is not None:
                    stored = _save_position(account, stored, page.next_cursor)
            current.progress(done=current.run.orders_in)
            if current.run.orders_new >= refresh_at:  # at 2,000 new orders, then at each doubling
                refresh_order_book_statistics()
                refresh_at = 2 * current.run.orders_new
            if page.done:
                finished = True
                break
    current.orders_downloaded = finished


def _store_page(current: _Pass, page, in_doubt: dict) -> None:
    orders = within_cut_off(current, page.orders)
    created = import_new_orders(current, orders)
    for data in orders:
        if data.external_order_id not in created:
            import_order(current, data)
        if data.external_order_id in in_doubt and data.status in (
            ChannelOrderStatus.SHIPPED,
            ChannelOrderStatus.PARTIALLY_SHIPPED,
        ):
            _settle_in_doubt_shipments(data, in_doubt.pop(data.external_order_id))
    for record in page.failed:
        current.count(orders_in=1, order_errors=1)
        current.issue(
            kind=IssueKind.ORDER,
            external_ref=record.external_id,
            message=f"the order could not be read: {record.message}",
            raw_data=record.raw,
            retry_action=RetryAction.RESYNC_ACCOUNT,
        )
    _record_documents(current, page)


def _save_position(account: ChannelAccount, stored: SyncCursor | None, value: str) -> SyncCursor:
    """The orders cursor set to ``value``: one UPDATE of the row read at the start of the run (no
    read, no transaction of its own), created when the account has none yet."""
    if stored is not None and SyncCursor.objects.filter(pk=stored.pk).update(
        value=value, updated_at=timezone.now()
    ):
        return stored
    cursor, _ = SyncCursor.objects.update_or_create(
        account=account, stream=ORDERS_STREAM, defaults={"value": value}
    )
    return cursor


def _record_documents(current: _Pass, page) -> None:
    """Documents the connector could not read become issues (kind report; the connector reads them
    again on the next runs); documents now read completely resolve theirs."""
    for record in page.unreadable:
        current.issue(
            kind=IssueKind.REPORT,
            external_ref=record.external_id,
            message=record.message,
            raw_data=record.raw,
            retry_action=RetryAction.RESYNC_ACCOUNT,
        )
    current.resolve_report_issues(page.documents_read)


def import_new_orders(current: _Pass, orders: Sequence[ChannelOrder]) -> set[str]:
    """Create the page's orders new to the book in one savepoint (``import_new_channel_orders``).

    Returns the external ids it created; the caller imports every other order one by one
    (``import_order``), so a bad order still becomes a sync issue alone. If the page import fails as
    a whole (another worker stored one of its orders meanwhile, or anything else), nothing of it is
    kept and every order goes one by one.
    """
    if not orders:
        return set()
    try:
        # the orders, their issues resolved and the run's counts, or nothing: this savepoint is the
        # page import's only one (it opens none of its own)
        with transaction.atomic():
            created = import_new_channel_orders(
                account=current.account, orders=orders, location=current.location, savepoint=False
            )
            if created:
                current.resolve_order_issues(created)
                current.count(orders_in=len(created), orders_new=len(created))
    except IntegrityError:  # another worker stored one of them first: one by one updates it
        logger.info(
            "page import of account %s met an order stored meanwhile; importing order by order",
            current.account.pk,
        )
        return set()
    except Exception:  # noqa: BLE001 - nothing was stored; one by one finds and isolates the bad order
        logger.exception("page import of account %s failed; importing order by order", current.account.pk)
        return set()
    return set(created)


def import_order(current: _Pass, data: ChannelOrder) -> None:
    """Store one order in its own transaction; a failure becomes a sync issue and the run goes on."""
    try:
        with transaction.atomic():
            result = import_channel_order(account=current.account, data=data)
    except StockroomError as error:
        current.count(orders_in=1, order_errors=1)
        current.issue(
            kind=IssueKind.ORDER,
            external_ref=data.external_order_id,
            message=error.message,
            raw_data=order_to_raw(data),
            retry_action=RetryAction.REIMPORT_ORDER,
        )
        return
    except Exception as error:  # noqa: BLE001 - kept with its raw data, retryable
        logger.exception(
            "order %s of account %s failed to import", data.external_order_id, current.account.pk
        )
        current.count(orders_in=1, order_errors=1)
        current.issue(
            kind=IssueKind.ORDER,
            external_ref=data.external_order_id,
            message=f"internal error while importing: {error}",
            raw_data=order_to_raw(data),
            retry_action=RetryAction.REIMPORT_ORDER,
        )
        return
    current.count(
        orders_in=1, orders_new=int(result.created), orders_updated=int(result.changed and not result.created)
    )
    current.resolve_order_issues([data.external_order_id])
