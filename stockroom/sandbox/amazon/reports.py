"""Reports API: report lifecycle, schedules and the order report files (flat file and XML)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from lxml import etree

from ..common.clock import iso, iso_offset
from .render import item_totals
from .tables import EXCLUSIVE_SCHEDULE_GROUP, MARKETPLACES, SCHEDULE_PERIODS

if TYPE_CHECKING:
    from .state import Store

# Column lists: report-columns.json in the Stockroom reference data (compiled from Amazon's public order-report
# documentation, https://developer-docs.amazon.com/sp-api/docs/order-reports-attributes and
# .../order-tracking-reports-attributes).
FLAT_SHIPPING_COLUMNS = [
    "order-id", "order-item-id", "purchase-date", "payments-date", "buyer-email", "buyer-name",
    "buyer-phone-number", "sku", "product-name", "quantity-purchased", "currency", "item-price", "item-tax",
    "shipping-price", "shipping-tax", "ship-service-level", "recipient-name", "ship-address-1", "ship-address-2",
    "ship-address-3", "ship-city", "ship-state", "ship-postal-code", "ship-country", "ship-phone-number",
    "item-promotion-discount", "item-promotion-id", "ship-promotion-discount", "ship-promotion-id",
    "delivery-start-date", "delivery-end-date", "delivery-time-zone", "delivery-Instructions", "sales-channel",
]  # fmt: skip
FLAT_ALL_ORDERS_COLUMNS = [
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
    "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level", "product-name", "sku", "asin",
    "item-status", "quantity", "currency", "item-price", "item-tax", "shipping-price", "shipping-tax",
    "gift-wrap-price", "gift-wrap-tax", "item-promotion-discount", "ship-promotion-discount", "ship-city",
    "ship-state", "ship-postal-code", "ship-country", "promotion-ids", "is-business-order",
    "purchase-order-number", "price-designation",
]  # fmt: skip

ALL_ORDERS_STATUS = {
    "Pending": "Pending",
    "Unshipped": "Unshipped",
    "PartiallyShipped": "Shipping",
    "Shipped": "Shipped",
    "Canceled": "Cancelled",
}


def _public(entity: dict) -> dict:
    return {k: v for k, v in entity.items() if not k.startswith("_")}


def report_view(report: dict) -> dict:
    return _public(report)


def schedule_view(schedule: dict) -> dict:
    return _public(schedule)


def create_report(
    store: Store, seller_id: str, spec: dict, *, schedule_id: str | None = None, at: float | None = None
) -> dict:
    now = store.now() if at is None else at
    report_id = str(store.rng.randrange(10**11, 10**12))
    report = {
        "reportId": report_id,
        "reportType": spec["reportType"],
        "marketplaceIds": list(spec["marketplaceIds"]),
        "createdTime": iso(now),
        "processingStatus": "IN_QUEUE",
        "_seller": seller_id,
        "_created": now,
        "_start": spec.get("_start"),
        "_end": spec.get("_end"),
        "_next_at": now + store.settings["report_queue_seconds"],
        "_fatal": bool(spec.get("_fatal")),
        "_options": spec.get("reportOptions") or {},
    }
    if spec.get("dataStartTime"):
        report["dataStartTime"] = spec["dataStartTime"]
    if spec.get("dataEndTime"):
        report["dataEndTime"] = spec["dataEndTime"]
    if schedule_id:
        report["reportScheduleId"] = schedule_id
    store.s["reports"][report_id] = report
    store._schedule(report["_next_at"], "report", report_id)
    return report


def step_report(store: Store, report_id: str, due: float) -> None:
    report = store.s["reports"].get(report_id)
    if report is None or report["processingStatus"] not in ("IN_QUEUE", "IN_PROGRESS"):
        return
    if report["processingStatus"] == "IN_QUEUE":
        report["processingStatus"] = "IN_PROGRESS"
        report["processingStartTime"] = iso(due)
        report["_next_at"] = due + store.settings["report_processing_seconds"]
        store._schedule(report["_next_at"], "report", report_id)
        return
    report["processingEndTime"] = iso(due)
    if report["_fatal"]:
        report["processingStatus"] = "FATAL"
        return
    start = report["_start"] if report["_start"] is not None else due - 30 * 86400
    end = report["_end"] if report["_end"] is not None else due
    report.setdefault("dataStartTime", iso(start))  # Amazon reports the window it used
    report.setdefault("dataEndTime", iso(end))
    text, encoding, rows = generate(store, report, start, end)
    if rows == 0:
        report["processingStatus"] = "CANCELLED"  # "automatic cancellation if there is no data to return"
        return
    doc_id = (
        f"amzn1.spdoc.1.4.{_region(store, report)}.{store._uuid()}.T{store._digits(12)}.{store._digits(4)}"
    )
    store.s["report_documents"][doc_id] = {
        "id": doc_id,
        "report_id": report_id,
        "seller_id": report["_seller"],
        "report_type": report["reportType"],
        "text": text,
        "encoding": encoding,
        "compression": store.settings["report_compression"],
        "content_type": "text/xml" if text.startswith("<?xml") else "text/tab-separated-values",
    }
    report["processingStatus"] = "DONE"
    report["reportDocumentId"] = doc_id


def _region(store: Store, report: dict) -> str:
    return store.s["sellers"][report["_seller"]]["region"].lower()


def cancel_report(report: dict) -> bool:
    if report["processingStatus"] != "IN_QUEUE":
        return False
    report["processingStatus"] = "CANCELLED"
    return True


# ---------------------------------------------------------------------------------------------- schedules
def create_schedule(store: Store, seller_id: str, spec: dict) -> dict:
    now = store.now()
    same = set(spec["marketplaceIds"])
    for sid, sched in list(store.s["schedules"].items()):
        if sched["_seller"] != seller_id or set(sched["marketplaceIds"]) != same:
            continue
        if sched["reportType"] == spec["reportType"] or (
            sched["reportType"] in EXCLUSIVE_SCHEDULE_GROUP and spec["reportType"] in EXCLUSIVE_SCHEDULE_GROUP
        ):
            del store.s["schedules"][sid]  # a new schedule replaces the existing one
    schedule_id = str(store.rng.randrange(10**10, 10**11))
    period = SCHEDULE_PERIODS[spec["period"]]
    first = spec.get("_first") or now + period
    schedule = {
        "reportScheduleId": schedule_id,
        "reportType": spec["reportType"],
        "marketplaceIds": list(spec["marketplaceIds"]),
        "period": spec["period"],
        "nextReportCreationTime": iso(first),
        "_seller": seller_id,
        "_next_at": first,
        "_last_at": now,
    }
    if spec.get("reportOptions"):
        schedule["reportOptions"] = spec["reportOptions"]
    store.s["schedules"][schedule_id] = schedule
    store._schedule(first, "schedule", schedule_id)
    return schedule


def fire_schedule(store: Store, schedule_id: str, due: float, now: float) -> None:
    sched = store.s["schedules"].get(schedule_id)
    if sched is None or abs(sched["_next_at"] - due) > 1e-6:
        return  # cancelled or replaced
    create_report(
        store,
        sched["_seller"],
        {
            "reportType": sched["reportType"],
            "marketplaceIds": sched["marketplaceIds"],
            "dataStartTime": iso(sched["_last_at"]),
            "dataEndTime": iso(due),
            "_start": sched["_last_at"],
            "_end": due,
        },
        schedule_id=schedule_id,
        at=due,
    )
    period = SCHEDULE_PERIODS[sched["period"]]
    nxt = due + period
    if nxt <= now:  # after a big clock jump: produce one report, not hundreds
        nxt = now + period
    sched["_last_at"] = due
    sched["_next_at"] = nxt
    sched["nextReportCreationTime"] = iso(nxt)
    store._schedule(nxt, "schedule", schedule_id)


# ---------------------------------------------------------------------------------------------- content
def _orders_for(store: Store, report: dict) -> list[dict]:
    mps = set(report["marketplaceIds"])
    return [o for o in store.seller_orders(report["_seller"]) if o["marketplace_id"] in mps]


def generate(store: Store, report: dict, start: float, end: float) -> tuple[str, str, int]:
    rtype = report["reportType"]
    orders = _orders_for(store, report)
    jp = any(MARKETPLACES[m].country == "JP" for m in report["marketplaceIds"])
    flat_encoding = "cp932" if jp else "utf-8"
    if rtype == "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING":
        chosen = [o for o in orders if _paid_in(o, start, end)]
        text, rows = flat_shipping(chosen)
        return text, flat_encoding, rows
    if rtype == "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL":
        chosen = [o for o in orders if start <= o["last_updated"] <= end]
        text, rows = flat_all_orders(chosen)
        return text, flat_encoding, rows
    if rtype == "GET_ORDER_REPORT_DATA_SHIPPING":
        chosen = [o for o in orders if _paid_in(o, start, end)]
        seller = store.s["sellers"][report["_seller"]]
        return xml_order_report(chosen, seller["seller_id"]), "utf-8", len(chosen)
    if rtype == "GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL":
        chosen = [o for o in orders if start <= o["last_updated"] <= end]
        return xml_all_orders(chosen), "iso-8859-1", len(chosen)
    raise ValueError(rtype)


def _paid_in(order: dict, start: float, end: float) -> bool:
    paid = order.get("payments_at")
    return order["status"] != "Canceled" and paid is not None and start <= paid <= end


def _clean(value) -> str:
    return "" if value is None else str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _amount(value: Decimal, currency: str) -> str:
    return str(value.quantize(Decimal("1") if currency == "JPY" else Decimal("0.01")))


def flat_shipping(orders: list[dict]) -> tuple[str, int]:
    lines = ["\t".join(FLAT_SHIPPING_COLUMNS)]
    for o in orders:
        a = o["address"]
        market = MARKETPLACES[o["marketplace_id"]]
        for item in o["items"]:
            t = item_totals(item)
            cur = o["currency"]
            row = {
                "order-id": o["order_id"],
                "order-item-id": item["order_item_id"],
                "purchase-date": iso_offset(o["created_at"]),
                "payments-date": iso_offset(o["payments_at"]),
                "buyer-email": o["buyer_email"],
                "buyer-name": o["buyer_name"],
                "buyer-phone-number": a.get("phone", ""),
                "sku": item["sku"],
                "product-name": item["title"],
                "quantity-purchased": item["quantity"],
                "currency": cur,
                "item-price": _amount(t["item_price"], cur),
                "item-tax": _amount(t["item_tax"], cur),
                "shipping-price": _amount(t["shipping_price"], cur),
                "shipping-tax": _amount(t["shipping_tax"], cur),
                "ship-service-level": o["ship_service_level"],
                "recipient-name": a.get("name", o["buyer_name"]),
                "ship-address-1": a.get("address_line1", ""),
                "ship-address-2": a.get("address_line2", ""),
                "ship-address-3": a.get("address_line3", ""),
                "ship-city": a.get("city", ""),
                "ship-state": a.get("state_or_region", ""),
                "ship-postal-code": a.get("postal_code", ""),
                "ship-country": a.get("country_code", ""),
                "ship-phone-number": a.get("phone", ""),
                "item-promotion-discount": _amount(
                    -t["promotion_discount"] if t["promotion_discount"] else Decimal(0), cur
                ),
                "ship-promotion-discount": _amount(Decimal(0), cur),
                "sales-channel": market.name,
            }
            lines.append("\t".join(_clean(row.get(c, "")) for c in FLAT_SHIPPING_COLUMNS))
    return "\n".join(lines) + "\n", len(lines) - 1


def flat_all_orders(orders: list[dict]) -> tuple[str, int]:
    lines = ["\t".join(FLAT_ALL_ORDERS_COLUMNS)]
    for o in orders:
        a = o["address"]
        market = MARKETPLACES[o["marketplace_id"]]
        for item in o["items"]:
            t = item_totals(item)
            cur = o["currency"]
            pending = o["status"] == "Pending"
            if o["status"] == "Canceled":
                item_status = "Cancelled"
            elif item["quantity_shipped"] >= item["quantity"]:
                item_status = "Shipped"
            else:
                item_status = "Unshipped"
            row = {
                "amazon-order-id": o["order_id"],
                "merchant-order-id": o.get("seller_order_id") or "",
                "purchase-date": iso_offset(o["created_at"]),
                "last-updated-date": iso_offset(o["last_updated"]),
                "order-status": ALL_ORDERS_STATUS[o["status"]],
                "fulfillment-channel": "Merchant" if o["fulfillment_channel"] == "MFN" else "Amazon",
                "sales-channel": market.name,
                "ship-service-level": o["shipping_level"],
                "product-name": item["title"],
                "sku": item["sku"],
                "asin": item["asin"],
                "item-status": item_status,
                "quantity": item["quantity"],
                "currency": cur,
                "item-price": "" if pending else _amount(t["item_price"], cur),
                "item-tax": "" if pending else _amount(t["item_tax"], cur),
                "shipping-price": "" if pending else _amount(t["shipping_price"], cur),
                "shipping-tax": "" if pending else _amount(t["shipping_tax"], cur),
                "ship-city": a.get("city", ""),
                "ship-state": a.get("state_or_region", ""),
                "ship-postal-code": a.get("postal_code", ""),
                "ship-country": a.get("country_code", ""),
                "is-business-order": "true" if o["is_business_order"] else "false",
            }
            lines.append("\t".join(_clean(row.get(c, "")) for c in FLAT_ALL_ORDERS_COLUMNS))
    return "\n".join(lines) + "\n", len(lines) - 1


def _sub(parent, tag: str, text=None, **attrib):
    el = etree.SubElement(parent, tag, **attrib)
    if text is not None:
        el.text = str(text)
    return el


def _envelope(doc_version: str, merchant: str | None, message_type: str):
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element("AmazonEnvelope", nsmap={"xsi": xsi})
    root.set(f"{{{xsi}}}noNamespaceSchemaLocation", "amzn-envelope.xsd")
    header = _sub(root, "Header")
    _sub(header, "DocumentVersion", doc_version)
    if merchant:
        _sub(header, "MerchantIdentifier", merchant)
    _sub(root, "MessageType", message_type)
    return root


def _serialise(root, encoding: str) -> str:
    data = etree.tostring(root, xml_declaration=True, encoding=encoding.upper(), pretty_print=True)
    return data.decode(encoding)


def _components(parent, parts: list[tuple[str, Decimal]], currency: str) -> None:
    price = _sub(parent, "ItemPrice")
    for kind, value in parts:
        comp = _sub(price, "Component")
        _sub(comp, "Type", kind)
        _sub(comp, "Amount", _amount(value, currency), currency=currency)


def xml_order_report(orders: list[dict], merchant: str) -> str:
    root = _envelope("1.01", merchant, "OrderReport")
    for n, o in enumerate(orders, start=1):
        a = o["address"]
        msg = _sub(root, "Message")
        _sub(msg, "MessageID", n)
        rep = _sub(msg, "OrderReport")
        _sub(rep, "AmazonOrderID", o["order_id"])
        _sub(rep, "AmazonSessionID", o["order_id"])
        _sub(rep, "OrderDate", iso_offset(o["created_at"]))
        _sub(rep, "OrderPostedDate", iso_offset(o["payments_at"]))
        billing = _sub(rep, "BillingData")
        _sub(billing, "BuyerEmailAddress", o["buyer_email"])
        _sub(billing, "BuyerName", o["buyer_name"])
        _sub(billing, "BuyerPhoneNumber", a.get("phone", ""))
        ful = _sub(rep, "FulfillmentData")
        _sub(ful, "FulfillmentMethod", "Ship")
        _sub(ful, "FulfillmentServiceLevel", o["shipping_level"])
        addr = _sub(ful, "Address")
        _sub(addr, "Name", a.get("name", o["buyer_name"]))
        for src, tag in (
            ("address_line1", "AddressFieldOne"),
            ("address_line2", "AddressFieldTwo"),
            ("address_line3", "AddressFieldThree"),
            ("city", "City"),
            ("state_or_region", "StateOrRegion"),
            ("postal_code", "PostalCode"),
        ):
            if a.get(src):
                _sub(addr, tag, a[src])
        _sub(addr, "CountryCode", a.get("country_code", ""))
        _sub(addr, "PhoneNumber", a.get("phone", ""))
        _sub(rep, "IsBusinessOrder", "true" if o["is_business_order"] else "false")
        _sub(rep, "IsPrime", "true" if o["is_prime"] else "false")
        for item in o["items"]:
            t = item_totals(item)
            el = _sub(rep, "Item")
            _sub(el, "AmazonOrderItemCode", item["order_item_id"])
            _sub(el, "SKU", item["sku"])
            _sub(el, "Title", item["title"])
            _sub(el, "Quantity", item["quantity"])
            _sub(el, "ProductTaxCode", "A_GEN_STANDARD")
            _components(
                el,
                [
                    ("Principal", t["item_price"]),
                    ("Shipping", t["shipping_price"]),
                    ("Tax", t["item_tax"]),
                    ("ShippingTax", t["shipping_tax"]),
                ],
                o["currency"],
            )
    return _serialise(root, "utf-8")


def xml_all_orders(orders: list[dict]) -> str:
    root = _envelope("1.00", None, "AllOrdersReport")
    for o in orders:
        a = o["address"]
        msg = _sub(root, "Message")
        el = _sub(msg, "Order")
        _sub(el, "AmazonOrderID", o["order_id"])
        _sub(el, "MerchantOrderID", o.get("seller_order_id") or o["order_id"])
        _sub(el, "PurchaseDate", iso_offset(o["created_at"]))
        _sub(el, "LastUpdatedDate", iso_offset(o["last_updated"]))
        _sub(el, "OrderStatus", ALL_ORDERS_STATUS[o["status"]])
        _sub(el, "SalesChannel", MARKETPLACES[o["marketplace_id"]].name)
        ful = _sub(el, "FulfillmentData")
        _sub(ful, "FulfillmentChannel", "Merchant" if o["fulfillment_channel"] == "MFN" else "Amazon")
        _sub(ful, "ShipServiceLevel", o["shipping_level"])
        addr = _sub(ful, "Address")
        _sub(addr, "City", a.get("city", ""))
        _sub(addr, "State", a.get("state_or_region", ""))
        _sub(addr, "PostalCode", a.get("postal_code", ""))
        _sub(addr, "Country", a.get("country_code", ""))
        _sub(el, "IsBusinessOrder", "true" if o["is_business_order"] else "false")
        for item in o["items"]:
            t = item_totals(item)
            oi = _sub(el, "OrderItem")
            _sub(oi, "ASIN", item["asin"])
            _sub(oi, "SKU", item["sku"])
            if o["status"] == "Canceled":
                status = "Cancelled"
            else:
                status = "Shipped" if item["quantity_shipped"] >= item["quantity"] else "Unshipped"
            _sub(oi, "ItemStatus", status)
            _sub(oi, "ProductName", item["title"])
            _sub(oi, "Quantity", item["quantity"])
            if o["status"] != "Pending":
                _components(
                    oi, [("Principal", t["item_price"]), ("Shipping", t["shipping_price"])], o["currency"]
                )
    return _serialise(root, "iso-8859-1")
