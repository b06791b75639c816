"""The channel spec: what a channel's connector declares about its accounts, so that account services,
web forms, the CLI and the API render and validate every channel from one description.

Frozen dataclasses and pure parsers only: no ORM, no HTTP, no Django, nothing channel-specific. A
connector declares its ``ChannelSpec`` in ``connectors/<channel>/spec.py`` (importing this module);
the registry (``stockroom.sync.registry``) hands it to the rest of Stockroom.

The options every channel has (send stock, do not submit shipping data, do not download orders prior
to) live here once, in ``COMMON_OPTIONS``; a spec adds its own with ``ChannelSpec.options``.

Parsers take what a person typed (or a JSON value) and return the value stored on the account, or
raise ``InvalidOption`` with a message the seller can act on.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from stockroom.channels.contracts import ChannelCapabilities


class InvalidOption(ValueError):
    """A value a spec's parser refuses; ``str(error)`` is the seller-readable reason."""

    @property
    def message(self) -> str:
        return str(self)


# --- credentials ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialField:
    """One credential the account stores (encrypted): an API key, a client secret, a refresh token."""

    key: str  # key in ChannelAccount.credentials, form field and --option name (with - for _)
    label: str  # what the seller reads: "LWA client secret"
    secret: bool = True  # shown back masked, never in full; a password input
    required: bool = True  # refused blank when an account is added (blank on edit keeps the stored one)
    help: str = ""  # where to find it
    max_length: int = 2000
    env: str = ""  # environment variable the command line reads it from; "" = STOCKROOM_<CHANNEL>_<KEY>


class AuthorizationKind(enum.StrEnum):
    CREDENTIALS = "credentials"  # the seller pastes every credential (Amazon: LWA id, secret, refresh token)
    OAUTH_CONSENT = "oauth_consent"  # the seller consents on the channel's site; a code becomes tokens


@dataclass(frozen=True)
class Authorization:
    """How an account gets its credentials. For ``OAUTH_CONSENT`` the connector provides
    ``consent_url(state=..., redirect_uri=..., credentials=...) -> str`` and ``exchange_code(code=...,
    redirect_uri=..., credentials=...) -> dict`` (the credentials to store); the consent screens are
    the channel's own work (a hook, not built here)."""

    kind: AuthorizationKind = AuthorizationKind.CREDENTIALS
    consent_url: Callable[..., str] | None = None
    exchange_code: Callable[..., dict] | None = None
    help: str = ""


# --- addressing: which account on the channel, and where it sells --------------------------------


class AddressingKind(enum.StrEnum):
    REGION_MARKETPLACES = "region_marketplaces"  # Amazon: a region, then marketplaces of that region
    MARKETPLACE = "marketplace"  # eBay: one marketplace per account (EBAY_GB, EBAY_US ...)
    SHOP_ADDRESS = "shop_address"  # a web shop: its address (name.myshopify.com), no marketplaces


@dataclass(frozen=True)
class Region:
    code: str  # stored on the account, lower case: "eu"
    name: str  # "Europe"
    endpoint: str = ""  # the channel's API base URL for the region


@dataclass(frozen=True)
class Marketplace:
    code: str  # what sellers type: UK, DE, EBAY_GB
    name: str  # "United Kingdom"
    id: str = ""  # the channel's identifier, stored on the account (Amazon's marketplace id); "" = code
    region: str = ""  # code of the Region it belongs to, when the channel has regions

    @property
    def stored(self) -> str:
        return self.id or self.code


@dataclass(frozen=True)
class AccountIdField:
    """The channel's own identity of the account (``ChannelAccount.external_account_id``): Amazon's
    seller id, an eBay user, a shop's address. Together with the channel and region it is unique."""

    label: str  # "Seller id (merchant token)", "Shop address"
    help: str = ""
    placeholder: str = ""
    parse: Callable[[str], str] | None = None  # cleans or refuses (InvalidOption); None: trimmed text


