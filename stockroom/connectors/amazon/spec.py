"""Amazon's channel spec: the one place that says what an Amazon account is made of (Login with Amazon
credentials, a region and its marketplaces, the options, the carrier codes). Account services, web
forms, the CLI and the API read it through the registry; the connector reads its constants here.
"""

from __future__ import annotations

import re
from datetime import timedelta

from stockroom.channels.contracts import ChannelCapabilities
from stockroom.channels.spec import (
    AccountIdField,
    Addressing,
    AddressingKind,
    ChannelSpec,
    Choice,
    CredentialField,
    InvalidOption,
    Marketplace,
    Option,
    OptionKind,
    Region,
    ShippingMappingSpec,
)

from .marketplaces import (
    CARRIER_CODES,
    MARKETPLACES,
    REGION_ENDPOINTS,
    UnknownMarketplace,
    resolve_marketplaces,
)

CHANNEL = "amazon"

# LWA credentials: key in ChannelAccount.credentials -> label people see (the connector names a missing
# one with the same label)
CREDENTIALS = (
    CredentialField(
        "client_id",
        "LWA client id",
        help="Seller Central, Apps and Services > Develop Apps: your app's Login with Amazon credentials.",
        env="STOCKROOM_LWA_CLIENT_ID",
    ),
    CredentialField(
        "client_secret",
        "LWA client secret",
        help="Shown next to the client id.",
        env="STOCKROOM_LWA_CLIENT_SECRET",
    ),
    CredentialField(
        "refresh_token",
        "LWA refresh token",
        help="Given when you authorise your app for this seller account.",
        env="STOCKROOM_LWA_REFRESH_TOKEN",
    ),
    # order notifications (ADR 0016): the AWS key Stockroom reads the seller's SQS queue with
    CredentialField(
        "aws_access_key_id",
        "AWS access key id (order notifications)",
        secret=False,
        required=False,
        help=(
            "Only for order notifications: an IAM user's key allowed sqs:ReceiveMessage, sqs:DeleteMessage "
            "and sqs:GetQueueAttributes on the queue."
        ),
    ),
    CredentialField(
        "aws_secret_access_key",
        "AWS secret access key (order notifications)",
        required=False,
        help="Shown once when the IAM access key is created.",
    ),
)

REGIONS = (
    Region("na", "North America", REGION_ENDPOINTS["na"]),
    Region("eu", "Europe", REGION_ENDPOINTS["eu"]),
    Region("fe", "Far East", REGION_ENDPOINTS["fe"]),
)

# --- order sources and report periods -------------------------------------------------------------------

ORDER_SOURCES = (
    Choice("orders_api", "Orders API (recommended)"),
    Choice("report_flat", "Order reports, flat file"),
    Choice("report_xml", "Order reports, XML"),
)
ORDER_SOURCE_KEYS = tuple(c.value for c in ORDER_SOURCES)
REPORT_SOURCES = ("report_flat", "report_xml")

# How often Stockroom may schedule order reports: the periods of createReportSchedule (Reports API
# 2021-06-30, ``CreateReportScheduleSpecification.period``; a conformance test checks they are among
# Amazon's) from 15 minutes to 1 day. Amazon also takes PT5M and periods of days to a month; Stockroom
# offers neither: every report costs a getReportDocument (one a minute after its burst) and, for
# orders with buyer data, a Restricted Data Token, so a report every 5 minutes outruns reading them; a
# period longer than a day leaves orders unseen for days. One list for the account option and the
# connector.
REPORT_PERIODS: dict[timedelta, str] = {
    timedelta(minutes=15): "PT15M",
    timedelta(minutes=30): "PT30M",
    timedelta(hours=1): "PT1H",
    timedelta(hours=2): "PT2H",
    timedelta(hours=4): "PT4H",
    timedelta(hours=8): "PT8H",
    timedelta(hours=12): "PT12H",
    timedelta(days=1): "P1D",
}
REPORT_PERIOD_VALUES = tuple(REPORT_PERIODS.values())
REPORT_PERIOD_MIN = min(REPORT_PERIODS)
REPORT_PERIOD_MAX = max(REPORT_PERIODS)
DEFAULT_REPORT_PERIOD = "PT1H"

