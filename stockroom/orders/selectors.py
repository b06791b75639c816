"""Order book reads: one filtered queryset for the web, API and CLI alike."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from stockroom.orders.models import Order, OrderLine


def order_list(
    *,
    source: str = "",
    account_id: int | None = None,
    status: str = "",
    search: str = "",
    allocation_state: str = "",
    unlinked: bool | None = None,
    on_hold: bool | None = None,
) -> QuerySet[Order]:
    orders = Order.objects.select_related("account")
    if source:
        orders = orders.filter(source=source)
    if account_id:
        orders = orders.filter(account_id=account_id)
    if status:
        orders = orders.filter(status=status)
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
