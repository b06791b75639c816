"""Account operations that need a channel's knowledge or its connector.

Interfaces (CLI, web, API) call these and ``stockroom.channels.services``; nothing else. Nothing here
knows a channel: what an account of a channel is made of (credential fields, region and marketplaces
or a shop address, options and their parsers, carrier codes) is the channel's spec, declared by its
connector (``connectors/<channel>/spec.py``) and read through ``stockroom.sync.registry``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from stockroom.channels import services as channel_services
from stockroom.channels.contracts import ChannelError, CheckResult
from stockroom.channels.models import ChannelAccount
from stockroom.channels.spec import (
    COMMON_OPTIONS,
    ChannelSpec,
    InvalidOption,
    orders_since_moment,
)
from stockroom.core.crypto import mask_secret
from stockroom.core.errors import InvalidInput, StockroomError
from stockroom.orders import services as order_services
from stockroom.orders.models import ChannelShipment, Order, ShipmentStatus
from stockroom.orders.services import release_held_shipments
from stockroom.sync import selectors
from stockroom.sync.models import LISTINGS_STEP, SyncRun, SyncRunStatus, SyncTrigger
from stockroom.sync.registry import channel_keys, channel_name, channel_spec, connector_for

logger = logging.getLogger(__name__)


class ChannelRequestFailed(StockroomError):
    """The channel answered with an error (or not at all); ``message`` says why and what to do."""

    code = "channel_error"
    http_status = 502


@dataclass(frozen=True)
class AccountSaved:
    account: ChannelAccount
    warnings: tuple[str, ...] = ()


# --- the channel's spec -------------------------------------------------------------------------------


def spec_of(channel: str) -> ChannelSpec:
    """The spec of a registered channel; InvalidInput naming the channels there are otherwise."""
    try:
        return channel_spec(channel)
    except (LookupError, ImportError):
        known = ", ".join(channel_keys()) or "none"
        raise InvalidInput(f"unknown channel {str(channel)[:30]!r}: channels are {known}") from None


def channel_choices() -> list[tuple[str, str]]:
    """(key, display name) of every registered channel, for a channel picker."""
    return [(key, channel_name(key)) for key in channel_keys()]


# --- input cleaning -----------------------------------------------------------------------------------


@sensitive_variables()
def clean_secret(spec: ChannelSpec, key: str, value) -> tuple[str, str | None]:
    """Strip surrounding spaces from a pasted secret; say so, since a copy-paste slip is the usual cause."""
    credential = spec.credential(key)
    label = credential.label if credential else key
    text = str(value if value is not None else "")
    stripped = text.strip()
    if any(ord(ch) < 32 for ch in stripped) or any(ch.isspace() for ch in stripped):
        raise InvalidInput(f"{label} contains spaces or control characters inside it: paste it again")
    limit = credential.max_length if credential else 2000
    if len(stripped) > limit:
        raise InvalidInput(f"{label} is longer than {limit} characters")
    warning = None
    if stripped != text:
        warning = f"{label}: spaces or line breaks around the value were removed (copy-paste slip?)"
    return stripped, warning


@sensitive_variables()
def clean_credentials(spec: ChannelSpec, values: dict, *, required: bool) -> tuple[dict[str, str], list[str]]:
    """Clean each credential the spec declares; a blank one is an error when ``required`` (adding an
    account) and the field is required, else left out (the stored value is kept)."""
    credentials, warnings = {}, []
    for credential in spec.credentials:
        cleaned, warning = clean_secret(spec, credential.key, values.get(credential.key))
        if not cleaned:
            if required and credential.required:
                raise InvalidInput(f"{credential.label} is required")
            continue
        credentials[credential.key] = cleaned
        if warning:
            warnings.append(warning)
    return credentials, warnings


def clean_region(spec: ChannelSpec, region) -> str:
    regions = spec.addressing.regions
    if not regions:
        return ""
    code = str(region or "").strip().lower()
    if spec.addressing.region(code) is None:
        names = ", ".join(f"{r.code.upper()} ({r.name})" for r in regions)
        raise InvalidInput(f"unknown {spec.display_name} region {str(region)[:20]!r}: use {names}")
    return code


def clean_marketplaces(spec: ChannelSpec, codes, *, region: str) -> list[str]:
    """Marketplace codes (UK, DE ...) as typed, comma-separated or a list -> the ids stored."""
    addressing = spec.addressing
    if not addressing.has_marketplaces:
        return []
    if addressing.resolve_marketplaces is not None:
        try:
            return list(addressing.resolve_marketplaces(codes, region=region))
        except InvalidOption as error:
            raise InvalidInput(str(error)) from None
    if isinstance(codes, str):
        codes = [c for c in re.split(r"[,\s;]+", codes) if c]
    stored = []
    for code in codes or []:
        found = addressing.marketplace(code)
        if found is None:
            known = ", ".join(m.code for m in addressing.marketplaces)
            raise InvalidInput(f"unknown {spec.display_name} marketplace {str(code)[:20]!r}; known: {known}")
        if found.stored not in stored:
            stored.append(found.stored)
    if not stored:
        raise InvalidInput(f"name the {spec.display_name} marketplace of the account")
    if not addressing.many_marketplaces and len(stored) > 1:
        raise InvalidInput(
            f"{spec.display_name} accounts sell on one marketplace each: add one account per marketplace"
        )
    return stored


def clean_account_id(spec: ChannelSpec, value) -> str:
    field_ = spec.addressing.account_id
    text = str(value or "").strip()
    if field_.parse is not None:
        try:
            text = field_.parse(text)
        except InvalidOption as error:
            raise InvalidInput(str(error)) from None
    return text


def clean_url(value, *, field: str) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    if not re.match(r"^https?://[^\s/]+", text) or len(text) > 200:
        raise InvalidInput(f"{field} must be an http(s) URL such as http://127.0.0.1:8765, got {text[:80]!r}")
    return text.rstrip("/")


def marketplace_codes(account: ChannelAccount) -> list[str]:
    """Marketplace ids stored on the account -> the codes sellers know (UK, DE ...)."""
    try:
        addressing = channel_spec(account.channel).addressing
    except (LookupError, ImportError):
        return list(account.marketplaces)
    codes = []
    for stored in account.marketplaces:
        found = addressing.marketplace(stored)
        codes.append(found.code if found else stored)
    return codes


def masked_credentials(account: ChannelAccount) -> dict[str, str]:
    """Every credential the spec declares: secrets masked, others in full ("" when not stored)."""
    stored = account.credentials
    try:
        fields = spec_of(account.channel).credentials
    except InvalidInput:
        return {key: mask_secret(str(value)) for key, value in stored.items()}
    return {
        f.key: mask_secret(str(stored.get(f.key, ""))) if f.secret else str(stored.get(f.key, ""))
        for f in fields
    }


def credential_rows(account: ChannelAccount) -> list[tuple[str, str]]:
    """(label, value as shown) of each credential, in the spec's order."""
    masked = masked_credentials(account)
    try:
        fields = spec_of(account.channel).credentials
    except InvalidInput:
        return list(masked.items())
    return [(f.label, masked[f.key]) for f in fields]


