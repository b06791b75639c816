"""Feeds API: feed documents, feed lifecycle and processing of the supported feed types."""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
from typing import TYPE_CHECKING

import defusedxml.ElementTree as DET
import jsonschema
from lxml import etree

from ..common.clock import iso, parse_iso
from .listings import apply_changes, evaluate_patches
from .listings_feed_schema import LISTINGS_FEED_SCHEMA
from .tables import CARRIER_CODES, FEED_TYPES_REMOVED

if TYPE_CHECKING:
    from .state import Store

_VALIDATOR = jsonschema.Draft7Validator(LISTINGS_FEED_SCHEMA)


def feed_view(feed: dict) -> dict:
    return {k: v for k, v in feed.items() if not k.startswith("_")}


def create_document(
    store: Store, seller_id: str, content_type: str, *, kind: str = "input", data: bytes | None = None
) -> dict:
    region = store.s["sellers"][seller_id]["region"].lower() if seller_id in store.s["sellers"] else "na"
    doc_id = f"amzn1.tortuga.4.{region}.{store._uuid()}.T{store._digits(13)}"
    doc = {
        "id": doc_id,
        "seller_id": seller_id,
        "content_type": content_type,
        "kind": kind,
        "created_at": store.now(),
        "uploaded": data is not None,
        "data_b64": base64.b64encode(data).decode("ascii") if data is not None else None,
    }
    store.s["feed_documents"][doc_id] = doc
    return doc


def doc_bytes(doc: dict) -> bytes:
    return base64.b64decode(doc["data_b64"]) if doc.get("data_b64") else b""


def create_feed(store: Store, seller_id: str, spec: dict, *, fatal: bool = False) -> dict:
    now = store.now()
    feed_id = str(store.rng.randrange(10**10, 10**11))
    feed = {
        "feedId": feed_id,
        "feedType": spec["feedType"],
        "marketplaceIds": list(spec["marketplaceIds"]),
        "createdTime": iso(now),
        "processingStatus": "IN_QUEUE",
        "_seller": seller_id,
        "_created": now,
        "_input": spec["inputFeedDocumentId"],
        "_options": spec.get("feedOptions") or {},
        "_next_at": now + store.settings["feed_queue_seconds"],
        "_fatal": fatal,
    }
    store.s["feeds"][feed_id] = feed
    store._schedule(feed["_next_at"], "feed", feed_id)
    return feed


def step_feed(store: Store, feed_id: str, due: float) -> None:
    feed = store.s["feeds"].get(feed_id)
    if feed is None or feed["processingStatus"] not in ("IN_QUEUE", "IN_PROGRESS"):
        return
    if feed["processingStatus"] == "IN_QUEUE":
        feed["processingStatus"] = "IN_PROGRESS"
        feed["processingStartTime"] = iso(due)
        feed["_next_at"] = due + store.settings["feed_processing_seconds"]
        store._schedule(feed["_next_at"], "feed", feed_id)
        return
    feed["processingEndTime"] = iso(due)
    doc = store.s["feed_documents"].get(feed["_input"])
    if feed["_fatal"] or feed["feedType"] in FEED_TYPES_REMOVED or doc is None or not doc["uploaded"]:
        feed["processingStatus"] = "FATAL"
        return
    data = doc_bytes(doc)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except OSError:
            feed["processingStatus"] = "FATAL"
            return
    ftype = feed["feedType"]
    if ftype == "JSON_LISTINGS_FEED":
        status, content, ctype = process_json_listings(store, feed, data, due)
    elif ftype == "POST_ORDER_FULFILLMENT_DATA":
        status, content, ctype = process_xml_fulfillment(store, feed, data, due)
    elif ftype == "POST_FLAT_FILE_FULFILLMENT_DATA":
        status, content, ctype = process_flat_fulfillment(store, feed, data, due)
    else:  # pragma: no cover - createFeed rejects other types
        status, content, ctype = "FATAL", None, None
    feed["processingStatus"] = status
    if content is not None:
        result = create_document(store, feed["_seller"], ctype, kind="result", data=content)
        feed["resultFeedDocumentId"] = result["id"]


def cancel_feed(feed: dict) -> bool:
    if feed["processingStatus"] != "IN_QUEUE":
        return False
    feed["processingStatus"] = "CANCELLED"
    return True


