"""The simulator's own description of the part of eBay it serves (written for Stockroom, not copied):
each operation's method, path, API family and the OAuth scope it needs, the error ids it answers with,
the carriers it accepts and its limits. A conformance test compares this table with eBay's OpenAPI
documents (Sell Fulfillment v1, Sell Inventory v1) where they are present."""

from __future__ import annotations

from typing import NamedTuple

FULFILLMENT_BASE = "/sell/fulfillment/v1"
INVENTORY_BASE = "/sell/inventory/v1"
TOKEN_PATH = "/identity/v1/oauth2/token"
CONSENT_PATH = "/oauth2/authorize"

SCOPE_ROOT = "https://api.ebay.com/oauth/api_scope"
SCOPE_FULFILLMENT = f"{SCOPE_ROOT}/sell.fulfillment"
SCOPE_FULFILLMENT_READONLY = f"{SCOPE_ROOT}/sell.fulfillment.readonly"
SCOPE_INVENTORY = f"{SCOPE_ROOT}/sell.inventory"
SCOPE_INVENTORY_READONLY = f"{SCOPE_ROOT}/sell.inventory.readonly"
ALL_SCOPES = (
    SCOPE_ROOT,
    SCOPE_FULFILLMENT,
    SCOPE_FULFILLMENT_READONLY,
    SCOPE_INVENTORY,
    SCOPE_INVENTORY_READONLY,
)

ACCESS_TOKEN_SECONDS = 7200
REFRESH_TOKEN_SECONDS = 47_304_000  # about 18 months
CODE_SECONDS = 299  # an authorization code is good for about five minutes


class Operation(NamedTuple):
    method: str
    path: str  # below the API's base path, as in the OAS
    api: str  # "fulfillment" or "inventory": the base path and the daily quota it counts against
    scopes: tuple[str, ...]  # any one of them is enough
    success: int  # the status of a success


_READ_F = (SCOPE_FULFILLMENT, SCOPE_FULFILLMENT_READONLY)
_WRITE_F = (SCOPE_FULFILLMENT,)
_READ_I = (SCOPE_INVENTORY, SCOPE_INVENTORY_READONLY)
_WRITE_I = (SCOPE_INVENTORY,)

OPERATIONS: dict[str, Operation] = {
    "getOrders": Operation("GET", "/order", "fulfillment", _READ_F, 200),
    "getOrder": Operation("GET", "/order/{orderId}", "fulfillment", _READ_F, 200),
    "createShippingFulfillment": Operation(
        "POST", "/order/{orderId}/shipping_fulfillment", "fulfillment", _WRITE_F, 201
    ),
    "getShippingFulfillments": Operation(
        "GET", "/order/{orderId}/shipping_fulfillment", "fulfillment", _READ_F, 200
    ),
    "getShippingFulfillment": Operation(
        "GET", "/order/{orderId}/shipping_fulfillment/{fulfillmentId}", "fulfillment", _READ_F, 200
    ),
    "createOrReplaceInventoryItem": Operation("PUT", "/inventory_item/{sku}", "inventory", _WRITE_I, 204),
    "getInventoryItem": Operation("GET", "/inventory_item/{sku}", "inventory", _READ_I, 200),
    "getInventoryItems": Operation("GET", "/inventory_item", "inventory", _READ_I, 200),
    "createOffer": Operation("POST", "/offer", "inventory", _WRITE_I, 201),
    "getOffers": Operation("GET", "/offer", "inventory", _READ_I, 200),
    "getOffer": Operation("GET", "/offer/{offerId}", "inventory", _READ_I, 200),
    "publishOffer": Operation("POST", "/offer/{offerId}/publish", "inventory", _WRITE_I, 200),
    "bulkUpdatePriceQuantity": Operation("POST", "/bulk_update_price_quantity", "inventory", _WRITE_I, 200),
}

BASES = {"fulfillment": FULFILLMENT_BASE, "inventory": INVENTORY_BASE}

# Daily call quotas per application and API (eBay's default application limits); /_sim/config changes them.
DAILY_QUOTAS = {"fulfillment": 100_000, "inventory": 2_000_000}

