from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from stockroom.catalog.models import StockItem
from stockroom.channels.models import (
    ChannelAccount,
    Listing,
    ListingStatus,
    ListingStatusLog,
    ShippingMethodMapping,
    ShippingServiceDefault,
)
from stockroom.core.errors import NotFound
from stockroom.core.text import identity_key


def linked_stock_items(account: ChannelAccount, channel_skus) -> dict[str, int | None]:
    """channel SKU -> linked stock item id (None when the listing exists but is unlinked)."""
    rows = Listing.objects.filter(account=account, channel_sku__any=list(channel_skus)).values_list(
        "channel_sku", "stock_item_id"
    )
    return dict(rows)


def fulfilled_by_channel_skus(account: ChannelAccount, channel_skus) -> set[str]:
    return set(
        Listing.objects.filter(
            account=account, channel_sku__in=list(channel_skus), fulfilled_by_channel=True
        ).values_list("channel_sku", flat=True)
    )


# --- accounts ---------------------------------------------------------------------------------------


def account_list() -> QuerySet[ChannelAccount]:
    """Every account, in the order they are synchronised (the order they were added)."""
    return ChannelAccount.objects.order_by("pk")


def account_by_name(name: str) -> ChannelAccount:
    account = ChannelAccount.objects.filter(name_key=identity_key((name or "").strip())).first()
    if account is None:
        known = ", ".join(ChannelAccount.objects.order_by("pk").values_list("name", flat=True)[:20])
        raise NotFound(
            f"no channel account named {str(name)[:100]!r}" + (f"; accounts: {known}" if known else "")
        )
    return account


def account_by_id(account_id) -> ChannelAccount:
    try:
        return ChannelAccount.objects.get(pk=int(account_id))
    except (ChannelAccount.DoesNotExist, TypeError, ValueError):
        raise NotFound(f"channel account {str(account_id)[:20]} does not exist") from None


# --- listings ---------------------------------------------------------------------------------------


def listing_list(
    *, account: ChannelAccount | None, search: str = "", status: str = "", linked: bool | None = None
) -> QuerySet[Listing]:
    """An account's listings (every account's with ``None``), searchable by channel SKU, stock item
    SKU, title or external ref."""
    listings = Listing.objects.select_related("stock_item", "account")
    if account is not None:
        listings = listings.filter(account=account)
    search = (search or "").strip()[:200]
    if search:
        listings = listings.filter(
            Q(channel_sku__icontains=search)
            | Q(stock_item__sku__icontains=search)
            | Q(title__icontains=search)
            | Q(external_ref__iexact=search)
        )
    if status:
        listings = listings.filter(status=status)
    if linked is not None:
        listings = listings.filter(stock_item__isnull=not linked)
    return listings.order_by("channel_sku", "pk")


def listing_by_sku(account: ChannelAccount, channel_sku: str) -> Listing:
    listing = (
        Listing.objects.select_related("stock_item")
        .filter(account=account, channel_sku=(channel_sku or "").strip())
        .first()
    )
    if listing is None:
        raise NotFound(f"account {account.name} has no listing with channel SKU {str(channel_sku)[:200]!r}")
    return listing


def listing_by_id(account: ChannelAccount, listing_id) -> Listing:
    try:
        return Listing.objects.select_related("stock_item").get(account=account, pk=int(listing_id))
    except (Listing.DoesNotExist, TypeError, ValueError):
        raise NotFound(f"listing {str(listing_id)[:20]} does not exist on account {account.name}") from None


def listing_log(listing: Listing, *, limit: int = 50) -> list[ListingStatusLog]:
    return list(listing.log.all()[:limit])


@dataclass(frozen=True)
class SkuMatch:
    listing_id: int
    channel_sku: str
    stock_item_id: int
    stock_item_sku: str


@dataclass(frozen=True)
class SkuMatchPreview:
    matches: tuple[SkuMatch, ...]  # what "link all by identical SKU" will link
    unmatched: tuple[str, ...]  # unlinked channel SKUs no stock item has


def identical_sku_matches(account: ChannelAccount) -> SkuMatchPreview:
    """Unlinked listings of the account and the stock item with the same SKU (SKUs ignore case)."""
    unlinked = list(
        Listing.objects.filter(account=account, stock_item__isnull=True)
        .order_by("channel_sku", "pk")
        .values_list("pk", "channel_sku")
    )
    items: dict[str, tuple[int, str]] = {}  # by identity key: the same on SQLite and PostgreSQL
    keys = sorted({identity_key(sku.strip()) for _, sku in unlinked})
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for pk, sku, key in StockItem.objects.filter(sku_key__in=chunk).values_list("pk", "sku", "sku_key"):
            items[key] = (pk, sku)
    matches, unmatched = [], []
    for pk, channel_sku in unlinked:
        item = items.get(identity_key(channel_sku.strip()))
        if item is None:
            unmatched.append(channel_sku)
        else:
            matches.append(SkuMatch(pk, channel_sku, item[0], item[1]))
    return SkuMatchPreview(tuple(matches), tuple(unmatched))


def channel_skus_with_unlinked_open_lines(account: ChannelAccount, channel_skus) -> set[str]:
    """Which of these channel SKUs appear unlinked on the account's orders that still hold stock."""
    from stockroom.orders.models import OrderLine  # orders depends on channels: import at call time
    from stockroom.orders.pipeline import HOLDS_STOCK

    found: set[str] = set()
    skus = list(dict.fromkeys(channel_skus))
    for start in range(0, len(skus), 500):
        found.update(
            OrderLine.objects.filter(
                order__account=account,
                order__status__in=HOLDS_STOCK,
                stock_item__isnull=True,
                channel_sku__in=skus[start : start + 500],
            ).values_list("channel_sku", flat=True)
        )
    return found


# --- shipping ---------------------------------------------------------------------------------------


def shipping_mappings(account: ChannelAccount) -> QuerySet[ShippingMethodMapping]:
    return ShippingMethodMapping.objects.filter(account=account).order_by("shipping_method")


def attention_counts() -> dict:
    """For the dashboard: listings whose last stock submission failed (and the ids of the accounts
    they belong to, oldest account first), and enabled accounts whose last Check API failed."""
    errors = Listing.objects.filter(status=ListingStatus.ERROR)
    return {
        "listings_in_error": errors.count(),
        "listing_error_accounts": sorted(set(errors.values_list("account_id", flat=True).distinct())),
        "accounts_failing": ChannelAccount.objects.filter(enabled=True, last_check_ok=False).count(),
    }


def shipping_defaults(account: ChannelAccount) -> QuerySet[ShippingServiceDefault]:
    """The account's default method per buyer's service."""
    return ShippingServiceDefault.objects.filter(account=account).order_by("channel_service")
