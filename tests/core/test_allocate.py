"""``allocation.allocate``: grants min(wanted, free) per item, writes the grants and their outbox rows,
creates missing levels; on PostgreSQL all in one statement, elsewhere in three. Same results on both."""

import pytest
from django.db import transaction

from stockroom.inventory import allocation
from stockroom.inventory.locks import default_location
from stockroom.inventory.models import Location, PendingStockPush, StockLevel


@pytest.mark.django_db
def test_grants_what_is_free_writes_it_and_notes_only_the_granted_items(make_item):
    plenty, short, none, held = (make_item(on_hand=n) for n in (10, 2, 0, 3))
    location = default_location()
    with transaction.atomic():
        allocation.allocate(location=location, wanted={held.pk: 3})
    PendingStockPush.objects.all().delete()

    with transaction.atomic():
        granted = allocation.allocate(
            location=location, wanted={plenty.pk: 4, short.pk: 5, none.pk: 1, held.pk: 1}
        )

    assert granted == {plenty.pk: 4, short.pk: 2, none.pk: 0, held.pk: 0}
    levels = dict(StockLevel.objects.filter(location=location).values_list("item_id", "allocated"))
    assert levels == {plenty.pk: 4, short.pk: 2, none.pk: 0, held.pk: 3}
    assert sorted(PendingStockPush.objects.values_list("item_id", flat=True)) == sorted([plenty.pk, short.pk])


@pytest.mark.django_db
def test_an_item_with_no_level_at_the_location_gets_one_and_nothing_granted(make_item):
    item = make_item(on_hand=5)
    elsewhere = Location.objects.create(name="Overflow")
    pushes_before = PendingStockPush.objects.count()
    with transaction.atomic():
        granted = allocation.allocate(location=elsewhere, wanted={item.pk: 2})
    assert granted == {item.pk: 0}
    level = StockLevel.objects.get(item=item, location=elsewhere)
    assert (level.on_hand, level.allocated) == (0, 0)
    assert PendingStockPush.objects.count() == pushes_before
