import json
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError

from stockroom.access.tokens import hash_token
from stockroom.api.models import ApiToken
from stockroom.catalog.models import StockItem
from stockroom.inventory.locks import default_location
from stockroom.inventory.models import StockLevel, StockMovement
from stockroom.orders import services
from stockroom.orders.models import Order, ShippingMethod
from tests.factories import create_user

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_items_add_creates_one_item(db):
    out, _ = run("items", "add", "MUG-1", "--title", "Blue mug", "--barcode", "5012345678900")

    assert out.strip() == "Created stock item MUG-1: Blue mug"
    assert StockItem.objects.values_list("sku", "title", "barcode").get() == (
        "MUG-1",
        "Blue mug",
        "5012345678900",
    )


def test_items_add_refuses_a_duplicate_sku(make_item):
    make_item("MUG-1")

    with pytest.raises(CommandError, match="^a stock item with SKU mug-1 already exists$"):
        run("items", "add", "mug-1", "--title", "Again")


def test_items_import_creates_everything_with_opening_stock(tmp_path):
    csv = tmp_path / "items.csv"
    csv.write_bytes("sku,title,quantity\nMUG-1,Blue mug,4\nMUG-2,Café mug,\n".encode("cp1252"))

    out, _ = run("items", "import", str(csv), "--json")

    assert json.loads(out) == {"imported": 2, "errors": []}
    assert StockItem.objects.get(sku="MUG-2").title == "Café mug"
    assert StockLevel.objects.get(item__sku="MUG-1").on_hand == 4


def test_items_import_reports_every_bad_row_and_imports_nothing(tmp_path):
    csv = tmp_path / "items.csv"
    csv.write_text("sku,title,quantity\nMUG-1,Blue mug,4\n,No SKU,1\nMUG-1,Twice,x\n")
    err = StringIO()

    with pytest.raises(CommandError, match=r"^2 bad row\(s\) in .*items.csv; nothing was imported"):
        call_command("items", "import", str(csv), stdout=StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        f"{csv}:3: SKU is missing",
        f"{csv}:4 (MUG-1): quantity must be a whole number, got 'x'; SKU MUG-1 appears more than once (first on line 2)",
    ]
    assert not StockItem.objects.exists()


def test_items_import_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(CommandError, match="cannot read .*nope.csv: No such file or directory"):
        run("items", "import", str(tmp_path / "nope.csv"))


def test_stock_adjust_receive_and_show(make_item):
    make_item("MUG-1", on_hand=5)

    out_set, _ = run("stock", "adjust", "MUG-1", "--set", "9", "--reason", "counted")
    out_delta, _ = run("stock", "adjust", "MUG-1", "--delta", "-2", "--reason", "broken")
    out_receive, _ = run("stock", "receive", "MUG-1", "--quantity", "10", "--reference", "PO-1")
    shown, _ = run("stock", "show", "mug-1", "--json")

    assert out_set.splitlines()[0] == "MUG-1: on hand changed by +4"
    assert out_delta.splitlines()[0] == "MUG-1: on hand changed by -2"
    assert out_receive.splitlines()[:2] == [
        "MUG-1: received 10",
        "MUG-1  Item MUG-1",
    ]
    assert json.loads(shown) == {
        "sku": "MUG-1",
        "title": "Item MUG-1",
        "barcode": "",
        "on_hand": 17,
        "allocated": 0,
        "available": 17,
        "available_to_sell": 17,
        "levels": [
            {"location": "Default", "feeds_channels": True, "on_hand": 17, "allocated": 0, "available": 17}
        ],
    }
    assert list(StockMovement.objects.order_by("id").values_list("reason", "quantity", "reference")) == [
        ("count", 5, ""),
        ("count", 4, ""),
        ("adjustment", -2, ""),
        ("receipt", 10, "PO-1"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("stock", "show", "NOPE"), "unknown SKU 'NOPE': no stock item has this SKU"),
        (
            ("stock", "adjust", "MUG-1", "--delta", "-9", "--reason", "x"),
            "on hand at Default is 5; a change of -9",
        ),
        (
            ("stock", "adjust", "MUG-1", "--set", "two", "--reason", "x"),
            "new level must be a whole number, got 'two'",
        ),
        (("stock", "receive", "MUG-1", "--quantity", "0"), "received quantity must be at least 1"),
    ],
)
def test_stock_errors_are_specific_and_change_nothing(make_item, args, message):
    make_item("MUG-1", on_hand=5)

    with pytest.raises(CommandError, match=message):
        run(*args)

    assert StockLevel.objects.get(item__sku="MUG-1").on_hand == 5


@pytest.fixture
def two_orders(make_item, make_account, link, make_channel_order):
    ShippingMethod.objects.bulk_create(
        [ShippingMethod(name=n) for n in ("Collection", "Courier", "Royal Mail")]
    )
    item = make_item("MUG", on_hand=5)
    account = make_account("UK shop")
    link(account, "AMZ-MUG", item)
    first = services.import_channel_order(
        account=account,
        data=make_channel_order("202-0000001-0000001", lines=[("AMZ-MUG", 1)], buyer_name="Ann"),
    ).order_id
    second = services.create_manual_order(
        lines=[(item, 1, "4.50")], buyer_name="Bob", external_order_id="M-1"
    ).pk
    return first, second


