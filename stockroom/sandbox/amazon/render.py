"""Render internal orders/listings in the exact JSON shapes of the SP-API models."""

from __future__ import annotations

from decimal import Decimal

from ..common.clock import iso
from .tables import MARKETPLACES

STATUS_2026 = {
    "Pending": "PENDING",
    "Unshipped": "UNSHIPPED",
    "PartiallyShipped": "PARTIALLY_SHIPPED",
    "Shipped": "SHIPPED",
    "Canceled": "CANCELLED",
}
STATUS_FROM_2026 = {v: k for k, v in STATUS_2026.items()}


def _dec(value: str) -> Decimal:
    return Decimal(value)


_WHOLE = Decimal("1")
_CENT = Decimal("0.01")


def _fmt(value: Decimal, currency: str) -> str:
    if currency == "JPY":
        return str(value.quantize(_WHOLE))
    return str(value.quantize(_CENT))


def item_totals(item: dict) -> dict:
    price = _dec(item["unit_price"]) * item["quantity"]
    return {
        "item_price": price,
        "shipping_price": _dec(item["shipping_price"]),
        "item_tax": _dec(item["item_tax"]),
        "shipping_tax": _dec(item["shipping_tax"]),
        "promotion_discount": _dec(item["promotion_discount"]),
    }


def order_total(order: dict) -> Decimal:
    total = Decimal(0)
    for item in order["items"]:
        t = item_totals(item)
        total += t["item_price"] + t["shipping_price"] - t["promotion_discount"]
    return total


def _v0_money(value: Decimal, currency: str) -> dict:
    return {"CurrencyCode": currency, "Amount": _fmt(value, currency)}


def _v0_address(order: dict, *, pii: bool) -> dict:
    a = order["address"]
    out = {}
    if pii:
        for src, dst in (
            ("name", "Name"),
            ("company_name", "CompanyName"),
            ("address_line1", "AddressLine1"),
            ("address_line2", "AddressLine2"),
            ("address_line3", "AddressLine3"),
        ):
            if a.get(src):
                out[dst] = a[src]
    for src, dst in (
        ("city", "City"),
        ("county", "County"),
        ("state_or_region", "StateOrRegion"),
        ("postal_code", "PostalCode"),
    ):
        if a.get(src):
            out[dst] = a[src]
    out["CountryCode"] = a.get("country_code", "")
    if pii and a.get("phone"):
        out["Phone"] = a["phone"]
    if pii:
        out["AddressType"] = "Commercial" if a.get("address_type") == "Commercial" else "Residential"
    return out


def v0_order(order: dict, *, pii: bool = False, ship_from: dict | None = None) -> dict:
    """Orders v0 `Order`. PII (buyer info, street address) only with a Restricted Data Token."""
    market = MARKETPLACES[order["marketplace_id"]]
    shipped = sum(i["quantity_shipped"] for i in order["items"])
    ordered = sum(i["quantity"] for i in order["items"])
    out = {
        "AmazonOrderId": order["order_id"],
        "PurchaseDate": iso(order["created_at"]),
        "LastUpdateDate": iso(order["last_updated"]),
        "OrderStatus": order["status"],
        "FulfillmentChannel": order["fulfillment_channel"],
        "SalesChannel": market.name,
        "ShipServiceLevel": order["ship_service_level"],
        "NumberOfItemsShipped": shipped,
        "NumberOfItemsUnshipped": 0 if order["status"] == "Canceled" else ordered - shipped,
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"],
        "MarketplaceId": order["marketplace_id"],
        "ShipmentServiceLevelCategory": order["shipping_level"],
        "OrderType": "StandardOrder",
        "EarliestShipDate": iso(order["created_at"]),
        "LatestShipDate": iso(order["created_at"] + 2 * 86400),
        "IsBusinessOrder": order["is_business_order"],
        "IsPrime": order["is_prime"],
        "IsPremiumOrder": False,
        "IsGlobalExpressEnabled": False,
        "IsReplacementOrder": False,
        "IsSoldByAB": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
        "HasRegulatedItems": False,
    }
    if ship_from:
        addr = {"Name": ship_from.get("name", ""), "AddressLine1": ship_from.get("address_line1", "")}
        for src, dst in (
            ("city", "City"),
            ("state_or_region", "StateOrRegion"),
            ("postal_code", "PostalCode"),
        ):
            if ship_from.get(src):
                addr[dst] = ship_from[src]
        addr["CountryCode"] = ship_from.get("country_code", "")
        out["DefaultShipFromLocationAddress"] = addr
    if order["status"] != "Pending":
        out["OrderTotal"] = _v0_money(order_total(order), order["currency"])
    if order.get("seller_order_id"):
        out["SellerOrderId"] = order["seller_order_id"]
    if order["status"] != "Pending":
        out["ShippingAddress"] = _v0_address(order, pii=pii)
    if pii:
        out["BuyerInfo"] = {"BuyerEmail": order["buyer_email"], "BuyerName": order["buyer_name"]}
    return out