@dataclass(frozen=True)
class Addressing:
    kind: AddressingKind
    account_id: AccountIdField
    regions: tuple[Region, ...] = ()  # empty: the channel has none
    default_region: str = ""
    marketplaces: tuple[Marketplace, ...] = ()
    marketplace_help: str = ""
    # codes and ids -> stored marketplace ids (raises InvalidOption); None: the generic resolver
    resolve_marketplaces: Callable[..., list[str]] | None = None
    endpoint_label: str = "API endpoint"
    token_url_label: str = ""  # "" = the channel has no token URL to override

    @property
    def has_marketplaces(self) -> bool:
        return self.kind in (AddressingKind.REGION_MARKETPLACES, AddressingKind.MARKETPLACE)

    @property
    def many_marketplaces(self) -> bool:
        return self.kind is AddressingKind.REGION_MARKETPLACES

    def region(self, code: str) -> Region | None:
        return next((r for r in self.regions if r.code == code), None)

    def marketplace(self, code_or_id: str) -> Marketplace | None:
        text = str(code_or_id or "").strip()
        return next(
            (m for m in self.marketplaces if m.code.upper() == text.upper() or m.stored == text), None
        )


# --- options ---------------------------------------------------------------------------------------


class OptionKind(enum.StrEnum):
    BOOL = "bool"  # a checkbox; on/off, yes/no, true/false
    CHOICE = "choice"  # one of ``choices``
    TEXT = "text"  # free text the parser checks (a time, a number, a duration)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Option:
    key: str  # key in ChannelAccount.options
    label: str  # "Send stock levels (inventory update)"
    help: str  # a sentence a seller understands
    default: Any
    kind: OptionKind = OptionKind.TEXT
    parse: Callable[[Any], Any] | None = None  # None: by kind (bool parser, choice parser, trimmed text)
    choices: tuple[Choice, ...] = ()
    placeholder: str = ""
    inputmode: str = ""  # a hint for on-screen keyboards: "numeric"
    # shown only while another option has one of some values, e.g. ("order_source", ("report_flat", ...))
    shown_when: tuple[str, tuple[str, ...]] | None = None

    def clean(self, value) -> Any:
        if self.parse is not None:
            return self.parse(value)
        if self.kind is OptionKind.BOOL:
            return parse_bool(self.key, value)
        if self.kind is OptionKind.CHOICE:
            return parse_choice(self.key, value, self.choices)
        return str(value if value is not None else "").strip()


# --- shipping ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShippingMappingSpec:
    """What a shipping method is mapped to on the channel: a carrier code (from ``carrier_codes``, or
    free text when the list is empty), the carrier's name (required with ``other_carrier_code``) and
    the ship method."""

    carrier_codes: tuple[str, ...] = ()  # the channel's own spellings, matched ignoring case
    other_carrier_code: str = ""  # the code that stands for "a carrier not in the list" ("Other")
    carrier_required: bool = False
    ship_method_required: bool = False
    ship_method_label: str = "Ship method"
    ship_method_help: str = ""

    def carrier(self, code, name, *, channel_name: str) -> tuple[str, list[str]]:
        """The channel's spelling of ``code`` and the problems found (empty when fine)."""
        text = str(code or "").strip()
        if not self.carrier_codes:
            if self.carrier_required and not text:
                return text, ["carrier code is required"]
            return text, []
        by_lower = {c.lower(): c for c in self.carrier_codes}
        other = self.other_carrier_code
        if not text:
            hint = f", or {other}" if other else ""
            return text, [f"carrier code is required: pick one of {channel_name}'s carrier codes{hint}"]
        if text.lower() not in by_lower:
            hint = f", or {other} with the carrier's name" if other else ""
            return text, [
                f"{text[:60]!r} is not one of {channel_name}'s carrier codes: pick one from the list{hint}"
            ]
        text = by_lower[text.lower()]
        if other and text == other and not str(name or "").strip():
            return text, [f"carrier code {other} needs the carrier's name ({channel_name} requires it)"]
        return text, []


