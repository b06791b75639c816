"""Order book reads: one filtered queryset for the web, API and CLI alike."""

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate, Upper
from django.utils import timezone

from stockroom.catalog.models import StockItem
from stockroom.channels.models import ChannelAccount
from stockroom.core.text import identity_key
from stockroom.orders.models import ChannelShipment, Order, OrderLine, ShipmentStatus
from stockroom.orders.pipeline import DISPATCHABLE, HOLDS_STOCK

SQLITE_SEARCH_TABLE = "orders_order_search"  # FTS5, tokenize='trigram' (migration 0003)
SQLITE_NAME_MATCH = "SELECT rowid FROM orders_order_search WHERE buyer_name MATCH %s"
TRIGRAM = 3


def order_list(
    *,
    source: str = "",
    account_id: int | None = None,
    status: str = "",
    search: str = "",
    allocation_state: str = "",
    unlinked: bool | None = None,
    on_hold: bool | None = None,
    statuses: tuple[str, ...] = (),
    short_stock: bool | None = None,
    shipment_status: str = "",
) -> QuerySet[Order]:
    """``statuses`` selects several statuses at once; ``short_stock`` = some linked line is not fully
    allocated; ``shipment_status``: some package's channel shipment has that status (e.g. "error")."""
    orders = Order.objects.select_related("account")
    if source:
        orders = orders.filter(source=source)
    if account_id:
        orders = orders.filter(account_id=account_id)
    if status:
        orders = orders.filter(status=status)
    if statuses:
        orders = orders.filter(status__in=list(statuses))
    if short_stock is not None:
        short_line = OrderLine.objects.filter(
            order=OuterRef("pk"),
            stock_item__isnull=False,
            allocated_quantity__lt=F("quantity") - F("shipped_quantity"),
        )
        orders = orders.filter(Exists(short_line)) if short_stock else orders.exclude(Exists(short_line))
    if shipment_status:
        package = ChannelShipment.objects.filter(order=OuterRef("pk"), status=shipment_status)
        orders = orders.filter(Exists(package))
    if allocation_state:
        orders = orders.filter(allocation_state=allocation_state)
    if unlinked is not None:
        orders = orders.filter(has_unlinked_lines=unlinked)
    if on_hold is not None:
        orders = orders.filter(on_hold=on_hold)
    search = (search or "").replace("\x00", "").strip()[:200]
    if search:
        orders = orders.filter(pk__in=search_matches(search, among=orders))
    return orders.order_by("-purchased_at", "-id")


def search_matches(search: str, *, among: QuerySet[Order]) -> QuerySet:
    """Ids of the orders of ``among`` whose order id or a line's channel or stock SKU equals
    ``search``, or whose buyer name contains it, all case-insensitively (the database's ``iexact`` /
    ``icontains``).

    One indexed query per kind of match, each within ``among``'s filters, united: a search over a
    million orders reads only the matching rows (UPPER() indexes for the ids and SKUs, a trigram index
    for the name, ADR 0007), and a common name within a few open orders reads only those orders."""
    among = among.order_by()
    term = Upper(Value(search))
    by_order_id = among.alias(key=Upper("external_order_id")).filter(key=term)
    # the stock item first (its SKU is unique by its identity key): most searches name none, and
    # SQLite's planner scans every line for "stock_item_id IN (subquery)" when most lines are unlinked
    items = StockItem.objects.filter(sku_key=identity_key(search.strip()))
    item_ids = list(items.values_list("pk", flat=True))
    sku = Q(key=term) | Q(stock_item_id__in=item_ids) if item_ids else Q(key=term)
    lines = OrderLine.objects.alias(key=Upper("channel_sku")).filter(sku)
    by_sku = among.filter(pk__in=lines.values("order_id"))
    return by_order_id.values("pk").union(by_sku.values("pk"), _buyer_name_contains(search, among=among))


def _buyer_name_contains(search: str, *, among: QuerySet[Order]) -> QuerySet:
    """Ids of orders whose buyer name contains ``search`` (``icontains``). PostgreSQL answers from its
    pg_trgm index by itself; SQLite narrows to the FTS5 trigram table's phrase match (a substring
    match, Unicode case-folded) and keeps the rows ``icontains`` accepts. Under three characters
    there is no trigram to look up: the names are scanned."""
    contains = among.filter(buyer_name__icontains=search)
    if connection.vendor == "sqlite" and len(search) >= TRIGRAM:
        phrase = '"' + search.replace('"', '""') + '"'
        # the term is a parameter, quoted as one FTS5 phrase: no query syntax reaches MATCH
        contains = contains.filter(pk__in=RawSQL(SQLITE_NAME_MATCH, [phrase]))  # noqa: S611
    return contains.values("pk")


