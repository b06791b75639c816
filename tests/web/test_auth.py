"""Login, logout, roles, rate limiting, CSRF, cookies and CSP."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from stockroom.access import throttle
from stockroom.web.context_processors import navigation_entries
from stockroom.web.middleware import CSP
from stockroom.web.permissions import ADMINISTRATOR, WAREHOUSE_STAFF, is_administrator
from tests.web.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_roles_migration_creates_both_groups_once(db):
    from django.apps import apps

    migration = importlib.import_module("stockroom.web.migrations.0001_roles")
    Group.objects.filter(name__in=[ADMINISTRATOR, WAREHOUSE_STAFF]).delete()
    migration.create_roles(apps, None)
    migration.create_roles(apps, None)
    assert sorted(
        Group.objects.filter(name__in=[ADMINISTRATOR, WAREHOUSE_STAFF]).values_list("name", flat=True)
    ) == [ADMINISTRATOR, WAREHOUSE_STAFF]


def test_is_administrator_by_group_or_superuser(make_user, django_user_model):
    assert is_administrator(make_user(role=ADMINISTRATOR)) is True
    assert is_administrator(make_user(role=WAREHOUSE_STAFF)) is False
    assert is_administrator(make_user(role=None, is_superuser=True)) is True
    assert is_administrator(make_user(role=ADMINISTRATOR, is_active=False)) is False


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_login_with_right_password_opens_dashboard(staff_user):
    client = Client()
    response = client.post(reverse("login"), {"username": "sam", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_session_cookie_is_httponly_and_samesite(staff_user):
    response = Client().post(reverse("login"), {"username": "sam", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    header = cookie.output()
    assert "HttpOnly" in header and "SameSite=Lax" in header


def _fail(client, username="sam", times=throttle.LIMIT, **extra):
    for _ in range(times):
        response = client.post(
            reverse("login"), {"username": username, "password": "wrong password"}, **extra
        )
        assert response.status_code == 200


def test_after_five_failures_the_same_client_must_wait_even_with_the_right_password(staff_user):
    client = Client()
    _fail(client)

    response = client.post(reverse("login"), {"username": "sam", "password": PASSWORD})

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert (
        "Too many failed logins for this username from your address. Wait 60 seconds and try again"
        in response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_the_real_user_is_not_locked_out_by_someone_elses_failures(staff_user):
    # issue 10 item 14: twelve wrong passwords used to lock the user out for 15 minutes from everywhere
    attacker, elsewhere, known_browser = Client(), Client(REMOTE_ADDR="10.0.0.7"), Client()
    assert known_browser.post(reverse("login"), {"username": "sam", "password": PASSWORD}).status_code == 302
    known_browser.post(reverse("logout"))
    _fail(attacker)
    for _ in range(7):  # twelve in all
        attacker.post(reverse("login"), {"username": "sam", "password": "wrong password"})

    from_elsewhere = elsewhere.post(reverse("login"), {"username": "sam", "password": PASSWORD})
    same_address_known_browser = known_browser.post(
        reverse("login"), {"username": "sam", "password": PASSWORD}
    )
    attacker_again = attacker.post(reverse("login"), {"username": "sam", "password": PASSWORD})

    assert from_elsewhere.status_code == 302
    assert same_address_known_browser.status_code == 302
    assert attacker_again.status_code == 429


def test_a_device_cookie_counts_only_for_its_own_username(staff_user, make_user):
    make_user("other")
    browser = Client()
    assert browser.post(reverse("login"), {"username": "other", "password": PASSWORD}).status_code == 302
    browser.post(reverse("logout"))
    _fail(Client())  # sam's failures from this address
    forged = Client()
    forged.cookies[throttle.DEVICE_COOKIE] = "not-a-signed-value"

    assert browser.post(reverse("login"), {"username": "sam", "password": PASSWORD}).status_code == 429
    assert forged.post(reverse("login"), {"username": "sam", "password": PASSWORD}).status_code == 429


def test_the_wait_doubles_with_each_failure_after_it_and_is_capped(staff_user, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(throttle.time, "time", lambda: now[0])
    client = Client()
    waits = []
    _fail(client)
    for _ in range(6):
        waits.append(throttle.login_wait("sam", "ip:127.0.0.1"))
        now[0] += waits[-1]
        _fail(client, times=1)

    assert waits == [60, 120, 240, 480, 900, 900]


def test_the_count_is_per_username(staff_user, make_user):
    make_user("other")
    client = Client()
    _fail(client)
    response = client.post(reverse("login"), {"username": "other", "password": PASSWORD})
    assert response.status_code == 302


def test_successful_login_resets_the_failure_count(staff_user):
    client = Client()
    _fail(client, times=throttle.LIMIT - 1)
    assert client.post(reverse("login"), {"username": "sam", "password": PASSWORD}).status_code == 302
    client.post(reverse("logout"))
    _fail(Client(), times=throttle.LIMIT - 1)  # another browser at the same address: a fresh count
    assert throttle.login_wait("sam", "ip:127.0.0.1") == 0


def test_failures_across_the_site_slow_every_failed_answer(staff_user, monkeypatch):
    pauses = []
    monkeypatch.setattr(throttle, "GLOBAL_LIMIT", 3)
    monkeypatch.setattr(throttle.time, "sleep", pauses.append)
    for n in range(5):
        Client(REMOTE_ADDR=f"10.0.0.{n}").post(reverse("login"), {"username": f"user{n}", "password": "x"})

    assert pauses == [throttle.GLOBAL_DELAY, throttle.GLOBAL_DELAY]


def test_the_admin_login_is_the_throttled_login(staff_user):
    response = Client().get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"


def test_login_post_without_csrf_token_is_refused(staff_user):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "sam", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_logout_needs_post_and_ends_the_session(staff_client):
    assert staff_client.get(reverse("logout")).status_code == 405
    response = staff_client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You have logged out." in response.content.decode()
    assert staff_client.get(reverse("dashboard")).status_code == 302


def test_every_page_has_the_csp_header(staff_client, client, db):
    for response in (staff_client.get(reverse("dashboard")), client.get(reverse("login"))):
        assert response["Content-Security-Policy"] == CSP
    assert "'unsafe-inline'" not in CSP


def test_pages_have_no_inline_script_or_style(staff_client):
    html = staff_client.get(reverse("dashboard")).content.decode()
    assert "<style" not in html
    assert " style=" not in html
    for tag in html.split("<script")[1:]:
        head = tag.split(">", 1)[0]
        assert " src=" in head or 'type="application/json"' in head, head


def test_navigation_hides_admin_entries_from_staff(staff_user, admin_user):
    staff = [e["name"] for e in navigation_entries(staff_user)]
    admin = [e["name"] for e in navigation_entries(admin_user)]
    assert staff == ["dashboard", "orders", "inventory"]
    assert admin == [
        "dashboard",
        "orders",
        "inventory",
        "listing_overview",
        "sync",
        "sync_runs",
        "sync_issues",
        "accounts",
        "shipping_methods",
        "users",
    ]


def test_navigation_skips_screens_not_built_yet(admin_user, monkeypatch):
    from stockroom.web import context_processors

    monkeypatch.setattr(
        context_processors,
        "NAVIGATION",
        (("Dashboard", "dashboard", "all"), ("Nowhere", "no_such_screen", "all")),
    )
    assert [e["label"] for e in navigation_entries(admin_user)] == ["Dashboard"]
