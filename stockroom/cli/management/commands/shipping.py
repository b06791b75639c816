"""stockroom shipping add-method|map|unmap|list|carriers|default|no-default|defaults."""

from __future__ import annotations

from django.core.management.base import CommandParser

from stockroom.channels import selectors, services
from stockroom.cli.management.commands._output import StockroomCommand, add_json_flag, emit, stockroom_errors
from stockroom.orders import services as order_services
from stockroom.sync import accounts


def _mapping_dict(mapping) -> dict:
    return {
        "shipping_method": mapping.shipping_method,
        "carrier_code": mapping.carrier_code,
        "carrier_name": mapping.carrier_name,
        "ship_method": mapping.ship_method,
    }


def _default_dict(default) -> dict:
    return {"channel_service": default.channel_service, "shipping_method": default.shipping_method}


class Command(StockroomCommand):
    help = "Map internal shipping methods to an account's carrier codes and ship methods."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = sub.add_parser("add-method", help="add an internal shipping method staff can choose")
        add.add_argument("method")
        add_json_flag(add)
        mapping = sub.add_parser("map", help="map METHOD (an existing shipping method) for ACCOUNT")
        mapping.add_argument("account")
        mapping.add_argument("method")
        mapping.add_argument("--carrier-code", required=True)
        mapping.add_argument("--carrier-name", default="")
        mapping.add_argument("--ship-method", default="")
        add_json_flag(mapping)
        unmap = sub.add_parser("unmap", help="remove the mapping of METHOD for ACCOUNT")
        unmap.add_argument("account")
        unmap.add_argument("method")
        add_json_flag(unmap)
        listing = sub.add_parser("list", help="the account's mappings")
        listing.add_argument("account")
        add_json_flag(listing)
        carriers = sub.add_parser("carriers", help="the carrier codes the account's channel knows")
        carriers.add_argument("account")
        add_json_flag(carriers)
        default = sub.add_parser(
            "default", help="orders of ACCOUNT whose buyer chose SERVICE get METHOD unless one is picked"
        )
        default.add_argument("account")
        default.add_argument("service", help="the buyer's service as the order shows it (e.g. Standard)")
        default.add_argument("method")
        add_json_flag(default)
        no_default = sub.add_parser("no-default", help="remove the default method of SERVICE for ACCOUNT")
        no_default.add_argument("account")
        no_default.add_argument("service")
        add_json_flag(no_default)
        defaults = sub.add_parser("defaults", help="the account's default method per buyer's service")
        defaults.add_argument("account")
        add_json_flag(defaults)

    @stockroom_errors
    def handle(self, *args, **options):
        action = options["action"]
        if action == "add-method":
            method = order_services.create_shipping_method(name=options["method"])
            emit(self, options, {"shipping_method": method.name}, f"Added shipping method {method.name}")
            return
        account = selectors.account_by_name(options["account"])
        if action == "default":
            default = services.set_shipping_default(
                account=account, channel_service=options["service"], shipping_method=options["method"]
            )
            emit(
                self,
                options,
                {"account": account.name, **_default_dict(default)},
                f"{account.name}: buyer's service {default.channel_service} -> {default.shipping_method}",
            )
        elif action == "no-default":
            services.delete_shipping_default(account=account, channel_service=options["service"])
            emit(self, options, {"account": account.name, "removed": options["service"]}, "Removed")
        elif action == "defaults":
            rows = [_default_dict(d) for d in selectors.shipping_defaults(account)]
            text = "\n".join(f"{r['channel_service']:<30} {r['shipping_method']}" for r in rows)
            emit(self, options, rows, text or f"{account.name} sets no default methods yet")
        elif action == "map":
            mapping = accounts.map_shipping_method(
                account=account,
                shipping_method=options["method"],
                carrier_code=options["carrier_code"],
                carrier_name=options["carrier_name"],
                ship_method=options["ship_method"],
            )
            emit(
                self,
                options,
                {"account": account.name, **_mapping_dict(mapping)},
                f"{account.name}: {mapping.shipping_method} -> {mapping.carrier_code}"
                + (f" ({mapping.carrier_name})" if mapping.carrier_name else "")
                + f", {mapping.ship_method}",
            )
        elif action == "unmap":
            services.delete_shipping_mapping(account=account, shipping_method=options["method"])
            emit(self, options, {"account": account.name, "removed": options["method"]}, "Removed")
        elif action == "list":
            rows = [_mapping_dict(m) for m in selectors.shipping_mappings(account)]
            text = "\n".join(
                f"{r['shipping_method']:<30} {r['carrier_code']}"
                + (f" ({r['carrier_name']})" if r["carrier_name"] else "")
                + f"  {r['ship_method']}"
                for r in rows
            )
            emit(self, options, rows, text or f"{account.name} maps no shipping methods yet")
        else:
            codes = list(accounts.carrier_codes(account.channel))
            emit(self, options, codes, "\n".join(codes))
