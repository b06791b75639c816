"""Shopify's channel spec: a shop addressed by its address (name.myshopify.com), an Admin API access token
or a client id and secret (client-credentials grant), the location whose stock Stockroom manages, and the
tracking companies Shopify knows."""

from __future__ import annotations

import re
from collections.abc import Mapping

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

CHANNEL = "shopify"
API_VERSION = "2026-04"
SHOP_DOMAIN = ".myshopify.com"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")

# Shopify's tracking companies (it links the tracking number for these); "Other" needs the carrier's name
TRACKING_COMPANIES = (
    "Royal Mail",
    "Parcelforce",
    "DPD UK",
    "Evri",
    "DHL Express",
    "UPS",
    "FedEx",
    "USPS",
    "Canada Post",
    "Australia Post",
)
# what Stockroom needs the app to be allowed to do, and why (named by the account check)
REQUIRED_SCOPES = {
    "read_orders": "download orders",
    "read_products": "import listings",
    "read_inventory": "read stock levels",
    "write_inventory": "send stock levels",
    "read_merchant_managed_fulfillment_orders": "read what each order still has to ship",
    "write_merchant_managed_fulfillment_orders": "send shipping confirmations",
}


def parse_shop_address(value: str) -> str:
    """'mugs', 'mugs.myshopify.com' or 'https://mugs.myshopify.com/admin' -> 'mugs.myshopify.com'."""
    text = str(value or "").strip().lower().removeprefix("https://").removeprefix("http://")
    text = text.split("/", 1)[0]
    name = text.removesuffix(SHOP_DOMAIN)
    if not _NAME.match(name):
        raise InvalidOption(
            f"shop address {str(value)[:60]!r} is not a Shopify shop: write name{SHOP_DOMAIN} "
            "(Shopify admin > Settings > Domains shows it)"
        )
    return name + SHOP_DOMAIN


def parse_location(value) -> str:
    """'' (the shop's first location), a number or gid://shopify/Location/<number> -> the gid or ''."""
    text = str(value if value is not None else "").strip()
    if not text:
        return ""
    number = text.removeprefix("gid://shopify/Location/")
    if not number.isdigit() or not number.isascii():
        raise InvalidOption(
            f"location must be a Shopify location id (a number, or gid://shopify/Location/<number>), got {text[:60]!r}"
        )
    return f"gid://shopify/Location/{number}"


def check_credentials(credentials: Mapping) -> list[str]:
    if credentials.get("access_token"):
        return []
    if credentials.get("client_id") and credentials.get("client_secret"):
        return []
    return [
        "give either the Admin API access token, or the app's client id and client secret "
        "(Shopify then issues a token for about 24 hours at a time)"
    ]


SPEC = ChannelSpec(
    key=CHANNEL,
    display_name="Shopify",
    credentials=(
        CredentialField(
            "access_token",
            "Admin API access token",
            required=False,
            help="Shopify admin > Settings > Apps > Develop apps > your app > API credentials (shpat_...).",
        ),
        CredentialField(
            "client_id",
            "App client id",
            secret=False,
            required=False,
            help="Dev Dashboard > your app > Settings; with the client secret instead of a token.",
        ),
        CredentialField(
            "client_secret",
            "App client secret",
            required=False,
            help="Next to the client id. Also signs the shop's webhooks: needed for orders as they happen.",
        ),
    ),
    addressing=Addressing(
        kind=AddressingKind.SHOP_ADDRESS,
        account_id=AccountIdField(
            label="Shop address", placeholder=f"name{SHOP_DOMAIN}", parse=parse_shop_address
        ),
        endpoint_label="Admin API base URL (a simulator; empty = the shop's own)",
    ),
    options=(
        Option(
            key="location",
            label="Location managed by Stockroom",
            help=(
                "The Shopify location whose available quantities Stockroom sets (its id, or empty for the "
                "shop's first location). Stock at other locations is left alone."
            ),
            default="",
            parse=parse_location,
            placeholder="gid://shopify/Location/...",
        ),
    ),
    shipping=ShippingMappingSpec(
        carrier_codes=(*TRACKING_COMPANIES, "Other"),
        other_carrier_code="Other",
        carrier_required=True,
        ship_method_label="Service",
        ship_method_help="e.g. Tracked 48 (shown to the buyer with the tracking number)",
    ),
    check_credentials=check_credentials,
    simulator="stockroom.sandbox.shopify.process.ShopifySimulatorProcess",
)