def v0_order_items(order: dict) -> list[dict]:
    out = []
    cur = order["currency"]
    for item in order["items"]:
        t = item_totals(item)
        entry = {
            "ASIN": item["asin"],
            "SellerSKU": item["sku"],
            "OrderItemId": item["order_item_id"],
            "Title": item["title"],
            "QuantityOrdered": item["quantity"],
            "QuantityShipped": item["quantity_shipped"],
            "ProductInfo": {"NumberOfItems": "1"},
            "ItemPrice": _v0_money(t["item_price"], cur),
            "ShippingPrice": _v0_money(t["shipping_price"], cur),
            "ItemTax": _v0_money(t["item_tax"], cur),
            "ShippingTax": _v0_money(t["shipping_tax"], cur),
            "ShippingDiscount": _v0_money(Decimal(0), cur),
            "ShippingDiscountTax": _v0_money(Decimal(0), cur),
            "PromotionDiscount": _v0_money(t["promotion_discount"], cur),
            "PromotionDiscountTax": _v0_money(Decimal(0), cur),
            "PromotionIds": [],
            "IsGift": "false",
            "ConditionId": "New",
            "ConditionSubtypeId": "New",
            "IsTransparency": False,
            "SerialNumberRequired": False,
        }
        if order["cancellation"] and order["cancellation"]["by"] == "buyer":
            entry["BuyerRequestedCancel"] = {
                "IsBuyerRequestedCancel": "true",
                "BuyerCancelReason": order["cancellation"]["reason"] or "Buyer cancelled",
            }
        out.append(entry)
    return out


def v0_address_payload(order: dict) -> dict:
    return {"AmazonOrderId": order["order_id"], "ShippingAddress": _v0_address(order, pii=True)}


def _money(value: Decimal, currency: str) -> dict:
    return {"amount": _fmt(value, currency), "currencyCode": currency}