PATCH_THRESHOLD_MAX = 1000  # 1,000 patches take over 3 minutes at Amazon's 5 a second: a feed is quicker
QUANTITY_VISIBLE_AFTER_SECONDS = (
    120.0  # Amazon: a new quantity shows to buyers about 2 minutes after it is taken
)

_SHORT_DURATION = re.compile(r"^(\d+)\s*(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)$", re.IGNORECASE)
_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$", re.ASCII)


def _duration(text: str) -> timedelta | None:
    match = _SHORT_DURATION.match(text)
    if match:
        number, unit = int(match.group(1)), match.group(2).lower()[0]
        return {"m": timedelta(minutes=number), "h": timedelta(hours=number), "d": timedelta(days=number)}[
            unit
        ]
    match = _ISO_DURATION.match(text.upper())
    if match and text.upper() not in ("P", "PT") and not text.upper().endswith("T"):
        days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    return None


def parse_report_period(value) -> str:
    """'15m', '1h', '1d', '30 minutes' or ISO 8601 ('PT15M') -> ISO 8601, one of ``REPORT_PERIODS``."""
    text = str(value or "").strip()
    period = _duration(text) if text else None
    if period is None:
        raise InvalidOption(f"report_period {text[:40]!r} is not a duration: write e.g. 15m, 1h, 1d or PT15M")
    if not REPORT_PERIOD_MIN <= period <= REPORT_PERIOD_MAX:
        raise InvalidOption(f"report_period must be between 15 minutes and 1 day, got {text[:40]!r}")
    if period not in REPORT_PERIODS:
        raise InvalidOption(
            f"Amazon schedules order reports only every {', '.join(REPORT_PERIOD_VALUES)}; "
            f"{text[:40]!r} is not one of them"
        )
    return REPORT_PERIODS[period]


def parse_patch_threshold(value) -> int | str:
    """'' or 'auto' -> '' (automatic); a whole number 0..PATCH_THRESHOLD_MAX -> int (0 = never patch)."""
    if isinstance(value, bool):
        raise InvalidOption(f"patch_threshold must be a number of listings or empty, got {value!r}")
    text = str(value if value is not None else "").strip().lower()
    if text in ("", "auto", "automatic"):
        return ""
    if not text.isdigit() or not text.isascii():
        raise InvalidOption(
            f"patch_threshold must be a whole number of listings (0 = always a feed) or empty for "
            f"automatic, got {str(value)[:40]!r}"
        )
    number = int(text)
    if number > PATCH_THRESHOLD_MAX:
        raise InvalidOption(
            f"patch_threshold can be at most {PATCH_THRESHOLD_MAX:,}: more patches take minutes at Amazon's "
            "rate of 5 a second, which a feed does in one go"
        )
    return number


def _in_words(period: timedelta) -> str:
    seconds = int(period.total_seconds())
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {seconds} seconds"


def parse_queue_url(value) -> str:
    text = str(value if value is not None else "").strip()
    if text and not re.match(r"^https?://[^/\s]+/\d+/[\w-]{1,80}$", text):
        raise InvalidOption(
            f"notification_queue_url {text[:80]!r} is not an SQS queue URL: copy it from the queue's page "
            "in the AWS console (https://sqs.<region>.amazonaws.com/<account>/<queue name>)"
        )
    return text


def check_options(merged) -> list[str]:
    if merged.get("order_notifications") and not merged.get("notification_queue_url"):
        return [
            "order_notifications needs notification_queue_url: the SQS queue Amazon sends order "
            "notifications to (see docs/amazon-accounts.md, Order notifications)"
        ]
    if merged.get("secondary_integrated") and merged.get("order_source") == "orders_api":
        return [
            "secondary_integrated applies only when orders come from reports: set order_source to "
            "report_flat or report_xml first (the Orders API has no primary/secondary integrations)"
        ]
    return []


