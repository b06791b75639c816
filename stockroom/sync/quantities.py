"""The quantity each listing shows, and why: the account's and the listing's quantity rules and the
reserve, from what Stockroom measured (ADR 0015). The stock push sends it; the listing and item
screens, the API and the CLI show the same sentence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from stockroom.channels.models import Listing
from stockroom.channels.quantity_rules import (
    RULE_FIELDS,
    ChannelPace,
    ListingQuantity,
    QuantityRules,
    Reserve,
    listing_quantity,
    reserve_for,
)
from stockroom.inventory.selectors import available_to_sell_many
from stockroom.orders.selectors import order_delay_p95, units_sold
from stockroom.sync.accounts import effective_options


def pace_window() -> timedelta:
    """How far back sales and order delays are measured."""
    return timedelta(days=settings.STOCKROOM_RESERVE_WINDOW_DAYS)


def account_rules(options: dict) -> QuantityRules:
    return QuantityRules().overridden_by({key: options.get(key) for key in RULE_FIELDS})


def listing_rules(listing: Listing, options: dict | None = None) -> QuantityRules:
    """The account's rules (``options``: its effective options, when already read) with the listing's
    own in their place."""
    rules = account_rules(options if options is not None else effective_options(listing.account))
    rules = rules.overridden_by({key: getattr(listing, key) for key in RULE_FIELDS})
    return QuantityRules(**{**rules.__dict__, "ignore": listing.ignore_sync})


def item_paces(item_ids: Iterable[int], *, now: datetime | None = None) -> dict[int, list[ChannelPace]]:
    """item id -> the pace of every enabled account with a listing of the item whose stock is ours
    (not fulfilled by the channel): how late its orders arrive and how fast it sells the item."""
    item_ids = sorted(set(item_ids))
    if not item_ids:
        return {}
    since = (now or timezone.now()) - pace_window()
    selling = list(
        Listing.objects.filter(stock_item_id__in=item_ids, fulfilled_by_channel=False, account__enabled=True)
        .values_list("stock_item_id", "account_id", "account__name")
        .distinct()
    )
    account_ids = sorted({account_id for _, account_id, _ in selling})
    delays = order_delay_p95(account_ids, since=since)
    sold = units_sold(item_ids, account_ids, since=since)
    days = pace_window().total_seconds() / 86400
    paces: dict[int, list[ChannelPace]] = {item_id: [] for item_id in item_ids}
    seen: set[tuple[int, int]] = set()
    for item_id, account_id, name in sorted(selling):
        if (item_id, account_id) in seen:
            continue
        seen.add((item_id, account_id))
        paces[item_id].append(
            ChannelPace(
                account_id=account_id,
                account_name=name,
                delay_seconds=delays.get(account_id, (0.0, 0))[0],
                units_per_day=sold.get((item_id, account_id), 0) / days,
            )
        )
    return paces


def listing_quantities(
    listings: Sequence[Listing], *, now: datetime | None = None
) -> dict[int, ListingQuantity]:
    """listing id -> what it shows and why, for the linked listings whose stock is ours (others are
    absent). Listings should come with their account (``select_related("account")``)."""
    listings = [listing for listing in listings if listing.stock_item_id and not listing.fulfilled_by_channel]
    items = {listing.stock_item_id for listing in listings}
    available = available_to_sell_many(items)
    paces = item_paces(items, now=now)
    accounts = {listing.account_id: listing.account for listing in listings}
    options = {account_id: effective_options(account) for account_id, account in accounts.items()}
    result = {}
    for listing in listings:
        item_available = available[listing.stock_item_id]
        reserve = Reserve()
        if options[listing.account_id].get("stock_reserve", True):
            reserve = reserve_for(listing.account_id, item_available, paces.get(listing.stock_item_id, []))
        rules = listing_rules(listing, options[listing.account_id])
        result[listing.pk] = listing_quantity(item_available, rules, reserve)
    return result


def shown_fields(listings: Sequence[Listing]) -> dict[int, dict]:
    """listing id -> what it shows, why, what the reserve holds back and its own rules: the fields the
    API and the CLI add to a listing (a listing that sends no stock shows None)."""
    shown = listing_quantities(listings)
    fields = {}
    for listing in listings:
        quantity = shown.get(listing.pk)
        fields[listing.pk] = {
            "shows": quantity.quantity if quantity else None,
            "why": quantity.reason if quantity else "",
            "reserve_held": quantity.reserve.held if quantity else 0,
            "rules": {key: getattr(listing, key) for key in RULE_FIELDS},
        }
    return fields


def item_listings(item_id: int) -> list[Listing]:
    """The listings linked to an item, each with ``shown`` (``shown_fields``): the item screen's view
    of what every channel shows and what the reserve holds back."""
    listings = list(
        Listing.objects.filter(stock_item_id=item_id)
        .select_related("account")
        .order_by("account__name", "channel_sku")
    )
    shown = shown_fields(listings)
    for listing in listings:
        listing.shown = shown[listing.pk]
    return listings
