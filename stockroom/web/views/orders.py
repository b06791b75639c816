"""Open Orders: list with filters, batch processing, hold/release, cancel and delete with confirmation."""

from datetime import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from stockroom.channels.models import ChannelAccount
from stockroom.core.errors import StockroomError
from stockroom.core.quantities import parse_id
from stockroom.orders import selectors, services
from stockroom.orders.models import Order, ShipmentStatus, ShippingMethod
from stockroom.orders.pipeline import HOLDS_STOCK, AllocationState, OrderStatus
from stockroom.sync import accounts
from stockroom.web.pagination import SortOption, count_up_to, paginate
from stockroom.web.permissions import administrator_required

SORTS = {
    "purchased": SortOption("purchased", "purchased_at", kind=datetime),
    "order": SortOption("order", "external_order_id"),
    "buyer": SortOption("buyer", "buyer_name"),
    "total": SortOption("total", "total", kind=Decimal),
}
STATUS_CHOICES = [("active", "Open and pending"), *OrderStatus.choices, ("all", "All")]
ALLOCATION_CHOICES = [*AllocationState.choices[1:], ("short", "Short of stock")]
PER_PAGE = 50
COUNT_LIMIT = 10_000  # counted exactly up to here; beyond, "more than 10,000" (no COUNT over a million rows)


def _heading(status: str) -> str:
    """The list's title says what it shows: "Open Orders" (open and pending), "All orders", or by status."""
    if status == "active":
        return "Open Orders"
    if status == "all":
        return "All orders"
    return f"{OrderStatus(status).label} orders"


def _filters(params) -> tuple[dict, dict]:
    """(selector keyword arguments, the values the filter form shows) from the query string."""
    shown = {
        "q": params.get("q", "").strip()[:200],
        "status": params.get("status") or "active",
        "source": params.get("source", ""),
        "account": params.get("account", ""),
        "allocation": params.get("allocation", ""),
        "unlinked": params.get("unlinked", ""),
        "hold": params.get("hold", ""),
        "shipment": params.get("shipment", ""),
    }
    kwargs: dict = {"search": shown["q"], "source": shown["source"][:30]}
    if shown["status"] == "active":
        kwargs["statuses"] = tuple(HOLDS_STOCK)
    elif shown["status"] in OrderStatus.values:
        kwargs["status"] = shown["status"]
    elif shown["status"] != "all":
        shown["status"] = "active"
        kwargs["statuses"] = tuple(HOLDS_STOCK)
    if parse_id(shown["account"]):
        kwargs["account_id"] = parse_id(shown["account"])
    if shown["allocation"] == "short":
        kwargs["short_stock"] = True
    elif shown["allocation"] in AllocationState.values:
        kwargs["allocation_state"] = shown["allocation"]
    if shown["unlinked"] == "1":
        kwargs["unlinked"] = True
    if shown["hold"] in ("yes", "no"):
        kwargs["on_hold"] = shown["hold"] == "yes"
    if shown["shipment"]:
        kwargs["shipment_status"] = shown["shipment"][:20]
    return kwargs, shown


