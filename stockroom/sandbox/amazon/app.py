"""The simulator's HTTP layer (Starlette): LWA, the SP-API operations, document URLs and the /_sim/ control API."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import hmac
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..common.clock import iso, parse_iso
from . import feeds as feeds_mod
from . import reports as reports_mod
from .listings import apply_changes, evaluate_patches
from .render import STATUS_FROM_2026, listing_item, order_2026, v0_address_payload, v0_order, v0_order_items
from .state import ApiError, ControlError, Store
from .tables import (
    CARRIER_CODES,
    FEED_TYPES_REMOVED,
    FEED_TYPES_SUPPORTED,
    MARKETPLACES,
    OPERATIONS,
    OPERATIONS_BY_NAME,
    RDT_ONLY_OPERATIONS,
    REPORT_TYPES_REQUESTABLE,
    REPORT_TYPES_SCHEDULABLE,
    RESTRICTED_PATHS,
    RESTRICTED_REPORT_TYPES,
    SCHEDULE_PERIODS,
)

log = logging.getLogger("stockroom.sandbox.amazon")
LWA_SCOPES = {"sellingpartnerapi::notifications", "sellingpartnerapi::client_credential:rotation"}
TWO_MINUTES = 120
ORDER_INCLUDED_DATA = {
    "BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION", "FULFILLMENT", "PACKAGES", "TAX",
    "PAYMENT", "FULFILLMENT_ORDERS",
}  # fmt: skip
LISTING_INCLUDED_DATA = {
    "summaries", "attributes", "issues", "offers", "fulfillmentAvailability", "procurement", "relationships",
    "productTypes",
}  # fmt: skip
HTML_500 = "<html>\n<head><title>500 Internal Server Error</title></head>\n<body>\n<center><h1>500 Internal Server Error</h1></center>\n</body>\n</html>\n"
HTML_503 = "<html>\n<head><title>503 Service Temporarily Unavailable</title></head>\n<body>\n<center><h1>503 Service Temporarily Unavailable</h1></center>\n</body>\n</html>\n"
HTML_504 = "<html>\n<head><title>504 Gateway Time-out</title></head>\n<body>\n<center><h1>504 Gateway Time-out</h1></center>\n</body>\n</html>\n"


def bad(details: str, code: str = "InvalidInput", message: str = "Invalid Input") -> ApiError:
    return ApiError(400, code, message, details)


def not_found(message: str) -> ApiError:
    return ApiError(404, "NotFound", message)


@dataclass
class Ctx:
    request: Request
    store: Store
    op: str
    seller_id: str
    token: dict
    body: Any = None
    path: dict = field(default_factory=dict)

    @property
    def seller(self) -> dict:
        return self.store.s["sellers"][self.seller_id]

    def qlist(self, name: str) -> list[str]:
        out: list[str] = []
        for raw in self.request.query_params.getlist(name):
            out.extend(p.strip() for p in raw.split(",") if p.strip())
        return out

    def q(self, name: str) -> str | None:
        value = self.request.query_params.get(name)
        return value if value not in (None, "") else None

    def qint(self, name: str, default: int, lo: int, hi: int) -> int:
        raw = self.q(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad(f"{name} must be an integer between {lo} and {hi}.") from None
        if not lo <= value <= hi:
            raise bad(f"{name} must be between {lo} and {hi}.")
        return value

    def qtime(self, name: str) -> float | None:
        raw = self.q(name)
        if raw is None:
            return None
        try:
            return parse_iso(raw)
        except ValueError:
            raise bad(f"{name} must be an ISO 8601 date-time.") from None

    @property
    def is_rdt(self) -> bool:
        return self.token.get("kind") == "rdt"

    def has_data_element(self, element: str) -> bool:
        if not self.is_rdt:
            return False
        for res in self.token["resources"]:
            # getOrders/getOrder/getOrderItems return PII only for the dataElements named in the RDT
            if _path_matches(res["path"], self.request.url.path) and element in (
                res.get("dataElements") or []
            ):
                return True
        return False


def _path_matches(pattern: str, path: str) -> bool:
    a = pattern.rstrip("/").split("/")
    b = path.rstrip("/").split("/")
    return len(a) == len(b) and all(
        x == y or (x.startswith("{") and x.endswith("}")) for x, y in zip(a, b, strict=True)
    )


def _template_for(path: str) -> str | None:
    for op in OPERATIONS:
        if _path_matches(op.path, path):
            return op.path
    return None


def _marketplaces(ctx: Ctx, ids: list[str], *, required: bool, name: str = "marketplaceIds") -> list[str]:
    if not ids:
        if required:
            raise bad(f"{name} is required.")
        return list(ctx.seller["marketplaces"])
    for mp in ids:
        if mp not in ctx.seller["marketplaces"]:
            raise bad(f"Invalid {name}: the seller does not participate in marketplace '{mp}'.")
    return ids


def _json_body(ctx: Ctx) -> dict:
    if not isinstance(ctx.body, dict):
        raise bad("The request body must be a JSON object.")
    return ctx.body


def _new_page_token(
    store: Store, kind: str, seller_id: str, ids: list[str], offset: int, extra: dict | None = None
) -> str:
    tokens = store.s["page_tokens"]
    if len(tokens) > 500:
        now = store.now()
        for key in [k for k, v in tokens.items() if v["expires"] < now]:
            del tokens[key]
    token = base64.b64encode(store.token_rng.getrandbits(192).to_bytes(24, "big")).decode("ascii")
    tokens[token] = {
        "kind": kind,
        "seller_id": seller_id,
        "ids": ids,
        "offset": offset,
        "expires": store.now() + store.settings["pagination_token_ttl_seconds"],
        "extra": extra or {},
    }
    return token


def _use_page_token(ctx: Ctx, kind: str, token: str, name: str) -> dict:
    # tokens stay valid until they expire, so a client may retry a page (e.g. after a timeout)
    data = ctx.store.s["page_tokens"].get(token)
    if data is None or data["kind"] != kind or data["seller_id"] != ctx.seller_id:
        raise bad(f"Invalid {name}.")
    if data["expires"] < ctx.store.now():
        raise bad(f"The {name} has expired.")
    return data


# ============================================================================================== sellers
def get_marketplace_participations(ctx: Ctx):
    return 200, {"payload": _participations(ctx)}


def _participations(ctx: Ctx) -> list[dict]:
    out = []
    for mp_id in ctx.seller["marketplaces"]:
        m = MARKETPLACES[mp_id]
        out.append(
            {
                "marketplace": {
                    "id": m.id,
                    "name": m.name,
                    "countryCode": m.country,
                    "defaultCurrencyCode": m.currency,
                    "defaultLanguageCode": m.language,
                    "domainName": m.domain,
                },
                "participation": {"isParticipating": True, "hasSuspendedListings": False},
                "storeName": ctx.seller["name"],
            }
        )
    return out


def get_account(ctx: Ctx):
    first = MARKETPLACES[ctx.seller["marketplaces"][0]]
    return 200, {
        "payload": {
            "marketplaceParticipationList": _participations(ctx),
            "businessType": "PRIVATE_LIMITED",
            "sellingPlan": "PROFESSIONAL",
            "business": {
                "name": ctx.seller["name"],
                "registeredBusinessAddress": {
                    "addressLine1": "1 Simulator Street",
                    "countryCode": first.country,
                },
            },
        }
    }


# ============================================================================================== orders
def _filter_orders(
    ctx: Ctx,
    *,
    created: tuple | None,
    updated: tuple | None,
    statuses: set[str] | None,
    mps: list[str],
    channels: set[str] | None,
    ids: set[str] | None = None,
) -> list[str]:
    now = ctx.store.now()
    out = []
    for order in ctx.store.seller_orders(ctx.seller_id):
        if order["visible_at"] > now or order["marketplace_id"] not in mps:
            continue
        if created and not (created[0] <= order["created_at"] <= created[1]):
            continue
        if updated and not (updated[0] <= order["last_updated"] <= updated[1]):
            continue
        if statuses is not None and order["status"] not in statuses:
            continue
        if channels is not None and order["fulfillment_channel"] not in channels:
            continue
        if ids is not None and order["order_id"] not in ids:
            continue
        out.append(order)
    key = "created_at" if created else "last_updated"
    out.sort(key=lambda o: (o[key], o["order_id"]))
    return [o["order_id"] for o in out]


def _time_window(ctx: Ctx, names: tuple[str, str, str, str]) -> tuple[tuple | None, tuple | None, str, float]:
    ca_name, cb_name, ua_name, ub_name = names
    ca, cb, ua, ub = (ctx.qtime(n) for n in names)
    now = ctx.store.now()
    latest = now - TWO_MINUTES
    if (ca is None) == (ua is None):
        raise bad(f"Exactly one of {ca_name} and {ua_name} must be provided.")
    if ca is not None:
        if ua is not None or ub is not None:
            raise bad(f"{ua_name} and {ub_name} cannot be used with {ca_name}.")
        if cb is None:
            cb = latest
        elif cb < ca:
            raise bad(f"{cb_name} must be equal to or after {ca_name}.")
        elif cb > latest:
            raise bad(f"{cb_name} must be at least two minutes before the time of the request.")
        if ca > latest:
            raise bad(f"{ca_name} must be at least two minutes before the time of the request.")
        return (ca, cb), None, "created", cb
    if cb is not None:
        raise bad(f"{cb_name} cannot be used with {ua_name}.")
    if ub is None:
        ub = latest
    elif ub < ua:
        raise bad(f"{ub_name} must be equal to or after {ua_name}.")
    elif ub > latest:
        raise bad(f"{ub_name} must be at least two minutes before the time of the request.")
    if ua > latest:
        raise bad(f"{ua_name} must be at least two minutes before the time of the request.")
    return None, (ua, ub), "updated", ub


def _included(ctx: Ctx) -> set[str]:
    values = set(ctx.qlist("includedData"))
    unknown = values - ORDER_INCLUDED_DATA
    if unknown:
        raise bad(f"Invalid includedData value(s): {', '.join(sorted(unknown))}.")
    return values


def search_orders(ctx: Ctx):
    store = ctx.store
    max_results = ctx.qint("maxResultsPerPage", 100, 1, 100)
    token = ctx.q("paginationToken")
    if token:
        data = _use_page_token(ctx, "searchOrders", token, "paginationToken")
        ids, offset, extra = data["ids"], data["offset"], data["extra"]
        max_results, included = extra["max"], set(extra["included"])
    else:
        created, updated, kind, upper = _time_window(
            ctx, ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore")
        )
        included = _included(ctx)
        mps = _marketplaces(ctx, ctx.qlist("marketplaceIds"), required=False)
        statuses = None
        if ctx.qlist("fulfillmentStatuses"):
            statuses = set()
            for value in ctx.qlist("fulfillmentStatuses"):
                if value not in (
                    "PENDING_AVAILABILITY",
                    "PENDING",
                    "UNSHIPPED",
                    "PARTIALLY_SHIPPED",
                    "SHIPPED",
                    "CANCELLED",
                    "UNFULFILLABLE",
                ):
                    raise bad(f"Invalid fulfillmentStatuses value '{value}'.")
                if value in STATUS_FROM_2026:
                    statuses.add(STATUS_FROM_2026[value])
        channels = None
        if ctx.qlist("fulfilledBy"):
            channels = set()
            for value in ctx.qlist("fulfilledBy"):
                if value not in ("MERCHANT", "AMAZON"):
                    raise bad(f"Invalid fulfilledBy value '{value}'.")
                channels.add("MFN" if value == "MERCHANT" else "AFN")
        ids = _filter_orders(
            ctx, created=created, updated=updated, statuses=statuses, mps=mps, channels=channels
        )
        offset = 0
        extra = {"max": max_results, "included": sorted(included), "kind": kind, "upper": iso(upper)}
    page = ids[offset : offset + max_results]
    body: dict = {"orders": [order_2026(store.s["orders"][oid], included) for oid in page]}
    if offset + max_results < len(ids):
        body["pagination"] = {
            "nextToken": _new_page_token(
                store, "searchOrders", ctx.seller_id, ids, offset + max_results, extra
            )
        }
    body["lastUpdatedBefore" if extra["kind"] == "updated" else "createdBefore"] = extra["upper"]
    return 200, body


def _order(ctx: Ctx) -> dict:
    order = ctx.store.s["orders"].get(ctx.path["orderId"])
    if order is None or order["seller_id"] != ctx.seller_id:
        raise not_found(f"Order {ctx.path['orderId']} was not found.")
    return order


def get_order_2026(ctx: Ctx):
    included = _included(ctx)
    return 200, {"order": order_2026(_order(ctx), included)}


V0_STATUSES = {
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
}


def v0_get_orders(ctx: Ctx):
    store = ctx.store
    mps = _marketplaces(ctx, ctx.qlist("MarketplaceIds"), required=True, name="MarketplaceIds")
    token = ctx.q("NextToken")
    if token:
        data = _use_page_token(ctx, "v0.getOrders", token, "NextToken")
        ids, offset, extra = data["ids"], data["offset"], data["extra"]
        max_results = extra["max"]
    else:
        max_results = ctx.qint("MaxResultsPerPage", 100, 1, 100)
        statuses = None
        if ctx.qlist("OrderStatuses"):
            statuses = set(ctx.qlist("OrderStatuses"))
            if statuses - V0_STATUSES:
                raise bad(f"Invalid OrderStatuses value(s): {', '.join(sorted(statuses - V0_STATUSES))}.")
            if ("Unshipped" in statuses) != ("PartiallyShipped" in statuses):
                raise bad(
                    "Unshipped and PartiallyShipped must be used together in this version of the Orders API."
                )
        channels = set(ctx.qlist("FulfillmentChannels")) or None
        if channels and channels - {"MFN", "AFN"}:
            raise bad("FulfillmentChannels must be AFN or MFN.")
        id_filter = set(ctx.qlist("AmazonOrderIds")) or None
        if id_filter:
            if len(id_filter) > 50:
                raise bad("AmazonOrderIds accepts at most 50 ids.")
            created, updated, kind, upper = (0.0, store.now()), None, "created", store.now() - TWO_MINUTES
        else:
            created, updated, kind, upper = _time_window(
                ctx, ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore")
            )
        ids = _filter_orders(
            ctx,
            created=created,
            updated=updated,
            statuses=statuses,
            mps=mps,
            channels=channels,
            ids=id_filter,
        )
        offset = 0
        extra = {"max": max_results, "kind": kind, "upper": iso(upper)}
    page = ids[offset : offset + max_results]
    pii = ctx.has_data_element("shippingAddress")
    buyer = ctx.has_data_element("buyerInfo")
    orders = []
    for oid in page:
        rendered = v0_order(store.s["orders"][oid], pii=pii, ship_from=ctx.seller.get("ship_from"))
        if not buyer:
            rendered.pop("BuyerInfo", None)
        orders.append(rendered)
    payload: dict = {"Orders": orders}
    if offset + max_results < len(ids):
        payload["NextToken"] = _new_page_token(
            store, "v0.getOrders", ctx.seller_id, ids, offset + max_results, extra
        )
    payload["LastUpdatedBefore" if extra["kind"] == "updated" else "CreatedBefore"] = extra["upper"]
    return 200, {"payload": payload}


def v0_get_order(ctx: Ctx):
    pii = ctx.has_data_element("shippingAddress")
    rendered = v0_order(_order(ctx), pii=pii, ship_from=ctx.seller.get("ship_from"))
    if not ctx.has_data_element("buyerInfo"):
        rendered.pop("BuyerInfo", None)
    return 200, {"payload": rendered}


def v0_get_order_items(ctx: Ctx):
    order = _order(ctx)
    return 200, {"payload": {"AmazonOrderId": order["order_id"], "OrderItems": v0_order_items(order)}}


def v0_get_order_address(ctx: Ctx):
    return 200, {"payload": v0_address_payload(_order(ctx))}


def v0_get_order_buyer_info(ctx: Ctx):
    order = _order(ctx)
    return 200, {
        "payload": {
            "AmazonOrderId": order["order_id"],
            "BuyerEmail": order["buyer_email"],
            "BuyerName": order["buyer_name"],
        }
    }


PACKAGE_REF = re.compile(r"^[0-9]+$")


def v0_confirm_shipment(ctx: Ctx):
    body = _json_body(ctx)
    order = _order(ctx)
    mp = body.get("marketplaceId")
    if not isinstance(mp, str) or not mp:
        raise bad("marketplaceId is required.")
    if mp != order["marketplace_id"]:
        raise bad(f"marketplaceId '{mp}' does not match the order's marketplace.")
    pkg = body.get("packageDetail")
    if not isinstance(pkg, dict):
        raise bad("packageDetail is required.")
    for name in ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems"):
        if pkg.get(name) in (None, "", []):
            raise bad(f"packageDetail.{name} is required.")
    ref = pkg["packageReferenceId"]
    if not isinstance(ref, str) or not PACKAGE_REF.match(ref) or int(ref) <= 0:
        raise bad("packageReferenceId must be a positive numeric value.")
    carrier = pkg["carrierCode"]
    if carrier not in CARRIER_CODES:
        raise bad(
            f"carrierCode '{carrier}' is not a valid carrier code. Use 'Other' and provide carrierName."
        )
    if carrier == "Other" and not pkg.get("carrierName"):
        raise bad("carrierName is required when carrierCode is 'Other'.")
    try:
        ship_date = parse_iso(pkg["shipDate"])
    except ValueError:
        raise bad("shipDate must be an ISO 8601 date-time.") from None
    lines = []
    if not isinstance(pkg["orderItems"], list):
        raise bad("packageDetail.orderItems must be an array.")
    for item in pkg["orderItems"]:
        if not isinstance(item, dict) or not isinstance(item.get("orderItemId"), str):
            raise bad("Each order item needs an orderItemId.")
        qty = item.get("quantity")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            raise bad(f"quantity for order item {item['orderItemId']} must be a positive integer.")
        lines.append({"order_item_id": item["orderItemId"], "quantity": qty})
    problem = ctx.store.validate_shipment(order, ref, lines)
    if problem:
        raise bad(problem)
    now = ctx.store.now()
    ctx.store.record_shipment(
        order,
        {
            "package_reference_id": ref,
            "carrier_code": carrier,
            "carrier_name": pkg.get("carrierName"),
            "tracking_number": pkg["trackingNumber"],
            "ship_date": ship_date,
            "shipping_method": pkg.get("shippingMethod"),
            "items": lines,
            "via": "confirmShipment",
            "received_at": now,
        },
        now,
    )
    return 204, None


# ============================================================================================== reports
def _spec_common(ctx: Ctx, body: dict) -> tuple[str, list[str]]:
    rtype = body.get("reportType")
    if not isinstance(rtype, str) or not rtype:
        raise bad("reportType is required.")
    mps = body.get("marketplaceIds")
    if not isinstance(mps, list) or not 1 <= len(mps) <= 25 or not all(isinstance(m, str) for m in mps):
        raise bad("marketplaceIds must be an array of 1 to 25 marketplace ids.")
    _marketplaces(ctx, mps, required=True)
    options = body.get("reportOptions")
    if options is not None and (
        not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values())
    ):
        raise bad("reportOptions must be an object of strings.")
    return rtype, mps


def create_report(ctx: Ctx):
    body = _json_body(ctx)
    rtype, mps = _spec_common(ctx, body)
    if rtype not in REPORT_TYPES_REQUESTABLE:
        if rtype in REPORT_TYPES_SCHEDULABLE:
            raise bad(f"Report type {rtype} can only be scheduled (createReportSchedule).")
        raise bad(f"Report type {rtype} is not supported.")
    spec = {"reportType": rtype, "marketplaceIds": mps, "reportOptions": body.get("reportOptions")}
    for name, key in (("dataStartTime", "_start"), ("dataEndTime", "_end")):
        if body.get(name) is not None:
            try:
                spec[key] = parse_iso(body[name])
            except ValueError:
                raise bad(f"{name} must be an ISO 8601 date-time.") from None
            spec[name] = iso(spec[key])
    if spec.get("_start") is not None and spec.get("_end") is not None and spec["_end"] < spec["_start"]:
        raise bad("dataEndTime must be after dataStartTime.")
    spec["_fatal"] = ctx.store.take_fault("createReport", ctx.seller_id, kinds=("fatal",)) is not None
    report = reports_mod.create_report(ctx.store, ctx.seller_id, spec)
    return 202, {"reportId": report["reportId"]}


def _report(ctx: Ctx) -> dict:
    report = ctx.store.s["reports"].get(ctx.path["reportId"])
    if report is None or report["_seller"] != ctx.seller_id:
        raise not_found(f"Report {ctx.path['reportId']} was not found.")
    return report


def get_report(ctx: Ctx):
    return 200, reports_mod.report_view(_report(ctx))


def cancel_report(ctx: Ctx):
    if not reports_mod.cancel_report(_report(ctx)):
        raise bad("Only reports in IN_QUEUE status can be cancelled.")
    return 200, None


def _statuses(ctx: Ctx, name: str) -> set[str] | None:
    values = set(ctx.qlist(name))
    allowed = {"CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE"}
    if values - allowed:
        raise bad(f"Invalid {name} value(s): {', '.join(sorted(values - allowed))}.")
    return values or None


def _list_entities(ctx: Ctx, *, kind: str, collection: dict, type_param: str, type_key: str, view):
    store = ctx.store
    token = ctx.q("nextToken")
    if token:
        data = _use_page_token(ctx, kind, token, "nextToken")
        ids, offset, size = data["ids"], data["offset"], data["extra"]["size"]
    else:
        types = ctx.qlist(type_param)
        if not types:
            raise bad(f"{type_param} or nextToken is required.")
        if len(types) > 10:
            raise bad(f"{type_param} accepts at most 10 values.")
        statuses = _statuses(ctx, "processingStatuses")
        mps = set(ctx.qlist("marketplaceIds"))
        size = ctx.qint("pageSize", 10, 1, 100)
        now = store.now()
        since = ctx.qtime("createdSince")
        until = ctx.qtime("createdUntil")
        since = now - 90 * 86400 if since is None else since
        until = now if until is None else until
        chosen = [
            e
            for e in collection.values()
            if e["_seller"] == ctx.seller_id
            and e[type_key] in types
            and (statuses is None or e["processingStatus"] in statuses)
            and (not mps or mps & set(e["marketplaceIds"]))
            and since <= e["_created"] <= until
        ]
        id_key = "reportId" if kind == "getReports" else "feedId"
        chosen.sort(key=lambda e: (-e["_created"], e[id_key]))
        ids = [e[id_key] for e in chosen]
        offset = 0
    page = ids[offset : offset + size]
    body: dict = {("reports" if kind == "getReports" else "feeds"): [view(collection[i]) for i in page]}
    if offset + size < len(ids):
        body["nextToken"] = _new_page_token(store, kind, ctx.seller_id, ids, offset + size, {"size": size})
    return 200, body


def get_reports(ctx: Ctx):
    return _list_entities(
        ctx,
        kind="getReports",
        collection=ctx.store.s["reports"],
        type_param="reportTypes",
        type_key="reportType",
        view=reports_mod.report_view,
    )


def _doc_url(ctx: Ctx, kind: str, doc_id: str) -> str:
    store = ctx.store
    amz_date = datetime.fromtimestamp(store.now(), UTC).strftime("%Y%m%dT%H%M%SZ")
    expires = int(store.settings["document_url_ttl_seconds"])
    sig = _sign(store, kind, doc_id, amz_date, expires)
    base = str(ctx.request.base_url).rstrip("/")
    query = urlencode(
        {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Date": amz_date,
            "X-Amz-Expires": expires,
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Signature": sig,
        }
    )
    return f"{base}/_docs/{kind}/{doc_id}?{query}"


def _sign(store: Store, kind: str, doc_id: str, amz_date: str, expires: int) -> str:
    key = f"stockroom-sim-{store.s['seed']}".encode()
    return hmac.new(key, f"{kind}|{doc_id}|{amz_date}|{expires}".encode(), hashlib.sha256).hexdigest()


def get_report_document(ctx: Ctx):
    doc = ctx.store.s["report_documents"].get(ctx.path["reportDocumentId"])
    if doc is None or doc["seller_id"] != ctx.seller_id:
        raise not_found(f"Report document {ctx.path['reportDocumentId']} was not found.")
    if doc["report_type"] in RESTRICTED_REPORT_TYPES and not ctx.is_rdt:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            f"{doc['report_type']} contains personally identifiable information: call getReportDocument with a Restricted Data Token.",
        )
    body = {"reportDocumentId": doc["id"], "url": _doc_url(ctx, "reports", doc["id"])}
    if doc["compression"]:
        body["compressionAlgorithm"] = doc["compression"]
    return 200, body


def create_report_schedule(ctx: Ctx):
    body = _json_body(ctx)
    rtype, mps = _spec_common(ctx, body)
    if rtype not in REPORT_TYPES_SCHEDULABLE:
        raise bad(f"Report type {rtype} cannot be scheduled.")
    period = body.get("period")
    if period not in SCHEDULE_PERIODS:
        raise bad(f"period must be one of {', '.join(SCHEDULE_PERIODS)}.")
    spec = {
        "reportType": rtype,
        "marketplaceIds": mps,
        "period": period,
        "reportOptions": body.get("reportOptions"),
    }
    if body.get("nextReportCreationTime"):
        try:
            spec["_first"] = max(parse_iso(body["nextReportCreationTime"]), ctx.store.now())
        except ValueError:
            raise bad("nextReportCreationTime must be an ISO 8601 date-time.") from None
    schedule = reports_mod.create_schedule(ctx.store, ctx.seller_id, spec)
    return 201, {"reportScheduleId": schedule["reportScheduleId"]}


def get_report_schedules(ctx: Ctx):
    types = ctx.qlist("reportTypes")
    if not types:
        raise bad("reportTypes is required.")
    out = [
        reports_mod.schedule_view(s)
        for s in ctx.store.s["schedules"].values()
        if s["_seller"] == ctx.seller_id and s["reportType"] in types
    ]
    return 200, {"reportSchedules": out}


def _schedule(ctx: Ctx) -> dict:
    sched = ctx.store.s["schedules"].get(ctx.path["reportScheduleId"])
    if sched is None or sched["_seller"] != ctx.seller_id:
        raise not_found(f"Report schedule {ctx.path['reportScheduleId']} was not found.")
    return sched


def get_report_schedule(ctx: Ctx):
    return 200, reports_mod.schedule_view(_schedule(ctx))


def cancel_report_schedule(ctx: Ctx):
    sched = _schedule(ctx)
    del ctx.store.s["schedules"][sched["reportScheduleId"]]
    return 200, None


# ============================================================================================== feeds
def create_feed_document(ctx: Ctx):
    body = _json_body(ctx)
    ctype = body.get("contentType")
    if not isinstance(ctype, str) or not ctype.strip():
        raise bad("contentType is required.")
    doc = feeds_mod.create_document(ctx.store, ctx.seller_id, ctype)
    return 201, {"feedDocumentId": doc["id"], "url": _doc_url(ctx, "feeds", doc["id"])}


def create_feed(ctx: Ctx):
    body = _json_body(ctx)
    ftype = body.get("feedType")
    if not isinstance(ftype, str) or not ftype:
        raise bad("feedType is required.")
    if ftype not in FEED_TYPES_SUPPORTED and ftype not in FEED_TYPES_REMOVED:
        raise bad(f"Feed type {ftype} is not supported.")
    mps = body.get("marketplaceIds")
    if not isinstance(mps, list) or not 1 <= len(mps) <= 25:
        raise bad("marketplaceIds must be an array of 1 to 25 marketplace ids.")
    _marketplaces(ctx, mps, required=True)
    doc_id = body.get("inputFeedDocumentId")
    doc = ctx.store.s["feed_documents"].get(doc_id) if isinstance(doc_id, str) else None
    if doc is None or doc["seller_id"] != ctx.seller_id or doc["kind"] != "input":
        raise bad(f"inputFeedDocumentId '{doc_id}' is not a valid feed document id.")
    options = body.get("feedOptions")
    if options is not None and (
        not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values())
    ):
        raise bad("feedOptions must be an object of strings.")
    fatal = ctx.store.take_fault("createFeed", ctx.seller_id, kinds=("fatal",)) is not None
    feed = feeds_mod.create_feed(ctx.store, ctx.seller_id, body, fatal=fatal)
    return 202, {"feedId": feed["feedId"]}


def _feed(ctx: Ctx) -> dict:
    feed = ctx.store.s["feeds"].get(ctx.path["feedId"])
    if feed is None or feed["_seller"] != ctx.seller_id:
        raise not_found(f"Feed {ctx.path['feedId']} was not found.")
    return feed


def get_feed(ctx: Ctx):
    return 200, feeds_mod.feed_view(_feed(ctx))


def cancel_feed(ctx: Ctx):
    if not feeds_mod.cancel_feed(_feed(ctx)):
        raise bad("Only feeds in IN_QUEUE status can be cancelled.")
    return 200, None


def get_feeds(ctx: Ctx):
    return _list_entities(
        ctx,
        kind="getFeeds",
        collection=ctx.store.s["feeds"],
        type_param="feedTypes",
        type_key="feedType",
        view=feeds_mod.feed_view,
    )


def get_feed_document(ctx: Ctx):
    doc = ctx.store.s["feed_documents"].get(ctx.path["feedDocumentId"])
    if doc is None or doc["seller_id"] != ctx.seller_id:
        raise not_found(f"Feed document {ctx.path['feedDocumentId']} was not found.")
    return 200, {"feedDocumentId": doc["id"], "url": _doc_url(ctx, "feeds", doc["id"])}


# ============================================================================================== listings
def _check_seller_path(ctx: Ctx) -> None:
    if ctx.path["sellerId"] != ctx.seller_id:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "The sellerId in the path does not belong to the authorised selling partner.",
        )


def _listing_included(ctx: Ctx, default: str) -> set[str]:
    values = set(ctx.qlist("includedData")) or {default}
    if values - LISTING_INCLUDED_DATA:
        raise ApiError(
            400,
            "BAD_REQUEST",
            "Invalid input",
            f"Invalid includedData value(s): {', '.join(sorted(values - LISTING_INCLUDED_DATA))}.",
        )
    return values


def _listing_mps(ctx: Ctx) -> list[str]:
    mps = ctx.qlist("marketplaceIds")
    if not mps:
        raise ApiError(400, "BAD_REQUEST", "Invalid input", "marketplaceIds is required.")
    for mp in mps:
        if mp not in ctx.seller["marketplaces"]:
            raise ApiError(
                400, "BAD_REQUEST", "Invalid input", f"The seller does not participate in marketplace '{mp}'."
            )
    return mps


def get_listings_item(ctx: Ctx):
    _check_seller_path(ctx)
    mps = _listing_mps(ctx)
    included = _listing_included(ctx, "summaries")
    listing = ctx.store.listing(ctx.seller_id, ctx.path["sku"])
    if listing is None:
        raise ApiError(404, "NOT_FOUND", f"SKU '{ctx.path['sku']}' not found in marketplace {mps[0]}")
    return 200, listing_item(listing, mps, included)


def patch_listings_item(ctx: Ctx):
    _check_seller_path(ctx)
    mps = _listing_mps(ctx)
    body = ctx.body
    problems = []
    if not isinstance(body, dict):
        problems.append("The request body must be a JSON object.")
    else:
        if not isinstance(body.get("productType"), str) or not body.get("productType"):
            problems.append("productType is required.")
        patches = body.get("patches")
        if not isinstance(patches, list) or not patches:
            problems.append("patches must be a non-empty array.")
        else:
            for n, p in enumerate(patches):
                if (
                    not isinstance(p, dict)
                    or p.get("op") not in ("add", "replace", "merge", "delete")
                    or not isinstance(p.get("path"), str)
                ):
                    problems.append(f"patches[{n}] must have op (add|replace|merge|delete) and path.")
                elif "value" in p and (
                    not isinstance(p["value"], list) or not all(isinstance(v, dict) for v in p["value"])
                ):
                    problems.append(f"patches[{n}].value must be an array of objects.")
    mode = ctx.q("mode")
    if mode is not None and mode != "VALIDATION_PREVIEW":
        problems.append("mode must be VALIDATION_PREVIEW.")
    if problems:
        raise ApiError(400, "BAD_REQUEST", "Invalid input", " ".join(problems))
    sku = ctx.path["sku"]
    listing = ctx.store.listing(ctx.seller_id, sku)
    issues, quantity, others = evaluate_patches(listing, sku, body["patches"])
    submission_id = ctx.store.next_submission_id()
    for issue in issues:
        issue["marketplaceIds"] = mps
    if issues:
        return 200, {"sku": sku, "status": "INVALID", "submissionId": submission_id, "issues": issues}
    if mode == "VALIDATION_PREVIEW":
        return 200, {"sku": sku, "status": "VALID", "submissionId": submission_id, "issues": []}
    apply_changes(ctx.store, ctx.seller_id, listing, quantity, others, f"patch:{submission_id}")
    return 200, {"sku": sku, "status": "ACCEPTED", "submissionId": submission_id, "issues": []}


def search_listings_items(ctx: Ctx):
    _check_seller_path(ctx)
    store = ctx.store
    mps = _listing_mps(ctx)
    included = _listing_included(ctx, "summaries")
    size = ctx.qint("pageSize", 10, 1, 20)
    token = ctx.q("pageToken")
    if token:
        data = _use_page_token(ctx, "searchListingsItems", token, "pageToken")
        skus, offset = data["ids"], data["offset"]
    else:
        identifiers = ctx.qlist("identifiers")
        id_type = ctx.q("identifiersType")
        if bool(identifiers) != bool(id_type):
            raise ApiError(
                400,
                "BAD_REQUEST",
                "Invalid input",
                "identifiers and identifiersType must be provided together.",
            )
        if id_type and id_type not in ("ASIN", "EAN", "FNSKU", "GTIN", "ISBN", "JAN", "MINSAN", "SKU", "UPC"):
            raise ApiError(400, "BAD_REQUEST", "Invalid input", f"Invalid identifiersType '{id_type}'.")
        sort_by = ctx.q("sortBy") or "lastUpdatedDate"
        sort_order = ctx.q("sortOrder") or "DESC"
        if sort_by not in ("sku", "createdDate", "lastUpdatedDate") or sort_order not in ("ASC", "DESC"):
            raise ApiError(400, "BAD_REQUEST", "Invalid input", "Invalid sortBy or sortOrder.")
        bounds = {
            n: ctx.qtime(n)
            for n in ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore")
        }
        chosen = []
        for listing in store.s["listings"].get(ctx.seller_id, {}).values():
            if not set(mps) & set(listing["marketplaces"]):
                continue
            if id_type == "SKU" and listing["sku"] not in identifiers:
                continue
            if id_type == "ASIN" and listing["asin"] not in identifiers:
                continue
            if id_type not in (None, "SKU", "ASIN"):
                continue  # the simulator keeps no EAN/UPC/... identifiers
            if bounds["createdAfter"] is not None and listing["created_at"] < bounds["createdAfter"]:
                continue
            if bounds["createdBefore"] is not None and listing["created_at"] > bounds["createdBefore"]:
                continue
            if (
                bounds["lastUpdatedAfter"] is not None
                and listing["last_updated"] < bounds["lastUpdatedAfter"]
            ):
                continue
            if (
                bounds["lastUpdatedBefore"] is not None
                and listing["last_updated"] > bounds["lastUpdatedBefore"]
            ):
                continue
            chosen.append(listing)
        key = {"sku": "sku", "createdDate": "created_at", "lastUpdatedDate": "last_updated"}[sort_by]
        chosen.sort(key=lambda item: (item[key], item["sku"]), reverse=sort_order == "DESC")
        skus = [item["sku"] for item in chosen]
        offset = 0
    page = [s for s in skus[offset : offset + size] if store.listing(ctx.seller_id, s) is not None]
    body: dict = {
        "numberOfResults": len(skus),
        "items": [listing_item(store.listing(ctx.seller_id, s), mps, included) for s in page],
    }
    if offset + size < len(skus):
        body["pagination"] = {
            "nextToken": _new_page_token(store, "searchListingsItems", ctx.seller_id, skus, offset + size)
        }
    return 200, body


# ============================================================================================== tokens
def create_restricted_data_token(ctx: Ctx):
    body = _json_body(ctx)
    resources = body.get("restrictedResources")
    if not isinstance(resources, list) or not resources:
        raise bad("restrictedResources must be a non-empty array.")
    clean = []
    for res in resources:
        if (
            not isinstance(res, dict)
            or res.get("method") not in ("GET", "PUT", "POST", "DELETE")
            or not isinstance(res.get("path"), str)
        ):
            raise bad("Each restricted resource needs a method (GET|PUT|POST|DELETE) and a path.")
        template = _template_for(res["path"])
        if template is None or template not in RESTRICTED_PATHS or res["method"] != "GET":
            raise bad(
                f"Application does not have access to one or more requested data elements: {res['method']} {res['path']} is not a restricted operation."
            )
        elements = res.get("dataElements")
        if elements is not None:
            if not isinstance(elements, list) or any(
                e not in ("buyerInfo", "shippingAddress", "buyerTaxInformation") for e in elements
            ):
                raise bad("dataElements may contain buyerInfo, shippingAddress and buyerTaxInformation.")
        clean.append({"method": res["method"], "path": res["path"], "dataElements": elements})
    issued = ctx.store.issue_rdt(seller_id=ctx.seller_id, resources=clean)
    # like LWA's expires_in: real seconds, so a client that honours it stays valid at any time scale
    return 200, {
        "restrictedDataToken": issued["token"],
        "expiresIn": _real_lifetime(ctx.store, issued["lifetime"]),
    }


HANDLERS: dict[str, Callable[[Ctx], tuple]] = {
    "getMarketplaceParticipations": get_marketplace_participations,
    "getAccount": get_account,
    "searchOrders": search_orders,
    "getOrder": get_order_2026,
    "v0.getOrders": v0_get_orders,
    "v0.getOrder": v0_get_order,
    "v0.getOrderBuyerInfo": v0_get_order_buyer_info,
    "v0.getOrderAddress": v0_get_order_address,
    "v0.getOrderItems": v0_get_order_items,
    "v0.confirmShipment": v0_confirm_shipment,
    "getReports": get_reports,
    "createReport": create_report,
    "cancelReport": cancel_report,
    "getReport": get_report,
    "getReportSchedules": get_report_schedules,
    "createReportSchedule": create_report_schedule,
    "cancelReportSchedule": cancel_report_schedule,
    "getReportSchedule": get_report_schedule,
    "getReportDocument": get_report_document,
    "getFeeds": get_feeds,
    "createFeed": create_feed,
    "cancelFeed": cancel_feed,
    "getFeed": get_feed,
    "createFeedDocument": create_feed_document,
    "getFeedDocument": get_feed_document,
    "getListingsItem": get_listings_item,
    "patchListingsItem": patch_listings_item,
    "searchListingsItems": search_listings_items,
    "createRestrictedDataToken": create_restricted_data_token,
}


# ============================================================================================== HTTP plumbing
UNLIMITED_RATE = 1000.0  # what x-amzn-RateLimit-Limit says with rate limits off (a raised usage plan)


def _rate_header(store: Store, op: str) -> str:
    """The operation's rate; with rate limits off, a rate that paces a well-behaved client no more."""
    rate = OPERATIONS_BY_NAME[op].rate if store.settings["rate_limits_enabled"] else UNLIMITED_RATE
    return f"{rate:g}"


