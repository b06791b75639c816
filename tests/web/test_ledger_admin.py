"""Django admin shows stock levels and the movement ledger read-only: no Add, Change or Delete."""

import pytest
from django.test import Client

from stockroom.inventory.models import StockLevel, StockMovement
from stockroom.inventory.services import adjust_stock
from tests.factories import create_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(create_user("root", role=None, is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["stocklevel", "stockmovement"])
def test_ledger_admin_lists_rows_but_offers_no_add_change_or_delete(superuser_client, make_item, model):
    item = make_item("ADM-1", on_hand=5)
    adjust_stock(item=item, delta=-2, reason="damaged")
    row = (StockLevel if model == "stocklevel" else StockMovement).objects.filter(item=item).first()
    base = f"/admin/inventory/{model}/"

    listing = superuser_client.get(base)
    assert listing.status_code == 200
    assert "ADM-1" in listing.content.decode()
    assert f'href="{base}add/"' not in listing.content.decode()
    assert superuser_client.get(f"{base}add/").status_code == 403
    detail = superuser_client.get(f"{base}{row.pk}/change/")
    assert detail.status_code == 200  # view permission only: read-only page
    assert 'name="_save"' not in detail.content.decode()
    assert superuser_client.post(f"{base}{row.pk}/change/", {"on_hand": 99}).status_code == 403
    assert superuser_client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert 'value="delete_selected"' not in listing.content.decode()
    bulk = superuser_client.post(base, {"action": "delete_selected", "_selected_action": [row.pk]})
    assert bulk.status_code == 200  # the action is unknown: the list is shown again, nothing deleted
    assert StockLevel.objects.get(item=item).on_hand == 3
    assert StockMovement.objects.filter(item=item).count() == 2
