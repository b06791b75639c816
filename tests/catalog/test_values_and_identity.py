"""Issue 10 items 9, 11, 12 and 15: values checked against what the columns hold, one identity per SKU.

Every case runs on whichever database the suite runs on (SQLite by default, PostgreSQL with
DATABASE_URL): the same message and the same stored result on both.
"""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from stockroom.access.tokens import create_api_token
from stockroom.catalog.imports import RowError, parse_items_csv
from stockroom.catalog.models import StockItem
from stockroom.catalog.services import create_stock_item
from stockroom.core.errors import Conflict, InvalidInput
from stockroom.core.fields import fill_identity_keys
from stockroom.inventory.models import StockLevel, StockMovement
from stockroom.inventory.selectors import stock_totals
from stockroom.web.permissions import ADMINISTRATOR, WAREHOUSE_STAFF
from tests.factories import create_user

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, client, secret: str):
        self.client, self.secret = client, secret

    def post(self, path, body):
        headers = {"Authorization": f"Bearer {self.secret}"}
        return self.client.post(path, body, content_type="application/json", headers=headers)


def _user(username: str, role: str) -> User:
    return create_user(username, role=role)


@pytest.fixture
def api(client):
    return Api(client, create_api_token(username=_user("staff", WAREHOUSE_STAFF).username).secret)


@pytest.fixture
def api_admin(client):
    return Api(client, create_api_token(username=_user("boss", ADMINISTRATOR).username).secret)


@pytest.fixture
def staff_client(client):
    client.force_login(_user("staff-web", WAREHOUSE_STAFF))
    return client


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


# --- identity: one SKU per normalised, case-folded key (item 11) ------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ÄPFEL", "äpfel"),
        ("MUG-1", "mug-1"),
        ("ＭＵＧ-1", "MUG-1"),  # full-width letters
        ("STRASSE", "straße"),  # case folding, not only lower()
        ("A\u0308PFEL", "ÄPFEL"),  # decomposed and composed Ä
    ],
)
def test_the_cli_refuses_a_sku_that_differs_from_another_only_by_case_or_form(first, second):
    run("items", "add", first, "--title", "First")

    with pytest.raises(CommandError, match=r"^a stock item with SKU .* already exists$"):
        run("items", "add", second, "--title", "Second")

    assert StockItem.objects.count() == 1


def test_the_database_itself_refuses_a_second_sku_with_the_same_key():
    StockItem.objects.create(sku="ÄPFEL", title="Apples")

    with pytest.raises(IntegrityError), transaction.atomic():
        StockItem.objects.create(sku="äpfel", title="apples")
    with pytest.raises(IntegrityError), transaction.atomic():
        StockItem.objects.bulk_create([StockItem(sku="Äpfel", title="bulk")])

    assert list(StockItem.objects.values_list("sku", "sku_key")) == [("ÄPFEL", "äpfel")]


@pytest.mark.parametrize(
    ("sku", "reason"),
    [
        (
            "MUG\u200b-1",
            "contains an invisible formatting character (zero-width or direction override) (U+200B)",
        ),
        (
            "MUG\u202e-1",
            "contains an invisible formatting character (zero-width or direction override) (U+202E)",
        ),
        ("MUG\x85-1", "contains a control character (U+0085)"),
        ("MUG\x7f-1", "contains a control character (U+007F)"),
        ("MUG\x00-1", "contains a control character (U+0000)"),
        ("MUG\u00a0-1", "contains a special space (U+00A0); use an ordinary space"),
    ],
)
def test_a_sku_with_invisible_or_control_characters_is_refused_everywhere(sku, reason, api_admin):
    with pytest.raises(CommandError) as cli_error:
        run("items", "add", sku, "--title", "Mug")
    response = api_admin.post("/api/items", {"sku": sku, "title": "Mug"})

    assert str(cli_error.value) == f"SKU {sku!r} {reason}"
    assert (response.status_code, response.json()["message"]) == (400, f"SKU {sku!r} {reason}")
    assert parse_items_csv(f"sku,title\n{sku},Mug\n").errors == (RowError(2, sku, f"SKU {sku!r} {reason}"),)
    assert not StockItem.objects.exists()


def test_a_sku_is_found_by_any_spelling_of_its_key(make_item):
    make_item("ÄPFEL", on_hand=3)

    out = run("stock", "show", "äpfel", "--json")

    assert json.loads(out)["sku"] == "ÄPFEL"


