"""Users screen: administrators only; create, change role, deactivate."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from stockroom.web.permissions import ADMINISTRATOR, WAREHOUSE_STAFF, is_administrator, role_of


@pytest.mark.parametrize("url_name", ["users", "user_create"])
def test_warehouse_staff_get_403_on_admin_pages(staff_client, url_name):
    response = staff_client.get(reverse(url_name))
    assert response.status_code == 403
    assert "This page is for administrators." in response.content.decode()


def test_warehouse_staff_cannot_change_roles(staff_client, staff_user):
    response = staff_client.post(
        reverse("user_update", args=[staff_user.pk]), {"action": "role", "role": ADMINISTRATOR}
    )
    assert response.status_code == 403
    staff_user.refresh_from_db()
    assert role_of(staff_user) == WAREHOUSE_STAFF


def test_admin_sees_the_user_list(admin_client, staff_user):
    html = admin_client.get(reverse("users")).content.decode()
    assert "sam" in html and "alice" in html


def test_admin_creates_a_user_who_can_log_in(admin_client):
    response = admin_client.post(
        reverse("user_create"),
        {"username": "wendy", "password": "a long enough pw 1", "role": WAREHOUSE_STAFF},
    )
    assert response.status_code == 302
    wendy = User.objects.get(username="wendy")
    assert role_of(wendy) == WAREHOUSE_STAFF
    assert Client().login(username="wendy", password="a long enough pw 1")


def test_create_user_with_short_password_says_why(admin_client):
    response = admin_client.post(
        reverse("user_create"), {"username": "wendy", "password": "short", "role": WAREHOUSE_STAFF}
    )
    assert response.status_code == 400
    assert "This password is too short" in response.content.decode()
    assert not User.objects.filter(username="wendy").exists()


def test_admin_changes_role_and_deactivates(admin_client, staff_user):
    admin_client.post(reverse("user_update", args=[staff_user.pk]), {"action": "role", "role": ADMINISTRATOR})
    staff_user = User.objects.get(pk=staff_user.pk)
    assert is_administrator(staff_user)
    admin_client.post(reverse("user_update", args=[staff_user.pk]), {"action": "deactivate"})
    staff_user.refresh_from_db()
    assert staff_user.is_active is False


def test_admin_cannot_deactivate_themselves(admin_client, admin_user):
    response = admin_client.post(
        reverse("user_update", args=[admin_user.pk]), {"action": "deactivate"}, follow=True
    )
    assert "Nothing changed: you cannot deactivate your own account." in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active is True
