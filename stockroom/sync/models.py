"""What the sync engine remembers: runs, issues, cursors, the journal of channel writes, leases.

Nothing here talks to a channel; ``stockroom.sync.engine`` does, through the connector registry.
"""

from datetime import timedelta

from django.db import models
from django.db.models import Q

from stockroom.channels.models import ChannelAccount, Listing


class SyncTrigger(models.TextChoices):
    MANUAL = "manual", "Synchronise button"
    SCHEDULE = "schedule", "Schedule"
    CLI = "cli", "Command line"
    STOCK_CHANGE = "stock-change", "Stock change"
    DISPATCH = "dispatch", "Order dispatched"
    RETRY = "retry", "Retry of a sync issue"
    WEBHOOK = "webhook", "Channel webhook"


class SyncRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    OK = "ok", "OK"
    PARTIAL = "partial", "Partly failed"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


LISTINGS_STEP = "listings"  # the step of a sync run that imports an account's listings
# what each step does, as the run history says it
STEP_WORDS = {
    "orders": "download orders",
    "shipments": "send shipping confirmations",
    "stock": "send stock levels",
    "results": "collect the channel's answers",
    LISTINGS_STEP: "import listings",
}
# a listings import still "running" after this long lost its worker (a restart): it may be started again
LISTINGS_IMPORT_ABANDONED_AFTER = timedelta(minutes=30)


class SyncRun(models.Model):
    """One pass over one account, with what came in, what went out and every error."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="sync_runs")
    trigger = models.CharField(max_length=20, choices=SyncTrigger.choices)
    steps = models.CharField(max_length=100, default="")  # comma separated step names
    status = models.CharField(max_length=20, choices=SyncRunStatus.choices, default=SyncRunStatus.RUNNING)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    orders_in = models.PositiveIntegerField(default=0)
    orders_new = models.PositiveIntegerField(default=0)
    orders_updated = models.PositiveIntegerField(default=0)
    order_errors = models.PositiveIntegerField(default=0)
    # orders the channel gave that were bought before the account's cut-off ("Do not download orders
    # prior to"): not imported
    orders_skipped = models.PositiveIntegerField(default=0)
    confirmations_sent = models.PositiveIntegerField(default=0)
    confirmations_failed = models.PositiveIntegerField(default=0)
    stock_updates_sent = models.PositiveIntegerField(default=0)
    stock_updates_confirmed = models.PositiveIntegerField(default=0)
    stock_update_errors = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    errors = models.JSONField(default=list, blank=True)  # ["step: message", ...]
    # progress, polled by the Synchronise screen
    phase = models.CharField(max_length=100, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["account", "-started_at"], name="sync_run_account_started")]

    def __str__(self) -> str:
        return f"{self.account.name} {self.started_at:%Y-%m-%d %H:%M:%S} {self.status}"

    @property
    def finished(self) -> bool:
        return self.status != SyncRunStatus.RUNNING

    @property
    def step_words(self) -> list[str]:
        """The run's steps in words, in order: ["download orders", "send shipping confirmations", ...]."""
        return [STEP_WORDS.get(step, step) for step in self.steps.split(",") if step]


class IssueKind(models.TextChoices):
    ORDER = "order", "Order"
    SHIPMENT = "shipment", "Shipping confirmation"
    LISTING = "listing", "Listing"
    REPORT = "report", "Report"


class IssueStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class RetryAction(models.TextChoices):
    REIMPORT_ORDER = "reimport_order", "Import the order again"
    RESEND_SHIPMENT = "resend_shipment", "Send the confirmation again"
    REPUSH_LISTING = "repush_listing", "Send the quantity again"
    RESYNC_ACCOUNT = "resync_account", "Synchronise the account again"


class SyncIssue(models.Model):
    """A record that failed, with its raw data; retryable from the screen and the CLI."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="sync_issues")
    run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="issues")
    kind = models.CharField(max_length=20, choices=IssueKind.choices)
    external_ref = models.CharField(max_length=200, blank=True)  # order id, channel SKU, feed id
    message = models.TextField()
    raw_data = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    attempts = models.PositiveIntegerField(default=1)
    retry_action = models.CharField(max_length=30, choices=RetryAction.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            # one open issue per failing record: a record failing again bumps attempts
            models.UniqueConstraint(
                fields=["account", "kind", "external_ref"],
                condition=Q(status="open"),
                name="sync_issue_one_open_per_record",
            ),
        ]
        indexes = [models.Index(fields=["status", "-updated_at"], name="sync_issue_status_updated")]


class SyncCursor(models.Model):
    """Where a stream (e.g. "orders") of an account got to; opaque to the engine."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="sync_cursors")
    stream = models.CharField(max_length=40)
    value = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "stream"], name="sync_cursor_unique")]