def test_csv_import_finds_duplicates_by_the_same_key(make_item):
    make_item("ÄPFEL")

    plan = parse_items_csv("sku,title\näpfel,Apples\nＭＵＧ-1,Mug\nmug-1,Mug again\n")

    assert [row.sku for row in plan.rows] == ["ＭＵＧ-1"]
    assert plan.errors == (
        RowError(2, "äpfel", "a stock item with SKU äpfel already exists"),
        RowError(4, "mug-1", "SKU mug-1 appears more than once (first on line 3)"),
    )


@pytest.mark.django_db(transaction=True)
def test_the_key_migration_keeps_rows_an_older_release_let_in_twice(capsys):
    executor = MigrationExecutor(connection)
    executor.migrate([("catalog", "0001_initial")])
    old = executor.loader.project_state([("catalog", "0001_initial")]).apps.get_model("catalog", "StockItem")
    first = old.objects.create(sku="MUG X", title="Mug")
    second = old.objects.create(sku="MUG\u00a0X", title="Mug with a no-break space")  # let in before
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        keys = dict(StockItem.objects.values_list("pk", "sku_key"))

    assert keys == {first.pk: "mug x", second.pk: f"mug x#{second.pk}"}
    assert f"rename them: SKU 'MUG\\xa0X' (id {second.pk})" in capsys.readouterr().err
    StockItem.objects.get(pk=second.pk).save()  # still editable: its set-apart key is kept


def test_filling_keys_of_distinct_rows_sets_none_apart():
    apples = StockItem.objects.create(sku="ÄPFEL", title="Apples")
    pears = StockItem.objects.create(sku="Pear", title="Pears")
    # as an older release stored them: the key column is what the migration fills
    StockItem.objects.filter(pk=apples.pk).update(sku_key="placeholder-1")
    StockItem.objects.filter(pk=pears.pk).update(sku_key="placeholder-2")

    clashes = fill_identity_keys(StockItem, source="sku", key="sku_key", label="SKU")

    assert clashes == []
    assert dict(StockItem.objects.values_list("sku", "sku_key")) == {"ÄPFEL": "äpfel", "Pear": "pear"}


# --- lengths, ranges and characters the columns hold (items 9 and 15) --------------------------------


def test_a_barcode_longer_than_its_column_is_refused_not_a_traceback():
    with pytest.raises(CommandError, match=r"^SKU MUG-1: barcode is longer than 64 characters \(500\)$"):
        run("items", "add", "MUG-1", "--title", "Mug", "--barcode", "5" * 500)

    assert not StockItem.objects.exists()


def test_a_title_too_long_is_refused_by_the_cli_not_cut():
    with pytest.raises(CommandError, match=r"^SKU MUG-1: title is longer than 500 characters \(10000\)$"):
        run("items", "add", "MUG-1", "--title", "t" * 10_000)

    assert not StockItem.objects.exists()


def test_a_nul_in_an_api_title_is_removed_not_a_500(api_admin):
    response = api_admin.post("/api/items", {"sku": "MUG-1", "title": "Blue\x00 mug\x1b[2J"})

    assert response.status_code == 201
    assert response.json()["title"] == "Blue mug[2J"
    assert StockItem.objects.get().title == "Blue mug[2J"


def test_a_nul_in_a_csv_title_is_removed_and_the_file_imports(tmp_path):
    path = tmp_path / "items.csv"
    path.write_bytes(b"sku,title,quantity\nMUG-1,Blue\x00 mug,2\n")

    out = run("items", "import", str(path), "--json")

    assert json.loads(out) == {"imported": 1, "errors": []}
    assert StockItem.objects.get().title == "Blue mug"


def test_delta_that_would_overflow_the_level_is_refused_and_changes_nothing(make_item):
    make_item("MUG-1")
    run("stock", "adjust", "MUG-1", "--delta", "2000000000", "--reason", "delivery")

    with pytest.raises(CommandError) as error:
        run("stock", "adjust", "MUG-1", "--delta", "2000000000", "--reason", "delivery")

    assert str(error.value) == (
        "SKU MUG-1: on hand at Default would be 4000000000, more than the 2,147,483,647 Stockroom can hold"
    )
    assert stock_totals(StockItem.objects.get().pk)["on_hand"] == 2_000_000_000
    assert StockMovement.objects.count() == 1


