"""The Test Store's channel spec: a web shop addressed by its shop address, one API key."""

from __future__ import annotations

import re

from stockroom.channels.spec import (
    AccountIdField,
    Addressing,
    AddressingKind,
    ChannelSpec,
    CredentialField,
    InvalidOption,
    Option,
    ShippingMappingSpec,
)

CHANNEL = "teststore"
SHOP_DOMAIN = ".teststore.test"
_SHOP = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


def parse_shop_address(value: str) -> str:
    """'Mugs', 'mugs.teststore.test' or 'https://mugs.teststore.test/' -> 'mugs.teststore.test'."""
    text = str(value or "").strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    name = text.removesuffix(SHOP_DOMAIN)
    if not _SHOP.match(name):
        raise InvalidOption(f"shop address {str(value)[:60]!r} is not a shop: write name{SHOP_DOMAIN}")
    return name + SHOP_DOMAIN


def shop_name(address: str) -> str:
    return address.removesuffix(SHOP_DOMAIN)


def parse_page_size(value) -> int:
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 250:
        raise InvalidOption(f"order_page_size must be a whole number from 1 to 250, got {str(value)[:40]!r}")
    return int(text)


SPEC = ChannelSpec(
    key=CHANNEL,
    display_name="Test Store",
    credentials=(
        CredentialField("api_key", "Shop API key", help="Test Store admin > Apps > API keys."),
        CredentialField(
            "staff_email", "Staff e-mail", secret=False, required=False, help="Who the key belongs to."
        ),
    ),
    addressing=Addressing(
        kind=AddressingKind.SHOP_ADDRESS,
        account_id=AccountIdField(
            label="Shop address", placeholder=f"name{SHOP_DOMAIN}", parse=parse_shop_address
        ),
        endpoint_label="Shop API endpoint",
    ),
    options=(
        Option(
            key="order_page_size",
            label="Orders per page",
            help="How many orders one request downloads (1 to 250).",
            default=50,
            parse=parse_page_size,
            inputmode="numeric",
        ),
    ),
    shipping=ShippingMappingSpec(carrier_required=True, ship_method_label="Service"),
    simulator="tests.testchannel.sandbox.process.TestStoreProcess",
)
