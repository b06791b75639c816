"""/api/channels and /api/accounts: rendered and validated from the channels' specs."""

import pytest

from stockroom.access.tokens import create_api_token
from stockroom.channels.models import ChannelAccount
from stockroom.sync import registry

SECRET = "api-secret-0123456789abcdefJKLM"


@pytest.fixture
def admin(client, make_user):
    secret = create_api_token(username=make_user("boss", role="Administrator").username).secret
    headers = {"Authorization": f"Bearer {secret}"}

    class Admin:
        def get(self, path):
            return client.get(path, headers=headers)

        def post(self, path, body):
            return client.post(path, body, content_type="application/json", headers=headers)

    return Admin()


def amazon_body(**changes):
    return {
        "channel": "amazon",
        "name": "API Shop",
        "external_account_id": "A1API",
        "region": "EU",
        "marketplaces": ["UK", "DE"],
        "credentials": {
            "client_id": "amzn1.api",
            "client_secret": SECRET,
            "refresh_token": "Atzr|api-9876WXYZ",
        },
        "options": {"report_period": "30m"},
        **changes,
    }


def test_channels_describe_what_an_account_of_each_needs(admin):
    response = admin.get("/api/channels")

    assert response.status_code == 200
    channels = {channel["channel"]: channel for channel in response.json()}
    assert list(channels) == list(registry.CONNECTORS)  # every registered channel, in registry order
    amazon = channels["amazon"]
    ebay = channels["ebay"]
    assert (ebay["channel"], ebay["authorization"]) == ("ebay", "oauth_consent")
    assert (amazon["channel"], amazon["name"], amazon["authorization"]) == ("amazon", "Amazon", "credentials")
    assert amazon["credentials"][0] == {
        "key": "client_id",
        "label": "LWA client id",
        "secret": True,
        "required": True,
        "help": "Seller Central, Apps and Services > Develop Apps: your app's Login with Amazon credentials.",
    }
    assert amazon["addressing"]["kind"] == "region_marketplaces"
    assert [r["code"] for r in amazon["addressing"]["regions"]] == ["na", "eu", "fe"]
    assert {"code": "UK", "name": "United Kingdom", "region": "eu"} in amazon["addressing"]["marketplaces"]
    options = {o["key"]: o for o in amazon["options"]}
    assert options["hold_shipping_data"]["default"] is False
    assert [c["value"] for c in options["order_source"]["choices"]] == [
        "orders_api",
        "report_flat",
        "report_xml",
    ]
    assert amazon["shipping"]["other_carrier_code"] == "Other"
    assert amazon["requires_tracking_number"] is True


def test_an_account_is_added_from_the_spec_with_secrets_masked_in_the_answer(admin):
    response = admin.post("/api/accounts", amazon_body())

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["channel"], data["channel_name"], data["region"], data["marketplaces"]) == (
        "amazon",
        "Amazon",
        "EU",
        ["UK", "DE"],
    )
    assert data["credentials"]["client_secret"] == "••••••••JKLM"
    assert SECRET not in response.content.decode()
    assert data["options"]["report_period"] == "PT30M"
    account = ChannelAccount.objects.get()
    assert account.credentials["client_secret"] == SECRET
    listed = admin.get("/api/accounts").json()
    assert [a["name"] for a in listed] == ["API Shop"] and SECRET not in str(listed)


def test_bad_input_is_refused_with_the_specs_message_and_nothing_is_stored(admin):
    unknown = admin.post("/api/accounts", amazon_body(channel="fax"))
    region = admin.post("/api/accounts", amazon_body(region="moon"))
    missing = admin.post("/api/accounts", amazon_body(credentials={"client_id": "x"}))

    assert unknown.status_code == 400
    assert (
        unknown.json()["message"] == f"unknown channel 'fax': channels are {', '.join(registry.CONNECTORS)}"
    )
    assert region.json()["message"] == (
        "unknown Amazon region 'moon': use NA (North America), EU (Europe), FE (Far East)"
    )
    assert missing.json()["message"] == "LWA client secret is required"
    assert ChannelAccount.objects.count() == 0


def test_options_are_set_through_the_same_validation(admin):
    account_id = admin.post("/api/accounts", amazon_body()).json()["id"]

    refused = admin.post(f"/api/accounts/{account_id}/options", {"options": {"colour": "red"}})
    saved = admin.post(f"/api/accounts/{account_id}/options", {"options": {"hold_shipping_data": "on"}})

    assert refused.status_code == 400 and refused.json()["message"].startswith(
        "unknown option 'colour' for Amazon accounts; options: inventory_update, hold_shipping_data"
    )
    assert saved.status_code == 200 and saved.json()["options"]["hold_shipping_data"] is True


def test_warehouse_staff_may_not_see_or_add_accounts(api):
    assert api.get("/api/channels").status_code == 403
    assert api.post("/api/accounts", amazon_body()).status_code == 403
