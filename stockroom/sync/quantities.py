"""The quantity each listing shows, and why: the account's and the listing's quantity rules and the
reserve, from what Stockroom measured (ADR 0015). The stock push sends it; the listing and item
screens, the API and the CLI show the same sentence."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from stockroom.channels.capabilities import capabilities_of
from stockroom.channels.models import Listing, ListingStatus, ListingStatusLog
from stockroom.channels.quantity_rules import (
    RULE_FIELDS,
    ChannelPace,
    ListingQuantity,
    QuantityRules,
    Reserve,
    listing_quantity,
    reserve_for,
    reserve_shares,
)
from stockroom.inventory.selectors import available_to_sell_many
from stockroom.orders.selectors import order_delay_p95, own_sales, units_sold
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
        .values_list("stock_item_id", "account_id", "account__name", "account__channel")
        .distinct()
    )
    account_ids = sorted({row[1] for row in selling})
    delays = order_delay_p95(account_ids, since=since)
    sold = units_sold(item_ids, account_ids, since=since)
    days = pace_window().total_seconds() / 86400
    paces: dict[int, list[ChannelPace]] = {item_id: [] for item_id in item_ids}
    seen: set[tuple[int, int]] = set()
    visible_after = {
        channel: capabilities_of(channel).quantity_visible_after_seconds for *_, channel in selling
    }
    for item_id, account_id, name, channel in sorted(selling):
        if (item_id, account_id) in seen:
            continue
        seen.add((item_id, account_id))
        paces[item_id].append(
            ChannelPace(
                account_id=account_id,
                account_name=name,
                delay_seconds=delays.get(account_id, (0.0, 0))[0],
                units_per_day=sold.get((item_id, account_id), 0) / days,
                visible_after_seconds=visible_after[channel],
            )
        )
    return paces


def with_exposures(paces: dict[int, list[ChannelPace]], *, now: datetime) -> dict[int, list[ChannelPace]]:
    """The paces of items at low stock with what each account's listings of the item show now
    (``showing``) and show whatever is sent (``committed``, on channels that show a new quantity late),
    from the quantities they took (the listing and its status log) less their own sales since."""
    if not paces:
        return {}
    delays = {p.account_id: p.visible_after_seconds for item_paces in paces.values() for p in item_paces}
    listings = list(
        Listing.objects.filter(
            stock_item_id__in=list(paces), account_id__in=list(delays), fulfilled_by_channel=False
        ).values(
            "pk",
            "account_id",
            "stock_item_id",
            "status",
            "last_sent_quantity",
            "last_sent_at",
            "last_confirmed_quantity",
            "last_confirmed_at",
        )
    )
    since = now - pace_window()
    sales = own_sales(list(paces), list(delays), since=since)
    shown = _taken_quantities([row for row in listings if delays[row["account_id"]] > 0], delays, now=now)

    def sold_since(row: dict, at: datetime | None) -> int:
        if at is None:
            return 0
        return sum(
            units
            for bought, units in sales.get((row["stock_item_id"], row["account_id"]), ())
            if bought >= at
        )

    showing: dict[tuple[int, int], int] = defaultdict(int)
    committed: dict[tuple[int, int], int] = defaultdict(int)
    for row in listings:
        key = (row["stock_item_id"], row["account_id"])
        pending = row["status"] == ListingStatus.PENDING
        base = row["last_sent_quantity"] if pending else row["last_confirmed_quantity"]
        if base is not None:
            base_at = row["last_sent_at"] if pending else row["last_confirmed_at"]
            showing[key] += max(base - sold_since(row, base_at), 0)
        taken = shown.get(row["pk"], [])
        if delays[row["account_id"]] > 0 and not taken and row["last_confirmed_quantity"] is not None:
            taken = [(row["last_confirmed_quantity"], row["last_confirmed_at"])]
        committed[key] += max([quantity - sold_since(row, at) for quantity, at in taken] + [0])
    return {
        item: [
            dataclasses.replace(
                pace,
                showing=showing.get((item, pace.account_id)),
                committed=committed.get((item, pace.account_id), 0),
            )
            for pace in item_paces
        ]
        for item, item_paces in paces.items()
    }


def _taken_quantities(
    listings: Sequence[dict], delays: dict[int, float], *, now: datetime
) -> dict[int, list[tuple[int, datetime | None]]]:
    """listing id -> the quantities a late-showing channel may show now, each with the moment from which
    its own sales count against it: the last one it took before its delay (showing now) and every one
    sent since (taken or not yet answered, not showing yet). A quantity not yet answered counts no sales."""
    taken: dict[int, list[tuple[int, datetime | None]]] = defaultdict(list)
    by_delay: dict[float, list[int]] = defaultdict(list)
    for row in listings:
        by_delay[delays[row["account_id"]]].append(row["pk"])
    for delay, ids in by_delay.items():
        cutoff = now - timedelta(seconds=delay)
        shown_before = ListingStatusLog.objects.filter(
            listing=OuterRef("pk"), outcome=ListingStatus.CONFIRMED, answered_at__lt=cutoff
        ).order_by("-answered_at", "-id")
        rows = Listing.objects.filter(pk__in=ids).annotate(
            before=Subquery(shown_before.values("quantity")[:1]),
            before_at=Subquery(shown_before.values("answered_at")[:1]),
        )
        for pk, before, before_at in rows.values_list("pk", "before", "before_at"):
            if before is not None:
                taken[pk].append((before, before_at))
        recent = ListingStatusLog.objects.filter(listing_id__in=ids, quantity__isnull=False).filter(
            Q(outcome=ListingStatus.CONFIRMED, answered_at__gte=cutoff)
            | Q(outcome=ListingStatus.PENDING, created_at__gte=now - pace_window())
        )
        for pk, quantity, answered_at in recent.values_list("listing_id", "quantity", "answered_at"):
            taken[pk].append((quantity, answered_at))
    return taken


def listing_quantities(
    listings: Sequence[Listing], *, now: datetime | None = None
) -> dict[int, ListingQuantity]:
    """listing id -> what it shows and why, for the linked listings whose stock is ours (others are
    absent). Listings should come with their account (``select_related("account")``)."""
    listings = [listing for listing in listings if listing.stock_item_id and not listing.fulfilled_by_channel]
    items = {listing.stock_item_id for listing in listings}
    available = available_to_sell_many(items)
    now = now or timezone.now()
    paces = item_paces(items, now=now)
    low = [item for item in items if reserve_shares(available[item], paces.get(item, []))]
    paces.update(with_exposures({item: paces[item] for item in low}, now=now))
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