# ---------------------------------------------------------------------------------------------- JSON listings
def _json_report(
    store: Store, feed: dict, issues: list[dict], processed: int, accepted: int, invalid: int
) -> bytes:
    report = {
        "header": {"sellerId": feed["_seller"], "version": "2.0", "feedId": feed["feedId"]},
        "issues": issues,
        "summary": {
            "errors": sum(1 for i in issues if i["severity"] == "ERROR"),
            "warnings": sum(1 for i in issues if i["severity"] == "WARNING"),
            "messagesProcessed": processed,
            "messagesAccepted": accepted,
            "messagesInvalid": invalid,
        },
    }
    return json.dumps(report, indent=2).encode("utf-8")


def process_json_listings(store: Store, feed: dict, data: bytes, at: float) -> tuple[str, bytes | None, str]:
    ctype = "application/json"
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        issue = {
            "code": "100001",
            "severity": "ERROR",
            "message": f"The feed document is not valid JSON: {exc}",
        }
        return "FATAL", _json_report(store, feed, [issue], 0, 0, 0), ctype
    message_errors: dict[int, list[str]] = {}
    fatal: list[str] = []
    for err in _VALIDATOR.iter_errors(doc):
        path = list(err.absolute_path)
        if len(path) >= 2 and path[0] == "messages" and isinstance(path[1], int):
            message_errors.setdefault(path[1], []).append(err.message)
        else:
            fatal.append(f"{'/'.join(str(p) for p in path) or '(root)'}: {err.message}")
    if not fatal and doc["header"]["sellerId"] != feed["_seller"]:
        fatal.append(f"header/sellerId '{doc['header']['sellerId']}' does not match the submitting seller.")
    if fatal:
        issues = [{"code": "100002", "severity": "ERROR", "message": m} for m in fatal]
        return "FATAL", _json_report(store, feed, issues, 0, 0, 0), ctype
    issues: list[dict] = []
    accepted = invalid = 0
    seller_id = feed["_seller"]
    for idx, msg in enumerate(doc["messages"]):
        mid = (
            msg.get("messageId")
            if isinstance(msg.get("messageId"), int) and msg.get("messageId", 0) >= 1
            else None
        )
        sku = msg.get("sku") if isinstance(msg.get("sku"), str) and msg.get("sku") else None
        base = {k: v for k, v in (("messageId", mid), ("sku", sku)) if v is not None}
        if idx in message_errors:
            invalid += 1
            for text in message_errors[idx]:
                issues.append(
                    {**base, "code": "4000001", "severity": "ERROR", "message": f"Invalid message: {text}"}
                )
            continue
        listing = store.listing(seller_id, sku)
        op = msg["operationType"]
        if op == "PATCH":
            patches = msg["patches"]
        elif op in ("UPDATE", "PARTIAL_UPDATE"):
            patches = [
                {"op": "replace", "path": f"/attributes/{k}", "value": v}
                for k, v in msg["attributes"].items()
            ]
        else:  # DELETE
            patches = []
        if op == "DELETE":
            if listing is None:
                issues.append(
                    {
                        **base,
                        "code": "4000003",
                        "severity": "ERROR",
                        "message": f"The listings item with SKU '{sku}' does not exist for this seller.",
                    }
                )
                invalid += 1
            else:
                del store.s["listings"][seller_id][sku]
                accepted += 1
            continue
        found, quantity, others = evaluate_patches(listing, sku, patches)
        if found:
            invalid += 1
            for issue in found:
                entry = {
                    **base,
                    "code": issue["code"],
                    "severity": issue["severity"],
                    "message": issue["message"],
                }
                if issue.get("attributeNames"):
                    entry["attributeName"] = issue["attributeNames"][0]
                issues.append(entry)
            continue
        apply_changes(store, seller_id, listing, quantity, others, f"feed:{feed['feedId']}", at=at)
        accepted += 1
    return "DONE", _json_report(store, feed, issues, len(doc["messages"]), accepted, invalid), ctype


