"""Hostile buyer names render inert; every page needs a login; admin-only pages refuse staff."""

from datetime import UTC, datetime

import pytest
from django.urls import URLPattern, get_resolver, reverse

from stockroom.orders.models import Order
from stockroom.orders.services import import_channel_order
from stockroom.web import urls as web_urls
from stockroom.web.middleware import CSP
from tests.conftest import channel_order

HOSTILE = [
    "<script>alert(1)</script>",
    '"onmouseover=alert(1) x="',
    "<img src=x onerror=alert(1)>",
    "A" * 5000,
    "\u202eRTL override \u05e9\u05dc\u05d5\u05dd مرحبا",
    "山田太郎 ' & \"",
]


@pytest.fixture
def hostile_orders(make_account):
    account = make_account("Shop UK")
    orders = []
    for n, name in enumerate(HOSTILE):
        data = channel_order(
            f"H-{n}", buyer_name=name, purchased_at=datetime(2026, 11, 20, 10, n, tzinfo=UTC)
        )
        orders.append(Order.objects.get(pk=import_channel_order(account=account, data=data).order_id))
    return orders


def _assert_inert(html: str, name: str):
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x onerror" not in html
    assert '"onmouseover=alert(1)' not in html
    if name.startswith("<script>"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    if name.startswith('"onmouseover'):
        assert "&quot;onmouseover=alert(1) x=&quot;" in html


def test_hostile_names_stored_intact(hostile_orders):
    assert [o.buyer_name for o in hostile_orders] == [n[:300] for n in HOSTILE]


def test_hostile_buyer_names_are_escaped_on_the_order_list(staff_client, hostile_orders):
    html = staff_client.get(reverse("orders")).content.decode()
    for name in HOSTILE:
        _assert_inert(html, name)
    assert "山田太郎 &#x27; &amp; &quot;" in html
    assert "\u202eRTL override" in html


def test_hostile_buyer_names_are_escaped_on_the_order_detail(staff_client, hostile_orders):
    for order, name in zip(hostile_orders, HOSTILE, strict=True):
        html = staff_client.get(reverse("order_detail", args=[order.pk])).content.decode()
        _assert_inert(html, name)


def test_hostile_buyer_names_are_escaped_on_the_dashboard(staff_client, hostile_orders):
    html = staff_client.get(reverse("dashboard")).content.decode()
    for name in HOSTILE:
        _assert_inert(html, name)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hostile_buyer_names_are_escaped_on_confirmation_pages(staff_client, hostile_orders):
    order = hostile_orders[0]
    _assert_inert(
        staff_client.get(reverse("order_delete", args=[order.pk])).content.decode(), order.buyer_name
    )
    html = staff_client.get(reverse("order_cancel", args=[order.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html


def _web_url_names():
    names = []
    for pattern in web_urls.urlpatterns:
        if isinstance(pattern, URLPattern) and pattern.name not in ("login", "logout", "favicon"):
            names.append((pattern.name, [1] * len(pattern.pattern.regex.groupindex)))
    return names


@pytest.mark.parametrize(("name", "args"), _web_url_names())
def test_every_web_page_needs_a_login(client, db, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302, name
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert response["Content-Security-Policy"] == CSP


def test_csp_on_error_pages(staff_client):
    response = staff_client.get(reverse("users"))
    assert response.status_code == 403
    assert response["Content-Security-Policy"] == CSP


def test_root_urlconf_includes_admin_for_staff():
    assert get_resolver().resolve("/admin/").app_name == "admin"