# --- the spec ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelSpec:
    key: str  # registry key, stored as ChannelAccount.channel
    display_name: str  # "Amazon"
    credentials: tuple[CredentialField, ...]
    addressing: Addressing
    options: tuple[Option, ...] = ()  # the channel's own, added after COMMON_OPTIONS
    shipping: ShippingMappingSpec = field(default_factory=ShippingMappingSpec)
    order_sources: tuple[Choice, ...] = ()  # where orders can come from; empty = one, not a choice
    capabilities: ChannelCapabilities = field(default_factory=ChannelCapabilities)
    authorization: Authorization = field(default_factory=Authorization)
    # options that depend on each other: (merged options) -> problems; run after every value parsed
    check_options: Callable[[Mapping], list[str]] | None = None
    # credentials that depend on each other (e.g. an access token, or a client id and secret): (the
    # account's credentials once saved) -> problems
    check_credentials: Callable[[Mapping], list[str]] | None = None
    release_warning: str = ""  # shown when held shipping confirmations are let go
    # dotted path of the channel's simulator process class (``stockroom.sandbox.<channel>.process...``),
    # for tests and the demo: product code never imports it
    simulator: str = ""

    @property
    def all_options(self) -> tuple[Option, ...]:
        own = {o.key for o in self.options}
        common = tuple(
            replace(o, help=o.help.format(channel=self.display_name))
            for o in COMMON_OPTIONS
            if o.key not in own
        )
        return common + self.options

    def option(self, key: str) -> Option | None:
        return next((o for o in self.all_options if o.key == key), None)

    def option_defaults(self) -> dict:
        return {o.key: o.default for o in self.all_options}

    def credential(self, key: str) -> CredentialField | None:
        return next((c for c in self.credentials if c.key == key), None)

    def credential_env(self, credential: CredentialField) -> str:
        return credential.env or f"STOCKROOM_{self.key.upper()}_{credential.key.upper()}"


# --- parsers shared by every channel ------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n", ""}


def parse_bool(option: str, value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidOption(f"{option} must be on or off, got {str(value)[:40]!r}")


def parse_choice(option: str, value, choices: tuple[Choice, ...]) -> str:
    text = str(value if value is not None else "").strip().lower().replace("-", "_")
    allowed = [c.value for c in choices]
    if text not in allowed:
        raise InvalidOption(f"{option} must be one of {', '.join(allowed)}, got {str(value)[:40]!r}")
    return text


_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.ASCII,
)


