"""The eBay channel spec: an eBay seller (user id) on one marketplace, connected through eBay's OAuth
consent (the app's client id, client secret and RuName; the refresh token comes from the consent)."""

from __future__ import annotations

from urllib.parse import urlencode

from stockroom.channels.contracts import ChannelCapabilities
from stockroom.channels.spec import (
    AccountIdField,
    Addressing,
    AddressingKind,
    Authorization,
    AuthorizationKind,
    ChannelSpec,
    CredentialField,
    InvalidOption,
    Marketplace,
    Option,
    ShippingMappingSpec,
)

CHANNEL = "ebay"
API_BASE = "https://api.ebay.com"
AUTH_BASE = "https://auth.ebay.com"
TOKEN_PATH = "/identity/v1/oauth2/token"
CONSENT_PATH = "/oauth2/authorize"
SCOPES = (
    "https://api.ebay.com/oauth/api_scope",
    "https://api.ebay.com/oauth/api_scope/sell.fulfillment",
    "https://api.ebay.com/oauth/api_scope/sell.inventory",
)

MARKETPLACES = (
    Marketplace("EBAY_GB", "United Kingdom (ebay.co.uk)"),
    Marketplace("EBAY_US", "United States (ebay.com)"),
    Marketplace("EBAY_DE", "Germany (ebay.de)"),
    Marketplace("EBAY_FR", "France (ebay.fr)"),
    Marketplace("EBAY_IT", "Italy (ebay.it)"),
    Marketplace("EBAY_ES", "Spain (ebay.es)"),
    Marketplace("EBAY_AU", "Australia (ebay.com.au)"),
    Marketplace("EBAY_CA", "Canada (ebay.ca)"),
)
LANGUAGES = {
    "EBAY_GB": "en-GB",
    "EBAY_US": "en-US",
    "EBAY_DE": "de-DE",
    "EBAY_FR": "fr-FR",
    "EBAY_IT": "it-IT",
    "EBAY_ES": "es-ES",
    "EBAY_AU": "en-AU",
    "EBAY_CA": "en-CA",
}

# eBay's shippingCarrierCode values Stockroom offers (a part of eBay's ShippingCarrierCodeEnum).
CARRIER_CODES = (
    "Royal Mail",
    "Parcelforce",
    "DPD",
    "DHL",
    "UPS",
    "FedEx",
    "Evri",
    "Hermes",
    "Yodel",
    "USPS",
    "Deutsche Post",
    "GLS",
    "Other",
)

CREDENTIALS = (
    CredentialField(
        "client_id",
        "App ID (client id)",
        secret=False,
        help="developer.ebay.com > Application access keys (Production): App ID.",
    ),
    CredentialField("client_secret", "Cert ID (client secret)", help="The same page: Cert ID."),
    CredentialField(
        "ru_name",
        "RuName (eBay redirect URL name)",
        secret=False,
        help=(
            "User Tokens > your redirect URL's RuName; set its accept URL to Stockroom's "
            "/accounts/consent/return page."
        ),
    ),
    CredentialField(
        "refresh_token",
        "Refresh token",
        required=False,
        help="Filled in by the consent on eBay (about 18 months); paste one only if you have it.",
    ),
)


def parse_page_size(value) -> int:
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or not 1 <= int(text) <= 200:
        raise InvalidOption(f"order_page_size must be a whole number from 1 to 200, got {str(value)[:40]!r}")
    return int(text)


def parse_revision_reserve(value) -> int:
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or not 0 <= int(text) <= 200:
        raise InvalidOption(f"revision_reserve must be a whole number from 0 to 200, got {str(value)[:40]!r}")
    return int(text)


def _whole_number(key: str, low: int, high: int):
    def parse(value) -> int:
        text = str(value if value is not None else "").strip().replace(",", "")
        if not text.isdigit() or not low <= int(text) <= high:
            raise InvalidOption(
                f"{key} must be a whole number from {low:,} to {high:,}, got {str(value)[:40]!r}"
            )
        return int(text)

    return parse