# ---------------------------------------------------------------------------------------------- fulfillment
def _confirm(
    store: Store, feed: dict, order_id: str, ship: dict, lines: list[dict] | None, at: float
) -> tuple[str, str] | None:
    """Validate and apply one shipment from a fulfillment feed. Returns (code, message) on error."""
    order = store.s["orders"].get(order_id)
    if order is None or order["seller_id"] != feed["_seller"]:
        return "18028", f"The order id {order_id} was not found for this seller."
    carrier = ship.get("carrier_code") or ""
    if not carrier:
        return "18037", "CarrierCode is required."
    if carrier not in CARRIER_CODES:
        return (
            "18123",
            f"The CarrierCode '{carrier}' is not a valid carrier code; use 'Other' with CarrierName.",
        )
    if carrier == "Other" and not ship.get("carrier_name"):
        return "18124", "CarrierName is required when CarrierCode is 'Other'."
    if lines is None:  # no items given: ship everything still unshipped
        lines = [
            {"order_item_id": i["order_item_id"], "quantity": i["quantity"] - i["quantity_shipped"]}
            for i in order["items"]
            if i["quantity"] > i["quantity_shipped"]
        ]
        if not lines and order["status"] not in ("Pending", "Canceled"):
            return "18003", f"The order {order_id} has already been shipped."
    problem = store.validate_shipment(order, None, lines)
    if problem:
        return "18003", problem
    ref = str(len(order["shipments"]) + 1)
    while any(s["package_reference_id"] == ref for s in order["shipments"]):
        ref = str(int(ref) + 1)
    store.record_shipment(
        order,
        {
            "package_reference_id": ref,
            "carrier_code": carrier,
            "carrier_name": ship.get("carrier_name"),
            "tracking_number": ship.get("tracking_number"),
            "ship_date": ship.get("ship_date", at),
            "shipping_method": ship.get("shipping_method"),
            "items": lines,
            "via": f"feed:{feed['feedType']}:{feed['feedId']}",
            "received_at": at,
        },
        at,
    )
    return None


def _text(el, tag: str) -> str | None:
    found = el.find(tag)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def process_xml_fulfillment(store: Store, feed: dict, data: bytes, at: float) -> tuple[str, bytes, str]:
    results: list[dict] = []
    processed = 0
    try:
        root = DET.fromstring(data)
    except Exception as exc:  # noqa: BLE001 - any parse error is a feed-level error
        results.append({"id": "0", "code": "5001", "desc": f"XML parsing error: {exc}", "order": None})
        return "DONE", _processing_report(feed, 0, results), "text/xml"
    if root.tag != "AmazonEnvelope" or _text(root, "MessageType") != "OrderFulfillment":
        results.append(
            {
                "id": "0",
                "code": "5001",
                "desc": "Expected an AmazonEnvelope with MessageType OrderFulfillment.",
                "order": None,
            }
        )
        return "DONE", _processing_report(feed, 0, results), "text/xml"
    for msg in root.findall("Message"):
        processed += 1
        mid = _text(msg, "MessageID") or str(processed)
        of = msg.find("OrderFulfillment")
        if of is None:
            results.append(
                {"id": mid, "code": "5000", "desc": "Message has no OrderFulfillment element.", "order": None}
            )
            continue
        order_id = _text(of, "AmazonOrderID")
        if not order_id:
            results.append({"id": mid, "code": "5000", "desc": "AmazonOrderID is required.", "order": None})
            continue
        fd = of.find("FulfillmentData")
        ship = {}
        try:
            ship["ship_date"] = parse_iso(_text(of, "FulfillmentDate") or "")
        except ValueError:
            results.append(
                {
                    "id": mid,
                    "code": "5000",
                    "desc": "FulfillmentDate is missing or not a valid date-time.",
                    "order": order_id,
                }
            )
            continue
        if fd is not None:
            ship["carrier_code"] = _text(fd, "CarrierCode")
            ship["carrier_name"] = _text(fd, "CarrierName")
            ship["shipping_method"] = _text(fd, "ShippingMethod")
            ship["tracking_number"] = _text(fd, "ShipperTrackingNumber")
        lines = None
        items = of.findall("Item")
        if items:
            lines = []
            for it in items:
                try:
                    qty = int(_text(it, "Quantity") or "0")
                except ValueError:
                    qty = 0
                lines.append({"order_item_id": _text(it, "AmazonOrderItemCode") or "", "quantity": qty})
        err = _confirm(store, feed, order_id, ship, lines, at)
        if err:
            results.append({"id": mid, "code": err[0], "desc": err[1], "order": order_id})
    return "DONE", _processing_report(feed, processed, results), "text/xml"


