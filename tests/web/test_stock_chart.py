"""The stock history chart draws nothing for the days before the item existed."""

from datetime import timedelta

from django.utils import timezone

from stockroom.catalog.models import StockItem
from stockroom.web.views.inventory import stock_chart_data


def test_days_before_the_item_existed_have_no_value(make_item):
    # given an item created two days ago whose 5 units arrived today
    item = make_item("NEW-1", on_hand=5)
    StockItem.objects.filter(pk=item.pk).update(created_at=timezone.now() - timedelta(days=2))
    item.refresh_from_db()

    chart = stock_chart_data(item.pk, days=5, created_at=item.created_at)

    # then the chart has no value before the day it was created, 0 until the stock came, then 5
    assert chart["on_hand"] == [None, None, 0, 0, 5]
    assert chart["available"] == [None, None, 0, 0, 5]
