"""Account operations that need a channel's knowledge or its connector.

Interfaces (CLI, web, API) call these and ``stockroom.channels.services``; nothing else. Everything
Amazon-specific about accounts lives here: regions, marketplace codes, LWA credential names, the
options and their defaults, carrier codes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_duration
from django.views.decorators.debug import sensitive_variables

from stockroom.channels import services as channel_services
from stockroom.channels.contracts import ChannelError, CheckResult
from stockroom.channels.models import ChannelAccount
from stockroom.connectors.amazon.marketplaces import (
    BY_ID,
    CARRIER_CODES,
    MARKETPLACES,
    REGION_ENDPOINTS,
    UnknownMarketplace,
    resolve_marketplaces,
)
from stockroom.core.crypto import mask_secret
from stockroom.core.errors import InvalidInput, StockroomError
from stockroom.orders import services as order_services
from stockroom.orders.models import ChannelShipment, Order, ShipmentStatus
from stockroom.orders.services import release_held_shipments
from stockroom.sync import selectors
from stockroom.sync.models import LISTINGS_STEP, SyncRun, SyncRunStatus, SyncTrigger
from stockroom.sync.registry import CHANNEL_NAMES, connector_for

logger = logging.getLogger(__name__)

AMAZON = "amazon"
REGIONS = {"na": "North America", "eu": "Europe", "fe": "Far East"}

# LWA credentials: key in ChannelAccount.credentials -> label people see
CREDENTIAL_FIELDS = {
    "client_id": "LWA client id",
    "client_secret": "LWA client secret",
    "refresh_token": "LWA refresh token",
}


class ChannelRequestFailed(StockroomError):
    """The channel answered with an error (or not at all); ``message`` says why and what to do."""

    code = "channel_error"
    http_status = 502


@dataclass(frozen=True)
class AccountSaved:
    account: ChannelAccount
    warnings: tuple[str, ...] = ()


# --- input cleaning -----------------------------------------------------------------------------------


@sensitive_variables()
def clean_secret(key: str, value) -> tuple[str, str | None]:
    """Strip surrounding spaces from a pasted secret; say so, since a copy-paste slip is the usual cause."""
    label = CREDENTIAL_FIELDS[key]
    text = str(value if value is not None else "")
    stripped = text.strip()
    if any(ord(ch) < 32 for ch in stripped) or any(ch.isspace() for ch in stripped):
        raise InvalidInput(f"{label} contains spaces or control characters inside it: paste it again")
    if len(stripped) > 2000:
        raise InvalidInput(f"{label} is longer than 2000 characters")
    warning = None
    if stripped != text:
        warning = f"{label}: spaces or line breaks around the value were removed (copy-paste slip?)"
    return stripped, warning


@sensitive_variables()
def clean_credentials(values: dict, *, required: bool) -> tuple[dict[str, str], list[str]]:
    """Clean each LWA credential; a blank one is an error when ``required``, else left out (kept)."""
    credentials, warnings = {}, []
    for key in CREDENTIAL_FIELDS:
        cleaned, warning = clean_secret(key, values.get(key))
        if not cleaned:
            if required:
                raise InvalidInput(f"{CREDENTIAL_FIELDS[key]} is required")
            continue
        credentials[key] = cleaned
        if warning:
            warnings.append(warning)
    return credentials, warnings


def clean_region(region) -> str:
    code = str(region or "").strip().lower()
    if code not in REGIONS:
        raise InvalidInput(
            f"unknown Amazon region {str(region)[:20]!r}: use NA (North America), EU (Europe) or FE (Far East)"
        )
    return code


def clean_marketplaces(codes, *, region: str) -> list[str]:
    """Marketplace codes (UK, DE ...) as typed, comma-separated or a list -> marketplace ids."""
    if isinstance(codes, str):
        codes = [c for c in re.split(r"[,\s;]+", codes) if c]
    try:
        return [m.marketplace_id for m in resolve_marketplaces(codes or [], region=region)]
    except UnknownMarketplace as error:
        raise InvalidInput(str(error)) from None


def clean_url(value, *, field: str) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    if not re.match(r"^https?://[^\s/]+", text) or len(text) > 200:
        raise InvalidInput(f"{field} must be an http(s) URL such as http://127.0.0.1:8765, got {text[:80]!r}")
    return text.rstrip("/")


def marketplace_codes(account: ChannelAccount) -> list[str]:
    """Marketplace ids stored on the account -> the codes sellers know (UK, DE ...)."""
    return [BY_ID[m].code if m in BY_ID else m for m in account.marketplaces]


def masked_credentials(account: ChannelAccount) -> dict[str, str]:
    stored = account.credentials
    return {key: mask_secret(stored.get(key, "")) for key in CREDENTIAL_FIELDS}


# --- add / edit -----------------------------------------------------------------------------------


@sensitive_variables()
def add_amazon_account(
    *,
    name: str,
    seller_id: str,
    region: str,
    marketplaces,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    endpoint: str = "",
    token_url: str = "",
    options: dict | None = None,
) -> AccountSaved:
    region = clean_region(region)
    marketplace_ids = clean_marketplaces(marketplaces, region=region)
    credentials, warnings = clean_credentials(
        {"client_id": client_id, "client_secret": client_secret, "refresh_token": refresh_token},
        required=True,
    )
    account = channel_services.create_account(
        channel=AMAZON,
        name=name,
        external_account_id=str(seller_id or "").strip(),
        region=region,
        marketplaces=marketplace_ids,
        credentials=credentials,
        options=validate_options(AMAZON, options or {}, current={}),
        endpoint=clean_url(endpoint, field="endpoint"),
        token_url=clean_url(token_url, field="token URL"),
    )
    logger.info(
        "channel account %s added (seller %s, region %s)", account.name, account.external_account_id, region
    )
    return AccountSaved(account, tuple(warnings))


@sensitive_variables()
def edit_amazon_account(
    *,
    account: ChannelAccount,
    seller_id: str,
    region: str,
    marketplaces,
    client_id: str = "",
    client_secret: str = "",
    refresh_token: str = "",
    endpoint: str = "",
    token_url: str = "",
) -> AccountSaved:
    """Edit everything but the name; a secret left blank keeps the stored value."""
    region = clean_region(region)
    marketplace_ids = clean_marketplaces(marketplaces, region=region)
    credentials, warnings = clean_credentials(
        {"client_id": client_id, "client_secret": client_secret, "refresh_token": refresh_token},
        required=False,
    )
    account = channel_services.update_account(
        account=account,
        external_account_id=str(seller_id or "").strip(),
        region=region,
        marketplaces=marketplace_ids,
        credentials=credentials,
        endpoint=clean_url(endpoint, field="endpoint"),
        token_url=clean_url(token_url, field="token URL"),
    )
    return AccountSaved(account, tuple(warnings))


# --- options -----------------------------------------------------------------------------------------

ORDER_SOURCES = {
    "orders_api": "Orders API (recommended)",
    "report_flat": "Order reports, flat file",
    "report_xml": "Order reports, XML",
}
REPORT_PERIOD_MIN = timedelta(minutes=15)
REPORT_PERIOD_MAX = timedelta(days=1)
# Amazon's report schedule periods (Reports API createReportSchedule) within 15 minutes .. 1 day
REPORT_PERIODS = {
    timedelta(minutes=15): "PT15M",
    timedelta(minutes=30): "PT30M",
    timedelta(hours=1): "PT1H",
    timedelta(hours=2): "PT2H",
    timedelta(hours=4): "PT4H",
    timedelta(hours=8): "PT8H",
    timedelta(hours=12): "PT12H",
    timedelta(days=1): "P1D",
}

AMAZON_OPTION_DEFAULTS = {
    "inventory_update": True,
    "order_source": "orders_api",
    "report_period": "PT1H",
    "secondary_integrated": False,
    "hold_shipping_data": False,
    "download_orders_since": "",
    "patch_threshold": "",
}

OPTION_HELP = {
    "inventory_update": "Send stock levels of linked listings to Amazon (on/off).",
    "order_source": "Where orders come from: orders_api (default), report_flat or report_xml.",
    "report_period": "Report mode: how often a new order report is requested, 15m to 1d (e.g. 15m, 1h, 1d).",
    "secondary_integrated": (
        "Report mode only: another system is the primary integration of this seller account and "
        "schedules the order reports; Stockroom reads those reports without requesting its own."
    ),
    "hold_shipping_data": (
        "Do not submit shipping data: dispatches are recorded here but never sent to Amazon until "
        "you release them; the next sync sends each released confirmation once, and dispatches made "
        "after the release stay held."
    ),
    "download_orders_since": (
        "Do not download orders prior to this time (UTC): yyyy-mm-dd hh:mm:ss or ISO 8601. No order "
        "bought before it enters the book, whatever its later updates, from any order source; each "
        "sync run says how many it skipped. Empty = no cut-off (the first sync reads the last 7 days)."
    ),
    "patch_threshold": (
        "Stock updates: up to this many changed listings are sent one by one (shown within seconds), "
        "more in one listings feed (shown after Amazon processes it, minutes); 0 = always a feed; "
        "empty = automatic (as many as Amazon's rate limit lets through within 60 seconds, about 300)."
    ),
}
PATCH_THRESHOLD_MAX = 1000  # 1,000 patches take over 3 minutes at Amazon's 5 a second: a feed is quicker

_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n", ""}


def _parse_bool(option: str, value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInput(f"{option} must be on or off, got {str(value)[:40]!r}")


_SHORT_DURATION = re.compile(r"^(\d+)\s*(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)$", re.IGNORECASE)


def parse_report_period(value) -> str:
    """'15m', '1h', '1d', '30 minutes' or ISO 8601 ('PT15M') -> ISO 8601, one of Amazon's schedule
    periods between 15 minutes and 1 day."""
    text = str(value or "").strip()
    match = _SHORT_DURATION.match(text)
    if match:
        number, unit = int(match.group(1)), match.group(2).lower()[0]
        period = {"m": timedelta(minutes=number), "h": timedelta(hours=number), "d": timedelta(days=number)}[
            unit
        ]
    else:
        period = parse_duration(text.upper()) if text else None
        if period is None:
            raise InvalidInput(
                f"report_period {text[:40]!r} is not a duration: write e.g. 15m, 1h, 1d or PT15M"
            )
    if not REPORT_PERIOD_MIN <= period <= REPORT_PERIOD_MAX:
        raise InvalidInput(f"report_period must be between 15 minutes and 1 day, got {text[:40]!r}")
    if period not in REPORT_PERIODS:
        allowed = ", ".join(REPORT_PERIODS.values())
        raise InvalidInput(
            f"Amazon schedules order reports only every {allowed}; {text[:40]!r} is not one of them"
        )
    return REPORT_PERIODS[period]


def parse_orders_since(value) -> str:
    """'yyyy-mm-dd hh:mm:ss' (UTC) or ISO 8601 with or without offset -> ISO 8601 UTC ('...Z')."""
    text = str(value or "").strip()
    if not text:
        return ""
    moment = None
    try:  # a date that does not exist (9999-99-99) or leaves the calendar in UTC is not a time
        if not text.isascii():  # parse_datetime would read "٢٠٢٦" as 2026
            raise ValueError(text)
        moment = parse_datetime(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        if moment is None and re.match(r"^\d{4}-\d{2}-\d{2}$", text, re.ASCII):
            moment = parse_datetime(text + " 00:00:00")
        if moment is not None:
            moment = (moment.replace(tzinfo=UTC) if timezone.is_naive(moment) else moment).astimezone(UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise InvalidInput(
            f"download_orders_since {text[:40]!r} is not a time: write yyyy-mm-dd hh:mm:ss (UTC) or ISO 8601"
        )
    if moment > timezone.now():
        raise InvalidInput("download_orders_since cannot be in the future")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_patch_threshold(value) -> int | str:
    """'' or 'auto' -> '' (automatic); a whole number 0..PATCH_THRESHOLD_MAX -> int (0 = never patch)."""
    if isinstance(value, bool):
        raise InvalidInput(f"patch_threshold must be a number of listings or empty, got {value!r}")
    text = str(value if value is not None else "").strip().lower()
    if text in ("", "auto", "automatic"):
        return ""
    if not text.isdigit():
        raise InvalidInput(
            f"patch_threshold must be a whole number of listings (0 = always a feed) or empty for "
            f"automatic, got {str(value)[:40]!r}"
        )
    number = int(text)
    if number > PATCH_THRESHOLD_MAX:
        raise InvalidInput(
            f"patch_threshold can be at most {PATCH_THRESHOLD_MAX:,}: more patches take minutes at Amazon's "
            "rate of 5 a second, which a feed does in one go"
        )
    return number


def orders_since(account: ChannelAccount) -> datetime | None:
    text = account.options.get("download_orders_since") or ""
    return parse_datetime(text.replace("Z", "+00:00")) if text else None


_PARSERS = {
    "inventory_update": lambda v: _parse_bool("inventory_update", v),
    "order_source": None,
    "report_period": parse_report_period,
    "secondary_integrated": lambda v: _parse_bool("secondary_integrated", v),
    "hold_shipping_data": lambda v: _parse_bool("hold_shipping_data", v),
    "download_orders_since": parse_orders_since,
    "patch_threshold": parse_patch_threshold,
}


def option_defaults(channel: str) -> dict:
    return dict(AMAZON_OPTION_DEFAULTS) if channel == AMAZON else {}


def effective_options(account: ChannelAccount) -> dict:
    return {**option_defaults(account.channel), **account.options}


def validate_options(channel: str, values: dict, *, current: dict) -> dict:
    """The one place options are checked. Returns the cleaned values; raises InvalidInput listing
    every problem at once."""
    defaults = option_defaults(channel)
    errors, cleaned = [], {}
    for key, value in values.items():
        if key not in defaults:
            known = ", ".join(defaults) or "none"
            errors.append(
                f"unknown option {str(key)[:40]!r} for {CHANNEL_NAMES.get(channel, channel)} accounts; "
                f"options: {known}"
            )
            continue
        try:
            if key == "order_source":
                text = str(value).strip().lower().replace("-", "_")
                if text not in ORDER_SOURCES:
                    raise InvalidInput(
                        f"order_source must be one of {', '.join(ORDER_SOURCES)}, got {str(value)[:40]!r}"
                    )
                cleaned[key] = text
            else:
                cleaned[key] = _PARSERS[key](value)
        except InvalidInput as error:
            errors.append(error.message)
    merged = {**defaults, **current, **cleaned}
    if not errors and merged.get("secondary_integrated") and merged.get("order_source") == "orders_api":
        errors.append(
            "secondary_integrated applies only when orders come from reports: set order_source to "
            "report_flat or report_xml first (the Orders API has no primary/secondary integrations)"
        )
    if errors:
        raise InvalidInput("; ".join(errors), errors=errors)
    return cleaned


def set_account_options(*, account: ChannelAccount, values: dict) -> ChannelAccount:
    cleaned = validate_options(account.channel, values, current=account.options)
    account = channel_services.set_account_options(account=account, options=cleaned)
    logger.info(
        "options of account %s set: %s", account.name, ", ".join(f"{k}={v}" for k, v in cleaned.items())
    )
    return account


def set_account_option(*, account: ChannelAccount, option: str, value) -> ChannelAccount:
    return set_account_options(account=account, values={option: value})


# --- check API ----------------------------------------------------------------------------------------


def check_account(account: ChannelAccount) -> CheckResult:
    """Ask the channel whether the account works; store the outcome on the account."""
    try:
        with connector_for(account) as connector:
            result = connector.check(orders_since=orders_since(account))
    except ChannelError as error:
        result = CheckResult(ok=False, message=error.message)
    except (LookupError, ImportError) as error:
        result = CheckResult(ok=False, message=f"{error}: this Stockroom cannot talk to that channel")
    except ValueError as error:  # credentials not decryptable with this server's key
        result = CheckResult(ok=False, message=str(error))
    channel_services.record_account_check(account=account, ok=result.ok, message=result.message)
    logger.info("check of account %s: %s", account.name, "ok" if result.ok else "failed")
    return result


# --- listings -----------------------------------------------------------------------------------------


def import_listings(account: ChannelAccount, *, progress=None) -> channel_services.ListingImportResult:
    """Read the account's listings from the channel and create or refresh them here, page by page as
    the channel gives them (a failure part-way keeps what came: the import is an upsert, run it
    again). ``progress(count)`` is called every ``LISTINGS_PROGRESS_EVERY`` listings read."""

    def read(connector):
        count = 0
        for listing in connector.list_listings():
            yield listing
            count += 1
            if progress is not None and count % LISTINGS_PROGRESS_EVERY == 0:
                progress(count)

    try:
        with connector_for(account) as connector:
            return channel_services.import_channel_listings(account=account, listings=read(connector))
    except ChannelError as error:
        raise ChannelRequestFailed(
            f"{account.name}: the channel did not give its listings: {error.message}",
            retryable=error.retryable,
        ) from None
    except (LookupError, ImportError) as error:
        raise ChannelRequestFailed(f"{account.name}: {error}") from None


LISTINGS_PROGRESS_EVERY = 100


def start_listings_import(
    account: ChannelAccount, *, trigger: str = SyncTrigger.MANUAL
) -> tuple[SyncRun, bool]:
    """Record a listings import as a sync run (steps "listings") for the worker to carry out: reading a
    large catalogue takes minutes at the channel's rate. Returns (run, started); an import of the
    account already running is returned instead of starting a second."""
    running = selectors.running_listings_import(account)
    if running is not None:
        return running, False
    SyncRun.objects.filter(account=account, steps=LISTINGS_STEP, status=SyncRunStatus.RUNNING).update(
        status=SyncRunStatus.FAILED,
        finished_at=timezone.now(),
        message="abandoned: the worker stopped before the import finished",
    )
    run = SyncRun.objects.create(
        account=account,
        trigger=trigger,
        steps=LISTINGS_STEP,
        started_at=timezone.now(),
        phase="Waiting for the worker",
    )
    return run, True


def run_listings_import(run_id: int) -> SyncRun | None:
    """The worker's half of ``start_listings_import``: import, then record the outcome on the run."""
    run = SyncRun.objects.select_related("account").filter(pk=run_id, status=SyncRunStatus.RUNNING).first()
    if run is None:  # delivered twice, or abandoned meanwhile
        return None

    def progress(count: int) -> None:
        SyncRun.objects.filter(pk=run.pk).update(phase="Reading listings", progress_done=count)

    progress(0)
    try:
        result = import_listings(run.account, progress=progress)
    except StockroomError as error:
        run.status = SyncRunStatus.FAILED
        run.message = f"{error.message}. What was read before is kept; import again later or use Check API."
    else:
        read = result.created + result.updated + result.unchanged
        run.status = SyncRunStatus.PARTIAL if result.failed else SyncRunStatus.OK
        run.message = f"Imported listings: {result.created} new, {result.updated} updated, {result.unchanged} unchanged."
        if result.suggestions:
            run.message += f" {len(result.suggestions)} listing(s) can be linked by identical SKU."
        run.errors = [f"listing {sku!r} skipped: {why}" for sku, why in result.failed[:200]]
        run.progress_done = run.progress_total = read
    run.phase = ""
    run.finished_at = timezone.now()
    run.save()
    logger.info("listings import of account %s: %s", run.account.name, run.status)
    return run


