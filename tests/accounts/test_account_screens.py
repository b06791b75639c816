"""Channel account and listings screens as a seller reads them: options that apply in words, the
last check updated with the check, a real switch, listings with their state, action, title and log."""

from datetime import UTC, datetime

from django.urls import reverse
from django.utils import timezone

from stockroom.channels.models import ListingStatusLog


def test_an_orders_api_account_hides_the_report_options_and_says_periods_in_words(
    administrator_client, make_account
):
    orders_api = make_account("API Shop")
    reports = make_account("Report Shop", order_source="report_flat", report_period="PT15M")

    html = administrator_client.get(reverse("account_detail", args=[orders_api.pk])).content.decode()
    report_only = 'data-shown-when="order_source" data-shown-values="report_flat report_xml"'
    assert f'<div class="field" {report_only} hidden>' in html
    assert "PT1H</option>" not in html and '<option value="PT1H" selected>every hour</option>' in html

    shown = administrator_client.get(reverse("account_detail", args=[reports.pk])).content.decode()
    assert f'<div class="field" {report_only}>' in shown
    assert '<option value="PT15M" selected>every 15 minutes</option>' in shown
    assert '<option value="P1D">every day</option>' in shown


def test_check_api_updates_the_last_check_beside_it(administrator_client, fake_account, fake_channel):
    account = fake_account("Good")
    before = administrator_client.get(reverse("account_detail", args=[account.pk])).content.decode()
    assert '<span id="last-check">never</span>' in before

    answer = administrator_client.post(
        reverse("account_check", args=[account.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()

    account.refresh_from_db()
    utc = account.last_check_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    # swapped into the page by htmx out of band: the "Last check" line, not only the result card
    assert answer.startswith('<span id="last-check" hx-swap-oob="true"><time ')
    assert f'title="{utc} UTC">' in answer and "</time>: OK — " in answer


def test_the_enabled_toggle_is_a_labelled_switch(administrator_client, make_account):
    account = make_account("Switch Shop")
    html = administrator_client.get(reverse("accounts")).content.decode()
    assert 'class="switch on" role="switch" aria-checked="true" aria-label="Synchronise Switch Shop"' in html
    assert '<span class="switch-label">Enabled</span>' in html
    assert account.enabled


def test_listings_show_title_state_action_and_last_confirmed_quantity_with_time(
    administrator_client, make_account, make_item, link
):
    account = make_account()
    confirmed_at = datetime(2026, 12, 5, 7, 42, 43, tzinfo=UTC)
    sold = link(
        account,
        "AMZ-MUG",
        make_item("MUG-1", title="Enamel camping mug, blue"),
        status="confirmed",
        last_confirmed_quantity=39,
        last_confirmed_at=confirmed_at,
        title="Camping mug (Amazon title)",
    )
    fba = link(account, "FBA-MUG", None, fulfilled_by_channel=True, title="Mug by Amazon")

    html = administrator_client.get(reverse("listings", args=[account.pk])).content.decode()

    sold_row = html[
        html.index(f'id="listing-{sold.pk}"') : html.index("</tbody>", html.index(f'id="listing-{sold.pk}"'))
    ]
    assert "data-listing-title>Camping mug (Amazon title)</td>" in sold_row
    assert "data-item-title>Enamel camping mug, blue</div>" in sold_row
    assert '<span class="nowrap">Qty <strong>39</strong></span>' in sold_row
    assert 'title="2026-12-05 07:42:43 UTC">5 Dec 2026 07:42</time>' in sold_row
    assert '<span class="state on">Sent</span>' in sold_row
    assert 'aria-label="Pause stock updates for AMZ-MUG">Pause</button>' in sold_row

    fba_row = html[
        html.index(f'id="listing-{fba.pk}"') : html.index("</tbody>", html.index(f'id="listing-{fba.pk}"'))
    ]
    assert '<span class="badge plain wrap">Fulfilled by Amazon: stock not sent</span>' in fba_row
    assert "Not Sent" not in fba_row and "Pause" not in fba_row


def test_the_listing_log_opens_as_a_row_of_its_own_one_line_per_quantity_sent(
    administrator_client, make_account, link
):
    account = make_account()
    listing = link(account, "AMZ-MUG", None)
    log = ListingStatusLog.objects.create(
        listing=listing, quantity=39, outcome="confirmed", submission_ref="f" * 64
    )
    ListingStatusLog.objects.filter(pk=log.pk).update(answered_at=timezone.now())

    page = administrator_client.get(reverse("listings", args=[account.pk])).content.decode()
    assert f'<tr class="log-row"><td colspan="8" id="log-{listing.pk}"></td></tr>' in page
    assert f'hx-target="#log-{listing.pk}" hx-swap="innerHTML"' in page

    shown = administrator_client.get(
        reverse("listing_log", args=[account.pk, listing.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert shown.count("<tr><td><time") == 1
    assert f'<td class="submission" title="{"f" * 64}">' in shown
    assert f'id="log-button-{listing.pk}" hx-swap-oob="true"' in shown and ">Hide log</button>" in shown
