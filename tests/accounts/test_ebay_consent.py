"""Adding an eBay account on the screens: the account is added with the app's keys, "Connect to eBay"
sends the browser to eBay's consent page (the eBay simulator's, a real local server), eBay sends it back
to Stockroom's consent return page with the code, and the refresh token is stored encrypted. A refused
consent and a pasted code too. The consent support is the spec's (ADR 0010 hook), not an eBay branch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from stockroom.channels.models import ChannelAccount
from stockroom.sync import accounts
from stockroom.web.permissions import ADMINISTRATOR
from tests.factories import create_user

pytestmark = pytest.mark.django_db

RETURN_URL = "http://testserver/accounts/consent/return/"


@pytest.fixture
def admin():
    client = Client()
    client.force_login(create_user("ebay-admin", role=ADMINISTRATOR))
    return client


@pytest.fixture
def seller(ebay_sim):
    return ebay_sim.create_seller("consent_seller", accept_url=RETURN_URL)


@pytest.fixture
def added(admin, seller, ebay_simulator):
    response = admin.post(
        reverse("account_add"),
        {
            "channel": "ebay",
            "name": "My eBay",
            "external_account_id": "consent_seller",
            "marketplaces": "EBAY_GB",
            "client_id": seller["client_id"],
            "client_secret": seller["client_secret"],
            "ru_name": seller["ru_name"],
            "endpoint": ebay_simulator.base_url,
        },
        follow=True,
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    assert "Next: Connect to eBay to give Stockroom access." in page
    assert 'id="consent-start"' in page
    return ChannelAccount.objects.get(name="My eBay")


def consent_on_ebay(admin, account, *, decision: str) -> str:
    """Press "Connect to eBay", sign in on the simulator's page, agree or decline: where eBay sends back."""
    start = admin.get(reverse("account_consent_start", args=[account.pk]))
    assert start.status_code == 302
    consent_url = start["Location"]
    page = httpx.get(consent_url)
    assert page.status_code == 200 and "consent_seller" in page.text
    query = dict(httpx.URL(consent_url).params)
    answer = httpx.post(
        consent_url.split("?")[0],
        data={**query, "username": "consent_seller", "password": "password", "decision": decision},
    )
    assert answer.status_code == 302
    return answer.headers["location"]


def test_consent_in_the_browser_comes_back_with_the_code_and_connects_the_account(admin, added, seller):
    back = consent_on_ebay(admin, added, decision="agree")
    assert back.startswith(RETURN_URL)

    done = admin.get(back.removeprefix("http://testserver"), follow=True)

    assert "My eBay is connected. Next: Check API." in done.content.decode()
    added.refresh_from_db()
    refresh = added.credentials["refresh_token"]
    assert refresh.startswith("v^1.1#") and refresh != seller["refresh_token"]
    ends = datetime.fromisoformat(added.credentials["refresh_token_expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=540) < ends - datetime.now(UTC) < timedelta(days=550)  # about 18 months
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT credentials FROM channels_channelaccount WHERE id = %s", [added.pk])
        assert refresh not in str(cursor.fetchone()[0])
    assert refresh not in done.content.decode()
    assert accounts.check_account(added).ok is True


def test_a_refused_consent_says_so_and_stores_nothing(admin, added):
    back = consent_on_ebay(admin, added, decision="decline")

    done = admin.get(back.removeprefix("http://testserver"), follow=True)

    assert (
        "eBay did not connect My eBay: the seller refused consent; start the consent again"
        in done.content.decode()
    )
    added.refresh_from_db()
    assert added.credentials.get("refresh_token", "") == ""


def test_a_pasted_code_connects_the_account_and_a_used_one_is_refused(admin, added, ebay_simulator):
    back = consent_on_ebay(admin, added, decision="agree")
    code = httpx.URL(back).params["code"]

    done = admin.post(reverse("account_consent_code", args=[added.pk]), {"code": code}, follow=True)
    again = admin.post(reverse("account_consent_code", args=[added.pk]), {"code": code}, follow=True)

    assert "My eBay is connected." in done.content.decode()
    assert "(invalid_grant)" in again.content.decode()
    added.refresh_from_db()
    assert added.credentials["refresh_token"].startswith("v^1.1#")


def test_a_forged_state_is_refused(admin, added):
    done = admin.get(reverse("account_consent_return"), {"state": "forged", "code": "x"}, follow=True)
    assert "the consent answer does not belong to this Stockroom: start it again" in done.content.decode()


def test_the_command_line_prints_the_consent_page_and_takes_the_code(added, capsys):
    from django.core.management import call_command

    call_command("account", "connect", "My eBay")
    printed = capsys.readouterr().out
    url = next(line.strip() for line in printed.splitlines() if line.strip().startswith("http"))
    query = dict(httpx.URL(url).params)
    assert query["redirect_uri"] == added.credentials["ru_name"] and query["response_type"] == "code"
    answer = httpx.post(
        url.split("?")[0],
        data={**query, "username": "consent_seller", "password": "password", "decision": "agree"},
    )
    code = httpx.URL(answer.headers["location"]).params["code"]

    call_command("account", "connect", "My eBay", "--code", code)

    assert "My eBay is connected." in capsys.readouterr().out
    added.refresh_from_db()
    assert accounts.check_account(added).ok is True