def _processing_report(feed: dict, processed: int, results: list[dict]) -> bytes:
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element("AmazonEnvelope", nsmap={"xsi": xsi})
    root.set(f"{{{xsi}}}noNamespaceSchemaLocation", "amzn-envelope.xsd")
    header = etree.SubElement(root, "Header")
    etree.SubElement(header, "DocumentVersion").text = "1.02"
    etree.SubElement(header, "MerchantIdentifier").text = feed["_seller"]
    etree.SubElement(root, "MessageType").text = "ProcessingReport"
    msg = etree.SubElement(root, "Message")
    etree.SubElement(msg, "MessageID").text = "1"
    rep = etree.SubElement(msg, "ProcessingReport")
    etree.SubElement(rep, "DocumentTransactionID").text = feed["feedId"]
    etree.SubElement(rep, "StatusCode").text = "Complete"
    summary = etree.SubElement(rep, "ProcessingSummary")
    failed = len({r["id"] for r in results if r["id"] != "0"})
    etree.SubElement(summary, "MessagesProcessed").text = str(processed)
    etree.SubElement(summary, "MessagesSuccessful").text = str(processed - failed)
    etree.SubElement(summary, "MessagesWithError").text = str(failed if processed else len(results))
    etree.SubElement(summary, "MessagesWithWarning").text = "0"
    for r in results:
        res = etree.SubElement(rep, "Result")
        etree.SubElement(res, "MessageID").text = r["id"]
        etree.SubElement(res, "ResultCode").text = "Error"
        etree.SubElement(res, "ResultMessageCode").text = r["code"]
        etree.SubElement(res, "ResultDescription").text = r["desc"]
        if r.get("order"):
            info = etree.SubElement(res, "AdditionalInfo")
            etree.SubElement(info, "AmazonOrderID").text = r["order"]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


FLAT_REQUIRED = ("order-id", "ship-date", "carrier-code")


def process_flat_fulfillment(store: Store, feed: dict, data: bytes, at: float) -> tuple[str, bytes, str]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    rows = [r for r in rows if any(c.strip() for c in r)]
    errors: list[tuple[int, str, str, str, str]] = []  # record no, order id, item id, code, message
    if not rows or any(c not in [h.strip() for h in rows[0]] for c in FLAT_REQUIRED):
        errors.append(
            (0, "", "", "90001", f"The header row must contain the columns {', '.join(FLAT_REQUIRED)}.")
        )
        return "DONE", _flat_report(0, errors), "text/tab-separated-values; charset=UTF-8"
    header = [h.strip() for h in rows[0]]
    records = [dict(zip(header, (c.strip() for c in r), strict=False)) for r in rows[1:]]
    packages: dict[tuple[str, str], dict] = {}
    for n, rec in enumerate(records, start=1):
        order_id = rec.get("order-id", "")
        key = (order_id, rec.get("tracking-number", "") or f"row{n}")
        pkg = packages.setdefault(key, {"records": [], "rec": rec, "lines": []})
        pkg["records"].append(n)
        if rec.get("order-item-id"):
            try:
                qty = int(rec.get("quantity") or "0")
            except ValueError:
                qty = 0
            pkg["lines"].append({"order_item_id": rec["order-item-id"], "quantity": qty})
    for (order_id, _tracking), pkg in packages.items():
        rec = pkg["rec"]
        try:
            ship_date = parse_iso(rec.get("ship-date", ""))
        except ValueError:
            for n in pkg["records"]:
                errors.append(
                    (
                        n,
                        order_id,
                        rec.get("order-item-id", ""),
                        "90002",
                        "ship-date is missing or not a valid date.",
                    )
                )
            continue
        ship = {
            "ship_date": ship_date,
            "carrier_code": rec.get("carrier-code"),
            "carrier_name": rec.get("carrier-name") or None,
            "shipping_method": rec.get("ship-method") or None,
            "tracking_number": rec.get("tracking-number") or None,
        }
        err = _confirm(store, feed, order_id, ship, pkg["lines"] or None, at)
        if err:
            for n in pkg["records"]:
                errors.append((n, order_id, records[n - 1].get("order-item-id", ""), err[0], err[1]))
    return "DONE", _flat_report(len(records), errors), "text/tab-separated-values; charset=UTF-8"


def _flat_report(processed: int, errors: list[tuple]) -> bytes:
    failed = len({e[0] for e in errors if e[0]})
    lines = [
        "Feed Processing Summary:",
        f"\tNumber of records processed\t\t{processed}",
        f"\tNumber of records successful\t\t{processed - failed}",
        "",
    ]
    if errors:
        lines.append("original-record-number\torder-id\torder-item-id\terror-code\terror-type\terror-message")
        for n, order_id, item_id, code, message in errors:
            lines.append(f"{n}\t{order_id}\t{item_id}\t{code}\tError\t{message}")
    return ("\n".join(lines) + "\n").encode("utf-8")
