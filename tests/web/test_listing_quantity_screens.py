"""The listing and item screens say what each listing shows and why, the reserve included (ADR 0015)."""

import html
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from stockroom.channels.models import Listing
from stockroom.inventory.locks import default_location
from stockroom.orders.models import Order
from tests.conftest import channel_order


def _page(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_listing_screen_shows_the_sentence_and_saves_a_listings_rules(
    admin_client, make_account, make_item, link
):
    account = make_account("Capped Shop", max_quantity=10)
    listing = link(account, "CH-MUG", make_item("MUG-1", on_hand=12))
    url = reverse("listings", args=[account.pk])

    assert "12 available, shows 10: at most 10" in _page(admin_client.get(url))

    saved = admin_client.post(
        reverse("listing_rules", args=[account.pk, listing.pk]),
        {"max_quantity": "", "min_level": "", "percentage": "25", "fixed_quantity": "", "next": url},
        follow=True,
    )
    page = _page(saved)
    assert "CH-MUG: rules saved. 12 available, shows 3: 25% of 12, rounded down." in page
    assert Listing.objects.get(pk=listing.pk).percentage == 25

    refused = admin_client.post(
        reverse("listing_rules", args=[account.pk, listing.pk]),
        {"percentage": "half", "next": url},
        follow=True,
    )
    assert (
        "CH-MUG: rules not changed: percentage must be a whole number (0 to 100) or empty, got 'half'."
        in _page(refused)
    )
    assert Listing.objects.get(pk=listing.pk).percentage == 25


def test_the_item_screen_shows_each_listings_quantity_and_the_reserve(
    admin_client, staff_client, make_account, make_item, link
):
    # given one unit left of an item both accounts sold this week, their orders arriving 10 min late
    first, second = make_account("Shop A"), make_account("Shop B")
    item = make_item("SCARCE-1", on_hand=1)
    link(first, "A-1", item)
    link(second, "B-1", item)
    for account, count in ((first, 1), (second, 3)):
        account.created_at = timezone.now() - timedelta(days=1)
        account.save(update_fields=["created_at"])
        for _ in range(count):
            bought = timezone.now() - timedelta(minutes=10)
            order = channel_order(lines=(), purchased_at=bought)
            row = Order.objects.create(
                account=account,
                source=account.channel,
                external_order_id=order.external_order_id,
                purchased_at=bought,
                location=default_location(),
            )
            row.lines.create(external_line_id="1", channel_sku="X", stock_item=item, quantity=1)

    page = _page(admin_client.get(reverse("item_detail", args=[item.pk])))

    assert "On channels" in page
    assert (
        "1 available, shows 0: 1 held for Shop B (orders arrive up to 10 min late, shows a new quantity "
        "2 min later, sells 3.0 a week)" in page
    )
    assert "1 available, shows 1" in page
    assert "Reserve 1" in page
    # warehouse staff do not see channel accounts
    assert "On channels" not in _page(staff_client.get(reverse("item_detail", args=[item.pk])))
