"""The channel account screens: administrators only, secrets never shown, htmx toggles."""

import pytest
from django.urls import reverse

from stockroom.channels.models import (
    ChannelAccount,
    Listing,
    ListingStatusLog,
    ShippingMethodMapping,
    ShippingServiceDefault,
)
from stockroom.orders.models import ChannelShipment, ShipmentStatus, ShippingMethod
from stockroom.orders.services import import_channel_order, process_order
from tests.factories import create_user

SECRET = "web-secret-0123456789abcdefQRS"
TOKEN = "Atzr|web-refresh-0123456789QRS"


def add_form(**overrides):
    data = {
        "name": "Web Shop",
        "external_account_id": "AWEB",
        "region": "eu",
        "marketplaces": ["UK", "DE"],
        "client_id": "amzn1.application-oa2-client.web",
        "client_secret": SECRET,
        "refresh_token": TOKEN,
        "endpoint": "",
        "token_url": "",
    }
    data.update(overrides)
    return data


def pages_of(account):
    return [
        reverse("accounts"),
        reverse("account_detail", args=[account.pk]),
        reverse("account_edit", args=[account.pk]),
        reverse("listings", args=[account.pk]),
        reverse("listings_link_all", args=[account.pk]),
        reverse("listing_overview"),
    ]


def test_warehouse_staff_get_403_on_every_account_screen(warehouse_client, make_account):
    account = make_account()
    for url in [*pages_of(account), reverse("account_add")]:
        assert warehouse_client.get(url).status_code == 403, url
    for name in ("account_toggle", "account_check", "account_release_held", "listings_import"):
        assert warehouse_client.post(reverse(name, args=[account.pk])).status_code == 403, name
    assert ChannelAccount.objects.get(pk=account.pk).enabled is True