# --- shipping mapping -------------------------------------------------------------------------------

# What the account screen offers: the connector's own list (the codes it sends as they are), then
# "Other", which needs the carrier's name.
AMAZON_CARRIER_CODES = (*CARRIER_CODES, "Other")
_CARRIERS_BY_LOWER = {code.lower(): code for code in AMAZON_CARRIER_CODES}


def carrier_codes(channel: str) -> tuple[str, ...]:
    return AMAZON_CARRIER_CODES if channel == AMAZON else ()


def _carrier(account: ChannelAccount, carrier_code, carrier_name, errors: list[str]) -> str:
    """The channel's own spelling of ``carrier_code``; problems go to ``errors``."""
    code = str(carrier_code or "").strip()
    if account.channel != AMAZON:
        return code
    if not code:
        errors.append("carrier code is required: pick one of Amazon's carrier codes, or Other")
    elif code.lower() not in _CARRIERS_BY_LOWER:
        errors.append(
            f"{code[:60]!r} is not one of Amazon's carrier codes: pick one from the list, or Other "
            "with the carrier's name"
        )
    else:
        code = _CARRIERS_BY_LOWER[code.lower()]
        if code == "Other" and not str(carrier_name or "").strip():
            errors.append("carrier code Other needs the carrier's name (Amazon requires it)")
    return code


