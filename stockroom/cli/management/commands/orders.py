"""stockroom orders list|process|dispatch|correct-shipment."""

from datetime import datetime
from decimal import Decimal

from django.core.management.base import CommandParser
from django.utils import timezone

from stockroom.cli.management.commands._output import StockroomCommand, add_json_flag, emit, stockroom_errors
from stockroom.core.errors import InvalidInput, NotFound
from stockroom.core.quantities import parse_id
from stockroom.orders import selectors, services
from stockroom.orders.models import Order
from stockroom.orders.pipeline import AllocationState, OrderStatus
from stockroom.sync import accounts

MAX_LIMIT = 10_000


def order_by_reference(reference: str) -> Order:
    """The order whose external order id is ``reference``, else whose id it is."""
    reference = (reference or "").strip()
    matches = list(Order.objects.filter(external_order_id=reference).select_related("account")[:2])
    if len(matches) > 1:
        raise InvalidInput(
            f"order id {reference} exists on several accounts ({', '.join(str(o.account) for o in matches)}); "
            "give Stockroom's numeric id instead (see `stockroom orders list`)"
        )
    if matches:
        return matches[0]
    if parse_id(reference):
        order = Order.objects.filter(pk=parse_id(reference)).first()
        if order:
            return order
    raise NotFound(f"no order with external order id or id {reference[:100]!r}")


def _line_option(text: str) -> tuple[str, str]:
    """``EXTERNAL_LINE_ID=QTY`` as (line id, quantity text); the service checks both."""
    ref, sep, quantity = (text or "").rpartition("=")
    if not sep or not ref.strip():
        raise InvalidInput(f"--line {text[:120]!r}: write it as EXTERNAL_LINE_ID=QTY (e.g. --line 12345=2)")
    return ref.strip(), quantity.strip()


def _summary_json(order: Order) -> dict:
    """``orders.selectors.order_summary`` as the API prints it: ISO 8601 times (UTC as Z), amounts as strings."""
    return {key: _json_value(value) for key, value in selectors.order_summary(order).items()}


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(order: Order) -> str:
    when = timezone.localtime(order.purchased_at).strftime("%Y-%m-%d %H:%M")
    flags = " ".join(
        flag
        for flag, on in (
            ("ON HOLD", order.on_hold),
            ("UNLINKED", order.has_unlinked_lines),
            (order.get_allocation_state_display().upper(), order.allocation_state in ("partial", "none")),
        )
        if on
    )
    return (
        f"{order.pk:>7}  {order.external_order_id:<22} {order.source:<8} {order.status:<10} {when}  "
        f"{order.currency} {order.total:>9}  {order.buyer_name[:30]}" + (f"  [{flags}]" if flags else "")
    )