def order_detail(order_id: int) -> Order:
    return (
        Order.objects.select_related("account", "location")
        .prefetch_related("lines__stock_item", "events__user", "shipments__lines__order_line")
        .get(pk=order_id)
    )


def attention_counts() -> dict[str, int]:
    """What the dashboard shows: orders to dispatch (open, not on hold, ours to ship), orders with
    unlinked lines, orders short of stock (both while they hold stock), failed shipping confirmations."""
    holding = Order.objects.filter(status__in=HOLDS_STOCK, fulfilled_by_channel=False)
    return {
        "to_dispatch": Order.objects.filter(
            status__in=DISPATCHABLE, on_hold=False, fulfilled_by_channel=False
        ).count(),
        "unlinked": holding.filter(has_unlinked_lines=True).count(),
        "short_stock": order_list(statuses=tuple(HOLDS_STOCK), short_stock=True)
        .filter(fulfilled_by_channel=False)
        .count(),
        "failed_shipments": ChannelShipment.objects.filter(status=ShipmentStatus.ERROR).count(),
    }


def orders_per_day(*, days: int = 30) -> list[dict]:
    """Orders purchased per day (in the active time zone) and source over the last ``days`` days,
    oldest first: ``[{"day": date, "source": str, "count": int}, ...]``."""
    since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    rows = (
        Order.objects.filter(purchased_at__gte=since)
        .annotate(day=TruncDate("purchased_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "source")
        .annotate(count=Count("id"))
        .order_by("day", "source")
    )
    return [{"day": r["day"], "source": r["source"], "count": r["count"]} for r in rows]


def held_quantity_by_day(*, item_id: int, days: int) -> list[int]:
    """Units of ``item_id`` held by orders at the end of each of the last ``days`` days (oldest
    first), from the orders' own times: created (allocated) until processed or cancelled.

    An estimate for the stock chart: an order short of stock counts its full quantity."""
    today = timezone.localdate()
    ends = [
        timezone.make_aware(datetime.combine(today - timedelta(days=offset), datetime.max.time()))
        for offset in range(days - 1, -1, -1)
    ]
    lines = (
        OrderLine.objects.filter(
            stock_item_id=item_id, order__fulfilled_by_channel=False, order__created_at__lte=ends[-1]
        )
        .filter(Q(order__processed_at__isnull=True) | Q(order__processed_at__gte=ends[0] - timedelta(days=1)))
        .filter(Q(order__cancelled_at__isnull=True) | Q(order__cancelled_at__gte=ends[0] - timedelta(days=1)))
    )
    spans = list(
        lines.values_list("quantity", "order__created_at", "order__processed_at", "order__cancelled_at")
    )
    held = []
    for end in ends:
        total = 0
        for quantity, created, processed, cancelled in spans:
            finished = min((t for t in (processed, cancelled) if t is not None), default=None)
            if created <= end and (finished is None or finished > end):
                total += quantity
        held.append(total)
    return held


def orders_in_book(*, account: ChannelAccount, external_ids: Sequence[str]) -> set[str]:
    """Which of these external order ids of ``account`` are in the book (one query: the ids as one array
    on PostgreSQL, no ORDER BY, which a set does not need and the model's newest-first would cost)."""
    if not external_ids:
        return set()
    return set(
        Order.objects.filter(account=account, external_order_id__any=list(external_ids))
        .order_by()
        .values_list("external_order_id", flat=True)
    )


def buyer_services(account_id: int, *, recent: int = 2000) -> list[str]:
    """The services buyers chose on the account's latest ``recent`` orders, for the default-method form."""
    services = (
        Order.objects.filter(account_id=account_id)
        .exclude(channel_shipping_service="")
        .order_by("-purchased_at")
        .values_list("channel_shipping_service", flat=True)[:recent]
    )
    return sorted(set(services), key=str.lower)


def package_summary(shipment: ChannelShipment) -> dict:
    """A package as plain values, as the API shows it on an order: its number, confirmation and lines."""
    return {
        "number": shipment.number,
        "status": shipment.status,
        "shipping_method": shipment.shipping_method,
        "tracking_number": shipment.tracking_number,
        "carrier_code": shipment.carrier_code,
        "carrier_name": shipment.carrier_name,
        "shipped_at": shipment.shipped_at,
        "attempts": shipment.attempts,
        "last_error": shipment.last_error,
        "sent_at": shipment.sent_at,
        "lines": [
            {"external_line_id": row.order_line.external_line_id, "quantity": row.quantity}
            for row in shipment.lines.all()
        ],
    }


def order_summary(order: Order) -> dict:
    """An order's summary as plain values: the fields of the API's order list, and the CLI's JSON."""
    return {
        "id": order.pk,
        "external_order_id": order.external_order_id,
        "source": order.source,
        "account_id": order.account_id,
        "account_name": order.account.name if order.account_id else None,
        "marketplace": order.marketplace,
        "status": order.status,
        "channel_status": order.channel_status,
        "on_hold": order.on_hold,
        "allocation_state": order.allocation_state,
        "has_unlinked_lines": order.has_unlinked_lines,
        "fulfilled_by_channel": order.fulfilled_by_channel,
        "buyer_name": order.buyer_name,
        "purchased_at": order.purchased_at,
        "dispatch_by": order.dispatch_by,
        "processed_at": order.processed_at,
        "currency": order.currency,
        "total": order.total,
        "shipping_method": order.shipping_method,
        "tracking_number": order.tracking_number,
    }


# --- how late orders arrive and how fast items sell (the reserve, ADR 0015) -----------------------------

DELAY_SAMPLE = 500  # the most recent orders of an account that measure its delay


def order_delay_p95(account_ids: Sequence[int], *, since: datetime) -> dict[int, tuple[float, int]]:
    """account id -> (p95 of seconds from purchase on the channel to imported here, orders measured),
    over the account's most recent orders bought since ``since``. Orders bought before the account was
    added (its first download reads back days) measure the backlog, not the delay: they are left out.
    An account with no such order is absent."""
    result: dict[int, tuple[float, int]] = {}
    accounts = ChannelAccount.objects.filter(pk__in=list(account_ids)).values_list("pk", "created_at")
    for account_id, added_at in accounts:
        rows = (
            Order.objects.filter(account_id=account_id, purchased_at__gte=max(since, added_at))
            .order_by("-purchased_at", "-id")
            .values_list("purchased_at", "created_at")[:DELAY_SAMPLE]
        )
        delays = sorted(max((imported - bought).total_seconds(), 0.0) for bought, imported in rows)
        if delays:
            # nearest rank: the smallest delay at least 95% of the orders did not exceed
            result[account_id] = (delays[max(math.ceil(0.95 * len(delays)) - 1, 0)], len(delays))
    return result


def units_sold(
    item_ids: Sequence[int], account_ids: Sequence[int], *, since: datetime
) -> dict[tuple[int, int], int]:
    """(item id, account id) -> units of the item on the account's orders bought since ``since``
    (cancelled ones too: they were bought)."""
    rows = (
        OrderLine.objects.filter(
            stock_item_id__in=list(item_ids),
            order__account_id__in=list(account_ids),
            order__purchased_at__gte=since,
        )
        .values("stock_item_id", "order__account_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    return {(row["stock_item_id"], row["order__account_id"]): row["units"] for row in rows}


def own_sales(
    item_ids: Sequence[int], account_ids: Sequence[int], *, since: datetime
) -> dict[tuple[int, int], list[tuple[datetime, int]]]:
    """(item id, account id) -> (bought at, units) of each line of the item on the account's orders
    bought since ``since`` (cancelled ones too: the channel took the units off its listing)."""
    rows = OrderLine.objects.filter(
        stock_item_id__in=list(item_ids),
        order__account_id__in=list(account_ids),
        order__purchased_at__gte=since,
    ).values_list("stock_item_id", "order__account_id", "order__purchased_at", "quantity")
    sales: dict[tuple[int, int], list[tuple[datetime, int]]] = {}
    for item_id, account_id, bought, units in rows:
        sales.setdefault((item_id, account_id), []).append((bought, units))
    return sales
