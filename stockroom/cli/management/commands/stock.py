"""stockroom stock show|adjust|receive."""

from django.core.management.base import CommandParser

from stockroom.catalog.selectors import stock_item_by_sku
from stockroom.cli.management.commands._output import StockroomCommand, add_json_flag, emit, stockroom_errors
from stockroom.inventory.selectors import stock_detail
from stockroom.inventory.services import adjust_stock, receive_stock


def _text(detail: dict) -> str:
    lines = [
        f"{detail['sku']}  {detail['title']}"
        + (f"  (barcode {detail['barcode']})" if detail["barcode"] else ""),
        f"  on hand {detail['on_hand']}, allocated {detail['allocated']}, available {detail['available']}, "
        f"available to sell {detail['available_to_sell']}",
    ]
    lines += [
        f"  {level['location']}: on hand {level['on_hand']}, allocated {level['allocated']}"
        + ("" if level["feeds_channels"] else "  (does not feed channels)")
        for level in detail["levels"]
    ]
    return "\n".join(lines)


class Command(StockroomCommand):
    help = "Show, adjust or receive stock of one stock item (by SKU)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        show = sub.add_parser("show", help="on hand, allocated and available, per location")
        show.add_argument("sku")
        add_json_flag(show)

        adjust = sub.add_parser("adjust", help="set a counted level (--set) or apply a change (--delta)")
        adjust.add_argument("sku")
        how = adjust.add_mutually_exclusive_group(required=True)
        how.add_argument("--set", dest="set_to", metavar="N", help="the new on-hand level (a stock count)")
        how.add_argument("--delta", metavar="N", help="a signed change, e.g. -2")
        adjust.add_argument("--reason", required=True, help="why (kept in the stock ledger)")
        adjust.add_argument("--reference", default="")
        add_json_flag(adjust)

        receive = sub.add_parser("receive", help="book in a delivery")
        receive.add_argument("sku")
        receive.add_argument("--quantity", required=True, metavar="N")
        receive.add_argument("--reference", default="", help="e.g. a purchase order number")
        add_json_flag(receive)

    @stockroom_errors
    def handle(self, *args, **options):
        item = stock_item_by_sku(options["sku"])
        action = options["action"]
        if action == "adjust":
            movement = adjust_stock(
                item=item,
                set_to=options["set_to"],
                delta=options["delta"],
                reason=options["reason"],
                reference=options["reference"],
            )
            summary = (
                f"{item.sku}: on hand changed by {movement.quantity:+d}"
                if movement
                else f"{item.sku}: no change"
            )
        elif action == "receive":
            movement = receive_stock(item=item, quantity=options["quantity"], reference=options["reference"])
            summary = f"{item.sku}: received {movement.quantity}"
        else:
            summary = ""
        detail = stock_detail(item)
        emit(self, options, detail, "\n".join(filter(None, [summary, _text(detail)])))