def _json(status: int, body: Any, headers: dict) -> Response:
    if body is None:
        return Response(status_code=status, headers=headers)
    return Response(json.dumps(body), status_code=status, media_type="application/json", headers=headers)


def _html(status: int, text: str, headers: dict) -> Response:
    return Response(text, status_code=status, media_type="text/html", headers=headers)


def _authenticate(store: Store, request: Request, op: str) -> dict:
    token = request.headers.get("x-amz-access-token")
    if not token:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "Access token is missing in the request header.",
        )
    info = store.s["tokens"].get(token)
    if info is None:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "The access token you provided is revoked, malformed or invalid.",
        )
    if info["expires_at"] <= store.now():
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "The access token you provided has expired.",
        )
    if info["seller_id"] is None:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "A grantless (client_credentials) token cannot call selling partner operations.",
        )
    if info["kind"] == "rdt":
        ok = any(
            res["method"] == request.method and _path_matches(res["path"], request.url.path)
            for res in info["resources"]
        )
        if not ok:
            raise ApiError(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The restricted data token is not valid for this resource.",
            )
    elif op in RDT_ONLY_OPERATIONS:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "This operation returns restricted data (PII): call it with a Restricted Data Token.",
        )
    return info


def make_endpoint(store: Store, op: str) -> Callable[[Request], Awaitable[Response]]:
    handler = HANDLERS[op]

    async def endpoint(request: Request) -> Response:
        headers = {"x-amzn-RequestId": str(uuid.uuid4()), "x-amzn-RateLimit-Limit": _rate_header(store, op)}
        raw = await request.body() if request.method in ("POST", "PUT", "PATCH") else b""
        delay = 0.0
        with store.lock:
            store.tick()
            try:
                info = _authenticate(store, request, op)
            except ApiError as err:
                store.stat(None, op, "calls")
                return _json(err.status, err.body(), headers)
            seller_id = info["seller_id"]
            store.stat(seller_id, op, "calls")
            if not store.take_token(seller_id, op):
                store.stat(seller_id, op, "throttled")
                return _json(
                    429,
                    {
                        "errors": [
                            {
                                "code": "QuotaExceeded",
                                "message": "You exceeded your quota for the requested resource.",
                            }
                        ]
                    },
                    headers,
                )
            fault = store.take_fault(op, seller_id)
            if fault is not None:
                store.stat(seller_id, op, "faults")
                if fault["kind"] == "http_500":
                    return _html(500, HTML_500, headers)
                if fault["kind"] == "http_503":
                    return _html(503, HTML_503, headers)
                delay = float(fault.get("delay_seconds") or (5.0 if fault["kind"] == "slow" else 120.0))
        if delay:
            await asyncio.sleep(delay)
            if fault["kind"] == "timeout":
                return _html(504, HTML_504, headers)
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                err = bad("The request body is not valid JSON.")
                return _json(err.status, err.body(), headers)
        with store.lock:
            store.tick()
            ctx = Ctx(
                request=request,
                store=store,
                op=op,
                seller_id=seller_id,
                token=info,
                body=body,
                path=dict(request.path_params),
            )
            try:
                status, payload = handler(ctx)
            except ApiError as err:
                return _json(err.status, err.body(), headers)
            except Exception:  # a simulator bug: answer like Amazon's InternalFailure and log it
                log.exception("simulator error in %s", op)
                body = {
                    "errors": [
                        {
                            "code": "InternalFailure",
                            "message": "We encountered an internal error. Please try again.",
                        }
                    ]
                }
                return _json(500, body, headers)
        return _json(status, payload, headers)

    endpoint.__name__ = op.replace(".", "_")
    return endpoint


