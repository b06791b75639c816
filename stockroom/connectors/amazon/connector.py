"""The Amazon channel connector: SP-API behind the ``ChannelConnector`` Protocol.

Reads orders (Orders API 2026-01-01, or scheduled order reports), confirms shipments (Orders v0
``confirmShipment``), pushes merchant-fulfilled quantities (``patchListingsItem`` for a few SKUs, one
``JSON_LISTINGS_FEED`` per 25,000 for many) and lists listings. Transport lives in ``client``,
requests in ``operations``, translations in ``mapping``.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import IO

import httpx

from stockroom.channels.contracts import (
    AccountConfig,
    AuthFailed,
    ChannelError,
    ChannelListing,
    CheckResult,
    ConnectorLifecycle,
    FailedRecord,
    OrderPage,
    Permanent,
    RateLimited,
    ShipmentConfirmation,
    StockUpdate,
    Transient,
    WriteOutcome,
    WriteStatus,
)
from stockroom.connectors.jsonbody import read_json

from . import mapping, positions
from . import operations as ops
from .client import Clock, Credentials, SpApiClient
from .marketplaces import (
    LWA_TOKEN_URL,
    MARKETPLACES,
    REGION_ENDPOINTS,
    UnknownMarketplace,
    marketplace_code,
    resolve_marketplaces,
)
from .notifications import OrderNotifications
from .spec import CREDENTIALS, DEFAULT_REPORT_PERIOD, ORDER_SOURCE_KEYS, REPORT_PERIOD_VALUES, SPEC

REPORT_TYPES = {
    "report_flat": "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING",
    "report_xml": "GET_ORDER_REPORT_DATA_SHIPPING",
}
# Report types with buyer names and addresses: getReportDocument needs a Restricted Data Token.
RESTRICTED_REPORT_TYPES = {"GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING", "GET_ORDER_REPORT_DATA_SHIPPING"}
MIN_AGE = timedelta(minutes=2, seconds=5)  # Amazon: lastUpdatedAfter/Before >= 2 minutes before now
MAX_WINDOW = timedelta(days=1)  # catch up at most a day of changes per run (searchOrders: 20 pages burst)
CATCH_UP_SLACK = timedelta(hours=6)  # a window up to MAX_WINDOW + this is read in one go
CATCH_UP_PAGE_BUDGET = 15  # searchOrders pages one run may read (burst 20: leave room for the next run)
FIRST_RUN_LOOKBACK = timedelta(days=7)
SECONDARY_LOOKBACK = timedelta(days=7)
SECONDARY_MAX_REPORTS = 24
CHECK_MAX_PAGES = 3
RDT_BATCH = 25  # report documents per Restricted Data Token
DOCUMENT_MAX_WAIT = 5.0  # getReportDocument allows one call a minute after its burst: stop, don't wait
# Stock: patchListingsItem shows a quantity within seconds but costs one call per SKU (5 a second);
# a JSON_LISTINGS_FEED takes up to 25,000 SKUs in three calls but Amazon processes it in minutes. By
# default a push is patched when its SKUs can all be patched within PATCH_WINDOW_SECONDS at the rate
# the limiter allows now, and sent as a feed otherwise; the ``patch_threshold`` option fixes the number
# instead (0: always a feed).
# 60 s, about 300 SKUs: whatever patches within a minute shows sooner than a feed, which Amazon takes
# minutes to process (the simulator about 90 s); a push after an order download brings tens to hundreds
PATCH_WINDOW_SECONDS = 60.0
PAGE_SIZE = 100
SPOOL_BYTES = 8 * 1024 * 1024  # a report document bigger than this is spooled to disk
FEED_CONTENT_TYPE = "application/json; charset=UTF-8"
CREDENTIAL_NAMES = {field.key: field.label for field in CREDENTIALS if field.required}  # the LWA ones
ORDER_SOURCES = ORDER_SOURCE_KEYS
REPORT_PERIODS = REPORT_PERIOD_VALUES


def _now() -> datetime:
    return datetime.now(UTC)


class _Garbled(Exception):
    """A downloaded document that is not what it claims to be (e.g. GZIP cut short)."""


EXCERPT_BYTES = 16 * 1024  # the start of an unreadable document kept in its sync issue
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _excerpt(handle: IO[bytes]) -> str:
    """The start of a document as text anyone can read and any database can store: bytes that are not
    UTF-8 and control characters (NUL...) written as escapes."""
    handle.seek(0)
    data = handle.read(EXCERPT_BYTES + 1)
    text = data[:EXCERPT_BYTES].decode("utf-8", errors="backslashreplace")
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    more = f"\n[... cut at {EXCERPT_BYTES:,} bytes]" if len(data) > EXCERPT_BYTES else ""
    return f"The document starts:\n{text}{more}"


def _report_cursor(cursor: str | None) -> tuple[str | None, dict[str, str]]:
    """Report mode's cursor: the ``createdTime`` up to which every report is settled, and the reports
    before it that could not be read (id -> createdTime), to be read again. A plain time is a cursor
    without such reports (what earlier versions stored)."""
    if not cursor or not cursor.startswith("{"):
        return cursor, {}
    try:
        data = json.loads(cursor)
        retry = {str(k): str(v) for k, v in dict(data.get("retry") or {}).items()}
        return (str(data["after"]) if data.get("after") else None), retry
    except (ValueError, TypeError, AttributeError, KeyError):
        return None, {}


def _report_cursor_text(after: str, retry: dict[str, str]) -> str:
    if not retry:
        return after
    return json.dumps({"after": after, "retry": retry}, sort_keys=True, separators=(",", ":"))


def _records(failed) -> tuple[FailedRecord, ...]:
    """The mapping's (order id, why, raw text) of records it could not read, as the contract's records."""
    return tuple(FailedRecord(str(ref), str(why), str(raw)) for ref, why, raw in failed)


class AmazonConnector(OrderNotifications, ConnectorLifecycle):
    channel = "amazon"
    max_stock_batch = mapping.FEED_MAX_MESSAGES  # one JSON_LISTINGS_FEED per push_stock call
    spec = SPEC  # what an Amazon account is made of (credentials, marketplaces, options, carriers)
    capabilities = SPEC.capabilities  # confirmShipment needs a tracking number

    def __init__(
        self, config: AccountConfig, *, http: httpx.Client | None = None, clock: Clock | None = None
    ) -> None:
        self.config = config
        self.region = (config.region or "").strip().lower()
        self.seller_id = (config.external_account_id or "").strip()
        self.options = dict(config.options or {})
        self._http = http
        self._clock = clock
        self._client: SpApiClient | None = None

    def close(self) -> None:
        """Close the HTTP client (the engine does, at the end of every run; safe to call again)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        self.close_order_pushes()

    # ------------------------------------------------------------------ plumbing
    @property
    def client(self) -> SpApiClient:
        if self._client is None:
            creds = self.config.credentials or {}
            missing = [
                label for key, label in CREDENTIAL_NAMES.items() if not str(creds.get(key) or "").strip()
            ]
            if missing:
                raise AuthFailed(
                    "the account has no " + ", ".join(missing) + ": add it in the account settings"
                )
            endpoint = self.config.endpoint or REGION_ENDPOINTS.get(self.region, "")
            if not endpoint:
                raise Permanent(f"unknown Amazon region {self.config.region!r}: use NA, EU or FE")
            self._client = SpApiClient(
                endpoint=endpoint,
                token_url=self.config.token_url or LWA_TOKEN_URL,
                credentials=Credentials(
                    str(creds["client_id"]), str(creds["client_secret"]), str(creds["refresh_token"])
                ),
                seller_key=f"{endpoint}|{self.seller_id or self.config.account_id}",
                token_cache=self.config.token_cache,
                http=self._http,
                clock=self._clock,
            )
        return self._client

    def _marketplaces(self):
        try:
            return resolve_marketplaces(self.config.marketplaces, region=self.region)
        except UnknownMarketplace as exc:
            raise Permanent(str(exc)) from None

    def _marketplace_ids(self) -> list[str]:
        return [m.marketplace_id for m in self._marketplaces()]

    def _default_marketplace(self) -> str:
        found = self._marketplaces()
        return found[0].code if len(found) == 1 else ""

    def _marketplace_id(self, value: str) -> str:
        text = (value or "").strip()
        if not text:
            return self._marketplace_ids()[0]
        code = "UK" if text.upper() == "GB" else text.upper()
        return MARKETPLACES[code].marketplace_id if code in MARKETPLACES else text

    def _spaced_credentials(self) -> list[str]:
        creds = self.config.credentials or {}
        spaced = [
            label
            for key, label in CREDENTIAL_NAMES.items()
            if isinstance(creds.get(key), str) and creds[key] != creds[key].strip()
        ]
        if self.config.external_account_id != self.seller_id:
            spaced.append("merchant token (seller id)")
        return spaced

    # ------------------------------------------------------------------ check
    def check(self, *, orders_since: datetime | None) -> CheckResult:
        """Token exchange + getMarketplaceParticipations + a seller-id probe + a count of waiting orders."""
        spaced = self._spaced_credentials()
        space_hint = (
            " Note: the "
            + " and the ".join(spaced)
            + " start or end with a space; copy them again without it."
            if spaced
            else ""
        )
        try:
            configured = self._marketplaces()
            client = self.client
        except ChannelError as exc:
            return CheckResult(False, exc.message + "." + space_hint)
        try:
            client.access_token()
            participations = ops.get_marketplace_participations(client).payload
        except AuthFailed as exc:
            return CheckResult(False, exc.message + "." + space_hint)
        except RateLimited as exc:
            return CheckResult(
                False,
                f"Amazon limits how often an account can be checked; try again in {exc.retry_after:.0f} s.",
            )
        except ChannelError as exc:
            return CheckResult(
                False,
                f"Amazon could not be reached ({exc.message}). Check the endpoint "
                f"({self.client.endpoint}) and token URL ({self.client.token_url}), or try again in a few "
                "minutes.",
            )
        participating = [p.marketplace.id for p in participations if p.participation.is_participating]
        codes = tuple(marketplace_code(mp) for mp in participating)
        missing = [m.code for m in configured if m.marketplace_id not in participating]
        if missing:
            return CheckResult(
                False,
                f"The seller does not sell on {', '.join(missing)}, or the app was not authorised for it. "
                f"This seller participates in: {', '.join(codes) or 'no marketplace'}. Remove "
                f"{', '.join(missing)} from the account or authorise the app there." + space_hint,
                marketplaces=codes,
            )
        if not self.seller_id:
            return CheckResult(False, "Enter the merchant token (seller id) shown in Seller Central.", codes)
        try:
            ops.search_listings_items(
                client, seller_id=self.seller_id, marketplace_ids=[configured[0].marketplace_id], page_size=1
            )
        except (AuthFailed, Permanent) as exc:
            return CheckResult(
                False,
                f"The merchant token (seller id) {self.seller_id!r} does not belong to the seller who authorised "
                f"this app (Amazon said: {exc.message}). Copy it from Seller Central > Settings > Account Info."
                + space_hint,
                marketplaces=codes,
            )
        except ChannelError as exc:
            return CheckResult(False, f"Amazon could not be reached ({exc.message}); try again later.", codes)
        warnings = [f"the {label} has a leading or trailing space" for label in spaced]
        waiting, more = None, False
        try:
            waiting, more = self._count_waiting(orders_since)
            if more:
                warnings.append(f"more than {waiting} orders are waiting; the count stopped there")
        except ChannelError as exc:
            warnings.append(f"could not count waiting orders: {exc.message}")
        source = self.options.get("order_source") or "orders_api"
        if source in REPORT_TYPES and self._secondary():
            try:
                if not ops.get_report_schedules(client, self._report_type(source)):
                    warnings.append(
                        f"no {self._report_type(source)} schedule exists: the primary integration must schedule "
                        "it, or turn secondary integration off"
                    )
            except ChannelError:
                pass
        message = f"Connected to Amazon as seller {self.seller_id} on {', '.join(codes)}."
        if waiting is not None:
            noun = "order report document" if source != "orders_api" else "order"
            plural = "" if waiting == 1 and not more else "s"
            message += f" {waiting}{'+' if more else ''} {noun}{plural} to download."
        return CheckResult(True, message, codes, waiting, tuple(warnings))

    def _count_waiting(self, since: datetime | None) -> tuple[int, bool]:
        start = self._start(None, since, lookback=timedelta(days=30))
        source = self.options.get("order_source") or "orders_api"
        if source != "orders_api":
            report_type = self._report_type(source)
            reports = self._list_reports(report_type, start)
            return sum(1 for r in reports if r.processing_status == "DONE"), False
        after = min(start, _now() - MIN_AGE)
        count, token, pages = 0, None, 0
        while True:
            resp = ops.search_orders(
                self.client,
                marketplace_ids=self._marketplace_ids(),
                last_updated_after=mapping.iso_z(after),
                pagination_token=token,
            )
            # an order bought before the cut-off is never imported, whatever its later updates
            count += sum(1 for raw in resp.orders if _bought_since(raw, since))
            pages += 1
            token = resp.pagination.next_token if resp.pagination else None
            if not token:
                return count, False
            if pages >= CHECK_MAX_PAGES:
                return count, True

    # ------------------------------------------------------------------ orders
    def fetch_orders(self, *, cursor: str | None, since: datetime | None) -> Iterator[OrderPage]:
        """Pages of orders changed since ``cursor`` (or, on a first run, since ``since``).

        ``since`` is the account's cut-off ("Do not download orders prior to"), given on every run:
        orders bought before it may still come (the engine leaves them out), but a secondary
        integration does not read reports created before it.

        Orders API: every page carries the position after it (``positions``: Amazon's
        ``lastUpdatedBefore`` of the last window read completely, the newest order stored and, inside a
        window, the next page's token), so a run stopped half-way resumes at the next page; each run
        re-reads ``positions.OVERLAP`` before it, bounded by ``positions.OVERLAP_MARGIN`` before the
        newest order stored. Report mode: only the last page (``done=True``) carries a cursor, the
        ``createdTime`` of the newest report up to which every report is settled (a report still
        processing holds it back).
        """
        source = self.options.get("order_source") or "orders_api"
        if source == "orders_api":
            yield from self._fetch_from_api(cursor, since)
        elif source in REPORT_TYPES:
            yield from self._fetch_from_reports(source, cursor, since)
        else:
            raise Permanent(f"unknown order source {source!r}: use one of {', '.join(ORDER_SOURCES)}")

    def _start(self, cursor: str | None, since: datetime | None, *, lookback: timedelta) -> datetime:
        if cursor:
            try:
                parsed = mapping.parse_time(cursor, field="cursor")
            except mapping.MappingError:
                parsed = None
            if parsed:
                return parsed
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)  # the contract says aware UTC; be lenient with naive values
        return since or (_now() - lookback)

    def _fetch_from_api(self, cursor: str | None, since: datetime | None) -> Iterator[OrderPage]:
        """Windows of at most MAX_WINDOW from the stored position up to Amazon's bound, within one page
        budget; every page carries the position after it (``positions``).

        A first sync (7 days back) or a catch-up after downtime reads window after window in the same
        run, so orders show at once instead of a day per run; past CATCH_UP_PAGE_BUDGET pages the run
        ends with the cursor at the last window read completely, and the next run carries on. A run
        stopped inside a window (rate-limited) leaves the window's next-page token in the position: the
        next run reads on from there, or, with the token too old or refused, queries again from just
        before the newest order stored (pages in time order) or from the window's start.
        """
        position = positions.decode(cursor) or positions.Position(
            until=self._start(None, since, lookback=FIRST_RUN_LOOKBACK)
        )
        latest = _now() - MIN_AGE
        marketplace_ids = self._marketplace_ids()
        token = position.usable_token(_now())
        if position.window is None:
            window = self._window(min(position.overlap_start(), latest), latest)
        elif token is None:
            window = positions.Window(
                after=min(position.window.resume_after(), latest), before=position.window.before
            )
        else:
            window = position.window
        pages_read = 0
        while True:
            while True:
                if token is None:
                    resp = ops.search_orders(
                        self.client,
                        marketplace_ids=marketplace_ids,
                        last_updated_after=mapping.iso_z(window.after),
                        last_updated_before=mapping.iso_z(window.before) if window.before else None,
                    )
                else:
                    try:
                        resp = ops.search_orders(
                            self.client, marketplace_ids=marketplace_ids, pagination_token=token
                        )
                    except AuthFailed:
                        raise
                    except Permanent as error:
                        if error.status != 400:
                            raise
                        # the token expired or was refused: pick the window up with a fresh query
                        token = None
                        window = positions.Window(
                            after=min(window.resume_after(), latest), before=window.before
                        )
                        continue
                pages_read += 1
                window = dataclasses.replace(
                    window, bound=window.bound or self._bound(resp.last_updated_before)
                ).read(positions.updated_times(resp.orders))
                orders, failed = mapping.orders_from_api(resp.orders)
                token = resp.pagination.next_token if resp.pagination else None
                last = position.with_last(window.high)
                if token:
                    window = dataclasses.replace(window, token=token, issued=_now())
                    position = positions.Position(until=position.until, last=last, window=window)
                    yield OrderPage(tuple(orders), position.encode(), _records(failed), done=False)
                    continue
                break
            window_end = self._next_cursor(window.bound, position.until, latest)
            position = positions.Position(until=window_end, last=last)
            if window.before is None or pages_read >= CATCH_UP_PAGE_BUDGET:
                yield OrderPage(tuple(orders), position.encode(), _records(failed), done=True)
                return
            yield OrderPage(tuple(orders), position.encode(), _records(failed), done=False)
            window = self._window(window_end, latest)  # catching up: the next window straight on

    @staticmethod
    def _window(after: datetime, latest: datetime) -> positions.Window:
        before = after + MAX_WINDOW if latest - after > MAX_WINDOW + CATCH_UP_SLACK else None
        return positions.Window(after=after, before=before)

    @staticmethod
    def _bound(value: str | None) -> datetime | None:
        try:
            return mapping.parse_time(value, field="lastUpdatedBefore") if value else None
        except mapping.MappingError:
            return None

    @staticmethod
    def _next_cursor(bound: datetime | None, start: datetime, latest: datetime) -> datetime:
        """Where a window read completely leaves ``until``: Amazon's bound (or ours), never before the start."""
        return max(bound or latest, start)

    # -- report mode
    def _report_type(self, source: str) -> str:
        return str(self.options.get("report_type") or REPORT_TYPES[source])

    def _list_reports(self, report_type: str, since: datetime) -> list:
        since = max(since, _now() - timedelta(days=89))  # Amazon keeps reports for 90 days
        reports, token = [], None
        while True:
            resp = ops.get_reports(
                self.client,
                report_types=[report_type],
                created_since=mapping.iso_z(since),
                next_token=token,
            )
            reports.extend(resp.reports)
            token = resp.next_token
            if not token:
                break
        reports.sort(key=lambda r: (mapping.parse_time(r.created_time, field="createdTime"), r.report_id))
        return reports

    def _secondary(self) -> bool:
        return str(self.options.get("secondary_integrated", "")).lower() in ("1", "true", "yes", "on")

    def _ensure_schedule(self, report_type: str) -> None:
        period = str(self.options.get("report_period") or DEFAULT_REPORT_PERIOD)
        if period not in REPORT_PERIODS:
            raise Permanent(f"report period {period!r} is not one of {', '.join(REPORT_PERIODS)}")
        wanted = set(self._marketplace_ids())
        for schedule in ops.get_report_schedules(self.client, report_type):
            if schedule.period == period and set(schedule.marketplace_ids) == wanted:
                return
        # a new schedule replaces the one with another period (same type and marketplaces)
        ops.create_report_schedule(
            self.client, report_type=report_type, marketplace_ids=sorted(wanted), period=period
        )

    def _fetch_from_reports(
        self, source: str, cursor: str | None, since: datetime | None
    ) -> Iterator[OrderPage]:
        """The reports since the cursor, oldest first, each streamed page by page (download to a file,
        gunzip, decode, parse, import: memory stays flat whatever a report's size).

        A report that cannot be read (cut short, garbled, not an order report, no encoding) is refused
        whole before any of its orders is yielded: it goes to ``OrderPage.unreadable`` (a sync issue)
        and to the cursor's retry list, so the reports after it are read and the cursor moves on; it is
        downloaded again on every run until it reads completely (then ``documents_read`` names it) or
        Amazon no longer keeps it.
        """
        report_type = self._report_type(source)
        secondary = self._secondary()
        if not secondary:  # a secondary integration reads the primary integration's reports
            self._ensure_schedule(report_type)
        after, retry = _report_cursor(cursor)
        start = self._start(after, since, lookback=SECONDARY_LOOKBACK)
        # the plan: (report to read or None, cursor once it is settled or None while one is still processing)
        plan: list[tuple[object | None, str | None]] = []
        final_cursor = None
        gone: list[str] = []
        if secondary:
            # a report created before the cut-off holds only orders bought before it: not wanted
            cut_off = self._start(None, since, lookback=SECONDARY_LOOKBACK)
            reports = self._list_reports(report_type, max(_now() - SECONDARY_LOOKBACK, cut_off))
            done = [r for r in reports if r.processing_status == "DONE" and r.report_document_id]
            done = done[-SECONDARY_MAX_REPORTS:][::-1]  # newest first: a run cut short has read the newest
            plan = [(r, None) for r in done]
            final_cursor = done[0].created_time if done else None
        else:
            blocked = False
            listed_since = min([start, *(mapping.parse_time(c, field="createdTime") for c in retry.values())])
            listed = set()
            for report in self._list_reports(report_type, listed_since):
                created = mapping.parse_time(report.created_time, field="createdTime")
                if created > start or not after:
                    listed.add(report.report_id)
                readable = report.processing_status == "DONE" and report.report_document_id
                if after and created <= start:
                    if report.report_id in retry and readable:  # unreadable then: try it again
                        plan.append((report, None))
                        listed.add(report.report_id)
                    continue  # read in an earlier run
                if report.processing_status in ("IN_QUEUE", "IN_PROGRESS"):
                    blocked = True
                    continue
                plan.append((report if readable else None, None if blocked else mapping.iso_z(created)))
            gone = [report_id for report_id in retry if report_id not in listed]
        restricted = [
            r.report_document_id
            for r, _ in plan
            if r is not None and r.report_type in RESTRICTED_REPORT_TYPES
        ]
        rdts = RestrictedTokens(self.client, restricted)
        retry_before = dict(retry)
        previous: OrderPage | None = None
        read_any = False
        for report_id in gone:
            retry.pop(report_id)
            if previous is not None:
                yield previous
            previous = OrderPage(
                (),
                None,
                done=False,
                unreadable=(
                    FailedRecord(
                        f"report {report_id}",
                        f"order report {report_id} could not be read and Amazon no longer offers it (reports "
                        "are kept 90 days): check its orders in Seller Central",
                    ),
                ),
            )
        for report, settled in plan:
            if report is not None:
                try:
                    opened = self._open_report(report, rdts)
                except RateLimited:
                    if not read_any and final_cursor is None:
                        raise
                    break  # Amazon's quota for documents is spent: the rest in the next run
                read_any = True
                ref = f"report {report.report_id}"
                if isinstance(opened, OrderPage):  # unreadable: kept for a retry, the next report goes on
                    retry[report.report_id] = report.created_time
                    page = opened
                    if previous is not None:
                        yield previous
                    previous = page
                else:
                    retry.pop(report.report_id, None)
                    last = None
                    for page in self._report_pages(report, *opened):
                        if previous is not None:
                            yield previous
                        previous, last = page, page
                    if last is None:
                        if previous is not None:
                            yield previous
                        previous = OrderPage((), None, done=False)
                    previous = dataclasses.replace(previous, documents_read=(*previous.documents_read, ref))
            if settled is not None:
                final_cursor = settled
        next_cursor = final_cursor
        if not secondary and (retry or retry_before):
            if next_cursor is None and retry != retry_before:
                next_cursor = after or mapping.iso_z(start - timedelta(seconds=1))
            if next_cursor is not None:
                next_cursor = _report_cursor_text(next_cursor, retry)
        if previous is None:
            yield OrderPage((), next_cursor, done=True)
        else:
            yield dataclasses.replace(previous, next_cursor=next_cursor, done=True)

    def _open_report(self, report, rdts: RestrictedTokens):
        """Download the report's document and check it whole (``mapping.check_*_report``). Returns
        (file, content type, kind) to read, or, when it cannot be read, an ``OrderPage`` naming it in
        ``unreadable`` with the reason and the start of the document."""
        kind = mapping.report_kind(report.report_type)
        japanese = any(m.code == "JP" for m in self._marketplaces())
        ref = f"report {report.report_id}"
        where = (
            f"order report {report.report_id} (type {report.report_type}, created {report.created_time}, "
            f"document {report.report_document_id})"
        )
        try:
            handle, content_type = self._download_report(report.report_document_id, report.report_type, rdts)
        except _Garbled as exc:
            message = f"{where} could not be read ({exc}); it is downloaded again on the next runs"
            return OrderPage(
                (), None, done=False, unreadable=(FailedRecord(ref, message, f"{where}\n{exc}\n"),)
            )
        try:
            if kind == "xml":
                mapping.check_xml_report(handle)
            else:
                mapping.check_flat_report(handle, content_type=content_type, japanese=japanese)
        except mapping.DocumentError as exc:
            excerpt = _excerpt(handle)
            handle.close()
            message = f"{where} could not be read ({exc}); it is downloaded again on the next runs"
            raw = f"{where}\n{exc}\nContent-Type: {content_type or '(none)'}\n\n{excerpt}"
            return OrderPage((), None, done=False, unreadable=(FailedRecord(ref, message, raw),))
        except BaseException:
            handle.close()
            raise
        return handle, content_type, kind

    def _report_pages(self, report, handle: IO[bytes], content_type: str, kind: str) -> Iterator[OrderPage]:
        """The report's orders, read from its checked file as a stream, page by page."""
        japanese = any(m.code == "JP" for m in self._marketplaces())
        # the XML shipping report names no marketplace: the report's own, when it covers one
        ids = report.marketplace_ids
        default = marketplace_code(ids[0]) if len(ids) == 1 else self._default_marketplace()
        with handle:
            try:
                for orders, failed in mapping.report_pages(
                    handle,
                    default_marketplace=default,
                    content_type=content_type,
                    japanese=japanese,
                    page_size=PAGE_SIZE,
                    kind=kind,
                ):
                    yield OrderPage(tuple(orders), None, _records(failed), done=False)
            except mapping.DocumentError as exc:  # the file changed under us: checked whole just before
                raise Transient(
                    f"order report {report.report_id} could not be read ({exc}); it will be downloaded again "
                    "and the order cursor stays before it"
                ) from None

    def _download_report(
        self, document_id: str, report_type: str, rdts: RestrictedTokens
    ) -> tuple[IO[bytes], str]:
        """The report document in a spooled temporary file (in memory up to a few MB, then on disk),
        gunzipped in chunks when it is GZIP. A document that is not the GZIP it claims raises ``_Garbled``."""
        rdt = rdts.token_for(document_id) if report_type in RESTRICTED_REPORT_TYPES else None
        document = ops.get_report_document(self.client, document_id, rdt=rdt, max_wait=DOCUMENT_MAX_WAIT)
        raw = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        try:
            content_type = self.client.download_to(document.url, raw)
            raw.seek(0)
            if (document.compression_algorithm or "").upper() != "GZIP" and raw.read(2) != b"\x1f\x8b":
                raw.seek(0)
                return raw, content_type
            raw.seek(0)
            plain = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
            try:
                with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                    shutil.copyfileobj(unzipped, plain, mapping.REPORT_CHUNK)
            except (OSError, EOFError, zlib.error):
                plain.close()
                raise _Garbled("the document is not valid GZIP: cut short or garbled") from None
            plain.seek(0)
            raw.close()
            return plain, content_type
        except BaseException:
            raw.close()
            raise

    # ------------------------------------------------------------------ shipments
    def confirm_shipments(self, shipments: Sequence[ShipmentConfirmation]) -> list[WriteOutcome]:
        """One ``confirmShipment`` per shipment (= one package); outcome key = external order id.

        The package reference comes from the shipment, so a retry sends the same packageReferenceId and
        Amazon's "already used" answer for it counts as confirmed.
        """
        return _write_each(shipments, lambda s: s.external_order_id, self._confirm_one)

    def _confirm_one(self, shipment: ShipmentConfirmation) -> WriteOutcome:
        key = shipment.external_order_id
        try:
            body = mapping.confirm_shipment_body(shipment, self._marketplace_id(shipment.marketplace))
        except (mapping.MappingError, ValueError) as exc:
            return WriteOutcome(key, WriteStatus.ERROR, str(exc))
        ref = body["packageDetail"]["packageReferenceId"]
        try:
            ops.confirm_shipment(self.client, key, body)
        except AuthFailed:
            raise
        except Permanent as exc:
            if _duplicate_package(exc.message, ref):
                return WriteOutcome(
                    key, WriteStatus.CONFIRMED, f"package {ref} was already confirmed", submission_ref=ref
                )
            return WriteOutcome(key, WriteStatus.ERROR, exc.message, submission_ref=ref)
        except ChannelError as exc:
            return WriteOutcome(key, WriteStatus.ERROR, exc.message, submission_ref=ref, retryable=True)
        return WriteOutcome(key, WriteStatus.CONFIRMED, "", submission_ref=ref)

    # ------------------------------------------------------------------ stock
    def push_stock(self, updates: Sequence[StockUpdate]) -> list[WriteOutcome]:
        """Up to ``patch_limit()`` SKUs: ``patchListingsItem`` each (confirmed/error now). More: one
        ``JSON_LISTINGS_FEED`` per 25,000 SKUs, outcomes "pending" with
        ``submission_ref = "<feedId>/<messageId>/<SKU>"`` — pass these refs to ``collect_stock_results``.
        FBA listings (``fulfilled_by_channel``) are never sent: Amazon owns their quantity.
        """
        outcomes: list[WriteOutcome] = []
        merchant = []
        latest = {u.channel_sku: u for u in updates}  # one value per SKU: the last one given
        for update in dict.fromkeys(latest.values()):
            if update.fulfilled_by_channel:
                outcomes.append(
                    WriteOutcome(
                        update.channel_sku,
                        WriteStatus.ERROR,
                        "fulfilled by Amazon (FBA): Amazon manages this quantity, Stockroom did not send it",
                        quantity=update.quantity,
                    )
                )
            elif update.quantity < 0:
                outcomes.append(
                    WriteOutcome(update.channel_sku, WriteStatus.ERROR, "quantity below 0 not sent")
                )
            else:
                merchant.append(update)
        if not merchant:
            return outcomes
        if len(merchant) <= self.patch_limit():
            return outcomes + self._patch(merchant)
        for n in range(0, len(merchant), mapping.FEED_MAX_MESSAGES):
            outcomes += self._submit_feed(merchant[n : n + mapping.FEED_MAX_MESSAGES])
        return outcomes

    def patch_limit(self) -> int:
        """The most SKUs one push sends by ``patchListingsItem``; more go in a feed.

        The account's ``patch_threshold`` when set (0: never patch, always a feed); otherwise as many
        as the patch rate limit lets through within ``PATCH_WINDOW_SECONDS`` from now, so a push
        never waits long for patches and never outruns Amazon's limit.
        """
        configured = self.options.get("patch_threshold")
        if configured is not None and str(configured).strip() != "":
            return int(configured)
        try:
            client = self.client
        except ChannelError:
            return 0  # no credentials: each SKU is refused alike, by patch or by feed
        return client.capacity("patchListingsItem", within=PATCH_WINDOW_SECONDS)

    def _patch(self, updates: Sequence[StockUpdate]) -> list[WriteOutcome]:
        return _write_each(updates, lambda u: u.channel_sku, self._patch_one)

    def _patch_one(self, update: StockUpdate) -> WriteOutcome:
        sku = update.channel_sku
        try:
            answer = ops.patch_listings_item(
                self.client,
                seller_id=self.seller_id,
                sku=sku,
                marketplace_ids=self._marketplace_ids(),
                body=mapping.patch_listings_item_body(
                    update.quantity, str(self.options.get("product_type") or "PRODUCT")
                ),
            )
        except AuthFailed:
            raise
        except Permanent as exc:
            return WriteOutcome(sku, WriteStatus.ERROR, exc.message, quantity=update.quantity)
        except ChannelError as exc:
            return WriteOutcome(sku, WriteStatus.ERROR, exc.message, retryable=True, quantity=update.quantity)
        return mapping.patch_outcome(sku, answer, update.quantity)

    def _submit_feed(self, updates: Sequence[StockUpdate]) -> list[WriteOutcome]:
        messages = mapping.listings_feed_messages([(u.channel_sku, u.quantity) for u in updates])
        document = mapping.build_listings_feed(
            self.seller_id, messages, product_type=str(self.options.get("product_type") or "PRODUCT")
        )
        try:
            target = ops.create_feed_document(self.client, FEED_CONTENT_TYPE)
            self.client.upload(target.url, document, FEED_CONTENT_TYPE)
            feed_id = ops.create_feed(
                self.client,
                feed_type="JSON_LISTINGS_FEED",
                marketplace_ids=self._marketplace_ids(),
                document_id=target.feed_document_id,
            )
        except ChannelError as exc:
            retry = not isinstance(exc, Permanent) or isinstance(exc, AuthFailed)
            return [
                WriteOutcome(m.sku, WriteStatus.ERROR, exc.message, retryable=retry, quantity=m.quantity)
                for m in messages
            ]
        return [
            WriteOutcome(
                m.sku,
                WriteStatus.PENDING,
                f"sent in feed {feed_id}",
                submission_ref=f"{feed_id}/{m.message_id}/{m.sku}",
                quantity=m.quantity,
            )
            for m in messages
        ]

    def collect_stock_results(self, submission_refs: Sequence[str]) -> list[WriteOutcome]:
        """Results of feeds sent by ``push_stock``.

        Each ref is ``"<feedId>/<messageId>/<SKU>"`` as returned in the pending outcome (messageId = the
        SKU's 1-based position in the feed document), so the SKU of every message is recovered from the
        ref alone: the engine keeps nothing but the refs. Feeds still IN_QUEUE/IN_PROGRESS give nothing
        yet; DONE gives one outcome per SKU (key = SKU, submission_ref = the ref) from the processing
        report; FATAL/CANCELLED give an error for every SKU of the feed. A bare feed id yields outcomes
        only for SKUs the processing report names.
        """
        feeds: dict[str, list[tuple[int, str, str]]] = {}
        for ref in submission_refs:
            feed_id, _, rest = str(ref).partition("/")
            message_id, _, sku = rest.partition("/")
            entries = feeds.setdefault(feed_id, [])
            if message_id.isdigit() and sku:
                entries.append((int(message_id), sku, ref))
        outcomes: list[WriteOutcome] = []
        for feed_id, messages in feeds.items():
            try:
                outcomes += self._feed_results(feed_id, messages)
            except AuthFailed:
                raise
            except Permanent as exc:
                outcomes += [
                    WriteOutcome(sku, WriteStatus.ERROR, exc.message, ref) for _, sku, ref in messages
                ]
            except ChannelError:
                continue  # not readable now: nothing yet, asked again next run
        return outcomes

    def _feed_results(self, feed_id: str, messages: list[tuple[int, str, str]]) -> list[WriteOutcome]:
        feed = ops.get_feed(self.client, feed_id)
        status = feed.processing_status.upper()
        if status in ("IN_QUEUE", "IN_PROGRESS"):
            return []
        report = None
        if feed.result_feed_document_id:
            document = ops.get_feed_document(self.client, feed.result_feed_document_id)
            data, _ = self.client.download(document.url)
            data = _gunzip(
                data,
                declared=(document.compression_algorithm or "").upper() == "GZIP",
                what=f"processing report of feed {feed_id}",
            )
            try:
                report = read_json(data.decode("utf-8-sig"))
            except ValueError:  # not UTF-8 (UnicodeDecodeError) or not JSON
                if status == "DONE":
                    raise Transient(f"the processing report of feed {feed_id} is not valid JSON") from None
        if status == "DONE":
            if not messages:  # a bare feed id: only the SKUs the report names can be told
                named = {
                    (i.get("messageId") or 0, i.get("sku"))
                    for i in (report or {}).get("issues", [])
                    if isinstance(i, dict) and i.get("sku")
                }
                return mapping.feed_outcomes(
                    report or {}, [(mid, sku, feed_id) for mid, sku in sorted(named)]
                )
            return mapping.feed_outcomes(report or {}, messages)
        reason = ""
        if isinstance(report, dict):
            reason = "; ".join(
                str(i.get("message", "")) for i in report.get("issues", [])[:3] if isinstance(i, dict)
            )
        text = f"feed {feed_id} ended {status}" + (f": {reason}" if reason else "")
        return [WriteOutcome(sku, WriteStatus.ERROR, text, ref, retryable=True) for _, sku, ref in messages]

    # ------------------------------------------------------------------ listings
    def list_listings(self) -> Iterator[ChannelListing]:
        marketplace_ids = self._marketplace_ids()
        default = self._default_marketplace()
        token = None
        while True:
            resp = ops.search_listings_items(
                self.client, seller_id=self.seller_id, marketplace_ids=marketplace_ids, page_token=token
            )
            for raw in resp.items:
                try:
                    yield mapping.listing_from_item(raw, default_marketplace=default)
                except mapping.MappingError:
                    continue
            token = resp.pagination.next_token if resp.pagination else None
            if not token:
                return


