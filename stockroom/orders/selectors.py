"""Order book reads: one filtered queryset for the web, API and CLI alike."""

from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from stockroom.orders.models import ChannelShipment, Order, OrderLine, ShipmentStatus
from stockroom.orders.pipeline import HOLDS_STOCK, OrderStatus


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
    allocated; ``shipment_status`` filters on the channel shipment's status (e.g. "error")."""
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
            order=OuterRef("pk"), stock_item__isnull=False, allocated_quantity__lt=F("quantity")
        )
        orders = orders.filter(Exists(short_line)) if short_stock else orders.exclude(Exists(short_line))
    if shipment_status:
        orders = orders.filter(channel_shipment__status=shipment_status)
    if allocation_state:
        orders = orders.filter(allocation_state=allocation_state)
    if unlinked is not None:
        orders = orders.filter(has_unlinked_lines=unlinked)
    if on_hold is not None:
        orders = orders.filter(on_hold=on_hold)
    search = (search or "").strip()[:200]
    if search:
        sku_match = OrderLine.objects.filter(order=OuterRef("pk")).filter(
            Q(channel_sku__iexact=search) | Q(stock_item__sku__iexact=search)
        )
        orders = orders.filter(
            Q(external_order_id__iexact=search) | Q(buyer_name__icontains=search) | Exists(sku_match)
        )
    return orders.order_by("-purchased_at", "-id")


def order_detail(order_id: int) -> Order:
    return (
        Order.objects.select_related("account", "location")
        .prefetch_related("lines__stock_item", "events__user")
        .get(pk=order_id)
    )


def attention_counts() -> dict[str, int]:
    """What the dashboard shows: orders to dispatch (open, not on hold, ours to ship), orders with
    unlinked lines, orders short of stock (both while they hold stock), failed shipping confirmations."""
    holding = Order.objects.filter(status__in=HOLDS_STOCK, fulfilled_by_channel=False)
    return {
        "to_dispatch": Order.objects.filter(
            status=OrderStatus.OPEN, on_hold=False, fulfilled_by_channel=False
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