def _return_to(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@login_required
def order_list(request):
    kwargs, shown = _filters(request.GET)
    orders = selectors.order_list(**kwargs)
    page = paginate(orders, params=request.GET, options=SORTS, default_sort="-purchased", per_page=PER_PAGE)
    prefetch_related_objects(page.rows, "lines")  # items, SKUs and quantities of the orders shown
    accounts = list(ChannelAccount.objects.order_by("name").values("pk", "name", "channel"))
    sources = sorted({a["channel"] for a in accounts} | {"manual"})
    return render(
        request,
        "web/orders/list.html",
        {
            "page": page,
            "sort": page.sort,
            "heading": _heading(shown["status"]),
            "count": count_up_to(orders, COUNT_LIMIT),
            "count_limit": COUNT_LIMIT,
            "filters": shown,
            "filtered": any(v for k, v in shown.items() if k != "status") or shown["status"] != "active",
            "accounts": accounts,
            "sources": sources,
            "status_choices": STATUS_CHOICES,
            "allocation_choices": ALLOCATION_CHOICES,
            "shipping_methods": ShippingMethod.objects.filter(active=True),
            "here": request.get_full_path(),
        },
    )


@login_required
def order_detail(request, order_id: int):
    try:
        order = selectors.order_detail(order_id)
    except Order.DoesNotExist:
        raise Http404("order not found") from None
    return render(request, "web/orders/detail.html", _detail_context(request, order))


def _detail_context(request, order: Order, *, correction_package=None, dispatch_values=None, **extra) -> dict:
    shipments = list(order.shipments.all())
    refused = any(shipment.status == ShipmentStatus.ERROR for shipment in shipments)
    if correction_package is None and len(shipments) == 1:
        correction_package = shipments[0].number
    packages = [
        {
            "shipment": shipment,
            "refused": shipment.status == ShipmentStatus.ERROR,
            "correcting": "correction" in extra and shipment.number == correction_package,
            "suffix": "" if shipment.number == 1 else f"-{shipment.number}",
            "units": ", ".join(
                f"{row.quantity} × {row.order_line.channel_sku}" for row in shipment.lines.all()
            ),
        }
        for shipment in shipments
    ]
    lines = list(order.lines.all())
    for line in lines:
        line.ship_value = (dispatch_values or {}).get(f"ship-{line.pk}", "")
    return {
        "order": order,
        "lines": lines,
        "packages": packages,
        "correction_shown": any(p["correcting"] and p["refused"] for p in packages),
        "dispatch_tracking": (dispatch_values or {}).get("tracking_number", ""),
        "events": list(order.events.all()),
        "shipping_methods": ShippingMethod.objects.filter(active=True),
        "default_method": services.default_shipping_method(order),
        "refused": refused,
        "carrier_codes": accounts.carrier_codes(order.account.channel) if refused else (),
        "here": request.get_full_path(),
        **extra,
    }


@login_required
@require_POST
def order_correct_shipment(request, order_id: int):
    """Correct a shipping confirmation the channel refused and queue it to be sent again, once."""
    values = {
        key: request.POST.get(key, "")
        for key in ("tracking_number", "shipping_method", "carrier_code", "carrier_name")
    }
    package = parse_id(request.POST.get("package", ""))
    try:
        accounts.correct_refused_shipment(order_id=order_id, user=request.user, package=package, **values)
    except StockroomError as error:
        try:
            order = selectors.order_detail(order_id)
        except Order.DoesNotExist:
            raise Http404("order not found") from None
        context = _detail_context(
            request, order, correction_error=error.message, correction=values, correction_package=package
        )
        return render(request, "web/orders/detail.html", context, status=400)
    messages.success(
        request, "Shipping confirmation corrected: it is sent to the channel once, in the next few seconds."
    )
    return redirect(reverse("order_detail", args=[order_id]) + "#shipment")


@login_required
@require_POST
def order_dispatch_package(request, order_id: int):
    """Dispatch a package: the units typed per line (blank or 0: none of that line), with its own
    tracking number and method. The service refuses over-shipping, unknown lines, an unknown or
    inactive method; the form comes back with what was typed."""
    try:
        order = selectors.order_detail(order_id)
    except Order.DoesNotExist:
        raise Http404("order not found") from None
    wanted = []
    for line in order.lines.all():
        typed = request.POST.get(f"ship-{line.pk}", "").strip()
        if typed and typed != "0":
            wanted.append((line.external_line_id, typed))
    try:
        shipment = services.dispatch_shipment(
            order_id=order_id,
            lines=wanted,
            tracking_number=request.POST.get("tracking_number", ""),
            shipping_method=request.POST.get("shipping_method", ""),
            user=request.user,
        )
    except StockroomError as error:
        order = selectors.order_detail(order_id)
        context = _detail_context(request, order, dispatch_error=error.message, dispatch_values=request.POST)
        return render(request, "web/orders/detail.html", context, status=400)
    state = shipment.order.get_status_display().lower()
    messages.success(
        request,
        f"Package {shipment.number} dispatched; the order is {state}."
        + (" Its shipping confirmation is sent to the channel once." if shipment.account_id else ""),
    )
    return redirect(reverse("order_detail", args=[order_id]) + f"#package-{shipment.number}")


def _selected_ids(request) -> list[int]:
    return list(dict.fromkeys(parse_id(v) for v in request.POST.getlist("order") if parse_id(v)))


@login_required
@require_POST
def orders_process(request):
    """Process the selected orders with their tracking numbers and one shipping method, or (method
    "") each with its account's default for the service its buyer chose. The service refuses an
    unknown or inactive method, or a missing tracking number the channel needs, order by order.

    ``partial=1`` (the batch progress script) answers with the outcome rows alone."""
    ids = _selected_ids(request)
    method = request.POST.get("shipping_method", "")
    back = _return_to(request, reverse("orders"))
    if not ids:
        messages.error(request, "No orders were selected. Tick the orders to process, then press Process.")
        return redirect(back)
    outcomes = services.process_orders(
        items=[(order_id, request.POST.get(f"tracking-{order_id}", "")) for order_id in ids],
        shipping_method=method,
        user=request.user,
    )
    names = dict(Order.objects.filter(pk__in=ids).values_list("pk", "external_order_id"))
    rows = [{"outcome": o, "external_id": names.get(o.order_id, "")} for o in outcomes]
    if request.POST.get("partial") == "1":
        return render(request, "web/orders/_outcomes.html", {"rows": rows})
    processed = sum(1 for o in outcomes if o.ok)
    return render(
        request,
        "web/orders/processed.html",
        {
            "rows": rows,
            "processed": processed,
            "failed": len(outcomes) - processed,
            "back": back,
            "method": method,
        },
    )


@login_required
@require_POST
def orders_hold(request):
    ids = _selected_ids(request)
    on_hold = request.POST.get("action") == "hold"
    back = _return_to(request, reverse("orders"))
    if not ids:
        messages.error(request, "No orders were selected. Tick the orders first.")
        return redirect(back)
    done, errors = 0, []
    for order_id in ids:
        try:
            services.set_hold(order_id=order_id, on_hold=on_hold, user=request.user)
            done += 1
        except StockroomError as error:
            errors.append(error.message)
    verb = "put on hold" if on_hold else "released from hold"
    if done:
        messages.success(request, f"{done} order{'s' if done != 1 else ''} {verb}.")
    for message in errors:
        messages.error(request, f"Not changed: {message}.")
    return redirect(back)


def _confirm(request, order_id: int, *, template: str, action, done_message, done_url):
    try:
        order = selectors.order_detail(order_id)
    except Order.DoesNotExist:
        raise Http404("order not found") from None
    if request.method == "POST":
        try:
            action(order)
        except StockroomError as error:
            messages.error(request, f"Nothing changed: {error.message}.")
            return redirect("order_detail", order_id=order.pk)
        messages.success(request, done_message(order))
        return redirect(done_url(order))
    return render(request, template, {"order": order})


@login_required
def order_cancel(request, order_id: int):
    return _confirm(
        request,
        order_id,
        template="web/orders/confirm_cancel.html",
        action=lambda order: services.cancel_order(
            order_id=order.pk, user=request.user, reason=request.POST.get("reason", "")
        ),
        done_message=lambda order: f"Order {order.external_order_id} cancelled; its stock was released.",
        done_url=lambda order: reverse("order_detail", args=[order.pk]),
    )


@login_required
def order_delete(request, order_id: int):
    return _confirm(
        request,
        order_id,
        template="web/orders/confirm_delete.html",
        action=lambda order: services.delete_order(order_id=order.pk, user=request.user),
        done_message=lambda order: f"Order {order.external_order_id} deleted; its stock was released.",
        done_url=lambda order: reverse("orders"),
    )


@administrator_required
def shipping_methods(request):
    if request.method == "POST":
        try:
            if request.POST.get("action") in ("activate", "deactivate"):
                method = services.set_shipping_method_active(
                    method_id=parse_id(request.POST.get("method")) or 0,
                    active=request.POST["action"] == "activate",
                )
                state = "offered again" if method.active else "no longer offered"
                messages.success(request, f"Shipping method {method.name} is {state} when processing orders.")
            else:
                method = services.create_shipping_method(name=request.POST.get("name", ""))
                messages.success(
                    request,
                    f"Shipping method {method.name} added. Map it to each channel account's carrier "
                    "before processing channel orders with it.",
                )
        except StockroomError as error:
            messages.error(request, f"Nothing changed: {error.message}.")
        return redirect("shipping_methods")
    return render(request, "web/orders/shipping_methods.html", {"methods": ShippingMethod.objects.all()})