# ---------------------------------------------------------------------------------------------- LWA
def _lwa_error(status: int, error: str, description: str) -> Response:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={
            "Cache-Control": "no-cache, no-store",
            "Pragma": "no-cache",
            "x-amzn-RequestId": str(uuid.uuid4()),
        },
    )


def make_lwa(store: Store):
    async def token(request: Request) -> Response:
        ctype = request.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" not in ctype:
            return _lwa_error(400, "invalid_request", "The request has an invalid parameter : Content-Type")
        raw = await request.body()
        try:
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
        except UnicodeDecodeError:
            return _lwa_error(400, "invalid_request", "The request body is not valid form data")
        grant = form.get("grant_type")
        with store.lock:
            store.tick()
            if not grant:
                return _lwa_error(
                    400, "invalid_request", "The request is missing a required parameter : grant_type"
                )
            if grant not in ("refresh_token", "client_credentials"):
                return _lwa_error(
                    400,
                    "unsupported_grant_type",
                    "The authorization grant type is not supported by the authorization server",
                )
            client_id = form.get("client_id")
            secret = form.get("client_secret")
            if not client_id:
                return _lwa_error(
                    400, "invalid_request", "The request is missing a required parameter : client_id"
                )
            sellers = [s for s in store.s["sellers"].values() if s["client_id"] == client_id]
            if not sellers or not any(hmac.compare_digest(s["client_secret"], secret or "") for s in sellers):
                return _lwa_error(401, "invalid_client", "Client authentication failed")
            headers = {
                "Cache-Control": "no-cache, no-store",
                "Pragma": "no-cache",
                "x-amzn-RequestId": str(uuid.uuid4()),
            }
            if grant == "refresh_token":
                refresh = form.get("refresh_token")
                if not refresh:
                    return _lwa_error(
                        400, "invalid_request", "The request is missing a required parameter : refresh_token"
                    )
                seller = next(
                    (s for s in sellers if s["refresh_token"] == refresh and s["client_secret"] == secret),
                    None,
                )
                if seller is None:
                    return _lwa_error(
                        400, "invalid_grant", "The request has an invalid grant parameter : refresh_token"
                    )
                issued = store.issue_access_token(seller_id=seller["seller_id"], client_id=client_id)
                body = {
                    "access_token": issued["token"],
                    "refresh_token": refresh,
                    "token_type": "bearer",
                    "expires_in": _real_lifetime(store, issued["lifetime"]),
                }
                return JSONResponse(body, headers=headers)
            scope = form.get("scope")
            if not scope:
                return _lwa_error(
                    400, "invalid_request", "The request is missing a required parameter : scope"
                )
            if any(s not in LWA_SCOPES for s in scope.split()):
                return _lwa_error(400, "invalid_scope", "The request has an invalid parameter : scope")
            issued = store.issue_access_token(seller_id=None, client_id=client_id, scope=scope)
            body = {
                "access_token": issued["token"],
                "scope": scope,
                "token_type": "bearer",
                "expires_in": _real_lifetime(store, issued["lifetime"]),
            }
            return JSONResponse(body, headers=headers)

    return token