def map_shipping_method(
    *,
    account: ChannelAccount,
    shipping_method: str,
    carrier_code: str,
    carrier_name: str = "",
    ship_method: str = "",
):
    """Map an internal shipping method to the account's carrier code and ship method."""
    name = str(carrier_name or "").strip()
    method = str(ship_method or "").strip()
    errors: list[str] = []
    code = _carrier(account, carrier_code, name, errors)
    if account.channel == AMAZON and not method:
        errors.append("ship method is required (e.g. Tracked 48, Standard, Express)")
    if not str(shipping_method or "").strip():
        errors.append("shipping method is required")
    if errors:
        raise InvalidInput("; ".join(errors), errors=errors)
    return channel_services.map_shipping_method(
        account=account,
        shipping_method=shipping_method,
        carrier_code=code,
        carrier_name=name,
        ship_method=method,
    )


def correct_refused_shipment(*, order_id: int, carrier_code: str = "", carrier_name: str = "", **correction):
    """``orders.services.correct_refused_shipment`` (``correction``: tracking number, shipping method,
    user) with the carrier checked against the channel's carriers ("" keeps the mapping's carrier)."""
    order = Order.objects.select_related("account").filter(pk=order_id).first()
    code = str(carrier_code or "").strip()
    if order is not None and order.account_id and code:
        errors: list[str] = []
        code = _carrier(order.account, code, carrier_name, errors)
        if errors:
            raise InvalidInput("; ".join(errors), errors=errors)
    return order_services.correct_refused_shipment(
        order_id=order_id, carrier_code=code, carrier_name=carrier_name if code else "", **correction
    )