# --- add / edit -----------------------------------------------------------------------------------


def _check_credentials(spec: ChannelSpec, credentials: dict) -> None:
    errors = spec.check_credentials(credentials) if spec.check_credentials is not None else []
    if errors:
        raise InvalidInput("; ".join(errors), errors=errors)


@sensitive_variables()
def add_account(
    *,
    channel: str,
    name: str,
    external_account_id: str,
    region: str = "",
    marketplaces=(),
    credentials: dict | None = None,
    endpoint: str = "",
    token_url: str = "",
    options: dict | None = None,
) -> AccountSaved:
    """Add an account of any registered channel, validated against the channel's spec."""
    spec = spec_of(channel)
    region = clean_region(spec, region)
    marketplace_ids = clean_marketplaces(spec, marketplaces, region=region)
    cleaned, warnings = clean_credentials(spec, credentials or {}, required=True)
    _check_credentials(spec, cleaned)
    account = channel_services.create_account(
        channel=spec.key,
        name=name,
        external_account_id=clean_account_id(spec, external_account_id),
        region=region,
        marketplaces=marketplace_ids,
        credentials=cleaned,
        options=validate_options(spec.key, options or {}, current={}),
        endpoint=clean_url(endpoint, field="endpoint"),
        token_url=clean_url(token_url, field="token URL"),
    )
    logger.info(
        "channel account %s added (%s %s, region %s)",
        account.name,
        spec.display_name,
        account.external_account_id,
        region or "-",
    )
    return AccountSaved(account, tuple(warnings))