def test_anonymous_is_sent_to_login(client, make_account):
    response = client.get(reverse("accounts"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_add_with_trailing_spaces_warns_and_no_page_shows_the_secrets(administrator_client):
    response = administrator_client.post(
        reverse("account_add"), add_form(client_secret=SECRET + "  "), follow=True
    )

    account = ChannelAccount.objects.get()
    assert response.redirect_chain == [(reverse("account_detail", args=[account.pk]), 302)]
    html = response.content.decode()
    assert "LWA client secret: spaces or line breaks around the value were removed" in html
    assert account.credentials["client_secret"] == SECRET
    for url in pages_of(account):
        page = administrator_client.get(url)
        assert page.status_code == 200, url
        assert SECRET not in page.content.decode() and TOKEN not in page.content.decode(), url
    assert (
        "••••••••fQRS"
        in administrator_client.get(reverse("account_detail", args=[account.pk])).content.decode()
    )


def test_add_denmark_is_refused_with_the_explanation_and_keeps_the_input(administrator_client):
    response = administrator_client.post(reverse("account_add"), add_form(marketplaces=["DK"]))
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "Amazon has no Danish marketplace; Danish buyers order from Amazon.de (DE) or Amazon.se (SE)" in html
    )
    assert 'value="AWEB"' in html
    assert SECRET not in html
    assert not ChannelAccount.objects.exists()


def test_adding_the_same_account_twice_is_refused(administrator_client):
    administrator_client.post(reverse("account_add"), add_form())
    response = administrator_client.post(reverse("account_add"), add_form(name="Another"))
    assert response.status_code == 400
    assert (
        "seller id AWEB in region EU is already the account &#x27;Web Shop&#x27;" in response.content.decode()
    )
    assert ChannelAccount.objects.count() == 1


def test_edit_with_blank_secrets_keeps_them(administrator_client):
    administrator_client.post(reverse("account_add"), add_form())
    account = ChannelAccount.objects.get()
    response = administrator_client.post(
        reverse("account_edit", args=[account.pk]),
        add_form(name="Renamed?", client_id="", client_secret="", refresh_token="", marketplaces=["FR"]),
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Web Shop"
    assert account.marketplaces == ["A13V1IB3VIYZZH"]
    assert (account.credentials["client_secret"], account.credentials["refresh_token"]) == (SECRET, TOKEN)


def test_toggle_through_htmx_returns_the_light_and_the_list_shows_it(administrator_client, make_account):
    account = make_account("Toggle Shop")
    response = administrator_client.post(reverse("account_toggle", args=[account.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    switch_off = 'role="switch" aria-checked="false" aria-label="Synchronise Toggle Shop"'
    html = response.content.decode()
    assert switch_off in html and '<span class="switch-label">Disabled</span>' in html
    assert ChannelAccount.objects.get(pk=account.pk).enabled is False
    listing = administrator_client.get(reverse("accounts")).content.decode()
    assert switch_off in listing and "Toggle Shop" in listing


def test_toggle_needs_csrf(make_account, db):
    from django.test import Client

    from stockroom.web.permissions import ADMINISTRATOR

    user = create_user("csrf-admin", role=ADMINISTRATOR)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    account = make_account()
    assert strict.post(reverse("account_toggle", args=[account.pk])).status_code == 403
    assert ChannelAccount.objects.get(pk=account.pk).enabled is True


def test_check_api_shows_the_result_or_the_cause(administrator_client, fake_account, fake_channel):
    good = fake_account("Good")
    bad = fake_account(
        "Bad", external_account_id="B", credentials={**fake_channel.GOOD_CREDENTIALS, "client_id": "x"}
    )

    ok = administrator_client.post(
        reverse("account_check", args=[good.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    failed = administrator_client.post(
        reverse("account_check", args=[bad.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()

    assert "Check API: OK." in ok and "UK, DE" in ok and "<dd>3" in ok
    assert "Check API failed." in failed and "The channel refused the client id" in failed
    for secret in fake_channel.GOOD_CREDENTIALS.values():
        assert secret not in ok and secret not in failed


def test_options_form_saves_and_reports_errors(administrator_client, make_account):
    account = make_account()
    url = reverse("account_options", args=[account.pk])
    response = administrator_client.post(
        url,
        {
            "inventory_update": "on",
            "order_source": "orders_api",
            "report_period": "5m",
            "download_orders_since": "",
        },
    )
    assert response.status_code == 400
    assert "report_period must be between 15 minutes and 1 day" in response.content.decode()
    response = administrator_client.post(
        url,
        {
            "order_source": "report_flat",
            "report_period": "30m",
            "secondary_integrated": "on",
            "hold_shipping_data": "on",
            "download_orders_since": "2026-11-01 00:00:00",
            "patch_threshold": "0",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.options == {
        "inventory_update": False,
        "order_source": "report_flat",
        "report_period": "PT30M",
        "secondary_integrated": True,
        "hold_shipping_data": True,
        "download_orders_since": "2026-11-01T00:00:00Z",
        "patch_threshold": 0,
        "order_notifications": False,
        "notification_queue_url": "",
        "max_quantity": None,
        "min_level": None,
        "percentage": None,
        "fixed_quantity": None,
        "stock_reserve": False,
    }
    page = administrator_client.get(reverse("account_detail", args=[account.pk])).content.decode()
    assert 'name="patch_threshold" type="text" inputmode="numeric" value="0"' in page


def test_shipping_mapping_form(administrator_client, make_account):
    account = make_account()
    ShippingMethod.objects.bulk_create(
        [ShippingMethod(name="Slow"), ShippingMethod(name="Old", active=False)]
    )
    detail = administrator_client.get(reverse("account_detail", args=[account.pk])).content.decode()
    assert '<select id="id_shipping_method" name="shipping_method">' in detail
    assert '<option value="Slow">Slow</option>' in detail
    assert '<option value="Old">Old (not offered)</option>' in detail
    url = reverse("account_shipping", args=[account.pk])
    unknown = administrator_client.post(
        url, {"shipping_method": "Typo", "carrier_code": "Royal Mail", "ship_method": "Tracked 48"}
    )
    assert unknown.status_code == 400
    assert "there is no shipping method named &#x27;Typo&#x27;: add it first" in unknown.content.decode()
    bad = administrator_client.post(
        url, {"shipping_method": "Slow", "carrier_code": "Other", "ship_method": "Boat"}
    )
    assert bad.status_code == 400
    assert "carrier code Other needs the carrier&#x27;s name" in bad.content.decode()
    assert (
        administrator_client.post(
            url, {"shipping_method": "Slow", "carrier_code": "Royal Mail", "ship_method": "Tracked 48"}
        ).status_code
        == 302
    )
    assert list(ShippingMethodMapping.objects.values_list("shipping_method", "carrier_code")) == [
        ("Slow", "Royal Mail")
    ]
    administrator_client.post(url, {"shipping_method": "Slow", "action": "delete"})
    assert not ShippingMethodMapping.objects.exists()


def test_listings_screen_statuses_search_link_and_log(administrator_client, make_account, make_item, link):
    account = make_account()
    item = make_item("MUG-1")
    confirmed = link(
        account, "AMZ-MUG", item, status="confirmed", last_confirmed_quantity=4, external_ref="B0MUG"
    )
    link(account, "AMZ-ERR", None, status="error", last_error="Quantity refused: <b>bad</b>")
    ListingStatusLog.objects.create(
        listing=confirmed, quantity=4, submission_ref="SUB-77", outcome="confirmed"
    )
    url = reverse("listings", args=[account.pk])

    html = administrator_client.get(url).content.decode()
    assert "Confirmed" in html and "Error" in html and "Quantity refused: &lt;b&gt;bad&lt;/b&gt;" in html
    assert "B0MUG" in html
    searched = administrator_client.get(url, {"q": "err"}).content.decode()
    assert "AMZ-ERR" in searched and "AMZ-MUG" not in searched

    log_url = reverse("listing_log", args=[account.pk, confirmed.pk])
    shown = administrator_client.get(log_url, HTTP_HX_REQUEST="true").content.decode()
    hidden = administrator_client.get(log_url, {"show": "0"}, HTTP_HX_REQUEST="true").content.decode()
    assert "SUB-77" in shown and "Hide log" in shown
    assert "SUB-77" not in hidden and "Show log" in hidden

    response = administrator_client.post(
        reverse("listing_link", args=[account.pk]), {"channel_sku": "AMZ-ERR", "sku": "mug-1"}
    )
    assert response.status_code == 302
    assert Listing.objects.get(channel_sku="AMZ-ERR").stock_item == item
    follow = administrator_client.post(
        reverse("listing_link", args=[account.pk]), {"channel_sku": "AMZ-ERR", "sku": "NOPE"}, follow=True
    )
    assert "unknown SKU &#x27;NOPE&#x27;" in follow.content.decode()
    assert Listing.objects.get(channel_sku="AMZ-ERR").stock_item == item


def test_listings_of_every_account_on_one_page_filtered_by_account_and_status(
    administrator_client, make_account, make_item, link
):
    uk, us = make_account("Books UK"), make_account("Books US")
    item = make_item("MUG-1")
    link(uk, "UK-MUG", item, status="confirmed", last_confirmed_quantity=4)
    link(us, "US-MUG", item, status="error", last_error="Quantity refused by the channel")
    link(us, "US-CUP", None)
    url = reverse("listing_overview")

    html = administrator_client.get(url).content.decode()
    assert "Listed products · all accounts" in html
    assert all(sku in html for sku in ("UK-MUG", "US-MUG", "US-CUP", "Books UK", "Books US"))
    assert reverse("listings", args=[us.pk]) in html  # each row leads to its account's listings
    errors = administrator_client.get(url, {"status": "error"}).content.decode()
    assert "US-MUG" in errors and "Quantity refused by the channel" in errors
    assert "UK-MUG" not in errors and "US-CUP" not in errors
    of_us = administrator_client.get(url, {"account": us.pk}).content.decode()
    assert "US-MUG" in of_us and "US-CUP" in of_us and "UK-MUG" not in of_us
    assert administrator_client.get(url, {"account": "999999"}).status_code == 404

    # a link changed from the overview comes back to it
    back = f"{url}?status=error"
    response = administrator_client.post(
        reverse("listing_link", args=[us.pk]), {"channel_sku": "US-CUP", "sku": "MUG-1", "next": back}
    )
    assert (response.status_code, response["Location"]) == (302, back)
    assert Listing.objects.get(account=us, channel_sku="US-CUP").stock_item == item


def test_dashboard_sends_listing_errors_of_several_accounts_to_the_overview(
    administrator_client, make_account, link
):
    for name in ("Books UK", "Books US"):
        link(make_account(name), f"{name}-SKU", None, status="error", last_error="refused")

    html = administrator_client.get(reverse("dashboard")).content.decode()

    assert reverse("listing_overview") + "?status=error" in html


def test_ignore_toggle(administrator_client, make_account, link):
    account = make_account()
    listing = link(account, "X-1", None)
    response = administrator_client.post(
        reverse("listing_ignore", args=[account.pk, listing.pk]), {"ignore": "on"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    # the state ("Paused") and the action ("Resume") are distinct
    assert '<span class="state off">Paused</span>' in html
    assert '<button type="submit" aria-label="Resume stock updates for X-1">Resume</button>' in html
    assert Listing.objects.get(pk=listing.pk).ignore_sync is True


def test_link_all_preview_page_matches_what_apply_links(administrator_client, make_account, make_item, link):
    account = make_account()
    make_item("A-1")
    make_item("B-2")
    link(account, "a-1", None)
    link(account, "B-2", None)
    link(account, "ZZZ", None)
    url = reverse("listings_link_all", args=[account.pk])

    preview = administrator_client.get(url)
    html = preview.content.decode()
    ids = [m.listing_id for m in preview.context["preview"].matches]
    assert [(m.channel_sku, m.stock_item_sku) for m in preview.context["preview"].matches] == [
        ("B-2", "B-2"),
        ("a-1", "A-1"),
    ]
    assert "ZZZ" in html and "Link these 2" in html
    assert f'name="listings" value="{ids[0]},{ids[1]}"' in html

    administrator_client.post(url, {"listings": f"{ids[0]},{ids[1]}"})

    assert dict(Listing.objects.filter(account=account).values_list("channel_sku", "stock_item__sku")) == {
        "a-1": "A-1",
        "B-2": "B-2",
        "ZZZ": None,
    }


def test_import_listings_runs_in_the_background_and_the_page_follows_it(
    administrator_client, fake_account, fake_channel, make_item, django_capture_on_commit_callbacks
):
    from stockroom.channels.contracts import ChannelListing
    from stockroom.sync.models import SyncRun

    account = fake_account()
    make_item("A-1")
    fake_channel.of(account).listings = [ChannelListing("A-1", external_ref="B01"), ChannelListing(" ")]

    with django_capture_on_commit_callbacks(execute=True):  # queued once the request's work commits
        response = administrator_client.post(reverse("listings_import", args=[account.pk]))

    run = SyncRun.objects.get(account=account, steps="listings")  # the worker ran it (Huey immediate)
    assert response["Location"] == reverse("listings", args=[account.pk]) + f"?import={run.pk}"
    assert (run.status, run.message, run.progress_done) == (
        "partial",
        "Imported listings: 1 new, 0 updated, 0 unchanged. 1 listing(s) can be linked by identical SKU.",
        1,
    )
    assert run.errors == ["listing ' ' skipped: channel SKU is required"]
    html = administrator_client.get(response["Location"]).content.decode()
    assert "Imported listings: 1 new, 0 updated, 0 unchanged." in html
    assert reverse("listings_link_all", args=[account.pk]) in html and "Review 1 link(s)" in html
    assert 'hx-trigger="every 1s"' not in html  # finished: no more polling

    fake_channel.of(account).listings_error = "Amazon is down"
    with django_capture_on_commit_callbacks(execute=True):
        failed = administrator_client.post(reverse("listings_import", args=[account.pk]))
    html = administrator_client.get(failed["Location"]).content.decode()
    assert "the channel did not give its listings: Amazon is down" in html
    assert "What was read before is kept; import again later or use Check API." in html
    assert SyncRun.objects.filter(account=account, steps="listings", status="failed").count() == 1


def test_a_running_import_is_followed_not_started_twice(administrator_client, fake_account):
    from stockroom.sync import accounts
    from stockroom.sync.models import SyncRun

    account = fake_account()
    run, started = accounts.start_listings_import(account)  # queued, the worker has not started it
    assert started

    response = administrator_client.post(reverse("listings_import", args=[account.pk]), follow=True)

    html = response.content.decode()
    assert "already running" in html
    assert reverse("listings_import_status", args=[account.pk, run.pk]) in html  # polled while it runs
    assert 'hx-trigger="every 1s"' in html
    assert SyncRun.objects.filter(account=account, steps="listings").count() == 1
    status = administrator_client.get(reverse("listings_import_status", args=[account.pk, run.pk]))
    assert "Waiting for the worker" in status.content.decode()
    other = fake_account(name="Other shop", external_account_id="AOTHERSELLER")
    assert (
        administrator_client.get(reverse("listings_import_status", args=[other.pk, run.pk])).status_code
        == 404
    )


def test_release_held_button_shows_the_warning(
    administrator_client, make_account, make_item, link, make_channel_order
):
    account = make_account(hold_shipping_data=True)
    link(account, "AMZ-1", make_item(on_hand=1))
    order_id = import_channel_order(account=account, data=make_channel_order(lines=(("AMZ-1", 1),))).order_id
    ShippingMethod.objects.create(name="Post")
    process_order(order_id=order_id, tracking_number="T", shipping_method="Post")
    detail = administrator_client.get(reverse("account_detail", args=[account.pk])).content.decode()
    assert "1 dispatch recorded here but not sent" in detail and "original ship dates" in detail

    response = administrator_client.post(reverse("account_release_held", args=[account.pk]), follow=True)

    assert "original ship dates" in response.content.decode()
    assert ChannelShipment.objects.get().status == ShipmentStatus.PENDING


@pytest.mark.parametrize("name", ["account_detail", "listings"])
def test_unknown_account_is_404(administrator_client, name, db):
    assert administrator_client.get(reverse(name, args=[999999])).status_code == 404


def test_hostile_strings_are_stored_intact_and_shown_escaped(administrator_client, make_account, link):
    hostile = '<script>alert(1)</script>"onmouseover=x 名前 שלום'
    account = make_account(hostile)
    link(account, '"><img src=x>', None, title=hostile)
    assert ChannelAccount.objects.get(pk=account.pk).name == hostile
    for url in (
        reverse("accounts"),
        reverse("account_detail", args=[account.pk]),
        reverse("listings", args=[account.pk]),
    ):
        html = administrator_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html and '"><img src=x>' not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=x 名前 שלום" in html, url


def test_link_all_of_thousands_of_listings_posts_within_djangos_field_limit(
    administrator_client, make_account
):
    from stockroom.catalog.models import StockItem

    account = make_account()
    count = 1500  # more than DATA_UPLOAD_MAX_NUMBER_FIELDS (1000) fields would allow
    StockItem.objects.bulk_create([StockItem(sku=f"BULK-{n}", title="t") for n in range(count)])
    Listing.objects.bulk_create([Listing(account=account, channel_sku=f"BULK-{n}") for n in range(count)])
    url = reverse("listings_link_all", args=[account.pk])
    ids = administrator_client.get(url).context["listing_ids"]

    response = administrator_client.post(url, {"listings": ids})

    assert response.status_code == 302
    assert Listing.objects.filter(account=account, stock_item__isnull=True).count() == 0


def test_default_method_per_buyers_service_form(administrator_client, make_account, make_channel_order):
    account = make_account()
    ShippingMethod.objects.bulk_create(
        [ShippingMethod(name="Tracked 48"), ShippingMethod(name="Old", active=False)]
    )
    import_channel_order(account=account, data=make_channel_order(channel_shipping_service="Expedited"))
    detail = administrator_client.get(reverse("account_detail", args=[account.pk])).content.decode()
    assert '<datalist id="buyer-services"><option value="Expedited"></datalist>' in detail
    assert '<option value="Tracked 48">Tracked 48</option>' in detail.split('id="id_default_method"')[1]
    assert "Old" not in detail.split('id="id_default_method"')[1].split("</select>")[0]
    url = reverse("account_shipping_default", args=[account.pk])

    inactive = administrator_client.post(url, {"channel_service": "Expedited", "shipping_method": "Old"})
    saved = administrator_client.post(url, {"channel_service": "Expedited", "shipping_method": "Tracked 48"})
    again = administrator_client.post(url, {"channel_service": "expedited", "shipping_method": "Tracked 48"})

    assert inactive.status_code == 400
    assert "shipping method Old is no longer offered" in inactive.content.decode()
    assert (saved.status_code, again.status_code) == (302, 302)
    assert list(ShippingServiceDefault.objects.values_list("channel_service", "shipping_method")) == [
        ("expedited", "Tracked 48")
    ]
    administrator_client.post(url, {"channel_service": "EXPEDITED", "action": "delete"})
    assert not ShippingServiceDefault.objects.exists()
