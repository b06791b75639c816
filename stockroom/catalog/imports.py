"""Stock item import from CSV: parse and validate first (the preview), then write all or nothing.

``parse_items_csv`` reads columns ``sku, title, barcode, quantity`` by header name (case-insensitive,
any order, extra columns ignored, separated by commas, semicolons or tabs as the header line shows;
``barcode`` and ``quantity`` are optional columns, a blank quantity
means no opening stock). It writes nothing and reports every bad row at once, with its line number
in the file (the header is line 1). A problem with the file as a whole (undecodable, no header, a
required column missing) raises ``InvalidInput``.

``import_items`` creates the items of a plan without errors and sets their opening stock level, in
one transaction: if anything fails (e.g. a SKU created by someone else since the preview), nothing
is written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db import transaction

from stockroom.catalog.models import StockItem
from stockroom.catalog.services import SKU_MAX, clean_barcode, clean_sku, clean_title, create_stock_item
from stockroom.core.errors import InvalidInput, InvalidQuantity, StockroomError
from stockroom.core.limits import integer_value
from stockroom.core.quantities import parse_quantity
from stockroom.core.text import identity_key
from stockroom.inventory.models import StockLevel
from stockroom.inventory.services import adjust_stock

REQUIRED_COLUMNS = ("sku", "title")
OPTIONAL_COLUMNS = ("barcode", "quantity")
OPENING_STOCK_REASON = "opening stock (import)"
_LOOKUP_CHUNK = 500


@dataclass(frozen=True)
class ItemRow:
    line: int
    sku: str
    title: str
    barcode: str
    quantity: int


@dataclass(frozen=True)
class RowError:
    line: int
    sku: str
    message: str


@dataclass(frozen=True)
class ItemImportPlan:
    rows: tuple[ItemRow, ...]
    errors: tuple[RowError, ...]


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise InvalidInput(
            "the file is neither UTF-8 nor Windows-1252 text; save it as CSV (UTF-8) and try again"
        ) from None


def _header_positions(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = name.strip().lower()
        if key in REQUIRED_COLUMNS + OPTIONAL_COLUMNS and key not in positions:
            positions[key] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        found = ", ".join(repr(name.strip()[:40]) for name in header if name.strip()) or "none"
        raise InvalidInput(
            f"the header row has no {' or '.join(missing)} column (found: {found}); "
            "the first line must name the columns sku, title, barcode, quantity"
        )
    return positions


def _existing_skus(skus: list[str]) -> set[str]:
    """The identity keys among those of ``skus`` that already belong to a stock item."""
    keys = sorted({identity_key(sku) for sku in skus})
    existing: set[str] = set()
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start : start + _LOOKUP_CHUNK]
        existing.update(StockItem.objects.filter(sku_key__in=chunk).values_list("sku_key", flat=True))
    return existing


def _parse_row(line: int, cell) -> tuple[ItemRow | None, list[str]]:
    problems: list[str] = []
    raw_sku = cell("sku").strip()
    sku = raw_sku
    if not raw_sku:
        problems.append("SKU is missing")
    else:
        try:
            sku = clean_sku(raw_sku)
        except InvalidInput as error:
            problems.append(error.message)
    title = barcode = ""
    if not cell("title").strip():
        problems.append("title is missing")
    else:
        try:
            title = clean_title(cell("title"))
        except InvalidInput as error:
            problems.append(error.message)
    try:
        barcode = clean_barcode(cell("barcode"))
    except InvalidInput as error:
        problems.append(error.message)
    quantity = 0
    raw_quantity = cell("quantity").strip()
    if raw_quantity:
        try:
            quantity = parse_quantity(raw_quantity, field="quantity")
            integer_value(quantity, model=StockLevel, field="on_hand", label="quantity")
        except InvalidQuantity as error:
            problems.append(error.message)
    if problems:
        return None, problems
    return ItemRow(line=line, sku=sku, title=title, barcode=barcode, quantity=quantity), []


def parse_items_csv(data: bytes | str) -> ItemImportPlan:
    """Validate a CSV of stock items; write nothing. Every bad row is reported, with its line."""
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    # strict: a quote that is never closed is an error, not the rest of the file read into one cell
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the file is empty; the first line must name the columns sku, title") from None
    except csv.Error as error:
        raise InvalidInput(f"line 1: the header is not valid CSV ({error})") from None
    positions = _header_positions(header)

    def cell_reader(record: list[str]):
        def cell(name: str) -> str:
            index = positions.get(name)
            return record[index] if index is not None and index < len(record) else ""

        return cell

    checked: list[tuple[int, str, ItemRow | None, list[str]]] = []
    first_line: dict[str, int] = {}
    line = reader.line_num
    while True:
        start = line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            checked.append((start, "", None, [f"not valid CSV ({error})"]))
            break
        line = reader.line_num
        if not any(value.strip() for value in record):
            continue
        cell = cell_reader(record)
        row, problems = _parse_row(start, cell)
        sku = cell("sku").strip()
        if sku:
            key = identity_key(sku)
            if key in first_line:
                problems.append(
                    f"SKU {sku[:SKU_MAX]} appears more than once (first on line {first_line[key]})"
                )
            else:
                first_line[key] = start
        checked.append((start, sku[:SKU_MAX], row, problems))

    existing = _existing_skus([row.sku for _, _, row, _ in checked if row is not None])
    rows: list[ItemRow] = []
    errors: list[RowError] = []
    for start, sku, row, problems in checked:
        if row is not None and identity_key(row.sku) in existing:
            problems.append(f"a stock item with SKU {row.sku} already exists")
        if problems:
            errors.append(RowError(line=start, sku=sku, message="; ".join(problems)))
        else:
            rows.append(row)
    return ItemImportPlan(rows=tuple(rows), errors=tuple(errors))


def import_items(plan: ItemImportPlan, *, user=None) -> int:
    """Create every item of ``plan`` with its opening stock, all or nothing. Returns how many."""
    if plan.errors:
        raise InvalidInput(
            f"the file has {len(plan.errors)} bad row(s); fix them and import again (nothing was imported)",
            lines=[error.line for error in plan.errors],
        )
    if not plan.rows:
        raise InvalidInput("the file has no items to import")
    with transaction.atomic():
        for row in plan.rows:
            try:
                item = create_stock_item(sku=row.sku, title=row.title, barcode=row.barcode)
                if row.quantity:
                    adjust_stock(item=item, set_to=row.quantity, reason=OPENING_STOCK_REASON, user=user)
            except StockroomError as error:
                error.message = f"line {row.line}: {error.message} (nothing was imported)"
                error.args = (error.message,)
                raise
    return len(plan.rows)