# Error ids the simulator answers with (eBay's x-response-codes, and the common ones of its error docs).
ERRORS = {
    1001: ("OAuth", "REQUEST", "Invalid access token"),
    1100: ("ACCESS", "REQUEST", "Access denied"),
    2001: ("ACCESS", "REQUEST", "Too many requests."),
    30500: ("API_FULFILLMENT", "APPLICATION", "System error"),
    30700: ("API_FULFILLMENT", "REQUEST", "Invalid filter name: {fieldname}"),
    30800: ("API_FULFILLMENT", "REQUEST", "Invalid filter value {fieldvalue} for filter {fieldname}"),
    30810: ("API_FULFILLMENT", "REQUEST", "Invalid date format"),
    30820: ("API_FULFILLMENT", "REQUEST", "Start date is missing"),
    30830: (
        "API_FULFILLMENT",
        "REQUEST",
        "Time range between start date and end date must be within '{allowedTime}' years.",
    ),
    30840: ("API_FULFILLMENT", "REQUEST", "Start date should be before end date"),
    30850: ("API_FULFILLMENT", "REQUEST", "Start and end dates can't be in the future"),
    30900: ("API_FULFILLMENT", "REQUEST", "Exceeded maximum number of order IDs (the current limit is 50)"),
    31000: ("API_FULFILLMENT", "REQUEST", "Invalid offset: {offsetvalue}"),
    31100: ("API_FULFILLMENT", "REQUEST", "Invalid limit: {limitvalue}"),
    32100: ("API_FULFILLMENT", "REQUEST", "Invalid Order Id: {orderId}"),
    32200: ("API_FULFILLMENT", "REQUEST", "Invalid line item id: {lineItemId}"),
    32210: ("API_FULFILLMENT", "REQUEST", "Duplicate line item in the request"),
    32300: ("API_FULFILLMENT", "REQUEST", "Invalid shipment tracking number or carrier"),
    32500: ("API_FULFILLMENT", "REQUEST", "Invalid shipped date"),
    32600: ("API_FULFILLMENT", "REQUEST", "Invalid input data"),
    32800: ("API_FULFILLMENT", "REQUEST", "Invalid field group: {fieldGroup}"),
    25001: ("API_INVENTORY", "APPLICATION", "A system error has occurred. {additionalInfo}"),
    25002: ("API_INVENTORY", "REQUEST", "Any User error. {additionalInfo}"),
    25702: ("API_INVENTORY", "REQUEST", "SKU {skuValue} is not available in the system."),
    25706: ("API_INVENTORY", "REQUEST", "You have provided invalid pagination values. {additionalInfo}."),
    25709: ("API_INVENTORY", "REQUEST", "Invalid value for {fieldName}. {additionalInfo}"),
    25713: ("API_INVENTORY", "REQUEST", "This Offer is not available : {additionalInfo}."),
}

FILTER_FIELDS = ("creationdate", "lastmodifieddate", "orderfulfillmentstatus")
FULFILLMENT_STATUSES = ("NOT_STARTED", "IN_PROGRESS", "FULFILLED")
PAYMENT_STATUSES = ("PAID", "PENDING", "FAILED", "FULLY_REFUNDED", "PARTIALLY_REFUNDED")
FIELD_GROUPS = ("TAX_BREAKDOWN",)
ORDERS_LIMIT_MAX, ORDERS_LIMIT_DEFAULT = 200, 50
ORDER_IDS_MAX = 50
FILTER_YEARS = 2  # the widest date range a filter may span
INVENTORY_LIMIT_MAX, INVENTORY_LIMIT_DEFAULT = 200, 25
BULK_PRICE_QUANTITY_MAX = 25
REVISIONS_PER_DAY = 250  # revisions of one listing per calendar day (UTC)
MAX_TRACKING_NUMBERS = 10  # fulfillments per order (34100 beyond)

# Carrier codes the simulator accepts for shippingCarrierCode (a part of eBay's ShippingCarrierCodeEnum).
CARRIERS = (
    "Royal Mail",
    "Parcelforce",
    "DPD",
    "DHL",
    "UPS",
    "FedEx",
    "Hermes",
    "Evri",
    "Yodel",
    "USPS",
    "Deutsche Post",
    "GLS",
    "Other",
)

MARKETPLACES = {
    "EBAY_GB": "GBP",
    "EBAY_US": "USD",
    "EBAY_DE": "EUR",
    "EBAY_FR": "EUR",
    "EBAY_IT": "EUR",
    "EBAY_ES": "EUR",
    "EBAY_AU": "AUD",
    "EBAY_CA": "CAD",
}
