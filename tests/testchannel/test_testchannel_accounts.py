"""The test channel, added by its two packages and one registry line, in the account screens, the
command line and the account services, as its spec declares it (issue 12, "Done when")."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from stockroom.channels.models import ChannelAccount
from stockroom.core.errors import InvalidInput
from stockroom.sync import accounts, registry
from tests.factories import create_user

KEY = "tsk_0123456789abcdefWXYZ"


@pytest.fixture
def admin(db):
    from django.test import Client

    from stockroom.web.permissions import ADMINISTRATOR

    client = Client()
    client.force_login(create_user("tess-admin", role=ADMINISTRATOR))
    return client


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_registry_line_brings_the_spec_and_the_channel_choice():
    built_in = list(registry.CONNECTORS)  # the built-in channels, then the one line merged from settings
    assert registry.channel_keys() == [*built_in, "teststore"]
    assert registry.channel_spec("teststore").display_name == "Test Store"
    assert accounts.channel_choices() == [
        *((key, registry.channel_name(key)) for key in built_in),
        ("teststore", "Test Store"),
    ]
    assert accounts.option_defaults("teststore") == {
        "inventory_update": True,
        "hold_shipping_data": False,
        "download_orders_since": "",
        "max_quantity": None,
        "min_level": None,
        "percentage": None,
        "fixed_quantity": None,
        "stock_reserve": True,
        "order_page_size": 50,
    }


def test_the_account_list_offers_both_channels_and_the_add_form_is_the_test_stores(admin):
    listing = admin.get(reverse("accounts")).content.decode()
    assert (
        '<a class="button primary" href="/accounts/add/?channel=amazon">Add an Amazon account</a>' in listing
    )
    assert '<a class="button" href="/accounts/add/?channel=teststore">Add a Test Store account</a>' in listing

    form = admin.get(reverse("account_add"), {"channel": "teststore"}).content.decode()
    assert "<h1>Add a Test Store account</h1>" in form
    assert '<option value="teststore" selected>Test Store</option>' in form  # the channel picker
    assert '<input type="hidden" name="channel" value="teststore">' in form
    assert '<label for="id_external_account_id">Shop address</label>' in form
    assert 'placeholder="name.teststore.test"' in form
    assert (
        '<input id="id_api_key" name="api_key" type="password" autocomplete="new-password" '
        'spellcheck="false" value="" required>'
    ) in form
    assert '<input id="id_staff_email" name="staff_email" type="text" spellcheck="false" value="">' in form
    assert 'name="region"' not in form and 'name="marketplaces"' not in form
    assert "LWA" not in form


def test_adding_from_the_screen_validates_from_the_spec_and_shows_the_key_masked(admin):
    bad = admin.post(
        reverse("account_add"),
        {"channel": "teststore", "name": "Mugs", "external_account_id": "no shop!", "api_key": KEY},
    )
    assert bad.status_code == 400
    assert (
        "shop address &#x27;no shop!&#x27; is not a shop: write name.teststore.test" in bad.content.decode()
    )
    assert ChannelAccount.objects.count() == 0

    response = admin.post(
        reverse("account_add"),
        {
            "channel": "teststore",
            "name": "Mugs",
            "external_account_id": "https://MUGS.teststore.test/",
            "api_key": KEY,
            "staff_email": "tess@example.test",
        },
        follow=True,
    )

    account = ChannelAccount.objects.get()
    assert (account.channel, account.external_account_id, account.region, account.marketplaces) == (
        "teststore",
        "mugs.teststore.test",
        "",
        [],
    )
    assert account.credentials == {"api_key": KEY, "staff_email": "tess@example.test"}
    page = response.content.decode()
    assert "<dt>Channel</dt><dd>Test Store</dd>" in page
    assert "<dt>Shop address</dt><dd>mugs.teststore.test</dd>" in page
    assert "<dt>Shop API key</dt><dd>••••••••WXYZ</dd>" in page
    assert "<dt>Staff e-mail</dt><dd>tess@example.test</dd>" in page
    assert KEY not in page
    assert "<dt>Region</dt>" not in page and "<dt>Marketplace" not in page
    assert '<label for="id_order_page_size">Orders per page</label>' in page
    assert "Send stock levels of linked listings to Test Store (on/off)." in page
    assert 'name="order_source"' not in page
    assert '<input id="id_carrier_code" name="carrier_code" type="text"' in page  # no carrier list: free text
    assert '<label for="id_ship_method">Service</label>' in page


def test_the_options_form_saves_the_channels_own_and_the_common_options(admin):
    account = accounts.add_account(
        channel="teststore", name="Cups", external_account_id="cups", credentials={"api_key": KEY}
    ).account
    url = reverse("account_options", args=[account.pk])

    refused = admin.post(url, {"inventory_update": "on", "order_page_size": "0"})
    assert refused.status_code == 400
    assert (
        "order_page_size must be a whole number from 1 to 250, got &#x27;0&#x27;" in refused.content.decode()
    )

    saved = admin.post(
        url, {"order_page_size": "20", "hold_shipping_data": "on", "download_orders_since": "2026-11-01"}
    )
    assert saved.status_code == 302
    account.refresh_from_db()
    assert account.options == {
        "inventory_update": False,
        "hold_shipping_data": True,
        "download_orders_since": "2026-11-01T00:00:00Z",
        # a checkbox left unticked is off: the reserve too
        "max_quantity": None,
        "min_level": None,
        "percentage": None,
        "fixed_quantity": None,
        "stock_reserve": False,
        "order_page_size": 20,
    }


def test_the_command_line_adds_shows_and_sets_options_of_the_test_channel(db):
    out, _ = run(
        "account",
        "add",
        "--channel",
        "teststore",
        "--name",
        "Plates",
        "--account-id",
        "plates",
        "--api-key",
        KEY,
        "--json",
    )
    data = json.loads(out)
    assert (data["channel"], data["seller_id"], data["region"], data["marketplaces"]) == (
        "teststore",
        "plates.teststore.test",
        "",
        [],
    )
    assert data["credentials"] == {"api_key": "••••••••WXYZ", "staff_email": ""}

    out, _ = run("account", "set", "Plates", "order_page_size", "25")
    assert out == "Plates: order_page_size = 25\n"
    with pytest.raises(InvalidInput, match="unknown option 'order_source' for Test Store accounts"):
        accounts.set_account_option(
            account=ChannelAccount.objects.get(name="Plates"), option="order_source", value="orders_api"
        )


def test_the_command_line_names_a_missing_credential_with_its_environment_variable(db):
    from django.core.management.base import CommandError

    with pytest.raises(
        CommandError, match="Shop API key is missing: pass --api-key, set STOCKROOM_TESTSTORE_API_KEY"
    ):
        run("account", "add", "--channel", "teststore", "--name", "Bowls", "--account-id", "bowls")
    assert ChannelAccount.objects.count() == 0


def test_account_add_help_lists_the_channels_and_their_credentials(capsys):
    with pytest.raises(SystemExit):
        call_command("account", "add", "--help")
    text = capsys.readouterr().out
    assert "{" + ",".join([*registry.CONNECTORS, "teststore"]) + "}" in text
    assert "teststore: --api-key, --staff-email" in text
    assert "amazon: --client-id, --client-secret, --refresh-token" in text


def test_check_api_talks_to_the_test_store_simulator(db, teststore_sim, new_shop):
    shop = new_shop("check")
    good = accounts.add_account(
        channel="teststore",
        name="Good",
        external_account_id=shop["shop"],
        credentials={"api_key": shop["api_key"]},
        endpoint=teststore_sim.base_url,
    ).account
    wrong = accounts.add_account(
        channel="teststore",
        name="Wrong",
        external_account_id=shop["shop"] + "-b",
        credentials={"api_key": "tsk_wrong"},
        endpoint=teststore_sim.base_url,
    ).account
    teststore_sim.create_shop(shop["shop"] + "-b")

    assert accounts.check_account(good).message == f"Connected to Test Store shop {shop['shop']}."
    result = accounts.check_account(wrong)
    assert (result.ok, result.message) == (False, "Test Store refused the API key: paste it again")


def test_the_api_describes_and_adds_test_store_accounts(client, db):
    from stockroom.access.tokens import create_api_token
    from stockroom.web.permissions import ADMINISTRATOR

    secret = create_api_token(username=create_user("tess-api", role=ADMINISTRATOR).username).secret
    headers = {"Authorization": f"Bearer {secret}"}

    channels = client.get("/api/channels", headers=headers).json()
    added = client.post(
        "/api/accounts",
        {
            "channel": "teststore",
            "name": "Jugs",
            "external_account_id": "jugs",
            "credentials": {"api_key": KEY},
        },
        content_type="application/json",
        headers=headers,
    )

    assert [c["channel"] for c in channels] == [*registry.CONNECTORS, "teststore"]
    assert channels[-1]["addressing"] == {
        "kind": "shop_address",
        "account_id": {"label": "Shop address", "help": ""},
        "regions": [],
        "marketplaces": [],
        "many_marketplaces": False,
    }
    assert added.status_code == 201
    assert (added.json()["seller_id"], added.json()["credentials"]) == (
        "jugs.teststore.test",
        {"api_key": "••••••••WXYZ", "staff_email": ""},
    )
