"""One date and time format on every screen, in the user's time zone (Preferences), UTC on hover."""

from datetime import UTC, datetime

from django.urls import reverse
from django.utils import timezone

from stockroom.orders.services import import_channel_order
from stockroom.web.models import UserPreferences
from stockroom.web.templatetags.stockroom_web import took, when
from tests.conftest import channel_order

PURCHASED = datetime(2026, 12, 5, 7, 27, 43, tzinfo=UTC)


def test_when_shows_the_local_time_and_utc_on_hover():
    with timezone.override("Asia/Tokyo"):
        assert when(PURCHASED) == (
            '<time datetime="2026-12-05T07:27:43Z" title="2026-12-05 07:27:43 UTC">5 Dec 2026 16:27</time>'
        )
    assert when(None) == "—"


def test_took_says_how_long_in_seconds_or_minutes():
    assert took(PURCHASED, PURCHASED.replace(second=44)) == "1.0 s"
    assert took(PURCHASED, PURCHASED.replace(minute=30, second=48)) == "3 min 5 s"
    assert took(PURCHASED, None) == ""


def test_a_users_time_zone_applies_to_every_screen_and_beats_the_browsers(
    staff_client, staff_user, make_account
):
    account = make_account("Shop UK")
    order_id = import_channel_order(
        account=account, data=channel_order("T-1", purchased_at=PURCHASED)
    ).order_id
    staff_client.cookies["tz"] = "America/New_York"  # what the browser reported
    list_html = staff_client.get(reverse("orders")).content.decode()
    assert 'title="2026-12-05 07:27:43 UTC">5 Dec 2026 02:27</time>' in list_html

    response = staff_client.post(reverse("preferences"), {"time_zone": "Asia/Tokyo"}, follow=True)
    assert "Times are now shown in Asia/Tokyo." in response.content.decode()
    assert UserPreferences.objects.get(user=staff_user).time_zone == "Asia/Tokyo"

    shown = '<time datetime="2026-12-05T07:27:43Z" title="2026-12-05 07:27:43 UTC">5 Dec 2026 16:27</time>'
    for url in (reverse("orders"), reverse("order_detail", args=[order_id]), reverse("dashboard")):
        assert shown in staff_client.get(url).content.decode(), url
    assert ">Asia/Tokyo</a>" in staff_client.get(reverse("orders")).content.decode()


def test_an_unknown_time_zone_is_refused_and_nothing_changes(staff_client, staff_user):
    response = staff_client.post(reverse("preferences"), {"time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert "unknown time zone &#x27;Mars/Olympus&#x27;: choose one from the list" in response.content.decode()
    assert not UserPreferences.objects.filter(user=staff_user).exists()


def test_following_the_browser_again_clears_the_choice(staff_client, staff_user):
    staff_client.post(reverse("preferences"), {"time_zone": "Asia/Tokyo"})
    response = staff_client.post(reverse("preferences"), {"time_zone": ""}, follow=True)
    assert "Times now follow your browser&#x27;s time zone." in response.content.decode()
    assert UserPreferences.objects.get(user=staff_user).time_zone == ""


def test_no_screen_template_formats_dates_its_own_way():
    from pathlib import Path

    import stockroom.web

    templates = Path(stockroom.web.__file__).parent / "templates"
    offenders = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if "|date:" in path.read_text() or "|timesince" in path.read_text()
    ]
    assert offenders == []


def test_favicon_is_linked_and_served_without_a_login(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("web/favicon.svg")
    assert '<link rel="icon" href="/static/web/favicon.svg" type="image/svg+xml">' in (
        client.get(reverse("login")).content.decode()
    )


def test_the_zone_app_js_writes_url_encoded_is_read(staff_client, make_account):
    import_channel_order(account=make_account("Shop UK"), data=channel_order("T-2", purchased_at=PURCHASED))
    staff_client.cookies["tz"] = "Asia%2FTokyo"  # document.cookie = "tz=" + encodeURIComponent(zone)
    assert "5 Dec 2026 16:27</time>" in staff_client.get(reverse("orders")).content.decode()


def test_the_users_screen_shows_last_login_in_the_same_format(admin_client, admin_user, make_user):
    make_user("never-logged-in")
    html = admin_client.get(reverse("users")).content.decode()
    admin_user.refresh_from_db()
    utc = admin_user.last_login.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert f'title="{utc} UTC">' in html and "<td>never</td>" in html
    assert " a.m." not in html and " p.m." not in html
