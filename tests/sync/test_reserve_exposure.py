"""The reserve at low stock counts what each listing shows now and, on a channel that shows a new
quantity late (Amazon), what it shows whatever is sent, from the quantities it took and its own sales
since (ADR 0015): a unit moves to another channel only once the one it leaves shows 0."""

from datetime import timedelta

from django.utils import timezone

from stockroom.channels.models import Listing, ListingStatus, ListingStatusLog
from stockroom.orders.models import Order
from stockroom.orders.services import default_location
from stockroom.sync.quantities import listing_quantities
from tests.conftest import channel_order


def _took(listing, quantity, *, at, pending=False):
    """The listing took ``quantity`` at ``at`` (its status log and its last quantity, as a push leaves them)."""
    ListingStatusLog.objects.create(
        listing=listing,
        quantity=quantity,
        outcome=ListingStatus.PENDING if pending else ListingStatus.CONFIRMED,
        answered_at=None if pending else at,
    )
    if pending:
        Listing.objects.filter(pk=listing.pk).update(
            status=ListingStatus.PENDING, last_sent_quantity=quantity, last_sent_at=at
        )
    else:
        Listing.objects.filter(pk=listing.pk).update(
            status=ListingStatus.CONFIRMED, last_confirmed_quantity=quantity, last_confirmed_at=at
        )


def _sold(listing, units, *, at):
    order = channel_order(lines=(), purchased_at=at)
    row = Order.objects.create(
        account=listing.account,
        source=listing.account.channel,
        external_order_id=order.external_order_id,
        purchased_at=at,
        location=default_location(),
    )
    row.lines.create(
        external_line_id="1", channel_sku=listing.channel_sku, stock_item=listing.stock_item, quantity=units
    )


def _shows(now):
    listings = list(Listing.objects.select_related("account").order_by("channel_sku"))
    shown = listing_quantities(listings, now=now)
    return {listing.channel_sku: shown[listing.pk].quantity for listing in listings}


def _three_accounts(make_account, fake_account, make_item, link, *, on_hand):
    item = make_item("SLOW-1", on_hand=on_hand)
    amazon = link(make_account("Amazon A"), "A", item)
    ebay = link(fake_account("B eBay"), "B", item)
    shop = link(fake_account("C Shop"), "C", item)
    return item, amazon, ebay, shop


def test_units_amazon_still_shows_are_not_given_to_others_until_its_new_quantity_shows(
    make_account, fake_account, make_item, link
):
    # given 2 units; Amazon took 2 ten minutes ago (showing) and 1 thirty seconds ago (shows in 90 s);
    # the two channels that show a quantity at once show 0
    now = timezone.now()
    _, amazon, ebay, shop = _three_accounts(make_account, fake_account, make_item, link, on_hand=2)
    _took(amazon, 2, at=now - timedelta(minutes=10))
    _took(amazon, 1, at=now - timedelta(seconds=30))
    _took(ebay, 0, at=now - timedelta(minutes=5))
    _took(shop, 0, at=now - timedelta(minutes=5))

    # then Amazon keeps its 1 and no one else is raised while its 2 still show
    assert _shows(now) == {"A": 1, "B": 0, "C": 0}
    assert Listing.objects.get(channel_sku="B").reserve_held == 0  # (computing changes nothing)

    # and once Amazon's 1 shows (two minutes after it took it), the other unit goes to another channel
    assert _shows(now + timedelta(seconds=91)) == {"A": 1, "B": 1, "C": 0}


def test_a_sale_on_amazon_counts_against_what_it_still_shows(make_account, fake_account, make_item, link):
    # given Amazon showing 2 (taken long ago) and sent 1 a moment ago, then a buyer took 1 there
    now = timezone.now()
    _, amazon, ebay, shop = _three_accounts(make_account, fake_account, make_item, link, on_hand=2)
    _took(amazon, 2, at=now - timedelta(minutes=10))
    _took(amazon, 1, at=now - timedelta(seconds=30), pending=True)
    _took(ebay, 0, at=now - timedelta(minutes=5))
    _took(shop, 0, at=now - timedelta(minutes=5))
    _sold(amazon, 1, at=now - timedelta(seconds=10))  # (not allocated here: 2 stay available)

    # then Amazon shows at most 1 whatever is sent (2 - 1 sold; the 1 not yet taken counts no sale),
    # so the other unit can go to another channel at once
    assert _shows(now) == {"A": 1, "B": 1, "C": 0}


def test_a_listing_never_sent_counts_as_showing_what_it_last_took(
    make_account, fake_account, make_item, link
):
    # given an Amazon listing linked with a confirmed quantity and no log (linked, not yet sent)
    now = timezone.now()
    _, amazon, ebay, shop = _three_accounts(make_account, fake_account, make_item, link, on_hand=1)
    Listing.objects.filter(pk=amazon.pk).update(
        status=ListingStatus.CONFIRMED, last_confirmed_quantity=5, last_confirmed_at=now - timedelta(days=2)
    )

    # then its 5 show until a new quantity shows there: the last unit stays on Amazon
    assert _shows(now) == {"A": 1, "B": 0, "C": 0}