DAILY_CALL_QUOTA = 2_000_000  # eBay's default daily call limit of the Sell Inventory API

OPTIONS = (
    Option(
        key="order_page_size",
        label="Orders per page",
        help="How many orders one getOrders call downloads (1 to 200).",
        default=100,
        parse=parse_page_size,
        inputmode="numeric",
    ),
    Option(
        key="revision_reserve",
        label="Revisions kept for drops to 0",
        help=(
            "eBay takes at most 250 revisions of a listing a day. When a listing has this many or fewer "
            "left, only a quantity of 0 is sent (a sale never oversells); other changes wait until the "
            "next day (UTC)."
        ),
        default=20,
        parse=parse_revision_reserve,
        inputmode="numeric",
    ),
    Option(
        key="daily_call_quota",
        label="Inventory API calls a day",
        help=(
            "The daily call limit of your eBay app's Sell Inventory API (eBay's default 2,000,000; see "
            "your application's limits on eBay's developer site). Stock pushes are planned within it."
        ),
        default=DAILY_CALL_QUOTA,
        parse=_whole_number("daily_call_quota", 1, 1_000_000_000),
        inputmode="numeric",
    ),
    Option(
        key="call_reserve",
        label="Calls kept for drops",
        help=(
            "When this many or fewer of the day's Inventory API calls are left, only drops of stock are "
            "sent, the most important first (to 0, then the biggest); rises wait until the next day (UTC)."
        ),
        default=100,
        parse=_whole_number("call_reserve", 0, 1_000_000),
        inputmode="numeric",
    ),
)


def auth_base(endpoint: str) -> str:
    return endpoint.rstrip("/") if endpoint else AUTH_BASE


def consent_url(*, state: str, redirect_uri: str = "", credentials: dict, endpoint: str = "") -> str:
    """eBay's consent page for the app: the seller signs in and agrees; eBay sends the browser to the
    RuName's accept URL (Stockroom's consent return page) with ``code`` and ``state``."""
    query = {
        "client_id": credentials.get("client_id", ""),
        "redirect_uri": credentials.get("ru_name", ""),
        "response_type": "code",
        "scope": " ".join(SCOPES),
        "state": state,
    }
    return f"{auth_base(endpoint)}{CONSENT_PATH}?{urlencode(query)}"


def exchange_code(
    *, code: str, redirect_uri: str = "", credentials: dict, endpoint: str = "", token_url: str = ""
) -> dict:
    """The authorization code -> the credentials to store (the refresh token)."""
    from .client import exchange_authorization_code

    return exchange_authorization_code(
        code=code,
        credentials=credentials,
        token_url=token_url or f"{(endpoint or API_BASE).rstrip('/')}{TOKEN_PATH}",
    )


SPEC = ChannelSpec(
    key=CHANNEL,
    display_name="eBay",
    credentials=CREDENTIALS,
    addressing=Addressing(
        kind=AddressingKind.MARKETPLACE,
        account_id=AccountIdField(label="eBay user id", help="The seller's eBay user name."),
        marketplaces=MARKETPLACES,
        marketplace_help="One marketplace per account (EBAY_GB, EBAY_US, EBAY_DE, ...).",
        endpoint_label="eBay API endpoint",
        token_url_label="OAuth token URL",
    ),
    options=OPTIONS,
    shipping=ShippingMappingSpec(
        carrier_codes=CARRIER_CODES,
        carrier_required=True,
        ship_method_label="Service (shown only in Stockroom)",
    ),
    capabilities=ChannelCapabilities(requires_tracking_number=False),
    authorization=Authorization(
        kind=AuthorizationKind.OAUTH_CONSENT,
        consent_url=consent_url,
        exchange_code=exchange_code,
        help="Stockroom sends you to eBay to sign in and agree; eBay sends you back with a code.",
    ),
    simulator="stockroom.sandbox.ebay.process.EbaySimulatorProcess",
)
