"""The account, listings and shipping commands (call_command), and one run of the console script."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from stockroom.channels.models import ChannelAccount, Listing, ShippingMethodMapping
from stockroom.orders.models import ChannelShipment, ShipmentStatus, ShippingMethod
from stockroom.orders.services import import_channel_order, process_order

SECRET = "cli-secret-0123456789abcdefXYZ"
TOKEN = "Atzr|cli-refresh-0123456789XYZ"


def run(*args, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    kwargs = {"stdout": out, "stderr": err}
    if stdin is not None:
        kwargs["stdin"] = io.StringIO(stdin)
    call_command(*args, **kwargs)
    return out.getvalue(), err.getvalue()


def add_args(name="CLI Shop", *extra):
    return (
        "account",
        "add",
        "amazon",
        "--name",
        name,
        "--seller-id",
        "ACLI",
        "--region",
        "eu",
        "--marketplaces",
        "UK,DE",
        *extra,
    )


def test_add_with_secrets_on_stdin_as_key_value_lines_warns_about_spaces(db):
    out, err = run(
        *add_args("CLI Shop", "--secrets-from-stdin", "--json"),
        stdin=f"client_id=amzn1.cli\nclient_secret={SECRET}  \nSTOCKROOM_LWA_REFRESH_TOKEN={TOKEN}\n",
    )
    data = json.loads(out)
    assert data["name"] == "CLI Shop"
    assert data["marketplaces"] == ["UK", "DE"]
    assert data["warnings"] == [
        "LWA client secret: spaces or line breaks around the value were removed (copy-paste slip?)"
    ]
    assert (
        err
        == "Warning: LWA client secret: spaces or line breaks around the value were removed (copy-paste slip?)\n"
    )
    assert SECRET not in out + err and TOKEN not in out + err
    assert ChannelAccount.objects.get().credentials == {
        "client_id": "amzn1.cli",
        "client_secret": SECRET,
        "refresh_token": TOKEN,
    }


def test_add_with_secrets_on_stdin_as_json(db):
    run(
        *add_args("J", "--secrets-from-stdin"),
        stdin=json.dumps({"client_id": "id1", "client_secret": SECRET, "refresh_token": TOKEN}),
    )
    assert ChannelAccount.objects.get().credentials["refresh_token"] == TOKEN


def test_add_with_secrets_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("STOCKROOM_LWA_CLIENT_ID", "env-id")
    monkeypatch.setenv("STOCKROOM_LWA_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("STOCKROOM_LWA_REFRESH_TOKEN", TOKEN)
    out, _ = run(*add_args())
    assert out == "Added account CLI Shop (ACLI, EU, UK,DE). Next: stockroom account check 'CLI Shop'\n"
    assert ChannelAccount.objects.get().credentials == {
        "client_id": "env-id",
        "client_secret": SECRET,
        "refresh_token": TOKEN,
    }


def test_add_without_secrets_says_how_to_give_them(db, monkeypatch):
    for name in ("STOCKROOM_LWA_CLIENT_ID", "STOCKROOM_LWA_CLIENT_SECRET", "STOCKROOM_LWA_REFRESH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(
        CommandError, match="LWA client id is missing: pass --client-id, set STOCKROOM_LWA_CLIENT_ID"
    ):
        run(*add_args())


def test_add_denmark_and_twice_fail_with_the_explanation(db):
    secrets = ("--client-id", "i", "--client-secret", SECRET, "--refresh-token", TOKEN)
    with pytest.raises(CommandError, match="Amazon has no Danish marketplace"):
        run(
            "account",
            "add",
            "amazon",
            "--name",
            "DK",
            "--seller-id",
            "S",
            "--region",
            "eu",
            "--marketplaces",
            "DK",
            *secrets,
        )
    run(*add_args("First", *secrets))
    with pytest.raises(CommandError, match="seller id ACLI in region EU is already the account 'First'"):
        run(*add_args("Second", *secrets))


def test_list_show_enable_disable_and_set_never_print_secrets(db):
    run(*add_args("Shop", "--client-id", "i", "--client-secret", SECRET, "--refresh-token", TOKEN))
    printed = ""
    for args in (
        ("account", "list"),
        ("account", "list", "--json"),
        ("account", "show", "shop", "--json"),
        ("account", "show", "Shop"),
        ("account", "disable", "Shop", "--json"),
        ("account", "set", "Shop", "report_period", "15m", "--json"),
    ):
        out, err = run(*args)
        printed += out + err
    assert SECRET not in printed and TOKEN not in printed
    listed = json.loads(run("account", "list", "--json")[0])
    assert [(a["name"], a["enabled"]) for a in listed] == [("Shop", False)]
    assert listed[0]["options"]["report_period"] == "PT15M"
    assert listed[0]["credentials"]["client_secret"] == "••••••••fXYZ"
    assert "[DISABLED]" in run("account", "list")[0]
    run("account", "enable", "Shop")
    assert ChannelAccount.objects.get().enabled is True


def test_set_bad_option_value_fails(make_account):
    make_account("Shop")
    with pytest.raises(CommandError, match="report_period must be between 15 minutes and 1 day"):
        run("account", "set", "Shop", "report_period", "5m")


def test_unknown_account_fails(db):
    with pytest.raises(CommandError, match="no channel account named 'Nope'"):
        run("account", "check", "Nope")


def test_check_ok_and_failing(fake_account, fake_channel):
    fake_account("Good")
    fake_account(
        "Bad", external_account_id="B", credentials={**fake_channel.GOOD_CREDENTIALS, "refresh_token": "x"}
    )
    data = json.loads(run("account", "check", "Good", "--json")[0])
    assert data == {
        "account": "Good",
        "ok": True,
        "message": "Credentials accepted",
        "marketplaces": ["UK", "DE"],
        "orders_waiting": 3,
        "warnings": [],
    }
    with pytest.raises(CommandError, match="Bad: check failed: The channel refused the refresh token"):
        run("account", "check", "Bad")


def test_release_held_prints_the_warning(make_account, make_item, link, make_channel_order):
    account = make_account("Held", hold_shipping_data=True)
    link(account, "AMZ-1", make_item(on_hand=1))
    order_id = import_channel_order(account=account, data=make_channel_order(lines=(("AMZ-1", 1),))).order_id
    ShippingMethod.objects.create(name="Post")
    process_order(order_id=order_id, tracking_number="T", shipping_method="Post")

    out, err = run("account", "release-held", "Held", "--json")

    assert json.loads(out)["released"] == 1
    assert "original ship dates" in err
    assert ChannelShipment.objects.get().status == ShipmentStatus.PENDING


def test_listings_link_link_all_and_show(make_account, make_item, link):
    account = make_account("Shop")
    make_item("MUG-1")
    make_item("CUP-1")
    link(account, "MUG-1", None)
    link(account, "NOMATCH", None)

    out, _ = run("listings", "link", "Shop", "AMZ-CUP", "cup-1", "--json")
    assert json.loads(out) == {
        "account": "Shop",
        "channel_sku": "AMZ-CUP",
        "sku": "CUP-1",
        "previous_sku": None,
        "created": True,
        "orders_relinked": 0,
    }
    preview = json.loads(run("listings", "link-all", "Shop", "--json")[0])
    assert preview["applied"] is False
    assert [(m["channel_sku"], m["sku"]) for m in preview["would_link"]] == [("MUG-1", "MUG-1")]
    assert preview["unmatched"] == ["NOMATCH"]
    assert Listing.objects.get(channel_sku="MUG-1").stock_item is None  # preview changed nothing

    applied = json.loads(run("listings", "link-all", "Shop", "--yes", "--json")[0])
    assert applied["linked"] == preview["would_link"]
    assert Listing.objects.get(channel_sku="MUG-1").stock_item.sku == "MUG-1"

    Listing.objects.filter(channel_sku="MUG-1").update(status="confirmed", last_confirmed_quantity=7)
    Listing.objects.filter(channel_sku="AMZ-CUP").update(status="error", last_error="Quantity refused")
    shown = {r["channel_sku"]: r for r in json.loads(run("listings", "show", "Shop", "--json")[0])}
    assert (shown["MUG-1"]["status_label"], shown["MUG-1"]["last_confirmed_quantity"]) == ("Confirmed", 7)
    assert (shown["AMZ-CUP"]["status_label"], shown["AMZ-CUP"]["last_error"]) == ("Error", "Quantity refused")
    text = run("listings", "show", "Shop")[0]
    assert "Quantity refused" in text and "(unlinked)" in text


def test_listings_link_unknown_sku_fails(make_account):
    make_account("Shop")
    with pytest.raises(CommandError, match="unknown SKU 'NOPE'"):
        run("listings", "link", "Shop", "AMZ", "NOPE")


def test_listings_import(fake_account, fake_channel, make_item):
    from stockroom.channels.contracts import ChannelListing

    account = fake_account("Imp")
    make_item("A-1")
    fake_channel.of(account).listings = [ChannelListing("A-1", external_ref="B01", title="A")]
    data = json.loads(run("listings", "import", "Imp", "--json")[0])
    assert (data["created"], data["suggested_links"][0]["sku"]) == (1, "A-1")


def test_shipping_map_and_errors(make_account):
    make_account("Shop")
    with pytest.raises(CommandError, match="there is no shipping method named 'Express': add it first"):
        run("shipping", "map", "Shop", "Express", "--carrier-code", "DPD", "--ship-method", "Next Day")
    assert json.loads(run("shipping", "add-method", "Express", "--json")[0]) == {"shipping_method": "Express"}
    out, _ = run(
        "shipping", "map", "Shop", "Express", "--carrier-code", "DPD", "--ship-method", "Next Day", "--json"
    )
    assert json.loads(out) == {
        "account": "Shop",
        "shipping_method": "Express",
        "carrier_code": "DPD",
        "carrier_name": "",
        "ship_method": "Next Day",
    }
    with pytest.raises(CommandError, match="carrier code Other needs the carrier's name"):
        run("shipping", "map", "Shop", "Slow", "--carrier-code", "Other", "--ship-method", "Boat")
    assert list(ShippingMethodMapping.objects.values_list("shipping_method", flat=True)) == ["Express"]


def _database_url() -> str:
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{auth}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{config['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_console_script_adds_an_account_from_stdin_and_lists_it_without_secrets(tmp_path):
    script = Path(sys.executable).with_name("stockroom")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "STOCKROOM_HOME": str(tmp_path),
        "STOCKROOM_ENCRYPTION_KEY": settings.STOCKROOM_ENCRYPTION_KEY,
        "STOCKROOM_SECRET_KEY": "test-only-secret-key-for-the-subprocess",
        "STOCKROOM_LOG_LEVEL": "DEBUG",
    }
    added = subprocess.run(
        [str(script), *add_args("Script Shop", "--secrets-from-stdin", "--json")],
        input=json.dumps({"client_id": "id", "client_secret": SECRET, "refresh_token": TOKEN}),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    listed = subprocess.run(
        [str(script), "account", "list", "--json"], capture_output=True, text=True, env=env, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    assert [a["name"] for a in json.loads(listed.stdout)] == ["Script Shop"]
    failed = subprocess.run(
        [str(script), "account", "check", "Nobody"], capture_output=True, text=True, env=env, timeout=120
    )
    assert failed.returncode == 1
    assert "no channel account named 'Nobody'" in failed.stderr
    everything = added.stdout + added.stderr + listed.stdout + listed.stderr
    assert SECRET not in everything and TOKEN not in everything
    assert ChannelAccount.objects.get().credentials["client_secret"] == SECRET


def test_listings_unlink_and_ignore(make_account, make_item, link):
    account = make_account("Shop")
    link(account, "AMZ-1", make_item("A-1"))
    out, _ = run("listings", "unlink", "Shop", "AMZ-1", "--json")
    assert json.loads(out) == {"account": "Shop", "channel_sku": "AMZ-1", "previous_sku": "A-1"}
    assert run("listings", "ignore", "Shop", "AMZ-1", "on")[0] == "Shop: AMZ-1 ignored by stock updates\n"
    assert Listing.objects.get(account=account).stock_item is None
    assert Listing.objects.get(account=account).ignore_sync is True
    with pytest.raises(CommandError, match="account Shop has no listing with channel SKU 'NOPE'"):
        run("listings", "unlink", "Shop", "NOPE")


def test_shipping_list_unmap_and_carriers(make_account):
    make_account("Shop")
    run("shipping", "add-method", "Express")
    run("shipping", "map", "Shop", "Express", "--carrier-code", "dpd", "--ship-method", "Next Day")
    assert json.loads(run("shipping", "list", "Shop", "--json")[0]) == [
        {"shipping_method": "Express", "carrier_code": "DPD", "carrier_name": "", "ship_method": "Next Day"}
    ]
    carriers = json.loads(run("shipping", "carriers", "Shop", "--json")[0])
    assert "Royal Mail" in carriers and carriers[-1] == "Other"
    run("shipping", "unmap", "Shop", "express")
    assert not ShippingMethodMapping.objects.exists()
    with pytest.raises(CommandError, match="account Shop has no mapping for shipping method 'Express'"):
        run("shipping", "unmap", "Shop", "Express")


def test_edit_changes_only_what_is_given_and_reads_a_new_token_from_stdin(db):
    run(*add_args("Shop", "--client-id", "i", "--client-secret", SECRET, "--refresh-token", TOKEN))
    new_token = "Atzr|rotated-0123456789"

    out, err = run(
        "account",
        "edit",
        "Shop",
        "--marketplaces",
        "FR,IT",
        "--secrets-from-stdin",
        stdin=f"refresh_token={new_token} \n",
    )

    account = ChannelAccount.objects.get()
    assert account.credentials == {"client_id": "i", "client_secret": SECRET, "refresh_token": new_token}
    assert account.marketplaces == ["A13V1IB3VIYZZH", "APJ6JRA9NG5V4"]
    assert (account.external_account_id, account.region) == ("ACLI", "eu")
    assert out == "Saved account Shop (refresh_token changed). Next: stockroom account check 'Shop'\n"
    assert (
        err
        == "Warning: LWA refresh token: spaces or line breaks around the value were removed (copy-paste slip?)\n"
    )
    assert new_token not in out + err
    with pytest.raises(CommandError, match="marketplace US belongs to the NA region, not EU"):
        run("account", "edit", "Shop", "--marketplaces", "US")


def test_shipping_defaults_per_buyers_service_and_processing_with_them(
    make_account, make_item, link, make_channel_order
):
    account = make_account("Shop")
    run("shipping", "add-method", "Tracked 48")
    with pytest.raises(CommandError, match="there is no shipping method named 'Courier': add it first"):
        run("shipping", "default", "Shop", "Expedited", "Courier")
    out, _ = run("shipping", "default", "Shop", "Expedited", "tracked 48", "--json")
    assert json.loads(out) == {
        "account": "Shop",
        "channel_service": "Expedited",
        "shipping_method": "Tracked 48",
    }
    assert run("shipping", "defaults", "Shop")[0].strip() == "Expedited                      Tracked 48"
    link(account, "AMZ-1", make_item(on_hand=1))
    data = make_channel_order(
        "202-0000001-0000009", lines=(("AMZ-1", 1),), channel_shipping_service="expedited"
    )
    import_channel_order(account=account, data=data)

    out, _ = run("orders", "process", "202-0000001-0000009", "--tracking", "RM1")

    assert out.strip() == "Processed order 202-0000001-0000009: Tracked 48, tracking RM1"
    run("shipping", "no-default", "Shop", "EXPEDITED")
    assert run("shipping", "defaults", "Shop", "--json")[0].strip() == "[]"
    with pytest.raises(CommandError, match="account Shop has no default for the buyer's service 'Expedited'"):
        run("shipping", "no-default", "Shop", "Expedited")
