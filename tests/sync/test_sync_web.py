"""The Synchronise, run history and sync issue screens; the latency selector for the dashboard."""

from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stockroom.channels.contracts import FailedRecord
from stockroom.channels.models import ListingStatusLog
from stockroom.orders.models import Order
from stockroom.sync import engine
from stockroom.sync.models import SyncIssue, SyncRun
from stockroom.sync.selectors import sale_to_channel_latency, sale_to_confirmation_by_day
from stockroom.web.permissions import ADMINISTRATOR, WAREHOUSE_STAFF
from tests.conftest import channel_order
from tests.factories import create_user

HOSTILE = '<script>alert(1)</script>"onmouseover=x עברית 漢字'


def client_for(role):
    user = create_user(f"u-{role[:4].lower()}", role=role)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_web(db):
    return client_for(ADMINISTRATOR)


@pytest.mark.parametrize("name", ["sync", "sync_runs", "sync_issues"])
def test_screens_need_a_login_and_the_administrator_role(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client_for(WAREHOUSE_STAFF).get(reverse(name)).status_code == 403


def test_synchronise_button_runs_every_enabled_account_in_the_background_and_shows_the_outcome(
    admin_web, fake_account, channel
):
    account = fake_account("Web Shop")
    channel(account).add_order(channel_order("WEB-1"))
    off = fake_account("Sleeping")
    off.enabled = False
    off.save()

    response = admin_web.post(reverse("sync_start"))

    assert response.status_code == 302
    location = unquote(response["Location"])
    assert location.startswith(reverse("sync") + "?since=")
    run = SyncRun.objects.get()
    assert (run.account_id, run.trigger, run.status, run.orders_new) == (account.pk, "manual", "ok", 1)
    page = admin_web.get(response["Location"]).content.decode()
    assert "Synchronising 1 account(s) in the background" in page
    assert f'id="progress-run-{run.pk}"' in page
    assert "1 order (1 new, 0 updated)" in page
    assert 'hx-trigger="every 1s"' not in page  # finished: polling stops


def test_progress_keeps_polling_while_a_run_is_going(admin_web, fake_account):
    account = fake_account("Busy Shop")
    since = timezone.now() - timedelta(seconds=5)
    SyncRun.objects.create(
        account=account,
        trigger="manual",
        started_at=timezone.now(),
        phase="Downloading orders",
        progress_done=40,
    )

    response = admin_web.get(reverse("sync_progress"), {"since": since.isoformat()})

    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert "Downloading orders (40)" in html


def test_run_history_shows_what_came_in_went_out_and_every_error(admin_web, fake_account, channel):
    account = fake_account("History Shop")
    channel(account).add_order(channel_order("H-OK"))
    channel(account).add_order(channel_order("H-BAD", lines=()))
    engine.sync_account(account, trigger="cli")

    html = admin_web.get(reverse("sync_runs")).content.decode()

    assert "History Shop" in html
    assert "2 orders (1 new, 0 updated, <strong>1 failed</strong>)" in html
    run = SyncRun.objects.get()
    detail = admin_web.get(reverse("sync_run", args=[run.pk])).content.decode()
    assert "Order H-BAD: order H-BAD has no lines (open)" in detail


def test_issues_show_raw_data_escaped_and_retry_and_resolve_work(admin_web, fake_account, channel):
    account = fake_account("Issue Shop")
    channel(account).failed_records = [FailedRecord("X-1", "unreadable", HOSTILE)]
    channel(account).add_order(channel_order("BAD-W", lines=()))
    engine.sync_account(account, trigger="cli")
    raw_issue = SyncIssue.objects.get(external_ref="X-1")
    order_issue = SyncIssue.objects.get(external_ref="BAD-W")

    html = admin_web.get(reverse("sync_issues")).content.decode()

    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=x עברית 漢字" in html
    assert f'action="{reverse("sync_issue_retry", args=[order_issue.pk])}"' in html

    response = admin_web.post(reverse("sync_issue_retry", args=[order_issue.pk]), follow=True)
    assert "Retry failed: order BAD-W has no lines. The issue stays open" in response.content.decode()

    response = admin_web.post(
        reverse("sync_issue_resolve", args=[raw_issue.pk]), {"note": "dealt with"}, follow=True
    )
    assert "Issue" in response.content.decode() and "(X-1) resolved." in response.content.decode()
    raw_issue.refresh_from_db()
    assert (raw_issue.status, raw_issue.resolution) == ("resolved", "resolved u-admi: dealt with")
    assert f'id="issue-{raw_issue.pk}"' not in admin_web.get(reverse("sync_issues")).content.decode()


def test_sale_to_channel_latency_measures_import_to_last_confirmation(fake_account, channel, make_item, link):
    assert sale_to_channel_latency(7) == [] and sale_to_confirmation_by_day(7) == []
    first, second = fake_account("L1"), fake_account("L2")
    item = make_item(on_hand=5)
    listing_a, listing_b = link(first, "LA", item), link(second, "LB", item)
    channel(first).add_order(channel_order("LAT-1", lines=(("LA", 1),)))
    engine.sync_account(first, trigger="cli", steps=("orders",))
    order = Order.objects.get()
    assert sale_to_channel_latency(7) == []  # not confirmed anywhere yet

    ListingStatusLog.objects.create(listing=listing_a, quantity=4, outcome="confirmed")
    ListingStatusLog.objects.create(listing=listing_b, quantity=4, outcome="confirmed")
    last = order.created_at + timedelta(seconds=3)
    ListingStatusLog.objects.filter(listing=listing_a).update(
        created_at=order.created_at + timedelta(seconds=1)
    )
    ListingStatusLog.objects.filter(listing=listing_b).update(created_at=last)

    assert sale_to_channel_latency(7) == [
        {"order_id": order.pk, "external_order_id": "LAT-1", "imported_at": order.created_at, "seconds": 3.0}
    ]
    assert sale_to_confirmation_by_day(7) == [
        {"day": timezone.localdate(order.created_at), "median_seconds": 3.0, "max_seconds": 3.0}
    ]