class Command(StockroomCommand):
    help = "List orders of the order book, process (dispatch) one, or dispatch a package of one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = sub.add_parser("list", help="orders, newest first")
        listing.add_argument("--source", default="", help="channel key (e.g. amazon) or manual")
        listing.add_argument("--status", default="", choices=[""] + list(OrderStatus.values))
        listing.add_argument("--allocation", default="", choices=[""] + list(AllocationState.values))
        listing.add_argument("--search", default="", help="order id, buyer name or SKU")
        listing.add_argument("--limit", type=int, default=50, help=f"at most this many (1..{MAX_LIMIT})")
        add_json_flag(listing)

        process = sub.add_parser("process", help="dispatch an order with a tracking number and method")
        process.add_argument("order", help="external order id (e.g. 202-1234567-1234567) or Stockroom's id")
        process.add_argument(
            "--tracking",
            default="",
            help="tracking number (required where the channel needs one, e.g. Amazon)",
        )
        process.add_argument(
            "--method",
            default="",
            help="shipping method (default: the account's default for the service the buyer chose)",
        )
        add_json_flag(process)

        dispatch = sub.add_parser(
            "dispatch", help="dispatch a package: some lines and units (--line), or everything still to ship"
        )
        dispatch.add_argument("order", help="external order id (e.g. 202-1234567-1234567) or Stockroom's id")
        dispatch.add_argument(
            "--line",
            action="append",
            default=[],
            metavar="EXTERNAL_LINE_ID=QTY",
            help="an order line and the units of it in this package (repeat for several lines); "
            "none: every unit still to ship",
        )
        dispatch.add_argument(
            "--tracking", default="", help="tracking number (required where the channel needs one)"
        )
        dispatch.add_argument(
            "--method",
            default="",
            help="shipping method (default: the account's default for the service the buyer chose)",
        )
        add_json_flag(dispatch)

        correct = sub.add_parser(
            "correct-shipment", help="correct a shipping confirmation the channel refused and send it again"
        )
        correct.add_argument("order", help="external order id or Stockroom's id")
        correct.add_argument("--tracking", default="", help="tracking number")
        correct.add_argument("--method", default="", help="shipping method (default: keep the one sent)")
        correct.add_argument(
            "--carrier-code", default="", help="one of the channel's carrier codes (default: as mapped)"
        )
        correct.add_argument("--carrier-name", default="", help="the carrier's name, for carrier code Other")
        correct.add_argument(
            "--package",
            type=int,
            default=None,
            help="the package's number (default: the order's only package, or its only refused one)",
        )
        add_json_flag(correct)

    @stockroom_errors
    def handle(self, *args, **options):
        if options["action"] == "list":
            if not 1 <= options["limit"] <= MAX_LIMIT:
                raise InvalidInput(f"--limit must be between 1 and {MAX_LIMIT}, got {options['limit']}")
            orders = list(
                selectors.order_list(
                    source=options["source"],
                    status=options["status"],
                    search=options["search"],
                    allocation_state=options["allocation"],
                )[: options["limit"]]
            )
            data = [_summary_json(order) for order in orders]
            emit(self, options, data, "\n".join(map(_row, orders)) or "No orders match.")
            return
        order = order_by_reference(options["order"])
        if options["action"] == "correct-shipment":
            shipment = accounts.correct_refused_shipment(
                order_id=order.pk,
                tracking_number=options["tracking"],
                shipping_method=options["method"],
                carrier_code=options["carrier_code"],
                carrier_name=options["carrier_name"],
                package=options["package"],
            )
            emit(
                self,
                options,
                {
                    "order": order.external_order_id,
                    "package": shipment.number,
                    "status": shipment.status,
                    "tracking_number": shipment.tracking_number,
                    "shipping_method": shipment.shipping_method,
                    "carrier_code": shipment.carrier_code,
                },
                f"Shipping confirmation of order {order.external_order_id} corrected ({shipment.shipping_method}, "
                f"tracking {shipment.tracking_number}); the next sync sends it",
            )
            return
        if options["action"] == "dispatch":
            shipment = services.dispatch_shipment(
                order_id=order.pk,
                lines=None if not options["line"] else [_line_option(text) for text in options["line"]],
                tracking_number=options["tracking"],
                shipping_method=options["method"],
            )
            order = shipment.order
            units = ", ".join(
                f"{row.order_line.external_line_id}={row.quantity}" for row in shipment.lines.all()
            )
            data = {
                **_summary_json(order),
                "package": {
                    key: _json_value(value) for key, value in selectors.package_summary(shipment).items()
                },
            }
            emit(
                self,
                options,
                data,
                f"Order {order.external_order_id}: package {shipment.number} dispatched ({units}), "
                f"{shipment.shipping_method}"
                + (f", tracking {shipment.tracking_number}" if shipment.tracking_number else "")
                + f"; the order is {order.get_status_display().lower()}",
            )
            return
        order = services.process_order(
            order_id=order.pk, tracking_number=options["tracking"], shipping_method=options["method"]
        )
        data = _summary_json(order)
        tracking = f", tracking {order.tracking_number}" if order.tracking_number else ""
        emit(
            self,
            options,
            data,
            f"Processed order {order.external_order_id}: {order.shipping_method}{tracking}",
        )
