"""The sync engine: the only caller of channel connectors.

``sync_account`` runs one pass over an account, in steps:

1. ``orders``: download orders page by page (``connector.fetch_orders``, read one page ahead in a
   thread while the page before is stored); the page's orders new to the book are created in one
   transaction (``orders.services.import_new_channel_orders``, which allocates), every other order (known, shipped or cancelled on arrival, invalid, repeated) in one
   atomic block of its own through ``orders.services.import_channel_order``; a failing order becomes
   a ``SyncIssue`` with its raw data and the run goes on. The stored cursor advances to a page's
   ``next_cursor`` once every order of that page is stored (a connector gives one where a stopped run
   can resume, e.g. Amazon's next-page token; otherwise on the final page only). An order bought before the account's cut-off ("Do not
   download orders prior to") is left out, unless already in the book, and counted in the run.
2. ``shipments``: send pending shipping confirmations (the ``orders.ChannelShipment`` outbox),
   journaled in ``ChannelWrite`` before sending; marked sent in the same transaction as the journal
   row is confirmed.
3. ``stock``: fan the shared ``inventory.PendingStockPush`` outbox out into per-listing markers
   (waiting orders were offered new stock when it arrived, by the order domain), then push the changed quantities of this account's
   listings (``connector.push_stock``), skipping unchanged ones.
4. ``results``: collect the results of earlier stock submissions (``connector.collect_stock_results``).

A ``RateLimited`` error ends the step it happened in (recorded; the next run carries on). A lease per
account (``stockroom.sync.locks``) keeps two workers off one account. See docs/adr/0006-sync-engine.md.

The engine is a package: ``runs`` (run bookkeeping, leases, summaries), ``issues``, ``codec`` (the
raw-order codec), one module per step (``download_orders``, ``send_shipments``, ``push_stock``,
``collect_results``) and ``orchestration`` (the entry points). The public names are importable from
here.
"""

from stockroom.sync.engine.codec import order_from_raw, order_to_raw
from stockroom.sync.engine.download_orders import (
    CUT_OFF_RESOLUTION,
    import_new_orders,
    import_order,
    left_out_by_cut_off,
    within_cut_off,
)
from stockroom.sync.engine.issues import open_issue, resolve_issues
from stockroom.sync.engine.orchestration import (
    STEPS,
    accounts_to_push,
    push_account_stock,
    push_changed_stock,
    sync_account,
    sync_all,
)
from stockroom.sync.engine.push_stock import accounts_with_stock_changes, fan_out_stock_changes
from stockroom.sync.engine.runs import LEASE_POLL_SECONDS, skipped_before_cut_off
from stockroom.sync.engine.send_shipments import record_shipment_outcome

__all__ = [
    "CUT_OFF_RESOLUTION",
    "LEASE_POLL_SECONDS",
    "STEPS",
    "accounts_to_push",
    "accounts_with_stock_changes",
    "fan_out_stock_changes",
    "import_new_orders",
    "import_order",
    "left_out_by_cut_off",
    "open_issue",
    "order_from_raw",
    "order_to_raw",
    "push_account_stock",
    "push_changed_stock",
    "record_shipment_outcome",
    "resolve_issues",
    "skipped_before_cut_off",
    "sync_account",
    "sync_all",
    "within_cut_off",
]