OPTIONS = (
    Option(
        key="order_source",
        label="Order source",
        help="Where orders come from: orders_api (default), report_flat or report_xml.",
        default="orders_api",
        kind=OptionKind.CHOICE,
        choices=ORDER_SOURCES,
    ),
    Option(
        key="report_period",
        label="Request a new order report",
        help="Report mode: how often a new order report is requested, 15m to 1d (e.g. 15m, 1h, 1d).",
        default=DEFAULT_REPORT_PERIOD,
        kind=OptionKind.CHOICE,
        parse=parse_report_period,
        choices=tuple(Choice(v, _in_words(k)) for k, v in REPORT_PERIODS.items()),
        shown_when=("order_source", REPORT_SOURCES),
    ),
    Option(
        key="secondary_integrated",
        label="Secondary integration",
        help=(
            "Report mode only: another system is the primary integration of this seller account and "
            "schedules the order reports; Stockroom reads those reports without requesting its own."
        ),
        default=False,
        kind=OptionKind.BOOL,
        shown_when=("order_source", REPORT_SOURCES),
    ),
    Option(
        key="patch_threshold",
        label="Patch at most (listings per stock update)",
        help=(
            "Stock updates: up to this many changed listings are sent one by one (shown within seconds), "
            "more in one listings feed (shown after Amazon processes it, minutes); 0 = always a feed; "
            "empty = automatic (as many as Amazon's rate limit lets through within 60 seconds, about 300)."
        ),
        default="",
        parse=parse_patch_threshold,
        placeholder="automatic",
        inputmode="numeric",
    ),
    Option(
        key="order_notifications",
        label="Receive order notifications",
        help=(
            "Amazon tells Stockroom of each new or changed order at once through your SQS queue (its "
            "Notifications API), so orders arrive in seconds; polling goes on as the safety net. "
            "Stockroom creates and removes the subscription itself."
        ),
        default=False,
        kind=OptionKind.BOOL,
    ),
    Option(
        key="notification_queue_url",
        label="SQS queue URL (order notifications)",
        help=(
            "The queue Amazon sends order notifications to; its policy must let Amazon's account "
            "437568002678 send messages (docs/amazon-accounts.md, Order notifications)."
        ),
        default="",
        parse=parse_queue_url,
        placeholder="https://sqs.eu-west-1.amazonaws.com/123456789012/stockroom-orders",
    ),
)


def resolve(codes, *, region: str) -> list[str]:
    """Marketplace codes (UK, DE ...) or ids, comma-separated or a list -> marketplace ids of ``region``."""
    if isinstance(codes, str):
        codes = [c for c in re.split(r"[,\s;]+", codes) if c]
    try:
        return [m.marketplace_id for m in resolve_marketplaces(codes or [], region=region)]
    except UnknownMarketplace as error:
        raise InvalidOption(str(error)) from None


SPEC = ChannelSpec(
    key=CHANNEL,
    display_name="Amazon",
    credentials=CREDENTIALS,
    addressing=Addressing(
        kind=AddressingKind.REGION_MARKETPLACES,
        account_id=AccountIdField(
            label="Seller id (merchant token)",
            help="Seller Central > Settings > Account Info > Merchant Token.",
        ),
        regions=REGIONS,
        default_region="eu",
        marketplaces=tuple(
            Marketplace(m.code, m.country, id=m.marketplace_id, region=m.region)
            for m in MARKETPLACES.values()
        ),
        marketplace_help=(
            "Only marketplaces of the chosen region. There is no Danish marketplace: Danish buyers use DE or SE."
        ),
        resolve_marketplaces=resolve,
        endpoint_label="SP-API endpoint",
        token_url_label="LWA token URL",
    ),
    options=OPTIONS,
    shipping=ShippingMappingSpec(
        # the connector's own list (the codes it sends as they are), then "Other", which needs the
        # carrier's name (Amazon has required it since 2021)
        carrier_codes=(*CARRIER_CODES, "Other"),
        other_carrier_code="Other",
        carrier_required=True,
        ship_method_required=True,
        ship_method_help="e.g. Tracked 48, Standard, Express",
    ),
    order_sources=ORDER_SOURCES,
    # confirmShipment needs a tracking number; ORDER_CHANGE notifications push orders (ADR 0016)
    capabilities=ChannelCapabilities(
        requires_tracking_number=True,
        order_pushes=True,
        # a patched or fed quantity shows on the listing about two minutes after Amazon takes it
        quantity_visible_after_seconds=QUANTITY_VISIBLE_AFTER_SECONDS,
    ),
    check_options=check_options,
    simulator="stockroom.sandbox.amazon.process.SimulatorProcess",
    release_warning=(
        "Released confirmations are sent with their original ship dates, which may be older than "
        "Amazon accepts (it refuses ship dates too far in the past); those come back as errors to fix by hand."
    ),
)
