"""Inventory screens: list with levels, item detail, adjust, receive, create/edit, CSV import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stockroom.catalog.models import StockItem
from stockroom.inventory.models import MovementReason, StockMovement
from stockroom.inventory.selectors import stock_totals
from stockroom.web.views.inventory import IMPORT_SESSION_KEY


def _skus(response) -> list[str]:
    return [item.sku for item in response.context["page"]]


def test_list_shows_levels_in_a_fixed_number_of_queries(staff_client, make_item):
    for n in range(3):
        make_item(f"SKU-{n}", on_hand=n + 1)
    staff_client.get(reverse("inventory"))  # warm up session/user queries
    with CaptureQueriesContext(connection) as few:
        staff_client.get(reverse("inventory"))
    for n in range(3, 13):
        make_item(f"SKU-{n}", on_hand=1)
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(reverse("inventory"))
    assert len(many) == len(few)
    row = next(i for i in response.context["page"] if i.sku == "SKU-2")
    assert (row.on_hand, row.allocated, row.available) == (3, 0, 3)


def test_list_sorts_by_on_hand_and_searches(staff_client, make_item):
    make_item("B-ITEM", on_hand=5, title="Blue mug")
    make_item("A-ITEM", on_hand=9, title="Red cup")
    make_item("C-ITEM", on_hand=1, title="Green mug")
    assert _skus(staff_client.get(reverse("inventory"))) == ["A-ITEM", "B-ITEM", "C-ITEM"]
    assert _skus(staff_client.get(reverse("inventory"), {"sort": "-on_hand"})) == [
        "A-ITEM",
        "B-ITEM",
        "C-ITEM",
    ]
    assert _skus(staff_client.get(reverse("inventory"), {"sort": "on_hand"})) == [
        "C-ITEM",
        "B-ITEM",
        "A-ITEM",
    ]
    assert _skus(staff_client.get(reverse("inventory"), {"q": "mug"})) == ["B-ITEM", "C-ITEM"]


def test_adjust_set_shows_new_level_and_movement(staff_client, staff_user, make_item):
    item = make_item("MUG", on_hand=5)
    response = staff_client.post(
        reverse("item_adjust", args=[item.pk]),
        {"mode": "set", "quantity": "12", "reason": "stock count"},
        follow=True,
    )
    html = response.content.decode()
    assert "MUG at Default: on hand is now 12 (+7)." in html
    assert stock_totals(item.pk)["on_hand"] == 12
    movement = StockMovement.objects.filter(item=item).first()
    assert (movement.quantity, movement.reason, movement.note, movement.user) == (
        7,
        MovementReason.COUNT,
        "stock count",
        staff_user,
    )


def test_adjust_delta_below_zero_is_refused_with_reason(staff_client, make_item):
    item = make_item("MUG", on_hand=2)
    response = staff_client.post(
        reverse("item_adjust", args=[item.pk]),
        {"mode": "delta", "quantity": "-5", "reason": "broken"},
        follow=True,
    )
    assert (
        "Stock not changed: SKU MUG: on hand at Default is 2; a change of -5 would take it below zero."
        in (response.content.decode())
    )
    assert stock_totals(item.pk)["on_hand"] == 2


def test_adjust_without_reason_is_refused(staff_client, make_item):
    item = make_item("MUG", on_hand=2)
    response = staff_client.post(
        reverse("item_adjust", args=[item.pk]), {"mode": "set", "quantity": "1"}, follow=True
    )
    assert "Stock not changed: a reason is required for a stock adjustment." in response.content.decode()


def test_receive_stock(staff_client, make_item):
    item = make_item("MUG", on_hand=2)
    response = staff_client.post(
        reverse("item_receive", args=[item.pk]), {"quantity": "10", "reference": "PO-7"}, follow=True
    )
    assert "Received 10 × MUG at Default; on hand is now 12." in response.content.decode()
    assert (
        StockMovement.objects.filter(item=item, reason=MovementReason.RECEIPT, reference="PO-7").count() == 1
    )


def test_detail_shows_levels_movements_and_chart_data(staff_client, make_item):
    item = make_item("MUG", on_hand=4)
    response = staff_client.get(reverse("item_detail", args=[item.pk]))
    html = response.content.decode()
    assert 'data-stock="on_hand">4<' in html
    assert "opening stock" in html
    chart = response.context["chart"]
    assert len(chart["labels"]) == 30
    assert chart["on_hand"][-1] == 4 and chart["available"][-1] == 4
    assert 'id="stock-chart-data" type="application/json"' in html


def test_create_and_edit_item(staff_client):
    response = staff_client.post(
        reverse("item_create"), {"sku": "NEW-1", "title": "New thing", "barcode": "123"}
    )
    item = StockItem.objects.get(sku="NEW-1")
    assert response["Location"] == reverse("item_detail", args=[item.pk])
    staff_client.post(
        reverse("item_edit", args=[item.pk]), {"sku": "IGNORED", "title": "Renamed", "barcode": ""}
    )
    item.refresh_from_db()
    assert (item.sku, item.title, item.barcode) == ("NEW-1", "Renamed", "")


def test_create_duplicate_sku_says_so(staff_client, make_item):
    make_item("DUP")
    response = staff_client.post(reverse("item_create"), {"sku": "dup", "title": "x"})
    assert "a stock item with SKU dup already exists. Correct it and save again." in response.content.decode()


CSV_OK = b"sku,title,barcode,quantity\nIMP-1,Imported one,111,5\nIMP-2,Imported two,,\n"
CSV_BAD = b"sku,title,quantity\nIMP-1,Good,1\n,No sku,2\nIMP-3,Bad qty,many\n"


def test_import_preview_then_confirm_imports_exactly_the_preview(staff_client):
    preview = staff_client.post(
        reverse("inventory_import"),
        {"file": SimpleUploadedFile("items.csv", CSV_OK, content_type="text/csv")},
    )
    assert preview.status_code == 200
    assert "2 stock items ready to import" in preview.content.decode()
    assert not StockItem.objects.filter(sku__startswith="IMP-").exists()
    digest = preview.context["digest"]
    response = staff_client.post(
        reverse("inventory_import"), {"step": "confirm", "digest": digest}, follow=True
    )
    assert "Imported 2 stock items from items.csv." in response.content.decode()
    assert sorted(StockItem.objects.values_list("sku", flat=True)) == ["IMP-1", "IMP-2"]
    assert stock_totals(StockItem.objects.get(sku="IMP-1").pk)["on_hand"] == 5
    assert IMPORT_SESSION_KEY not in staff_client.session


def test_import_with_errors_shows_each_bad_row_and_writes_nothing(staff_client):
    preview = staff_client.post(
        reverse("inventory_import"), {"file": SimpleUploadedFile("bad.csv", CSV_BAD, content_type="text/csv")}
    )
    html = preview.content.decode()
    assert "2 rows cannot be imported, so nothing will be saved." in html
    assert [e.line for e in preview.context["plan"].errors] == [3, 4]
    assert 'name="step" value="confirm"' not in html
    response = staff_client.post(
        reverse("inventory_import"), {"step": "confirm", "digest": preview.context["digest"]}, follow=True
    )
    assert "Nothing imported:" in response.content.decode()
    assert not StockItem.objects.filter(sku__startswith="IMP-").exists()


def test_import_confirm_with_a_different_digest_imports_nothing(staff_client):
    staff_client.post(reverse("inventory_import"), {"file": SimpleUploadedFile("items.csv", CSV_OK)})
    response = staff_client.post(
        reverse("inventory_import"), {"step": "confirm", "digest": "0" * 64}, follow=True
    )
    assert "That preview has expired or was replaced by another upload." in response.content.decode()
    assert not StockItem.objects.filter(sku__startswith="IMP-").exists()


@pytest.mark.parametrize("url_name", ["inventory", "item_create", "inventory_import"])
def test_staff_may_use_inventory_pages(staff_client, url_name):
    assert staff_client.get(reverse(url_name)).status_code == 200