def order_2026(order: dict, included: set[str]) -> dict:
    """Orders 2026-01-01 `Order`, with the datasets named in `includedData`."""
    market = MARKETPLACES[order["marketplace_id"]]
    cur = order["currency"]
    out: dict = {
        "orderId": order["order_id"],
        "createdTime": iso(order["created_at"]),
        "lastUpdatedTime": iso(order["last_updated"]),
        "programs": ["PRIME"] if order["is_prime"] else [],
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": market.id, "marketplaceName": market.name},
    }
    if order.get("seller_order_id"):
        out["orderAliases"] = [{"aliasId": order["seller_order_id"], "aliasType": "SELLER_ORDER_ID"}]
    if "BUYER" in included:
        out["buyer"] = {"buyerName": order["buyer_name"], "buyerEmail": order["buyer_email"]}
    if "RECIPIENT" in included and order["status"] != "Pending":
        a = order["address"]
        addr = {}
        for src, dst in (
            ("name", "name"),
            ("company_name", "companyName"),
            ("address_line1", "addressLine1"),
            ("address_line2", "addressLine2"),
            ("address_line3", "addressLine3"),
            ("city", "city"),
            ("county", "districtOrCounty"),
            ("state_or_region", "stateOrRegion"),
            ("postal_code", "postalCode"),
            ("country_code", "countryCode"),
            ("phone", "phone"),
        ):
            if a.get(src):
                addr[dst] = a[src]
        addr["addressType"] = "COMMERCIAL" if a.get("address_type") == "Commercial" else "RESIDENTIAL"
        out["recipient"] = {"deliveryAddress": addr}
    if "PROCEEDS" in included:
        out["proceeds"] = {"grandTotal": _money(order_total(order), cur)}
    if "FULFILLMENT" in included:
        out["fulfillment"] = {
            "fulfillmentStatus": STATUS_2026[order["status"]],
            "fulfilledBy": "MERCHANT" if order["fulfillment_channel"] == "MFN" else "AMAZON",
            "fulfillmentServiceLevel": order["shipping_level"].upper(),
            "shipByWindow": {
                "earliestDateTime": iso(order["created_at"]),
                "latestDateTime": iso(order["created_at"] + 2 * 86400),
            },
        }
    items = []
    for item in order["items"]:
        t = item_totals(item)
        entry: dict = {
            "orderItemId": item["order_item_id"],
            "quantityOrdered": item["quantity"],
            "product": {
                "asin": item["asin"],
                "title": item["title"],
                "sellerSku": item["sku"],
                "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
                "price": {"unitPrice": _money(Decimal(item["unit_price"]), cur)},
            },
        }
        if "PROCEEDS" in included:
            entry["proceeds"] = {
                "proceedsTotal": _money(t["item_price"] + t["shipping_price"] - t["promotion_discount"], cur),
                "breakdowns": [
                    {"type": "ITEM", "subtotal": _money(t["item_price"], cur)},
                    {"type": "SHIPPING", "subtotal": _money(t["shipping_price"], cur)},
                ],
            }
        if "FULFILLMENT" in included:
            entry["fulfillment"] = {
                "quantityFulfilled": item["quantity_shipped"],
                "quantityUnfulfilled": 0
                if order["status"] == "Canceled"
                else item["quantity"] - item["quantity_shipped"],
            }
        if "CANCELLATION" in included and order["cancellation"]:
            c = order["cancellation"]
            requester = {"buyer": "BUYER", "seller": "SELLER", "amazon": "AMAZON"}[c["by"]]
            entry["cancellation"] = {
                "cancellationRequest": {"requester": requester, "cancelReason": c["reason"] or "NO_REASON"},
                "cancellationExecution": {
                    "cancelledBy": requester,
                    "cancelReason": c["reason"] or "NO_REASON",
                },
            }
        items.append(entry)
    out["orderItems"] = items
    if "PACKAGES" in included:
        packages = []
        for sh in order["shipments"]:
            pkg = {
                "packageReferenceId": sh["package_reference_id"],
                "createdTime": iso(sh["received_at"]),
                "packageStatus": {"status": "SHIPPED"},
                "carrier": sh["carrier_name"] or sh["carrier_code"],
                "shipTime": iso(sh["ship_date"]),
                "trackingNumber": sh["tracking_number"],
                "packageItems": [
                    {"orderItemId": i["order_item_id"], "quantity": i["quantity"]} for i in sh["items"]
                ],
            }
            if sh.get("shipping_method"):
                pkg["shippingService"] = sh["shipping_method"]
            packages.append(pkg)
        out["packages"] = packages
    return out


# ---------------------------------------------------------------------------------------------- listings
def listing_item(listing: dict, marketplace_ids: list[str], included: set[str]) -> dict:
    out: dict = {"sku": listing["sku"]}
    mps = [m for m in marketplace_ids if m in listing["marketplaces"]] or marketplace_ids
    if "summaries" in included:
        status = ["DISCOVERABLE"]
        if listing["quantity"] > 0:
            status = ["BUYABLE", "DISCOVERABLE"]
        out["summaries"] = [
            {
                "marketplaceId": mp,
                "asin": listing["asin"],
                "productType": listing["product_type"],
                "conditionType": listing["condition_type"],
                "status": status,
                "itemName": listing["title"],
                "createdDate": iso(listing["created_at"]),
                "lastUpdatedDate": iso(listing["last_updated"]),
            }
            for mp in mps
        ]
    if "attributes" in included:
        attrs = dict(listing.get("attributes") or {})
        attrs["fulfillment_availability"] = [
            {"fulfillment_channel_code": listing["fulfillment_channel"], "quantity": listing["quantity"]}
        ]
        attrs.setdefault("item_name", [{"value": listing["title"], "marketplace_id": mps[0]}])
        out["attributes"] = attrs
    if "issues" in included:
        out["issues"] = []
    if "offers" in included:
        out["offers"] = [
            {
                "marketplaceId": mp,
                "offerType": "B2C",
                "price": {"currencyCode": MARKETPLACES[mp].currency, "amount": listing["price"]},
            }
            for mp in mps
        ]
    if "fulfillmentAvailability" in included:
        out["fulfillmentAvailability"] = [
            {"fulfillmentChannelCode": listing["fulfillment_channel"], "quantity": listing["quantity"]}
        ]
    if "productTypes" in included:
        out["productTypes"] = [{"marketplaceId": mp, "productType": listing["product_type"]} for mp in mps]
    if "relationships" in included:
        out["relationships"] = [{"marketplaceId": mp, "relationships": []} for mp in mps]
    return out
