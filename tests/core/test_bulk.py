"""insert_new: many new rows at once (COPY on PostgreSQL), with the same result as bulk_create."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from stockroom.channels.models import ChannelAccount
from stockroom.core.bulk import commits_without_waiting_for_disk, insert_new, unsaved
from stockroom.inventory.locks import default_location
from stockroom.orders.models import Order
from stockroom.orders.pipeline import OrderStatus

pytestmark = pytest.mark.django_db


def _account(n: int) -> ChannelAccount:
    return ChannelAccount(
        channel="amazon",
        name=f"Shop {n}",
        external_account_id=f"SELLER{n}",
        marketplaces=["A1F83G8C2ARO7P"],
        options={"order_source": "orders_api", "n": n},
        credentials={"client_id": f"id-{n}", "refresh_token": "Atzr|r"},
        endpoint="http://127.0.0.1:8765",
        last_check_ok=None,
    )


def test_rows_are_stored_as_bulk_create_would_store_them_and_get_their_keys():
    accounts = [_account(n) for n in range(3)]
    location = default_location()
    purchased = datetime(2026, 11, 20, 10, 30, 15, 123456, tzinfo=UTC)
    orders = [
        Order(
            account=accounts[0],
            source="amazon",
            external_order_id=f"202-{n}",
            status=OrderStatus.PENDING,
            location=location,
            buyer_name='Zoë O\'Brien\t\\ "quoted"\nsecond line',
            purchased_at=purchased,
            total=Decimal("12.34"),
            fulfilled_by_channel=n == 1,
        )
        for n in range(2)
    ]
    before = datetime.now(UTC)

    insert_new(accounts)
    for order in orders:
        order.account_id = accounts[0].pk
    insert_new(orders)

    stored = {a.pk: a for a in ChannelAccount.objects.all()}
    assert sorted(stored) == sorted(a.pk for a in accounts)
    for account in accounts:
        again = stored[account.pk]
        assert (again.name, again.marketplaces, again.options, again.credentials, again.last_check_ok) == (
            account.name,
            ["A1F83G8C2ARO7P"],
            account.options,
            account.credentials,
            None,
        )
        assert again.created_at >= before and again.updated_at >= before
    # the credentials went through their own field's preparation: encrypted at rest
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_channelaccount WHERE id = %s", [accounts[0].pk])
        assert "Atzr" not in cursor.fetchone()[0]
    rows = list(
        Order.objects.order_by("external_order_id").values_list(
            "pk", "status", "buyer_name", "purchased_at", "total", "fulfilled_by_channel", "on_hold"
        )
    )
    assert rows == [
        (orders[0].pk, "pending", orders[0].buyer_name, purchased, Decimal("12.34"), False, False),
        (orders[1].pk, "pending", orders[1].buyer_name, purchased, Decimal("12.34"), True, False),
    ]


def test_rows_without_keys_are_stored_all_the_same():
    insert_new([_account(n) for n in range(4)], keys=False)

    assert sorted(ChannelAccount.objects.values_list("name", flat=True)) == [f"Shop {n}" for n in range(4)]


def test_a_violated_constraint_raises_integrity_error_and_stores_nothing():
    insert_new([_account(1)])

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_new([_account(2), _account(1), _account(3)])

    assert list(ChannelAccount.objects.values_list("name", flat=True)) == ["Shop 1"]


def test_the_insert_shows_in_djangos_query_log():
    with CaptureQueriesContext(connection) as captured:
        insert_new([_account(n) for n in range(3)])

    statements = [query["sql"].split(" ")[0] for query in captured.captured_queries]
    assert statements == (["SELECT", "COPY"] if connection.vendor == "postgresql" else ["INSERT"])


def test_unsaved_builds_the_instance_the_constructor_builds():
    account = _account(7)
    account.save()
    location = default_location()
    values = {
        "source": "amazon",
        "external_order_id": "202-7",
        "status": OrderStatus.PENDING,
        "total": Decimal("4.50"),
        "purchased_at": datetime(2026, 11, 20, 10, 30, tzinfo=UTC),
    }

    fast = unsaved(Order, account=account, location_id=location.pk, **values)
    slow = Order(account=account, location=location, **values)

    fields = Order._meta.concrete_fields
    assert [getattr(fast, f.attname) for f in fields] == [getattr(slow, f.attname) for f in fields]
    assert fast.account is account  # cached, as the constructor caches it: no query
    assert fast._state.adding and fast.pk is None
    fast.save(force_insert=True)
    assert Order.objects.get(pk=fast.pk).location_id == location.pk


def test_unsaved_gives_each_instance_its_own_value_of_a_callable_default():
    # ChannelAccount's marketplaces, options and credentials default to a new list / dict each time
    first, second = (unsaved(ChannelAccount, channel="amazon", name=f"Shop {n}") for n in range(2))
    built = ChannelAccount(channel="amazon", name="Shop 0")

    fields = ChannelAccount._meta.concrete_fields
    assert [getattr(first, f.attname) for f in fields] == [getattr(built, f.attname) for f in fields]
    assert first.options == {} and first.options is not second.options
    assert first.marketplaces == [] and first.marketplaces is not second.marketplaces
    first.options["n"] = 1
    assert second.options == {}
    # a value given wins over the default, a callable one included
    assert unsaved(ChannelAccount, name="Shop 3", options={"n": 3}).options == {"n": 3}


def test_unsaved_refuses_a_field_the_model_does_not_have():
    with pytest.raises(TypeError, match="no field 'colour'"):
        unsaved(Order, colour="red")


@pytest.mark.postgres
def test_commits_without_waiting_for_disk_hold_for_the_block_only(on_postgres):
    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    assert setting() == "on"
    with commits_without_waiting_for_disk():
        with transaction.atomic():
            assert setting() == "off"
        with transaction.atomic():
            assert setting() == "off"
    assert setting() == "on"
    with pytest.raises(RuntimeError), commits_without_waiting_for_disk():
        raise RuntimeError("the download failed")
    assert setting() == "on"
