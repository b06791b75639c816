"""Login, logout, roles, rate limiting, CSRF, cookies and CSP."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from stockroom.web import throttle
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


def test_login_is_refused_after_five_failures_even_with_right_password(staff_user):
    client = Client()
    for _ in range(throttle.LIMIT):
        response = client.post(reverse("login"), {"username": "sam", "password": "wrong password"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": "sam", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins for this username from your address. Wait 15 minutes" in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_login_limit_is_per_username(staff_user, make_user):
    make_user("other")
    client = Client()
    for _ in range(throttle.LIMIT):
        client.post(reverse("login"), {"username": "sam", "password": "wrong password"})
    response = client.post(reverse("login"), {"username": "other", "password": PASSWORD})
    assert response.status_code == 302


def test_successful_login_resets_the_failure_count(staff_user):
    client = Client()
    for _ in range(throttle.LIMIT - 1):
        client.post(reverse("login"), {"username": "sam", "password": "wrong password"})
    assert client.post(reverse("login"), {"username": "sam", "password": PASSWORD}).status_code == 302
    assert throttle.login_blocked("sam", "127.0.0.1") is False
    assert cache.get(throttle._key("sam", "127.0.0.1")) is None


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