def test_orders_list_filters_and_prints_json(two_orders):
    first, second = two_orders

    everything, _ = run("orders", "list", "--json")
    amazon, _ = run("orders", "list", "--source", "amazon", "--json")
    text, _ = run("orders", "list", "--search", "bob")

    assert [o["id"] for o in json.loads(everything)] == [second, first]
    assert [(o["external_order_id"], o["total"]) for o in json.loads(amazon)] == [
        ("202-0000001-0000001", "9.99")
    ]
    assert len(text.splitlines()) == 1 and "M-1" in text and "Bob" in text


def test_orders_process_by_external_id_or_id(two_orders):
    first, second = two_orders

    out, _ = run("orders", "process", "202-0000001-0000001", "--tracking", "RM1", "--method", "Royal Mail")
    as_json, _ = run("orders", "process", str(second), "--method", "Collection", "--json")

    assert out.strip() == "Processed order 202-0000001-0000001: Royal Mail, tracking RM1"
    assert json.loads(as_json)["status"] == "processed"
    assert set(Order.objects.values_list("status", flat=True)) == {"processed"}


def test_orders_process_errors(two_orders):
    first, _ = two_orders
    with pytest.raises(
        CommandError,
        match="order 202-0000001-0000001 needs a tracking number: UK shop \\(Amazon\\) refuses a shipping "
        "confirmation without one",
    ):
        run("orders", "process", str(first), "--method", "Courier")
    with pytest.raises(
        CommandError, match="unknown shipping method 'Pigeon': choose one of Collection, Courier"
    ):
        run("orders", "process", str(first), "--tracking", "RM1", "--method", "Pigeon")
    assert Order.objects.get(pk=first).status == "open"
    run("orders", "process", str(first), "--tracking", "RM1", "--method", "Courier")

    with pytest.raises(CommandError, match="no order with external order id or id 'NOPE'"):
        run("orders", "process", "NOPE", "--method", "Courier")
    with pytest.raises(CommandError, match="is processed; only open orders can be processed"):
        run("orders", "process", str(first), "--method", "Courier")
    with pytest.raises(CommandError, match="--limit must be between 1 and 10000, got 0"):
        run("orders", "list", "--limit", "0")


def test_api_token_create_list_revoke(db):
    create_user("ann", role=None)

    created, _ = run("api-token", "create", "ann", "--name", "printer", "--json")
    token = json.loads(created)
    listed, _ = run("api-token", "list", "--json")
    revoked, _ = run("api-token", "revoke", token["prefix"])
    after, _ = run("api-token", "list")

    assert ApiToken.objects.get().token_hash == hash_token(token["token"])
    assert [(t["name"], t["user"], t["prefix"]) for t in json.loads(listed)] == [
        ("printer", "ann", token["prefix"])
    ]
    assert "token" not in json.loads(listed)[0]
    assert revoked.strip() == f"Revoked API token {token['prefix']}… (printer)"
    assert after.strip() == "No API tokens."


def test_api_token_text_output_shows_the_secret_once(db):
    create_user("ann", role=None)

    out, _ = run("api-token", "create", "ann")
    listed, _ = run("api-token", "list")

    secret = out.split("\n\n")[1].strip()
    assert ApiToken.objects.get().token_hash == hash_token(secret)
    assert "only time it is shown" in out
    assert secret not in listed and ApiToken.objects.get().prefix in listed


def test_api_token_errors(db):
    with pytest.raises(CommandError, match="no user named 'ghost'; create the user first"):
        run("api-token", "create", "ghost")
    with pytest.raises(CommandError, match="no API token with id or prefix '42'"):
        run("api-token", "revoke", "42")


def test_init_creates_an_administrator_once_and_then_changes_nothing(db):
    # a migrated database: the default location exists (a transactional test before this one may have
    # flushed the row the migration made), and no one has an account yet
    Group.objects.get_or_create(name="Administrator")
    default_location()
    assert not User.objects.exists()

    first, _ = run("init", "--admin-username", "boss", "--admin-password", "correct horse battery")
    second, _ = run("init", "--admin-username", "other")

    boss = User.objects.get()
    assert first.strip() == "Administrator created: username boss (with the password you gave)."
    assert boss.is_superuser and boss.check_password("correct horse battery")
    assert list(boss.groups.values_list("name", flat=True)) == ["Administrator"]
    assert second.strip() == (
        "Nothing to do: the database is up to date, the default location and administrator boss exists."
    )


def test_init_generates_a_password_and_shows_it_once(db):
    out, _ = run("init")

    password = out.split("password ")[1].split(".")[0]
    assert User.objects.get(username="admin").check_password(password)
    assert "shown once" in out


def test_init_refuses_a_weak_password_and_creates_no_one(db):
    with pytest.raises(CommandError, match="--admin-password is not acceptable: This password is too short"):
        run("init", "--admin-password", "short")

    assert not User.objects.exists()


def test_worker_check_runs_the_health_check(db):
    out, _ = run("worker", "--check")

    assert out.startswith("Worker OK: host ")
    assert "database " in out
