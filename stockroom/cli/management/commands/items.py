"""stockroom items add|import."""

from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from stockroom.catalog.imports import import_items, parse_items_csv
from stockroom.catalog.services import create_stock_item
from stockroom.cli.management.commands._output import StockroomCommand, add_json_flag, emit, stockroom_errors

MAX_FILE_BYTES = 50 * 1024 * 1024


class Command(StockroomCommand):
    help = "Create stock items, one by hand or many from a CSV file (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = sub.add_parser("add", help="create one stock item")
        add.add_argument("sku")
        add.add_argument("--title", required=True)
        add.add_argument("--barcode", default="")
        add_json_flag(add)
        imp = sub.add_parser(
            "import",
            help="create stock items from a CSV with columns sku, title, barcode, quantity (opening stock)",
        )
        imp.add_argument("file", help="CSV file (UTF-8 or Windows-1252)")
        add_json_flag(imp)

    @stockroom_errors
    def handle(self, *args, **options):
        if options["action"] == "add":
            item = create_stock_item(sku=options["sku"], title=options["title"], barcode=options["barcode"])
            data = {"id": item.pk, "sku": item.sku, "title": item.title, "barcode": item.barcode}
            emit(self, options, data, f"Created stock item {item.sku}: {item.title}")
        else:
            self.import_file(options)

    def import_file(self, options) -> None:
        path = Path(options["file"])
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"{path} is larger than {MAX_FILE_BYTES // 1024 // 1024} MB; split it")
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        plan = parse_items_csv(data)
        if plan.errors:
            if options["json"]:
                errors = [{"line": e.line, "sku": e.sku, "message": e.message} for e in plan.errors]
                emit(self, options, {"imported": 0, "errors": errors}, "")
            for error in plan.errors:
                sku = f" ({error.sku})" if error.sku else ""
                self.stderr.write(f"{path}:{error.line}{sku}: {error.message}")
            raise CommandError(
                f"{len(plan.errors)} bad row(s) in {path}; nothing was imported. Fix them and run again."
            )
        count = import_items(plan)
        emit(self, options, {"imported": count, "errors": []}, f"Imported {count} stock item(s) from {path}")