@sensitive_variables()
def edit_account(
    *,
    account: ChannelAccount,
    external_account_id: str,
    region: str = "",
    marketplaces=(),
    credentials: dict | None = None,
    endpoint: str = "",
    token_url: str = "",
) -> AccountSaved:
    """Edit everything but the name and the channel; a secret left blank keeps the stored value."""
    spec = spec_of(account.channel)
    region = clean_region(spec, region)
    marketplace_ids = clean_marketplaces(spec, marketplaces, region=region)
    cleaned, warnings = clean_credentials(spec, credentials or {}, required=False)
    _check_credentials(spec, {**account.credentials, **cleaned})
    account = channel_services.update_account(
        account=account,
        external_account_id=clean_account_id(spec, external_account_id),
        region=region,
        marketplaces=marketplace_ids,
        credentials=cleaned,
        endpoint=clean_url(endpoint, field="endpoint"),
        token_url=clean_url(token_url, field="token URL"),
    )
    return AccountSaved(account, tuple(warnings))


# --- options -----------------------------------------------------------------------------------------


def orders_since(account: ChannelAccount) -> datetime | None:
    return orders_since_moment(account.options.get("download_orders_since") or "")


def option_defaults(channel: str) -> dict:
    """Every option of ``channel`` with its default; for a channel with no connector, the options
    every channel has."""
    try:
        return channel_spec(channel).option_defaults()
    except (LookupError, ImportError):
        return {o.key: o.default for o in COMMON_OPTIONS}


def option_help(channel: str) -> dict[str, str]:
    return {o.key: o.help for o in spec_of(channel).all_options}


def effective_options(account: ChannelAccount) -> dict:
    return {**option_defaults(account.channel), **account.options}


def validate_options(channel: str, values: dict, *, current: dict) -> dict:
    """The one place options are checked. Returns the cleaned values; raises InvalidInput listing
    every problem at once."""
    spec = spec_of(channel)
    errors, cleaned = [], {}
    for key, value in values.items():
        option = spec.option(str(key))
        if option is None:
            known = ", ".join(o.key for o in spec.all_options) or "none"
            errors.append(
                f"unknown option {str(key)[:40]!r} for {spec.display_name} accounts; options: {known}"
            )
            continue
        try:
            cleaned[option.key] = option.clean(value)
        except InvalidOption as error:
            errors.append(str(error))
    if not errors and spec.check_options is not None:
        errors += spec.check_options({**spec.option_defaults(), **current, **cleaned})
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
    if result.ok:
        result = _with_webhooks(account, result)
    channel_services.record_account_check(account=account, ok=result.ok, message=result.message)
    logger.info("check of account %s: %s", account.name, "ok" if result.ok else "failed")
    return result


def _with_webhooks(account: ChannelAccount, result: CheckResult) -> CheckResult:
    """A working account whose channel sends webhooks is subscribed to this server's address (when
    ``STOCKROOM_PUBLIC_URL`` is set), so its orders arrive as they happen; polling stays on."""
    from stockroom.sync import webhooks

    if not getattr(settings, "STOCKROOM_PUBLIC_URL", ""):
        return result
    try:
        added = webhooks.register_webhooks(account)
    except webhooks.WebhooksNotPossible as error:
        if "sends no webhooks" in error.message:
            return result
        return replace(result, warnings=(*result.warnings, f"Orders as they happen are off: {error.message}"))
    except ChannelError as error:
        return replace(result, warnings=(*result.warnings, f"Orders as they happen are off: {error.message}"))
    note = f" Webhooks registered ({', '.join(added).lower()})." if added else " Webhooks are registered."
    return replace(result, message=result.message + note)


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


