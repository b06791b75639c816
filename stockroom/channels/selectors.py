from stockroom.channels.models import ChannelAccount, Listing, ListingStatus


def linked_stock_items(account: ChannelAccount, channel_skus) -> dict[str, int | None]:
    """channel SKU -> linked stock item id (None when the listing exists but is unlinked)."""
    rows = Listing.objects.filter(account=account, channel_sku__in=list(channel_skus)).values_list(
        "channel_sku", "stock_item_id"
    )
    return dict(rows)


def fulfilled_by_channel_skus(account: ChannelAccount, channel_skus) -> set[str]:
    return set(
        Listing.objects.filter(
            account=account, channel_sku__in=list(channel_skus), fulfilled_by_channel=True
        ).values_list("channel_sku", flat=True)
    )


def attention_counts() -> dict[str, int]:
    """For the dashboard: listings whose last stock submission failed, and enabled accounts whose
    last Check API failed."""
    return {
        "listings_in_error": Listing.objects.filter(status=ListingStatus.ERROR).count(),
        "accounts_failing": ChannelAccount.objects.filter(enabled=True, last_check_ok=False).count(),
    }