def parse_orders_since(value, *, now: datetime | None = None) -> str:
    """'yyyy-mm-dd hh:mm:ss' (UTC) or ISO 8601 with or without offset -> ISO 8601 UTC ('...Z')."""
    text = str(value or "").strip()
    if not text:
        return ""
    moment = None
    if _DATE_TIME.match(text):
        try:  # a date that does not exist (9999-99-99) or leaves the calendar in UTC is not a time
            iso = text.replace(" ", "T", 1)
            iso = iso[:-1] + "+00:00" if iso.endswith("Z") else iso
            moment = datetime.fromisoformat(iso)
            moment = (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(UTC)
        except (ValueError, OverflowError):
            moment = None
    if moment is None:
        raise InvalidOption(
            f"download_orders_since {text[:40]!r} is not a time: write yyyy-mm-dd hh:mm:ss (UTC) or ISO 8601"
        )
    if moment > (now or datetime.now(UTC)):
        raise InvalidOption("download_orders_since cannot be in the future")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def orders_since_moment(text: str) -> datetime | None:
    """The stored ``download_orders_since`` ('...Z') as a datetime, or None when unset."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


# --- options every channel has, declared once -----------------------------------------------------------

INVENTORY_UPDATE = Option(
    key="inventory_update",
    label="Send stock levels (inventory update)",
    help="Send stock levels of linked listings to {channel} (on/off).",
    default=True,
    kind=OptionKind.BOOL,
)
HOLD_SHIPPING_DATA = Option(
    key="hold_shipping_data",
    label="Do not submit shipping data",
    help=(
        "Do not submit shipping data: dispatches are recorded here but never sent to {channel} until "
        "you release them; the next sync sends each released confirmation once, and dispatches made "
        "after the release stay held."
    ),
    default=False,
    kind=OptionKind.BOOL,
)
DOWNLOAD_ORDERS_SINCE = Option(
    key="download_orders_since",
    label="Do not download orders prior to (UTC)",
    help=(
        "Do not download orders prior to this time (UTC): yyyy-mm-dd hh:mm:ss or ISO 8601. No order "
        "bought before it enters the book, whatever its later updates, from any order source; each "
        "sync run says how many it skipped. Empty = no cut-off (the first sync reads the last 7 days)."
    ),
    default="",
    parse=parse_orders_since,
    placeholder="yyyy-mm-dd hh:mm:ss",
)


def parse_quantity_rule(option: str, value, *, most: int | None = None) -> int | None:
    """A listing quantity rule as typed: a whole number (0 or more, at most ``most``), or empty = not set."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or len(text) > 9:
        bound = f"0 to {most}" if most is not None else "0 or more"
        raise InvalidOption(f"{option} must be a whole number ({bound}) or empty, got {text[:40]!r}")
    number = int(text)
    if most is not None and number > most:
        raise InvalidOption(f"{option} must be a whole number from 0 to {most}, got {number}")
    return number


def _rule_option(key: str, label: str, help: str, *, most: int | None = None) -> Option:
    return Option(
        key=key,
        label=label,
        help=help,
        default=None,
        parse=lambda value: parse_quantity_rule(key, value, most=most),
        placeholder="not set",
        inputmode="numeric",
    )


MAX_QUANTITY = _rule_option(
    "max_quantity",
    "Show at most",
    "The most units a listing on {channel} shows, however many you have (e.g. 10). Empty = no limit. "
    "A listing can set its own.",
)
MIN_LEVEL = _rule_option(
    "min_level",
    "Show 0 at or below",
    "When your available stock is at or below this level, listings on {channel} show 0 (e.g. 2 keeps "
    "the last two for other channels or for breakages). Empty = off. A listing can set its own.",
)
PERCENTAGE = _rule_option(
    "percentage",
    "Show this percentage of available",
    "Listings on {channel} show this percentage of your available stock, rounded down (e.g. 50 shows "
    "5 of 11). Empty = all of it. A listing can set its own.",
    most=100,
)
FIXED_QUANTITY = _rule_option(
    "fixed_quantity",
    "Always show this quantity",
    "Listings on {channel} always show this many, whatever you have (made to order, or sent by your supplier). "
    "Empty = follow your stock. A listing can set its own.",
)
STOCK_RESERVE = Option(
    key="stock_reserve",
    label="Hold back low stock for slower channels",
    help=(
        "When an item is nearly sold out, listings on {channel} show less, down to 0, so that a sale on "
        "another channel that Stockroom has not heard of yet cannot sell the same unit twice. Stockroom "
        "measures how late each account's orders arrive and how fast each item sells there; the reserve "
        "and its reason are shown on the item and listing screens (on/off)."
    ),
    default=True,
    kind=OptionKind.BOOL,
)
QUANTITY_RULE_OPTIONS: tuple[Option, ...] = (MAX_QUANTITY, MIN_LEVEL, PERCENTAGE, FIXED_QUANTITY)
COMMON_OPTIONS: tuple[Option, ...] = (
    INVENTORY_UPDATE,
    HOLD_SHIPPING_DATA,
    DOWNLOAD_ORDERS_SINCE,
    *QUANTITY_RULE_OPTIONS,
    STOCK_RESERVE,
)
