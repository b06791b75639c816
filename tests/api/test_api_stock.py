import pytest

from stockroom.access.tokens import create_api_token
from stockroom.catalog.models import StockItem
from stockroom.inventory.models import Location, StockLevel, StockMovement
from stockroom.inventory.services import receive_stock

pytestmark = pytest.mark.django_db


def test_stock_list_shows_totals_and_filters_by_sku_prefix(api, make_item):
    mug = make_item("MUG-1", on_hand=5, title="Blue mug")
    back_room = Location.objects.create(name="Back room", feeds_channels=False)
    receive_stock(item=mug, quantity=3, location=back_room)
    make_item("MUG-2", on_hand=1)
    make_item("PLATE-1")

    everything = api.get("/api/stock").json()
    mugs = api.get("/api/stock", {"sku": "mug"}).json()

    assert [row["sku"] for row in everything["items"]] == ["MUG-1", "MUG-2", "PLATE-1"]
    assert mugs["items"][0] == {
        "sku": "MUG-1",
        "title": "Blue mug",
        "barcode": "",
        "on_hand": 8,
        "allocated": 0,
        "available": 8,
        "available_to_sell": 5,  # the back room does not feed channels
    }
    assert [row["sku"] for row in mugs["items"]] == ["MUG-1", "MUG-2"]


def test_stock_list_is_keyset_paged_by_sku(api, make_item):
    for n in range(5):
        make_item(f"SKU-{n}")

    first = api.get("/api/stock", {"limit": 3}).json()
    second = api.get("/api/stock", {"limit": 3, "cursor": first["next_cursor"]}).json()

    assert [r["sku"] for r in first["items"]] == ["SKU-0", "SKU-1", "SKU-2"]
    assert [r["sku"] for r in second["items"]] == ["SKU-3", "SKU-4"]
    assert second["next_cursor"] is None


def test_one_item_shows_its_levels_and_sku_is_case_insensitive(api, make_item):
    make_item("MUG-1", on_hand=5)

    response = api.get("/api/stock/mug-1")

    assert response.status_code == 200
    assert response.json()["levels"] == [
        {"location": "Default", "feeds_channels": True, "on_hand": 5, "allocated": 0, "available": 5}
    ]


def test_an_unknown_sku_is_404_json(api, db):
    response = api.get("/api/stock/NOPE")

    assert response.status_code == 404
    assert response.json() == {
        "error": "unknown_sku",
        "message": "unknown SKU 'NOPE': no stock item has this SKU",
        "details": {"sku": "NOPE"},
    }


def test_a_sku_with_a_slash_reaches_every_stock_endpoint(api, make_item):
    make_item("BOX/10", on_hand=2)

    assert api.get("/api/stock/BOX/10").json()["on_hand"] == 2
    assert api.post("/api/stock/BOX/10/receive", {"quantity": 3}).json()["on_hand"] == 5
    assert api.post("/api/stock/BOX/10/adjust", {"delta": -1, "reason": "dropped"}).json()["on_hand"] == 4


def test_adjust_sets_or_changes_on_hand_with_a_reason_in_the_ledger(api, make_item):
    item = make_item("MUG-1", on_hand=5)

    counted = api.post("/api/stock/MUG-1/adjust", {"set": 12, "reason": "stock take", "reference": "ST-1"})
    damaged = api.post("/api/stock/MUG-1/adjust", {"delta": -2, "reason": "damaged"})

    assert (counted.status_code, counted.json()["on_hand"]) == (200, 12)
    assert damaged.json()["on_hand"] == 10
    assert list(
        StockMovement.objects.filter(item=item)
        .order_by("id")
        .values_list("quantity", "reason", "note", "reference", "user__username")
    ) == [
        (5, "count", "opening stock", "", None),
        (7, "count", "stock take", "ST-1", "staff"),
        (-2, "adjustment", "damaged", "", "staff"),
    ]


@pytest.mark.parametrize(
    ("body", "status", "error", "message"),
    [
        (
            {"set": 1, "delta": 1, "reason": "x"},
            400,
            "invalid_input",
            "give exactly one of a new level (set) or a change (delta)",
        ),
        ({"reason": "x"}, 400, "invalid_input", "give exactly one of a new level (set) or a change (delta)"),
        (
            {"delta": -9, "reason": "x"},
            409,
            "insufficient_stock",
            "SKU MUG-1: on hand at Default is 5; a change of -9 would take it below zero",
        ),
        (
            {"delta": 1.5, "reason": "x"},
            422,
            "invalid_input",
            "invalid request: delta: Input should be a valid integer",
        ),
        (
            {"set": -1, "reason": "x"},
            422,
            "invalid_input",
            "invalid request: set: Input should be greater than or equal to 0",
        ),
        (
            {"delta": 1, "reason": ""},
            422,
            "invalid_input",
            "invalid request: reason: String should have at least 1 character",
        ),
    ],
)
def test_bad_adjustments_are_refused_and_change_nothing(api, make_item, body, status, error, message):
    item = make_item("MUG-1", on_hand=5)

    response = api.post("/api/stock/MUG-1/adjust", body)

    assert response.status_code == status
    assert (response.json()["error"], response.json()["message"]) == (error, message)
    assert StockLevel.objects.get(item=item).on_hand == 5


def test_receive_adds_stock_with_its_reference(api, make_item):
    item = make_item("MUG-1")

    response = api.post("/api/stock/MUG-1/receive", {"quantity": 24, "reference": "PO-77"})

    assert response.status_code == 200
    assert response.json()["on_hand"] == 24
    movement = StockMovement.objects.get(item=item)
    assert (movement.reason, movement.reference, movement.user.username) == ("receipt", "PO-77", "staff")


def test_administrators_create_items_warehouse_staff_may_not(api, client, make_user):
    admin_token = create_api_token(username=make_user("boss", role="Administrator").username).secret
    as_admin = {"Authorization": f"Bearer {admin_token}"}
    body = {"sku": "MUG-9", "title": 'Mug "onmouseover=alert(1)', "barcode": "5012345678900"}

    refused = api.post("/api/items", body)
    created = client.post("/api/items", body, content_type="application/json", headers=as_admin)
    again = client.post(
        "/api/items", {**body, "sku": "mug-9"}, content_type="application/json", headers=as_admin
    )

    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("sku", "title", "barcode")} == body
    assert created.json()["created_at"].endswith("Z")
    assert again.status_code == 409
    assert again.json() == {"error": "conflict", "message": "a stock item with SKU mug-9 already exists"}
    assert list(StockItem.objects.values_list("sku", flat=True)) == ["MUG-9"]


def test_a_superuser_token_counts_as_administrator(client, make_user):
    secret = create_api_token(username=make_user("root", role=None, is_superuser=True).username).secret

    response = client.post(
        "/api/items",
        {"sku": "A-1", "title": "A"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert response.status_code == 201
