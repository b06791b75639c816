"""Channel-neutral write operations on accounts, listings and shipping mappings.

Nothing here knows a channel's vocabulary: the sync layer (``stockroom.sync.accounts``) validates
channel-specific input (regions, marketplaces, credential names, options) and then calls these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from stockroom.catalog.models import StockItem
from stockroom.channels import selectors
from stockroom.channels.contracts import ChannelListing
from stockroom.channels.models import (
    ChannelAccount,
    Listing,
    ListingStatus,
    ShippingMethodMapping,
    ShippingServiceDefault,
)
from stockroom.channels.quantity_rules import RULE_FIELDS
from stockroom.channels.spec import InvalidOption, parse_quantity_rule
from stockroom.core.errors import Conflict, InvalidInput, NotFound
from stockroom.core.limits import identifier_value, max_length
from stockroom.core.text import clean_identifier, identity_key
from stockroom.inventory.outbox import mark_items_changed
from stockroom.orders.models import ShippingMethod
from stockroom.orders.services import relink_order_lines

NAME_MAX = max_length(ChannelAccount, "name")
CHANNEL_SKU_MAX = 200


def clean_text(value, *, field: str, max_length: int, required: bool = True) -> str:
    """A name or code typed for a channel (seller id, channel SKU, carrier): ``core.text``'s
    identifier rules (no control, invisible or special-space characters), within ``max_length``."""
    text = str(value if value is not None else "").strip()
    if required and not text:
        raise InvalidInput(f"{field} is required")
    if len(text) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters")
    try:
        return clean_identifier(text)
    except ValueError as error:
        raise InvalidInput(f"{field} {text[:40]!r} {error}") from None


# --- accounts ---------------------------------------------------------------------------------------


def _refuse_duplicates(*, channel: str, name: str, external_account_id: str, region: str, exclude=None):
    others = ChannelAccount.objects.all()
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if name is not None:
        same_name = others.filter(name_key=identity_key(name)).first()
        if same_name is not None:
            raise Conflict(
                f"an account named {same_name.name!r} already exists; merchant names are unique "
                "(ignoring case and special spaces): choose another name",
                account=same_name.name,
            )
    same = others.filter(
        channel=channel, external_account_id__iexact=external_account_id, region=region
    ).first()
    if same is not None:
        raise Conflict(
            f"seller id {external_account_id} in region {region.upper()} is already the account "
            f"{same.name!r}; edit that account instead of adding it twice",
            account=same.name,
        )


def create_account(
    *,
    channel: str,
    name: str,
    external_account_id: str,
    region: str = "",
    marketplaces: Iterable[str] = (),
    credentials: dict | None = None,
    options: dict | None = None,
    endpoint: str = "",
    token_url: str = "",
) -> ChannelAccount:
    """Add an account. Accounts are synchronised in the order they were added."""
    name = identifier_value(
        name, model=ChannelAccount, field="name", label="merchant name", key_field="name_key"
    )
    external_account_id = clean_text(external_account_id, field="seller id", max_length=100)
    _refuse_duplicates(channel=channel, name=name, external_account_id=external_account_id, region=region)
    try:
        with transaction.atomic():
            return ChannelAccount.objects.create(
                channel=channel,
                name=name,
                external_account_id=external_account_id,
                region=region,
                marketplaces=list(marketplaces),
                credentials=dict(credentials or {}),
                options=dict(options or {}),
                endpoint=endpoint,
                token_url=token_url,
            )
    except IntegrityError:
        # added by someone else between the check and the insert: explain which one
        _refuse_duplicates(channel=channel, name=name, external_account_id=external_account_id, region=region)
        raise


def update_account(
    *,
    account: ChannelAccount,
    external_account_id: str,
    region: str,
    marketplaces: Iterable[str],
    credentials: dict,
    endpoint: str = "",
    token_url: str = "",
) -> ChannelAccount:
    """Edit everything but the name. ``credentials`` holds only the values to change (a key left out
    keeps the stored value)."""
    external_account_id = clean_text(external_account_id, field="seller id", max_length=100)
    _refuse_duplicates(
        channel=account.channel,
        name=None,
        external_account_id=external_account_id,
        region=region,
        exclude=account,
    )
    with transaction.atomic():
        locked = ChannelAccount.objects.select_for_update().get(pk=account.pk)
        locked.external_account_id = external_account_id
        locked.region = region
        locked.marketplaces = list(marketplaces)
        locked.credentials = {**locked.credentials, **credentials}
        locked.endpoint = endpoint
        locked.token_url = token_url
        locked.save()
    return locked


def set_account_enabled(*, account: ChannelAccount, enabled: bool) -> ChannelAccount:
    ChannelAccount.objects.filter(pk=account.pk).update(enabled=enabled, updated_at=timezone.now())
    account.enabled = enabled
    return account


# options that change what the account's listings show (ADR 0015): changing one sends them again
QUANTITY_OPTIONS = (*RULE_FIELDS, "stock_reserve")


def set_account_options(*, account: ChannelAccount, options: dict) -> ChannelAccount:
    """Store already-validated options (the sync layer validates them per channel). When a quantity
    rule or the reserve changes, the items of the account's linked listings are marked changed, so
    the next stock push sends what the listings show now."""
    with transaction.atomic():
        locked = ChannelAccount.objects.select_for_update().get(pk=account.pk)
        before = {key: locked.options.get(key) for key in QUANTITY_OPTIONS}
        locked.options = {**locked.options, **options}
        locked.save(update_fields=["options", "updated_at"])
        if any(locked.options.get(key) != value for key, value in before.items()):
            mark_items_changed(
                Listing.objects.filter(account=locked, stock_item__isnull=False)
                .values_list("stock_item_id", flat=True)
                .distinct()
            )
    account.options = locked.options
    return account


def record_account_check(*, account: ChannelAccount, ok: bool, message: str) -> ChannelAccount:
    now = timezone.now()
    ChannelAccount.objects.filter(pk=account.pk).update(
        last_check_at=now, last_check_ok=ok, last_check_message=message[:5000]
    )
    account.last_check_at, account.last_check_ok, account.last_check_message = now, ok, message[:5000]
    return account


# --- listings ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkOutcome:
    listing: Listing
    created: bool
    previous_sku: str | None  # the stock item's SKU before, None when it was unlinked
    orders_relinked: int


def link_listing(*, account: ChannelAccount, channel_sku: str, stock_item: StockItem | None) -> LinkOutcome:
    """Link a channel SKU to a stock item (or unlink with ``None``), creating the listing if needed.

    Open orders whose lines carry this channel SKU follow the link: they give back what they held of the
    previous item (if any) and are allocated the new one.
    """
    channel_sku = clean_text(channel_sku, field="channel SKU", max_length=CHANNEL_SKU_MAX)
    with transaction.atomic():
        listing, created = Listing.objects.select_for_update().get_or_create(
            account=account, channel_sku=channel_sku
        )
        previous = listing.stock_item.sku if listing.stock_item_id else None
        if listing.stock_item_id != (stock_item.pk if stock_item else None):
            listing.stock_item = stock_item
            if stock_item is not None:  # the channel has not been told this item's quantity yet
                listing.status = ListingStatus.NOT_SENT
            listing.save(update_fields=["stock_item", "status", "updated_at"])
    relinked = relink_order_lines(
        account=account, channel_sku=channel_sku, stock_item_id=stock_item.pk if stock_item else None
    )
    return LinkOutcome(listing, created, previous, relinked)


def set_listing_ignore_sync(*, listing: Listing, ignore: bool) -> Listing:
    Listing.objects.filter(pk=listing.pk).update(ignore_sync=ignore, updated_at=timezone.now())
    listing.ignore_sync = ignore
    return listing


LISTING_RULES = {
    "max_quantity": None,
    "min_level": None,
    "percentage": 100,
    "fixed_quantity": None,
}  # the listing's quantity rules (ADR 0015) and the most each may be (None: no bound)


def set_listing_quantity_rules(*, listing: Listing, values: dict) -> Listing:
    """Set some of a listing's own quantity rules (``max_quantity``, ``min_level``, ``percentage``,
    ``fixed_quantity``); an empty value clears one, so the account's rule applies again. Every problem
    is reported at once and nothing is stored then. The listing's quantity is sent again."""
    errors, cleaned = [], {}
    for key, value in values.items():
        if key not in LISTING_RULES:
            errors.append(f"unknown quantity rule {str(key)[:40]!r}; rules: {', '.join(LISTING_RULES)}")
            continue
        try:
            cleaned[key] = parse_quantity_rule(key, value, most=LISTING_RULES[key])
        except InvalidOption as error:
            errors.append(error.message)
    if errors:
        raise InvalidInput("; ".join(errors), errors=errors)
    if not cleaned:
        return listing
    with transaction.atomic():
        Listing.objects.filter(pk=listing.pk).update(**cleaned, updated_at=timezone.now())
        if listing.stock_item_id:
            mark_items_changed([listing.stock_item_id])
    for key, value in cleaned.items():
        setattr(listing, key, value)
    return listing


