"""``stockroom sync [--account NAME] [--json]``: synchronise channel accounts now, in this process.
``stockroom sync --pushes``: read the orders channels push (ADR 0016) until stopped.

Runs the same engine as the worker and the Synchronise button. Prints a line per account (orders
downloaded/new, confirmations sent, stock updates sent, errors), then a line per account whose
listings changed through a later account's orders and were pushed at the end, so every linked
listing is current when it returns; exits 1 if any account failed.
"""

import json
import sys
import time

from django.core.management.base import CommandError

from stockroom.channels.models import ChannelAccount
from stockroom.cli.management.commands._output import StockroomCommand
from stockroom.core.text import identity_key
from stockroom.sync import engine
from stockroom.sync.engine import pushed_orders
from stockroom.sync.models import SyncRun, SyncRunStatus, SyncTrigger


def run_as_dict(run: SyncRun) -> dict:
    return {
        "account": run.account.name,
        "run_id": run.pk,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "orders_downloaded": run.orders_in,
        "orders_new": run.orders_new,
        "orders_updated": run.orders_updated,
        "order_errors": run.order_errors,
        "orders_skipped": run.orders_skipped,
        "confirmations_sent": run.confirmations_sent,
        "confirmations_failed": run.confirmations_failed,
        "stock_updates_sent": run.stock_updates_sent,
        "stock_updates_confirmed": run.stock_updates_confirmed,
        "stock_update_errors": run.stock_update_errors,
        "errors": run.errors,
        "message": run.message,
    }


def run_line(run: SyncRun) -> str:
    errors = run.order_errors + run.confirmations_failed + run.stock_update_errors + len(run.errors)
    if run.status == SyncRunStatus.SKIPPED:
        return f"{run.account.name}: skipped: {run.message}"
    if run.status == SyncRunStatus.FAILED and not run.orders_in:
        return f"{run.account.name}: FAILED: {run.message}"
    if run.steps == "stock":  # the closing push: listings changed by orders of accounts synchronised later
        return (
            f"{run.account.name}: {run.get_status_display()}: {run.stock_updates_sent} stock update(s) sent "
            f"after later accounts' orders, {errors} error(s)"
        )
    skipped = f", {run.orders_skipped} skipped as bought before the cut-off" if run.orders_skipped else ""
    return (
        f"{run.account.name}: {run.get_status_display()}: {run.orders_in} order(s) downloaded "
        f"({run.orders_new} new{skipped}), {run.confirmations_sent} confirmation(s) sent, "
        f"{run.stock_updates_sent} stock update(s) sent, {errors} error(s)"
    )


class Command(StockroomCommand):
    help = "Synchronise channel accounts now: download orders, send confirmations, push stock."

    def add_arguments(self, parser):
        parser.add_argument("--account", help="only this account (its name)")
        parser.add_argument("--json", action="store_true", help="print the runs as JSON")
        parser.add_argument(
            "--all-listings",
            action="store_true",
            help="compare every linked listing's quantity, not only those whose stock changed",
        )
        parser.add_argument(
            "--pushes",
            action="store_true",
            help=(
                "instead: read the orders channels push (e.g. Amazon order notifications) until stopped, "
                "keeping the subscriptions; the worker does this too, a minute at a time"
            ),
        )

    def handle(self, *args, **options):
        as_json = options["json"]
        if options["pushes"]:
            self.stdout.write("reading pushed orders (Ctrl-C to stop) ...")
            self.stdout.flush()
            try:
                while True:
                    if not pushed_orders.listen():
                        time.sleep(pushed_orders.LONG_POLL_SECONDS)  # no account uses pushes yet
            except KeyboardInterrupt:
                return

        def announce(account):
            if not as_json:
                self.stdout.write(f"{account.name}: synchronising ...")
                self.stdout.flush()

        if options["account"]:
            account = ChannelAccount.objects.filter(name_key=identity_key(options["account"].strip())).first()
            if account is None:
                names = ", ".join(ChannelAccount.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(f"no channel account named {options['account']!r} (accounts: {names})")
            announce(account)
            run = engine.sync_account(account, trigger=SyncTrigger.CLI, all_listings=options["all_listings"])
            runs = [run] if run else []
        else:
            runs = engine.sync_all(
                trigger=SyncTrigger.CLI, on_account=announce, all_listings=options["all_listings"]
            )
        if as_json:
            self.stdout.write(json.dumps([run_as_dict(run) for run in runs], indent=2))
        else:
            if not runs:
                self.stdout.write("no enabled channel accounts to synchronise")
            for run in runs:
                self.stdout.write(run_line(run))
                for error in run.errors:
                    self.stdout.write(f"  error: {error}")
        failed = [run for run in runs if run.status == SyncRunStatus.FAILED]
        if failed:
            names = ", ".join(run.account.name for run in failed)
            self.stderr.write(f"synchronisation failed for: {names}")
            sys.exit(1)