# --- held shipments -----------------------------------------------------------------------------------

RELEASE_WARNING = (
    "Released confirmations are sent with their original ship dates, which may be older than "
    "Amazon accepts (it refuses ship dates too far in the past); those come back as errors to fix by hand."
)


def held_shipment_count(account: ChannelAccount) -> int:
    return ChannelShipment.objects.filter(account=account, status=ShipmentStatus.HELD).count()


def release_held(*, account: ChannelAccount, user=None) -> int:
    return release_held_shipments(account=account, user=user)


# --- summaries for interfaces ------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountSummary:
    id: int
    name: str
    channel: str
    enabled: bool
    seller_id: str
    region: str
    marketplaces: list[str]
    options: dict
    credentials: dict  # masked
    endpoint: str
    token_url: str
    last_check_at: str | None
    last_check_ok: bool | None
    last_check_message: str
    held_shipments: int = 0
    listings: int = 0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "extra"}


def account_summary(account: ChannelAccount) -> AccountSummary:
    return AccountSummary(
        id=account.pk,
        name=account.name,
        channel=account.channel,
        enabled=account.enabled,
        seller_id=account.external_account_id,
        region=account.region.upper(),
        marketplaces=marketplace_codes(account),
        options=effective_options(account),
        credentials=masked_credentials(account),
        endpoint=account.endpoint,
        token_url=account.token_url,
        last_check_at=account.last_check_at.isoformat() if account.last_check_at else None,
        last_check_ok=account.last_check_ok,
        last_check_message=account.last_check_message,
        held_shipments=held_shipment_count(account),
        listings=account.listings.count(),
    )


def default_endpoint(region: str) -> str:
    return REGION_ENDPOINTS.get(region, "")


def marketplace_choices() -> list[tuple[str, str, str]]:
    """(code, country, region) for forms."""
    return [(m.code, m.country, m.region) for m in MARKETPLACES.values()]