def _set_stock_items(items_by_listing: dict[int, int]) -> None:
    """Link many listings in one UPDATE (a CASE on the id), unlike one query per row or Django's
    ``bulk_update``, whose CASE expressions cost seconds of Python per thousand rows."""
    if not items_by_listing:
        return
    table = connection.ops.quote_name(Listing._meta.db_table)
    cases = " ".join("WHEN %s THEN CAST(%s AS BIGINT)" for _ in items_by_listing)
    marks = ", ".join("%s" for _ in items_by_listing)
    params: list = [value for pair in items_by_listing.items() for value in pair]
    params += [ListingStatus.NOT_SENT.value, timezone.now(), *items_by_listing]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET stock_item_id = CASE id {cases} END, status = %s, updated_at = %s "  # noqa: S608
            f"WHERE id IN ({marks})",
            params,
        )


@dataclass(frozen=True)
class LinkAllResult:
    linked: tuple[selectors.SkuMatch, ...]
    skipped: tuple[str, ...]  # channel SKUs of the preview that were linked meanwhile or disappeared
    orders_relinked: int


def link_identical_skus(
    *, account: ChannelAccount, listing_ids: Iterable[int] | None = None
) -> LinkAllResult:
    """Link every unlinked listing whose channel SKU is a stock item's SKU (ignoring case).

    ``listing_ids`` restricts the run to the listings of a preview the user saw, so apply links
    exactly what the preview showed (minus any linked by hand in between, reported as skipped).
    """
    matches = selectors.identical_sku_matches(account).matches
    wanted = None if listing_ids is None else {int(pk) for pk in listing_ids}
    if wanted is not None:
        found = {m.listing_id for m in matches}
        skipped = tuple(
            Listing.objects.filter(pk__in=wanted - found, account=account).values_list(
                "channel_sku", flat=True
            )
        )
        matches = tuple(m for m in matches if m.listing_id in wanted)
    else:
        skipped = ()
    linked: list[selectors.SkuMatch] = []
    for start in range(0, len(matches), 500):
        chunk = {m.listing_id: m for m in matches[start : start + 500]}
        with transaction.atomic():
            still_unlinked = list(
                Listing.objects.select_for_update()
                .filter(pk__in=list(chunk), stock_item__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            _set_stock_items({pk: chunk[pk].stock_item_id for pk in still_unlinked})
        done = set(still_unlinked)
        linked += [m for m in chunk.values() if m.listing_id in done]
        skipped += tuple(m.channel_sku for m in chunk.values() if m.listing_id not in done)
    relinked = 0
    waiting = selectors.channel_skus_with_unlinked_open_lines(account, [m.channel_sku for m in linked])
    for match in linked:
        if match.channel_sku in waiting:
            relinked += relink_order_lines(
                account=account, channel_sku=match.channel_sku, stock_item_id=match.stock_item_id
            )
    return LinkAllResult(tuple(linked), skipped, relinked)


@dataclass(frozen=True)
class ListingImportResult:
    created: int
    updated: int
    unchanged: int
    suggestions: tuple[selectors.SkuMatch, ...]  # unlinked listings with a stock item of the same SKU
    failed: tuple[tuple[str, str], ...]  # (channel SKU, why)


def import_channel_listings(
    *, account: ChannelAccount, listings: Iterable[ChannelListing]
) -> ListingImportResult:
    """Create or refresh listings from what the channel reports (ref, title, FBA flag, marketplace,
    the channel's offer, inventory item and location references).

    Links are never changed here; unlinked listings with an identical stock item SKU come back as
    suggestions. A bad record is reported and the rest go through.
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    failed = []
    batch: dict[str, dict] = {}
    for data in listings:
        try:
            sku = clean_text(data.channel_sku, field="channel SKU", max_length=CHANNEL_SKU_MAX)
        except InvalidInput as error:
            failed.append((str(data.channel_sku)[:200], error.message))
            continue
        batch[sku] = {
            "external_ref": (data.external_ref or "")[:100],
            "title": (data.title or "")[:500],
            "fulfilled_by_channel": bool(data.fulfilled_by_channel),
            "marketplace": (data.marketplace or "")[:40],
            "offer_ref": data.refs.offer_ref[:200],
            "inventory_item_ref": data.refs.inventory_item_ref[:200],
            "location_ref": data.refs.location_ref[:200],
        }
        if len(batch) >= 500:
            _upsert_listings(account, batch, counts)
            batch = {}
    _upsert_listings(account, batch, counts)
    return ListingImportResult(
        counts["created"],
        counts["updated"],
        counts["unchanged"],
        selectors.identical_sku_matches(account).matches,
        tuple(failed),
    )


def _upsert_listings(account: ChannelAccount, batch: dict[str, dict], counts: dict) -> None:
    """One transaction per batch: refresh the listings that exist, create the others."""
    if not batch:
        return
    with transaction.atomic():
        existing = {
            listing.channel_sku: listing
            for listing in Listing.objects.select_for_update()
            .filter(account=account, channel_sku__in=list(batch))
            .order_by("pk")
        }
        new = [
            Listing(account=account, channel_sku=sku, **fields)
            for sku, fields in batch.items()
            if sku not in existing
        ]
        if new:
            try:
                with transaction.atomic():
                    Listing.objects.bulk_create(new)
                counts["created"] += len(new)
            except IntegrityError:  # another import created some meanwhile: one at a time
                for listing in new:
                    _, made = Listing.objects.get_or_create(
                        account=account, channel_sku=listing.channel_sku, defaults=batch[listing.channel_sku]
                    )
                    counts["created" if made else "unchanged"] += 1
        for sku, listing in existing.items():
            fields = batch[sku]
            # an empty value from the channel never blanks what is known
            changed = [
                k
                for k, v in fields.items()
                if v != getattr(listing, k) and (v or k == "fulfilled_by_channel")
            ]
            for key in changed:
                setattr(listing, key, fields[key])
            if changed:
                listing.save(update_fields=[*changed, "updated_at"])
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1


# --- shipping method mapping ---------------------------------------------------------------------------


def map_shipping_method(
    *,
    account: ChannelAccount,
    shipping_method: str,
    carrier_code: str,
    carrier_name: str = "",
    ship_method: str = "",
) -> ShippingMethodMapping:
    """Say how an internal shipping method (one of the existing methods) is named to this account."""
    name = clean_text(shipping_method, field="shipping method", max_length=100)
    carrier_code = clean_text(carrier_code, field="carrier code", max_length=100)
    carrier_name = clean_text(carrier_name, field="carrier name", max_length=100, required=False)
    ship_method = clean_text(ship_method, field="ship method", max_length=100, required=False)
    method = _existing_method(name)
    with transaction.atomic():
        mapping, _ = ShippingMethodMapping.objects.update_or_create(
            account=account,
            shipping_method=method.name,
            defaults={"carrier_code": carrier_code, "carrier_name": carrier_name, "ship_method": ship_method},
        )
    return mapping


def delete_shipping_mapping(*, account: ChannelAccount, shipping_method: str) -> None:
    deleted, _ = ShippingMethodMapping.objects.filter(
        account=account, shipping_method__iexact=(shipping_method or "").strip()
    ).delete()
    if not deleted:
        raise NotFound(f"account {account.name} has no mapping for shipping method {shipping_method!r}")


def _existing_method(name: str) -> ShippingMethod:
    method = ShippingMethod.objects.filter(name__iexact=" ".join(name.split())).first()
    if method is None:
        known = ", ".join(ShippingMethod.objects.values_list("name", flat=True))
        raise InvalidInput(
            f"there is no shipping method named {name!r}: add it first (Shipping methods, or "
            "`stockroom shipping add-method`)" + (f" (methods: {known})" if known else ""),
            field="shipping_method",
        )
    return method


# --- default method per buyer's service ------------------------------------------------------------------


def set_shipping_default(
    *, account: ChannelAccount, channel_service: str, shipping_method: str
) -> ShippingServiceDefault:
    """Orders of ``account`` whose buyer chose ``channel_service`` get ``shipping_method`` by default
    (batch processing, or processing without a method). Replaces the service's earlier default."""
    service = clean_text(channel_service, field="buyer's service", max_length=100)
    method = _existing_method(clean_text(shipping_method, field="shipping method", max_length=100))
    if not method.active:
        raise InvalidInput(
            f"shipping method {method.name} is no longer offered: offer it again first",
            field="shipping_method",
        )
    with transaction.atomic():
        default = (
            ShippingServiceDefault.objects.select_for_update()
            .filter(account=account, channel_service__iexact=service)
            .first()
        )
        if default is None:
            try:
                with transaction.atomic():
                    return ShippingServiceDefault.objects.create(
                        account=account, channel_service=service, shipping_method=method.name
                    )
            except IntegrityError:
                raise Conflict(f"a default for {service!r} was just set by someone else; reload") from None
        default.channel_service, default.shipping_method = service, method.name
        default.save(update_fields=["channel_service", "shipping_method"])
        return default


def delete_shipping_default(*, account: ChannelAccount, channel_service: str) -> None:
    deleted, _ = ShippingServiceDefault.objects.filter(
        account=account, channel_service__iexact=(channel_service or "").strip()
    ).delete()
    if not deleted:
        raise NotFound(f"account {account.name} has no default for the buyer's service {channel_service!r}")
