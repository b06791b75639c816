import pytest

from stockroom.catalog.selectors import stock_item_by_sku
from stockroom.core.errors import InsufficientStock, InvalidInput, InvalidQuantity, UnknownSku
from stockroom.inventory.models import MovementReason, PendingStockPush, StockLevel, StockMovement
from stockroom.inventory.selectors import available_to_sell, ledger_mismatches, stock_totals
from stockroom.inventory.services import adjust_stock, receive_stock

pytestmark = pytest.mark.django_db


def test_adjust_set_writes_a_count_movement_and_marks_the_item_for_channels(make_item):
    item = make_item("MUG-1")
    PendingStockPush.objects.all().delete()

    movement = adjust_stock(item=item, set_to="12", reason="first count")

    assert movement.quantity == 12 and movement.on_hand_after == 12
    assert movement.reason == MovementReason.COUNT
    assert stock_totals(item.pk) == {"on_hand": 12, "allocated": 0, "available": 12}
    assert list(PendingStockPush.objects.values_list("item_id", flat=True)) == [item.pk]


def test_adjust_delta_and_receive_add_up_in_the_ledger(make_item):
    item = make_item(on_hand=5)
    adjust_stock(item=item, delta=-2, reason="damaged")
    receive_stock(item=item, quantity=10, reference="PO-7")

    assert StockLevel.objects.get(item=item).on_hand == 13
    assert list(StockMovement.objects.filter(item=item).order_by("id").values_list("quantity", "reason")) == [
        (5, "count"),
        (-2, "adjustment"),
        (10, "receipt"),
    ]
    assert ledger_mismatches() == []


def test_an_adjustment_that_changes_nothing_writes_nothing(make_item):
    item = make_item(on_hand=4)
    PendingStockPush.objects.all().delete()

    assert adjust_stock(item=item, set_to=4, reason="recount") is None
    assert StockMovement.objects.filter(item=item).count() == 1
    assert not PendingStockPush.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"set_to": "-1", "reason": "x"}, InvalidQuantity, "new level cannot be negative, got -1"),
        ({"set_to": "2.5", "reason": "x"}, InvalidQuantity, "new level must be a whole number, got '2.5'"),
        ({"delta": "ten", "reason": "x"}, InvalidQuantity, "delta must be a whole number, got 'ten'"),
        (
            {"delta": -4, "reason": "x"},
            InsufficientStock,
            "on hand at Default is 3; a change of -4 would take it below zero",
        ),
        ({"delta": 1, "reason": "  "}, InvalidInput, "a reason is required for a stock adjustment"),
        ({"delta": 1, "set_to": 2, "reason": "x"}, InvalidInput, "give exactly one of"),
    ],
)
def test_bad_adjustments_are_refused_with_a_specific_message_and_change_nothing(
    make_item, kwargs, error, text
):
    item = make_item(on_hand=3)
    with pytest.raises(error) as caught:
        adjust_stock(item=item, **kwargs)
    assert text in caught.value.message
    assert StockLevel.objects.get(item=item).on_hand == 3
    assert StockMovement.objects.filter(item=item).count() == 1


def test_receive_refuses_zero_and_negative(make_item):
    item = make_item()
    with pytest.raises(InvalidInput, match="at least 1"):
        receive_stock(item=item, quantity=0)
    with pytest.raises(InvalidQuantity, match="cannot be negative"):
        receive_stock(item=item, quantity=-3)
    assert not StockMovement.objects.filter(item=item).exists()


def test_unknown_sku_names_the_sku():
    with pytest.raises(UnknownSku) as caught:
        stock_item_by_sku("NOPE-9")
    assert caught.value.message == "unknown SKU 'NOPE-9': no stock item has this SKU"


def test_available_to_sell_ignores_locations_that_do_not_feed_channels(make_item):
    from stockroom.inventory.models import Location

    item = make_item(on_hand=4)
    quarantine = Location.objects.create(name="Quarantine", feeds_channels=False)
    adjust_stock(item=item, delta=6, reason="returns", location=quarantine)

    assert available_to_sell(item.pk) == 4
    assert stock_totals(item.pk)["on_hand"] == 10


def test_database_refuses_a_negative_level_even_bypassing_services(make_item):
    from django.db import IntegrityError, transaction

    item = make_item(on_hand=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(item=item).update(on_hand=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(item=item).update(allocated=2)
