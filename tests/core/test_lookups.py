"""``__any``: the rows ``__in`` finds, with the list as one array parameter on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stockroom.catalog.models import StockItem
from stockroom.inventory.locks import default_location
from stockroom.inventory.models import StockLevel

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "skus",
    [
        [],
        ["MUG"],
        ["MUG", "CUP", "NONE"],
        ["it's", 'say "hi"', "{a,b}", "back\\slash", "ünï"],
        [None, "MUG"],
    ],
)
def test_any_finds_what_in_finds(skus):
    for sku in ["MUG", "CUP", "BOWL", "it's", 'say "hi"', "{a,b}", "back\\slash", "ünï"]:
        StockItem.objects.create(sku=sku, title=sku)

    found = set(StockItem.objects.filter(sku__any=skus).values_list("sku", flat=True))

    assert found == set(StockItem.objects.filter(sku__in=skus).values_list("sku", flat=True))
    assert found == {
        sku for sku in skus if sku in {"MUG", "CUP", "it's", 'say "hi"', "{a,b}", "back\\slash", "ünï"}
    }


def test_any_sends_the_list_as_one_parameter_on_postgresql():
    items = [StockItem.objects.create(sku=f"SKU-{n}", title="x") for n in range(300)]
    ids = [item.pk for item in items]
    with CaptureQueriesContext(connection) as queries:
        assert StockItem.objects.filter(pk__any=ids).count() == 300
    sql = queries.captured_queries[0]["sql"]
    assert ("= ANY(" in sql) == (connection.vendor == "postgresql")


def test_any_on_a_foreign_key_takes_ids():
    location = default_location()
    items = [StockItem.objects.create(sku=f"SKU-{n}", title="x") for n in range(3)]
    for item in items:
        StockLevel.objects.get_or_create(item=item, location=location)

    found = StockLevel.objects.filter(item_id__any=[items[0].pk, items[2].pk]).values_list(
        "item_id", flat=True
    )

    assert sorted(found) == [items[0].pk, items[2].pk]
