"""stockroom listings link|unlink|link-all|import|show|ignore."""

from __future__ import annotations

from django.core.management.base import CommandParser

from stockroom.catalog.selectors import stock_item_by_sku
from stockroom.channels import selectors, services
from stockroom.cli.management.commands._output import StockroomCommand, add_json_flag, emit, stockroom_errors
from stockroom.sync import accounts
from stockroom.sync.quantities import shown_fields


def _match_dict(match) -> dict:
    return {"channel_sku": match.channel_sku, "sku": match.stock_item_sku, "listing_id": match.listing_id}


class Command(StockroomCommand):
    help = "Manage listed products: link channel SKUs to stock items, import listings, show statuses."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        link = sub.add_parser("link", help="link a channel SKU to a stock item SKU")
        link.add_argument("account")
        link.add_argument("channel_sku")
        link.add_argument("sku")
        add_json_flag(link)
        unlink = sub.add_parser("unlink", help="unlink a channel SKU")
        unlink.add_argument("account")
        unlink.add_argument("channel_sku")
        add_json_flag(unlink)
        link_all = sub.add_parser(
            "link-all", help="link unlinked listings to stock items of the identical SKU"
        )
        link_all.add_argument("account")
        link_all.add_argument("--yes", action="store_true", help="apply; without it, only show the preview")
        add_json_flag(link_all)
        imports = sub.add_parser("import", help="import the account's listings from the channel")
        imports.add_argument("account")
        add_json_flag(imports)
        show = sub.add_parser("show", help="listings with their inventory status and last confirmed quantity")
        show.add_argument("account")
        show.add_argument("--search", default="")
        add_json_flag(show)
        rules = sub.add_parser(
            "rules",
            help="set a listing's own quantity rules (empty: the account's rule applies) and show what it sends",
        )
        rules.add_argument("account")
        rules.add_argument("channel_sku")
        for rule, text in (
            ("max_quantity", "show at most this many"),
            ("min_level", "show 0 when available is at or below this level"),
            ("percentage", "show this percentage of available, rounded down (0-100)"),
            ("fixed_quantity", "always show this many, whatever is available"),
        ):
            rules.add_argument(
                "--" + rule.replace("_", "-"), dest=rule, metavar="N", help=text + " ('' clears)"
            )
        add_json_flag(rules)
        ignore = sub.add_parser("ignore", help="stop (on) or resume (off) stock updates for one listing")
        ignore.add_argument("account")
        ignore.add_argument("channel_sku")
        ignore.add_argument("switch", choices=["on", "off"])
        add_json_flag(ignore)

    @stockroom_errors
    def handle(self, *args, **options):
        account = selectors.account_by_name(options["account"])
        return getattr(self, "do_" + options["action"].replace("-", "_"))(account, options)

    def do_link(self, account, options):
        item = stock_item_by_sku(options["sku"])
        outcome = services.link_listing(account=account, channel_sku=options["channel_sku"], stock_item=item)
        emit(
            self,
            options,
            {
                "account": account.name,
                "channel_sku": outcome.listing.channel_sku,
                "sku": item.sku,
                "previous_sku": outcome.previous_sku,
                "created": outcome.created,
                "orders_relinked": outcome.orders_relinked,
            },
            f"{account.name}: {outcome.listing.channel_sku} -> {item.sku}"
            + (f" (was {outcome.previous_sku})" if outcome.previous_sku else "")
            + (f"; {outcome.orders_relinked} open order(s) now linked" if outcome.orders_relinked else ""),
        )

    def do_unlink(self, account, options):
        selectors.listing_by_sku(account, options["channel_sku"])
        outcome = services.link_listing(account=account, channel_sku=options["channel_sku"], stock_item=None)
        emit(
            self,
            options,
            {
                "account": account.name,
                "channel_sku": outcome.listing.channel_sku,
                "previous_sku": outcome.previous_sku,
            },
            f"{account.name}: {outcome.listing.channel_sku} unlinked",
        )

    def do_link_all(self, account, options):
        preview = selectors.identical_sku_matches(account)
        if not options["yes"]:
            lines = [f"{account.name}: {len(preview.matches)} listing(s) would be linked:"]
            lines += [f"  {m.channel_sku} -> {m.stock_item_sku}" for m in preview.matches]
            if preview.unmatched:
                lines.append(f"{len(preview.unmatched)} unlinked listing(s) have no stock item of that SKU:")
                lines += [f"  {sku}" for sku in preview.unmatched]
            lines.append("Run again with --yes to link them.")
            emit(
                self,
                options,
                {
                    "account": account.name,
                    "applied": False,
                    "would_link": [_match_dict(m) for m in preview.matches],
                    "unmatched": list(preview.unmatched),
                },
                "\n".join(lines),
            )
            return
        result = services.link_identical_skus(
            account=account, listing_ids=[m.listing_id for m in preview.matches]
        )
        emit(
            self,
            options,
            {
                "account": account.name,
                "applied": True,
                "linked": [_match_dict(m) for m in result.linked],
                "skipped": list(result.skipped),
                "unmatched": list(preview.unmatched),
                "orders_relinked": result.orders_relinked,
            },
            f"{account.name}: linked {len(result.linked)} listing(s); {len(preview.unmatched)} without a match; "
            f"{result.orders_relinked} open order(s) now linked",
        )

    def do_import(self, account, options):
        result = accounts.import_listings(account)
        for sku, why in result.failed:
            self.stderr.write(f"Skipped listing {sku!r}: {why}")
        emit(
            self,
            options,
            {
                "account": account.name,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "suggested_links": [_match_dict(m) for m in result.suggestions],
                "failed": [{"channel_sku": s, "message": m} for s, m in result.failed],
            },
            f"{account.name}: {result.created} new, {result.updated} updated, {result.unchanged} unchanged listing(s)"
            + (
                f"; {len(result.suggestions)} can be linked by identical SKU: stockroom listings link-all "
                f"{account.name!r}"
                if result.suggestions
                else ""
            ),
        )

    def do_show(self, account, options):
        listings = list(selectors.listing_list(account=account, search=options["search"]))
        shown = shown_fields(listings)
        rows = [
            {
                "channel_sku": listing.channel_sku,
                "sku": listing.stock_item.sku if listing.stock_item_id else None,
                "external_ref": listing.external_ref,
                "title": listing.title,
                "fulfilled_by_channel": listing.fulfilled_by_channel,
                "ignore_sync": listing.ignore_sync,
                "status": listing.status,
                "status_label": listing.get_status_display(),
                "last_error": listing.last_error,
                "last_confirmed_quantity": listing.last_confirmed_quantity,
                "last_confirmed_at": listing.last_confirmed_at,
                "updates_left_today": listing.writes_left_now,  # None: the channel reports no such limit
                "updates_left_until": listing.writes_reset_at
                if listing.writes_left_now is not None
                else None,
                **shown[listing.pk],
            }
            for listing in listings
        ]
        text = "\n".join(
            f"{r['channel_sku']:<30} {r['sku'] or '(unlinked)':<25} {r['status_label']:<10} "
            f"{'-' if r['last_confirmed_quantity'] is None else r['last_confirmed_quantity']:>6}"
            + (" FBA" if r["fulfilled_by_channel"] else "")
            + (" ignored" if r["ignore_sync"] else "")
            + ("" if r["updates_left_today"] is None else f" ({r['updates_left_today']} updates left today)")
            + (f"  {r['last_error']}" if r["status"] == "error" else "")
            + (f"\n{'':<30} {r['why']}" if r["why"] else "")
            for r in rows
        )
        emit(
            self, options, rows, text or f"{account.name} has no listings yet: stockroom listings import ..."
        )

    def do_rules(self, account, options):
        listing = selectors.listing_by_sku(account, options["channel_sku"])
        values = {key: options[key] for key in services.LISTING_RULES if options.get(key) is not None}
        listing = services.set_listing_quantity_rules(listing=listing, values=values)
        listing.account = account
        row = {
            "account": account.name,
            "channel_sku": listing.channel_sku,
            **shown_fields([listing])[listing.pk],
        }
        own = ", ".join(f"{key} {value}" for key, value in row["rules"].items() if value is not None)
        emit(
            self,
            options,
            row,
            f"{account.name}: {listing.channel_sku}: "
            + (own or "no rules of its own (the account's apply)")
            + (f"\n{row['why']}" if row["why"] else ""),
        )

    def do_ignore(self, account, options):
        listing = selectors.listing_by_sku(account, options["channel_sku"])
        listing = services.set_listing_ignore_sync(listing=listing, ignore=options["switch"] == "on")
        emit(
            self,
            options,
            {"account": account.name, "channel_sku": listing.channel_sku, "ignore_sync": listing.ignore_sync},
            f"{account.name}: {listing.channel_sku} "
            + ("ignored by stock updates" if listing.ignore_sync else "included in stock updates"),
        )