def _real_lifetime(store: Store, sim_seconds: float) -> int:
    """expires_in in real seconds, so that clients honouring it refresh in time at any time scale."""
    return max(1, int(sim_seconds / store.clock.time_scale))


# ---------------------------------------------------------------------------------------------- documents
def _s3_error(status: int, code: str, message: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>'
    return Response(body, status_code=status, media_type="application/xml")


def _check_url(store: Store, request: Request, kind: str, doc_id: str) -> Response | None:
    q = request.query_params
    amz_date, expires, sig = q.get("X-Amz-Date"), q.get("X-Amz-Expires"), q.get("X-Amz-Signature")
    if not (amz_date and expires and sig) or not expires.isdigit():
        return _s3_error(
            403,
            "AccessDenied",
            "Query-string authentication requires the X-Amz-Date, X-Amz-Expires and X-Amz-Signature parameters",
        )
    if not hmac.compare_digest(sig, _sign(store, kind, doc_id, amz_date, int(expires))):
        return _s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    issued = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    if store.now() > issued + int(expires):
        return _s3_error(403, "AccessDenied", "Request has expired")
    return None


def make_docs(store: Store):
    async def feed_doc(request: Request) -> Response:
        doc_id = request.path_params["doc_id"]
        data = await request.body() if request.method == "PUT" else b""
        with store.lock:
            store.tick()
            error = _check_url(store, request, "feeds", doc_id)
            if error is not None:
                return error
            doc = store.s["feed_documents"].get(doc_id)
            if doc is None:
                return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
            if request.method == "PUT":
                if doc["kind"] != "input":
                    return _s3_error(403, "AccessDenied", "Access Denied")
                sent = (request.headers.get("content-type") or "").replace(" ", "").lower()
                if sent != doc["content_type"].replace(" ", "").lower():
                    return _s3_error(
                        403,
                        "SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you provided. Check the Content-Type: it must equal the contentType given to createFeedDocument.",
                    )
                doc["data_b64"] = base64.b64encode(data).decode("ascii")
                doc["uploaded"] = True
                etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
                return Response(status_code=200, headers={"ETag": f'"{etag}"'})
            if not doc["uploaded"]:
                return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
            data = feeds_mod.doc_bytes(doc)
            if doc["kind"] == "result":
                op = "downloadFeedDocument"
                fault = store.take_fault(
                    op, doc["seller_id"], kinds=("http_500", "http_503", "truncated_document")
                )
                if fault is not None:
                    store.stat(doc["seller_id"], op, "faults")
                    if fault["kind"] == "http_500":
                        return _html(500, HTML_500, {})
                    if fault["kind"] == "http_503":
                        return _html(503, HTML_503, {})
                    data = data[: max(1, len(data) // 2)]
            return Response(data, media_type=doc["content_type"])

    async def report_doc(request: Request) -> Response:
        doc_id = request.path_params["doc_id"]
        with store.lock:
            store.tick()
            error = _check_url(store, request, "reports", doc_id)
            if error is not None:
                return error
            doc = store.s["report_documents"].get(doc_id)
            if doc is None:
                return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
            data = doc["text"].encode(doc["encoding"], errors="xmlcharrefreplace")
            if doc["compression"] == "GZIP":
                data = gzip.compress(data, mtime=0)
            op = "downloadReportDocument"
            fault = store.take_fault(
                op, doc["seller_id"], kinds=("http_500", "http_503", "truncated_document", "false_gzip")
            )
            if fault is not None:
                store.stat(doc["seller_id"], op, "faults")
                if fault["kind"] == "http_500":
                    return _html(500, HTML_500, {})
                if fault["kind"] == "http_503":
                    return _html(503, HTML_503, {})
                if fault["kind"] == "truncated_document":
                    data = data[: max(1, len(data) // 2)]
                elif fault["kind"] == "false_gzip":
                    data = (
                        gzip.decompress(data)
                        if doc["compression"] == "GZIP"
                        else gzip.compress(data, mtime=0)
                    )
            charset = "Shift_JIS" if doc["encoding"] == "cp932" else doc["encoding"].upper()
            return Response(
                data,
                media_type=f"{doc['content_type']}; charset={charset}"
                if not doc["compression"]
                else "application/octet-stream",
            )

    return feed_doc, report_doc


def build_routes(store: Store) -> list[Route]:
    from .control import control_routes

    routes = [Route("/auth/o2/token", make_lwa(store), methods=["POST"])]
    for op in OPERATIONS:
        routes.append(Route(op.path, make_endpoint(store, op.name), methods=[op.method], name=op.name))
    feed_doc, report_doc = make_docs(store)
    routes.append(Route("/_docs/feeds/{doc_id}", feed_doc, methods=["GET", "PUT"]))
    routes.append(Route("/_docs/reports/{doc_id}", report_doc, methods=["GET"]))
    routes.extend(control_routes(store))
    return routes


def create_app(store: Store, *, state_file: str | None = None) -> Starlette:
    app = Starlette(routes=build_routes(store))
    app.state.store = store
    app.state.state_file = state_file
    return app


def handle_control_error(exc: ControlError) -> Response:
    return JSONResponse({"error": exc.message}, status_code=exc.status)
