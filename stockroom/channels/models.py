from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from stockroom.catalog.models import StockItem
from stockroom.core.crypto import EncryptedJSONField
from stockroom.core.fields import IdentityKeyField
from stockroom.core.models import TimeStampedModel


class ChannelAccount(TimeStampedModel):
    """One seller account on one channel (an Amazon seller in a region, an eBay user, a web shop).

    Channel-specific settings live in ``options`` (plain) and ``credentials`` (encrypted); the
    connector for ``channel`` knows their keys. Accounts sync in the order they were added (pk).
    """

    channel = models.CharField(max_length=30)  # connector key: "amazon", "ebay", ...
    name = models.CharField(max_length=100)  # merchant name, fixed once created
    # unique: "My Shop" with a no-break space, or in capitals, is the same account name
    name_key = IdentityKeyField(max_length=400, source="name", unique=True)
    enabled = models.BooleanField(default=True)
    external_account_id = models.CharField(max_length=100)  # e.g. seller id / merchant token
    region = models.CharField(max_length=20, blank=True)
    marketplaces = models.JSONField(default=list, blank=True)
    options = models.JSONField(default=dict, blank=True)
    credentials = EncryptedJSONField(blank=True, default=dict)
    endpoint = models.URLField(blank=True)  # override, e.g. the local simulator or a sandbox
    token_url = models.URLField(blank=True)
    last_check_at = models.DateTimeField(null=True, blank=True)
    last_check_ok = models.BooleanField(null=True)
    last_check_message = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_account_id", "region"], name="channels_account_identity_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ListingStatus(models.TextChoices):
    NOT_SENT = "not_sent", "Not Sent"
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    ERROR = "error", "Error"


class Listing(TimeStampedModel):
    """A channel SKU on an account, linked (or not yet) to the stock item it sells."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="listings")
    channel_sku = models.CharField(max_length=200)
    stock_item = models.ForeignKey(
        StockItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="listings"
    )
    external_ref = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=500, blank=True)
    marketplace = models.CharField(max_length=40, blank=True)
    fulfilled_by_channel = models.BooleanField(default=False)  # stock held by the channel (FBA)
    ignore_sync = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=ListingStatus.choices, default=ListingStatus.NOT_SENT)
    last_sent_quantity = models.IntegerField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_confirmed_quantity = models.IntegerField(null=True, blank=True)
    last_confirmed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    pending_submission = models.CharField(max_length=100, blank=True)
    # the channel's own references, from the listing import; sent with every stock update (opaque)
    offer_ref = models.CharField(max_length=200, blank=True)  # the offer / listing id (eBay offerId)
    inventory_item_ref = models.CharField(max_length=200, blank=True)
    location_ref = models.CharField(max_length=200, blank=True)
    # quantity rules set on this listing, in place of the account's (None: the account's rule applies)
    max_quantity = models.PositiveIntegerField(null=True, blank=True)
    min_level = models.PositiveIntegerField(null=True, blank=True)
    percentage = models.PositiveSmallIntegerField(null=True, blank=True)
    fixed_quantity = models.PositiveIntegerField(null=True, blank=True)
    # units the reserve held back when the quantity was last sent (ADR 0015): while above 0, every
    # stock push looks at the listing again, so it shows the units as soon as the reserve lets them go
    reserve_held = models.PositiveIntegerField(default=0)
    # writes of this listing the channel still takes until writes_reset_at, as the channel's connector
    # last reported them (eBay: revisions left today); empty for a channel without such a limit
    writes_left = models.IntegerField(null=True, blank=True)
    writes_reset_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account_id", "channel_sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "channel_sku"], name="channels_listing_account_sku_unique"
            ),
            models.CheckConstraint(
                condition=Q(percentage__isnull=True) | Q(percentage__lte=100),
                name="channels_listing_percentage_at_most_100",
            ),
        ]
        indexes = [
            models.Index(fields=["stock_item", "account"], name="channels_listing_item_acct"),
            models.Index(fields=["account", "status"], name="channels_listing_acct_status"),
        ]

    def __str__(self) -> str:
        return f"{self.account.name}:{self.channel_sku}"

    @property
    def writes_left_now(self) -> int | None:
        """The writes the channel still takes (None: no limit reported, or its period has ended)."""
        if self.writes_left is None or self.writes_reset_at is None or self.writes_reset_at <= timezone.now():
            return None
        return self.writes_left


class ListingStatusLog(models.Model):
    """Every stock submission for a listing and its outcome, as the seller reads it: one row per
    quantity sent, written Pending before the send and given the channel's answer when it comes."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="log")
    created_at = models.DateTimeField(auto_now_add=True)  # when the quantity was sent
    answered_at = models.DateTimeField(null=True, blank=True)  # when the channel confirmed or refused it
    quantity = models.IntegerField(null=True, blank=True)
    submission_ref = models.CharField(max_length=100, blank=True)  # patch request id or feed id
    outcome = models.CharField(max_length=20, choices=ListingStatus.choices)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ShippingMethodMapping(models.Model):
    """How an internal shipping method is named to one channel account."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="shipping_mappings")
    shipping_method = models.CharField(max_length=100)
    carrier_code = models.CharField(max_length=100)
    carrier_name = models.CharField(max_length=100, blank=True)
    ship_method = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["account_id", "shipping_method"]
        constraints = [
            models.UniqueConstraint(fields=["account", "shipping_method"], name="channels_mapping_unique"),
            models.CheckConstraint(condition=~Q(carrier_code=""), name="channels_mapping_carrier_required"),
        ]


class ShippingServiceDefault(models.Model):
    """The internal shipping method an account's orders get by default when their buyer chose
    ``channel_service`` (the order's ``channel_shipping_service``, compared case-insensitively)."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="shipping_defaults")
    channel_service = models.CharField(max_length=100)
    shipping_method = models.CharField(max_length=100)

    class Meta:
        ordering = ["account_id", "channel_service"]
        constraints = [
            models.UniqueConstraint(
                "account", Lower("channel_service"), name="channels_service_default_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_service} -> {self.shipping_method}"