@pytest.mark.parametrize("digits", ["٣", "３", "³", "1٣"])
def test_only_ascii_digits_are_quantities(make_item, digits, tmp_path):
    make_item("MUG-1", on_hand=1)

    with pytest.raises(CommandError, match=f"^delta must be a whole number, got '{digits}'$"):
        run("stock", "adjust", "MUG-1", "--delta", digits, "--reason", "typed")
    plan = parse_items_csv(f"sku,title,quantity\nMUG-2,Mug,{digits}\n")

    assert plan.errors == (RowError(2, "MUG-2", f"quantity must be a whole number, got '{digits}'"),)
    assert StockLevel.objects.get().on_hand == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"delta": True, "reason": "x"}, "invalid request: delta: Input should be a valid integer"),
        ({"set": True, "reason": "x"}, "invalid request: set: Input should be a valid integer"),
        ({"delta": "3", "reason": "x"}, "invalid request: delta: Input should be a valid integer"),
        ({"delta": 1.0, "reason": "x"}, "invalid request: delta: Input should be a valid integer"),
    ],
)
def test_the_api_takes_only_json_integers_as_quantities(api, make_item, body, message):
    make_item("MUG-1", on_hand=5)

    response = api.post("/api/stock/MUG-1/adjust", body)

    assert (response.status_code, response.json()["message"]) == (422, message)
    assert StockMovement.objects.count() == 1  # the opening stock only


def test_receiving_true_through_the_api_is_refused(api, make_item):
    make_item("MUG-1", on_hand=5)

    response = api.post("/api/stock/MUG-1/receive", {"quantity": True})

    assert response.status_code == 422
    assert StockLevel.objects.get().on_hand == 5


def test_the_web_adjust_form_refuses_an_unknown_location(staff_client, make_item):
    item = make_item("MUG-1", on_hand=5)

    response = staff_client.post(
        reverse("item_adjust", args=[item.pk]),
        {"mode": "delta", "quantity": "3", "reason": "found", "location": "999"},
        follow=True,
    )

    assert (
        "Stock not changed: location &#x27;999&#x27; does not exist; choose one of the listed locations."
        in response.content.decode()
    )
    assert StockLevel.objects.get().on_hand == 5


def test_a_reason_longer_than_the_ledger_holds_is_refused_not_cut(make_item):
    make_item("MUG-1", on_hand=5)

    with pytest.raises(CommandError, match=r"^reason is longer than 500 characters \(600\)$"):
        run("stock", "adjust", "MUG-1", "--delta", "1", "--reason", "r" * 600)

    assert StockLevel.objects.get().on_hand == 5


def test_dimensions_beyond_the_column_are_refused():
    with pytest.raises(InvalidInput, match=r"^SKU MUG-1: weight \(grams\) would be 3000000000, more than"):
        create_stock_item(sku="MUG-1", title="Mug", weight_grams=3_000_000_000)


def test_a_conflict_is_still_a_conflict(make_item):
    make_item("MUG-1")

    with pytest.raises(Conflict, match="^a stock item with SKU Mug-1 already exists$"):
        create_stock_item(sku="Mug-1", title="Again")


# --- CSV quoting (item 12) ------------------------------------------------------------------------


def test_an_unterminated_quote_is_an_error_not_the_next_row_swallowed(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text('sku,title\nMUG-1,"Blue mug\nMUG-2,Red mug\n')
    err = StringIO()

    with pytest.raises(CommandError, match=r"^1 bad row\(s\) in .*; nothing was imported"):
        call_command("items", "import", str(path), stdout=StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [f"{path}:2: not valid CSV (unexpected end of data)"]
    assert not StockItem.objects.exists()


@pytest.mark.parametrize(
    ("sku", "message"),
    [
        ("äpfel", "a stock item with SKU äpfel already exists. Correct it and save again."),
        ("MUG\u200b-1", "SKU &#x27;MUG\\u200b-1&#x27; contains an invisible formatting character"),
    ],
)
def test_the_web_form_shows_why_a_sku_is_refused(staff_client, make_item, sku, message):
    make_item("ÄPFEL")

    response = staff_client.post(reverse("item_create"), {"sku": sku, "title": "Apples"})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert StockItem.objects.count() == 1