class RestrictedTokens:
    """Restricted Data Tokens for report documents (they carry buyer addresses): one token covers up to
    ``RDT_BATCH`` documents, asked for when the first of them is read."""

    def __init__(self, client: SpApiClient, document_ids: Sequence[str]) -> None:
        self.client = client
        self.document_ids = list(document_ids)
        self.tokens: dict[str, str] = {}

    def token_for(self, document_id: str) -> str:
        if document_id not in self.tokens:
            position = self.document_ids.index(document_id) if document_id in self.document_ids else -1
            batch = self.document_ids[position : position + RDT_BATCH] if position >= 0 else [document_id]
            try:
                token = ops.create_restricted_data_token(
                    self.client, [f"/reports/2021-06-30/documents/{d}" for d in batch]
                )
            except AuthFailed as exc:
                raise AuthFailed(
                    "the app may not read order reports with buyer addresses: it needs the restricted "
                    f"Direct-to-Consumer Shipping role ({exc.message})"
                ) from None
            self.tokens.update(dict.fromkeys(batch, token))
        return self.tokens[document_id]


def _write_each(items, key_of, send) -> list[WriteOutcome]:
    """``send`` each item; once credentials are refused, the rest are not sent and get the same
    retryable error (fixing the credentials is the remedy, not changing the records)."""
    outcomes: list[WriteOutcome] = []
    refused: AuthFailed | None = None
    for item in items:
        if refused is None:
            try:
                outcomes.append(send(item))
                continue
            except AuthFailed as exc:
                refused = exc
        outcomes.append(WriteOutcome(key_of(item), WriteStatus.ERROR, refused.message, retryable=True))
    return outcomes


def _bought_since(raw: dict, since: datetime | None) -> bool:
    """Whether a raw searchOrders order was bought at or after ``since`` (unreadable: counted)."""
    if since is None:
        return True
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    try:
        bought = mapping.parse_time(raw.get("createdTime"), field="createdTime")
    except (mapping.MappingError, AttributeError):
        return True
    return bought is None or bought >= since


def _duplicate_package(message: str, ref: str) -> bool:
    text = message.lower()
    return "packagereferenceid" in text and ref in message and "already" in text


def _gunzip(data: bytes, *, declared: bool, what: str) -> bytes:
    if declared or data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            raise Transient(
                f"the {what} is not valid GZIP (cut short or garbled); it will be downloaded again"
            ) from None
    return data
