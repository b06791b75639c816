"""The htmx behaviours of the account screens in a real browser (Debian's Chromium via Playwright)."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from stockroom.channels.models import ChannelAccount, ListingStatusLog
from stockroom.web.permissions import ADMINISTRATOR
from tests.factories import create_user

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(live_server):
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs /usr/bin/chromium for the browser tests")
        pytest.skip("needs /usr/bin/chromium")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop
    from playwright.sync_api import sync_playwright

    user = create_user("browser-admin", role=ADMINISTRATOR)
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context()
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        tab = context.new_page()
        tab.set_default_timeout(15000)
        yield tab
        browser.close()


def test_enabled_light_toggles_through_htmx_with_csrf(page, live_server, make_account):
    account = make_account("Light Shop")
    page.goto(f"{live_server.url}/accounts/")
    light = page.locator(f"[data-account-light='{account.pk}'] button")
    assert "Enabled" in light.inner_text()

    light.click()
    page.locator(f"[data-account-light='{account.pk}'] button", has_text="Disabled").wait_for()

    assert ChannelAccount.objects.get(pk=account.pk).enabled is False
    assert page.get_by_text("Light Shop disabled.").count() == 0  # swapped in place: no reload, no message


def test_listing_log_shows_and_hides(page, live_server, make_account, make_item, link):
    account = make_account("Log Shop")
    listing = link(account, "AMZ-LOG", make_item("LOG-1"), status="confirmed", last_confirmed_quantity=3)
    ListingStatusLog.objects.create(
        listing=listing, quantity=3, submission_ref="SUB-BROWSER", outcome="confirmed"
    )
    page.goto(f"{live_server.url}/accounts/{account.pk}/listings/")
    row = page.locator(f"#listing-{listing.pk}")
    panel = page.locator(f"#log-{listing.pk}")  # a table row of its own, under the listing

    row.get_by_role("button", name="Show log").click()
    panel.get_by_text("SUB-BROWSER").wait_for()
    assert panel.get_attribute("colspan") == "8"
    assert panel.locator("h3").inner_text() == "Stock updates sent for AMZ-LOG"
    row.get_by_role("button", name="Hide log").click()
    row.get_by_role("button", name="Show log").wait_for()

    assert page.get_by_text("SUB-BROWSER").count() == 0
