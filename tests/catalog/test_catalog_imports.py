import re

import pytest

from stockroom.catalog.imports import (
    ItemImportPlan,
    ItemRow,
    RowError,
    import_items,
    parse_items_csv,
)
from stockroom.catalog.models import StockItem
from stockroom.core.errors import Conflict, InvalidInput
from stockroom.inventory.models import StockMovement
from stockroom.inventory.selectors import ledger_mismatches, stock_totals

pytestmark = pytest.mark.django_db


def test_columns_are_found_by_name_in_any_order_with_extra_columns_ignored():
    data = (
        "Quantity,Notes,TITLE,sku,Barcode\r\n3,ignored,Blue mug,MUG-1,5012345678900\r\n,,Red mug,MUG-2,\r\n"
    )

    plan = parse_items_csv(data)

    assert plan == ItemImportPlan(
        rows=(
            ItemRow(line=2, sku="MUG-1", title="Blue mug", barcode="5012345678900", quantity=3),
            ItemRow(line=3, sku="MUG-2", title="Red mug", barcode="", quantity=0),
        ),
        errors=(),
    )
    assert not StockItem.objects.exists()  # the preview writes nothing


def test_utf8_with_bom_and_windows_1252_are_both_read():
    utf8 = "\ufeffsku,title\nCAFE-1,Café crème – 250 g\n".encode()
    cp1252 = "sku;title\nCAFE-1;Café crème – 250 g\n".encode("cp1252")

    for data in (utf8, cp1252):
        assert parse_items_csv(data).rows == (
            ItemRow(line=2, sku="CAFE-1", title="Café crème – 250 g", barcode="", quantity=0),
        )


def test_every_bad_row_is_reported_at_once_with_its_line(make_item):
    make_item("TAKEN-1")
    data = "\n".join(
        [
            "sku,title,barcode,quantity",
            "OK-1,Fine,,2",
            ",No SKU,,1",
            "NO-TITLE,,,1",
            "OK-1,Again,,1",
            "taken-1,Exists already,,1",
            "NEG-1,Negative,,-3",
            "FRAC-1,Fraction,,2.5",
            "",
            "LONG-1," + "t" * 501 + ",,1",
            "BAR-1,Long barcode," + "9" * 65 + ",",
            "X" * 101 + ",Long SKU,,",
        ]
    )

    plan = parse_items_csv(data)

    assert plan.rows == (ItemRow(line=2, sku="OK-1", title="Fine", barcode="", quantity=2),)
    assert plan.errors == (
        RowError(3, "", "SKU is missing"),
        RowError(4, "NO-TITLE", "title is missing"),
        RowError(5, "OK-1", "SKU OK-1 appears more than once (first on line 2)"),
        RowError(6, "taken-1", "a stock item with SKU taken-1 already exists"),
        RowError(7, "NEG-1", "quantity cannot be negative, got -3"),
        RowError(8, "FRAC-1", "quantity must be a whole number, got '2.5'"),
        RowError(10, "LONG-1", "title is longer than 500 characters (501)"),
        RowError(11, "BAR-1", "barcode is longer than 64 characters (65)"),
        RowError(12, "X" * 100, "SKU is longer than 100 characters (101)"),
    )


def test_line_numbers_count_physical_lines_of_quoted_multiline_fields():
    data = 'sku,title\nA-1,"two\nlines"\n,missing sku\n'

    plan = parse_items_csv(data)

    assert plan.rows[0].title == "two lines"  # titles are one line: clean_text makes the break a space
    assert plan.errors == (RowError(4, "", "SKU is missing"),)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        ("title,quantity\nMug,1\n", "the header row has no sku column (found: 'title', 'quantity')"),
        ("name,qty\n", "the header row has no sku or title column"),
        (b"sku,title\n\x81\x8d\x8f,x\n\xff\xfe", "neither UTF-8 nor Windows-1252"),
    ],
)
def test_a_file_that_cannot_be_read_as_a_whole_is_refused(data, message):
    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse_items_csv(data)


def test_import_creates_items_with_opening_stock_in_the_ledger():
    plan = parse_items_csv(
        "sku,title,barcode,quantity\nMUG-1,<script>alert(1)</script>,123,7\nMUG-2,Plain,,\n"
    )

    assert import_items(plan) == 2

    mug = StockItem.objects.get(sku="MUG-1")
    assert (mug.title, mug.barcode) == ("<script>alert(1)</script>", "123")
    assert stock_totals(mug.pk) == {"on_hand": 7, "allocated": 0, "available": 7}
    assert list(StockMovement.objects.values_list("item__sku", "quantity", "note")) == [
        ("MUG-1", 7, "opening stock (import)")
    ]
    assert stock_totals(StockItem.objects.get(sku="MUG-2").pk)["on_hand"] == 0
    assert ledger_mismatches() == []


def test_import_refuses_a_plan_with_errors_and_writes_nothing():
    plan = parse_items_csv("sku,title,quantity\nGOOD-1,Good,1\nBAD-1,Bad,x\n")

    with pytest.raises(InvalidInput, match=r"the file has 1 bad row\(s\)") as raised:
        import_items(plan)

    assert raised.value.details == {"lines": [3]}
    assert not StockItem.objects.exists()


def test_import_is_all_or_nothing_when_a_sku_appears_after_the_preview(make_item):
    plan = parse_items_csv("sku,title,quantity\nNEW-1,New,5\nLATE-1,Late,1\n")
    make_item("late-1")  # someone else created it between preview and import

    with pytest.raises(Conflict, match="line 3: a stock item with SKU LATE-1 already exists"):
        import_items(plan)

    assert list(StockItem.objects.values_list("sku", flat=True)) == ["late-1"]
    assert not StockMovement.objects.exists()