class WriteKind(models.TextChoices):
    SHIPMENT = "shipment", "Shipping confirmation"
    STOCK = "stock", "Stock update"


class WriteStatus(models.TextChoices):
    QUEUED = "queued", "Queued"  # journaled; the request may have left (see attempts) — outcome unknown
    SENT = "sent", "Sent"  # the channel accepted it; no per-record result expected
    PENDING = "pending", "Pending"  # accepted, result comes later (feed)
    CONFIRMED = "confirmed", "Confirmed"
    ERROR = "error", "Error"


class ChannelWrite(models.Model):
    """Journal: every write to a channel, recorded before it is sent and updated after."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="channel_writes")
    run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="writes")
    kind = models.CharField(max_length=20, choices=WriteKind.choices)
    key = models.CharField(max_length=200)  # external order id or channel SKU
    payload = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=20, choices=WriteStatus.choices, default=WriteStatus.QUEUED)
    response = models.TextField(blank=True)
    submission_ref = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # the local record the write is about
    shipment = models.ForeignKey(
        "orders.ChannelShipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="writes"
    )
    listing = models.ForeignKey(
        Listing, null=True, blank=True, on_delete=models.SET_NULL, related_name="writes"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "kind", "status"], name="sync_write_acct_kind_status")]


class PendingSubmission(models.Model):
    """A submission (feed) the channel accepted whose per-record results are still to be collected.

    ``entries`` keeps what was sent in order: [{"message_id": 1, "sku": ..., "quantity": ...}] (the
    connector numbers the messages of a feed by position, 1-based).
    """

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="pending_submissions")
    submission_ref = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=WriteKind.choices, default=WriteKind.STOCK)
    entries = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    checks = models.PositiveIntegerField(default=0)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "submission_ref"], name="sync_submission_unique")
        ]


class ListingPushMarker(models.Model):
    """This listing's item changed: look at its quantity on the next push (append-only, deleted by id).

    The shared ``inventory.PendingStockPush`` outbox is fanned out into one marker per linked
    listing (every account), so each account drains only its own markers.
    """

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="push_markers")
    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="push_markers")
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "id"], name="sync_marker_account")]


class AccountLease(models.Model):
    """Database lease: the worker named ``owner`` may sync the account until ``locked_until``.

    Used when no Redis is configured; taken with an atomic compare-and-set, so it works across
    processes on SQLite and PostgreSQL.
    """

    account = models.OneToOneField(
        ChannelAccount, primary_key=True, on_delete=models.CASCADE, related_name="sync_lease"
    )
    owner = models.CharField(max_length=100, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)


class WebhookReceipt(models.Model):
    """A webhook a channel delivered and its connector verified: one row per delivery id, so a channel's
    duplicate (the same delivery sent again) is dropped by the constraint, not by a look-up."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="webhook_receipts")
    delivery_id = models.CharField(max_length=100)  # the channel's id of the delivery (X-Shopify-Webhook-Id)
    topic = models.CharField(max_length=60, blank=True)
    external_order_id = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "delivery_id"], name="sync_webhook_receipt_unique")
        ]
        indexes = [models.Index(fields=["account", "received_at"])]


class OrderPushSubscription(models.Model):
    """What the channel was asked to push for an account (ADR 0016): where the pushes arrive and the
    channel's refs of the subscription, kept to remove it again when the account stops using it."""

    account = models.OneToOneField(
        ChannelAccount, primary_key=True, on_delete=models.CASCADE, related_name="order_push_subscription"
    )
    address = models.TextField()  # where the pushes arrive (an SQS queue URL)
    refs = models.JSONField(default=dict)  # the channel's ids (destination, subscription)
    subscribed_at = models.DateTimeField()


# a pushed message is remembered this long (SQS keeps a message at most 14 days)
PUSHED_MESSAGE_KEPT = timedelta(days=14)


class PushedOrderMessage(models.Model):
    """A pushed message whose order is stored (written in the same transaction): the same message
    delivered again is acknowledged and does nothing else."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="pushed_messages")
    message_id = models.CharField(max_length=200)
    external_order_id = models.CharField(max_length=100)
    stored_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "message_id"], name="sync_pushed_message_unique")
        ]
