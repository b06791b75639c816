"""The simulator's state as eBay's documents (Sell Fulfillment v1 Order, ShippingFulfillment; Sell
Inventory v1 InventoryItem, Offer) and eBay's error bodies."""

from __future__ import annotations

from . import tables
from .state import fulfillment_status, line_status


def amount(cents: int, currency: str) -> dict:
    return {"value": f"{cents // 100}.{cents % 100:02d}", "currency": currency}


def error_body(error_id: int, message: str = "", **params: str) -> dict:
    domain, category, template = tables.ERRORS[error_id]
    text = message
    if not text:
        text = template
        for key, value in params.items():
            text = text.replace("{" + key + "}", str(value))
        text = text.replace(" {additionalInfo}", "").replace("{additionalInfo}", "")
    entry = {"errorId": error_id, "domain": domain, "category": category, "message": text}
    if params:
        entry["parameters"] = [{"name": k, "value": str(v)} for k, v in params.items()]
    return {"errors": [entry]}


def payment_status(order: dict) -> str:
    if order["cancelled"]:
        return "FULLY_REFUNDED"
    return "PAID" if order["payment"] == "PAID" else "PENDING"


def order_document(order: dict, seller_id: str, base_url: str) -> dict:
    currency = order["currency"]
    total = order["subtotalCents"] + order["deliveryCents"]
    cancel = {"cancelState": "NONE_REQUESTED", "cancelRequests": []}
    if order["cancelled"]:
        cancel = {
            "cancelState": "CANCELED",
            "cancelledDate": order["cancelDate"],
            "cancelRequests": [
                {
                    "cancelInitiator": "BUYER",
                    "cancelReason": "BUYER_ASKED_CANCEL",
                    "cancelRequestedDate": order["cancelDate"],
                    "cancelCompletedDate": order["cancelDate"],
                    "cancelRequestId": f"5{order['orderId'].replace('-', '')[:9]}",
                    "cancelRequestState": "COMPLETED",
                }
            ],
        }
    fulfillment_base = f"{base_url}{tables.FULFILLMENT_BASE}/order/{order['orderId']}/shipping_fulfillment"
    return {
        "orderId": order["orderId"],
        "creationDate": order["creationDate"],
        "lastModifiedDate": order["lastModifiedDate"],
        "orderFulfillmentStatus": fulfillment_status(order),
        "orderPaymentStatus": payment_status(order),
        "sellerId": seller_id,
        "buyer": {"username": order["buyer"]},
        "cancelStatus": cancel,
        "pricingSummary": {
            "priceSubtotal": amount(order["subtotalCents"], currency),
            "deliveryCost": amount(order["deliveryCents"], currency),
            "total": amount(total, currency),
        },
        "salesRecordReference": order["orderId"].split("-")[-1],
        "fulfillmentStartInstructions": [
            {
                "fulfillmentInstructionsType": "SHIP_TO",
                "shippingStep": {
                    "shippingCarrierCode": "Royal Mail",
                    "shippingServiceCode": order["shippingServiceCode"],
                    "shipTo": {
                        "fullName": order["shipTo"]["fullName"],
                        "contactAddress": {k: v for k, v in order["shipTo"].items() if k != "fullName" and v},
                    },
                },
            }
        ],
        "fulfillmentHrefs": [f"{fulfillment_base}/{f['fulfillmentId']}" for f in order["fulfillments"]],
        "lineItems": [
            {
                "lineItemId": line["lineItemId"],
                "legacyItemId": line["legacyItemId"],
                "sku": line["sku"],
                "title": line["title"],
                "quantity": line["quantity"],
                "lineItemCost": amount(line["unitCents"] * line["quantity"], currency),
                "total": amount(line["unitCents"] * line["quantity"], currency),
                "lineItemFulfillmentStatus": line_status(line),
                "soldFormat": "FIXED_PRICE",
                "listingMarketplaceId": order["marketplaceId"],
                "purchaseMarketplaceId": order["marketplaceId"],
            }
            for line in order["lineItems"]
        ],
    }


def fulfillment_document(fulfillment: dict) -> dict:
    return {
        "fulfillmentId": fulfillment["fulfillmentId"],
        "lineItems": [dict(line) for line in fulfillment["lineItems"]],
        "shippedDate": fulfillment["shippedDate"],
        "shippingCarrierCode": fulfillment["shippingCarrierCode"],
        "shipmentTrackingNumber": fulfillment["shipmentTrackingNumber"],
    }


def item_document(item: dict) -> dict:
    return {
        "sku": item["sku"],
        "locale": item["locale"],
        "condition": item["condition"],
        "product": {"title": item["product"]["title"]},
        "availability": {"shipToLocationAvailability": {"quantity": item["quantity"]}},
    }


def offer_document(offer: dict) -> dict:
    document = {
        "offerId": offer["offerId"],
        "sku": offer["sku"],
        "marketplaceId": offer["marketplaceId"],
        "format": offer["format"],
        "availableQuantity": offer["availableQuantity"],
        "pricingSummary": {"price": dict(offer["price"])},
        "categoryId": offer["categoryId"],
        "status": offer["status"],
    }
    if offer["listingId"]:
        document["listing"] = {"listingId": offer["listingId"], "listingStatus": "ACTIVE"}
    return document