def carrier_codes(channel: str) -> tuple[str, ...]:
    """The carrier codes the channel's spec offers (empty: any text)."""
    try:
        return channel_spec(channel).shipping.carrier_codes
    except (LookupError, ImportError):
        return ()


def carrier_spec(channel: str):
    try:
        return channel_spec(channel).shipping
    except (LookupError, ImportError):
        return None


def _carrier(account: ChannelAccount, carrier_code, carrier_name, errors: list[str]) -> str:
    """The channel's own spelling of ``carrier_code``; problems go to ``errors``."""
    try:
        spec = channel_spec(account.channel)
    except (LookupError, ImportError):
        return str(carrier_code or "").strip()
    code, problems = spec.shipping.carrier(carrier_code, carrier_name, channel_name=spec.display_name)
    errors += problems
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
    shipping = carrier_spec(account.channel)
    if shipping is not None and shipping.ship_method_required and not method:
        hint = f" ({shipping.ship_method_help})" if shipping.ship_method_help else ""
        errors.append(f"ship method is required{hint}")
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
    "Released confirmations are sent with their original ship dates, which may be older than the "
    "channel accepts; those come back as errors to fix by hand."
)


def release_warning(account: ChannelAccount) -> str:
    """What to know before letting held confirmations go, in the channel's words."""
    try:
        return channel_spec(account.channel).release_warning or RELEASE_WARNING
    except (LookupError, ImportError):
        return RELEASE_WARNING


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
        extra={"channel_name": channel_name(account.channel)},
    )


def marketplace_choices(channel: str) -> list[tuple[str, str, str]]:
    """(code, name, region) of the channel's marketplaces, for forms."""
    return [(m.code, m.name, m.region) for m in spec_of(channel).addressing.marketplaces]


def spec_description(spec: ChannelSpec) -> dict:
    """What an interface shows of a channel's spec (the API's /channels): plain JSON, no parsers."""
    addressing = spec.addressing
    return {
        "channel": spec.key,
        "name": spec.display_name,
        "authorization": spec.authorization.kind.value,
        "credentials": [
            {"key": c.key, "label": c.label, "secret": c.secret, "required": c.required, "help": c.help}
            for c in spec.credentials
        ],
        "addressing": {
            "kind": addressing.kind.value,
            "account_id": {"label": addressing.account_id.label, "help": addressing.account_id.help},
            "regions": [{"code": r.code, "name": r.name} for r in addressing.regions],
            "marketplaces": [
                {"code": m.code, "name": m.name, "region": m.region} for m in addressing.marketplaces
            ],
            "many_marketplaces": addressing.many_marketplaces,
        },
        "options": [
            {
                "key": o.key,
                "label": o.label,
                "help": o.help,
                "kind": o.kind.value,
                "default": o.default,
                "choices": [{"value": c.value, "label": c.label} for c in o.choices],
            }
            for o in spec.all_options
        ],
        "shipping": {
            "carrier_codes": list(spec.shipping.carrier_codes),
            "other_carrier_code": spec.shipping.other_carrier_code,
            "carrier_required": spec.shipping.carrier_required,
            "ship_method_required": spec.shipping.ship_method_required,
            "ship_method_label": spec.shipping.ship_method_label,
        },
        "order_sources": [{"value": c.value, "label": c.label} for c in spec.order_sources],
        "requires_tracking_number": spec.capabilities.requires_tracking_number,
    }


def channel_descriptions() -> list[dict]:
    return [spec_description(spec_of(key)) for key in channel_keys()]
