"""Static tables of the Amazon SP-API simulator: marketplaces, rate limits, carriers, feed/report types.

The rate/burst values are the *default usage plans* printed in each operation's ``description`` in
Amazon's official SP-API models (GitHub ``amzn/selling-partner-api-models``, commit
34dc93fe45f37c9a0b2e56823c808f68b4f81754, Apache-2.0).  ``tests/sandbox/test_rate_table.py`` re-parses the
models and fails if this table drifts from them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Marketplace:
    id: str
    country: str
    name: str  # e.g. "Amazon.co.uk" (the SalesChannel value)
    currency: str
    language: str
    region: str  # NA / EU / FE

    @property
    def domain(self) -> str:
        return "www." + self.name.lower()


_MARKETPLACES = [
    Marketplace("ATVPDKIKX0DER", "US", "Amazon.com", "USD", "en_US", "NA"),
    Marketplace("A2EUQ1WTGCTBG2", "CA", "Amazon.ca", "CAD", "en_CA", "NA"),
    Marketplace("A1AM78C64UM0Y8", "MX", "Amazon.com.mx", "MXN", "es_MX", "NA"),
    Marketplace("A2Q3Y263D00KWC", "BR", "Amazon.com.br", "BRL", "pt_BR", "NA"),
    Marketplace("A1F83G8C2ARO7P", "GB", "Amazon.co.uk", "GBP", "en_GB", "EU"),
    Marketplace("A1PA6795UKMFR9", "DE", "Amazon.de", "EUR", "de_DE", "EU"),
    Marketplace("A13V1IB3VIYZZH", "FR", "Amazon.fr", "EUR", "fr_FR", "EU"),
    Marketplace("APJ6JRA9NG5V4", "IT", "Amazon.it", "EUR", "it_IT", "EU"),
    Marketplace("A1RKKUPIHCS9HS", "ES", "Amazon.es", "EUR", "es_ES", "EU"),
    Marketplace("A1805IZSGTT6HS", "NL", "Amazon.nl", "EUR", "nl_NL", "EU"),
    Marketplace("A2NODRKZP88ZB9", "SE", "Amazon.se", "SEK", "sv_SE", "EU"),
    Marketplace("A1C3SOZRARQ6R3", "PL", "Amazon.pl", "PLN", "pl_PL", "EU"),
    Marketplace("AMEN7PMS3EDWL", "BE", "Amazon.com.be", "EUR", "fr_BE", "EU"),
    Marketplace("A28R8C7NBKEWEA", "IE", "Amazon.ie", "EUR", "en_IE", "EU"),
    Marketplace("A33AVAJ2PDY3EV", "TR", "Amazon.com.tr", "TRY", "tr_TR", "EU"),
    Marketplace("A2VIGQ35RCS4UG", "AE", "Amazon.ae", "AED", "en_AE", "EU"),
    Marketplace("A17E79C6D8DWNP", "SA", "Amazon.sa", "SAR", "ar_AE", "EU"),
    Marketplace("ARBP9OOSHTCHU", "EG", "Amazon.eg", "EGP", "en_AE", "EU"),
    Marketplace("A21TJRUUN4KGV", "IN", "Amazon.in", "INR", "en_IN", "EU"),
    Marketplace("A1VC38T7YXB528", "JP", "Amazon.co.jp", "JPY", "ja_JP", "FE"),
    Marketplace("A39IBJ37TRP1C6", "AU", "Amazon.com.au", "AUD", "en_AU", "FE"),
    Marketplace("A19VAU5U5O7RUS", "SG", "Amazon.sg", "SGD", "en_SG", "FE"),
]
MARKETPLACES: dict[str, Marketplace] = {m.id: m for m in _MARKETPLACES}
REGIONS = ("NA", "EU", "FE")

# Order-id prefixes seen per country (3-7-7 format).
ORDER_ID_PREFIXES = {
    "US": ("111", "112", "113", "114"),
    "CA": ("701", "702"),
    "MX": ("701", "702"),
    "BR": ("701", "702"),
    "JP": ("249", "250", "503"),
    "AU": ("249", "250"),
    "SG": ("249", "250"),
    "IN": ("402", "403", "404", "405", "406", "407", "408"),
}
DEFAULT_ORDER_ID_PREFIXES = ("202", "203", "204", "205", "206")

# FBA fulfillment channel codes per region (fulfillmentAvailability.fulfillmentChannelCode).
FBA_CHANNELS = {"AMAZON_NA", "AMAZON_EU", "AMAZON_FE", "AMAZON_JP", "AMAZON_IN"}


@dataclass(frozen=True)
class Operation:
    name: str  # simulator operation name (operationId; Orders v0 operations are prefixed "v0.")
    method: str
    path: str  # path template exactly as in the model
    rate: float  # requests per second (default usage plan)
    burst: int
    model: str  # model file the operation comes from


OPERATIONS: list[Operation] = [
    Operation(
        "getMarketplaceParticipations",
        "GET",
        "/sellers/v1/marketplaceParticipations",
        0.016,
        15,
        "sellers.json",
    ),
    Operation("getAccount", "GET", "/sellers/v1/account", 0.016, 15, "sellers.json"),
    Operation("searchOrders", "GET", "/orders/2026-01-01/orders", 0.0056, 20, "orders_2026-01-01.json"),
    Operation("getOrder", "GET", "/orders/2026-01-01/orders/{orderId}", 0.5, 30, "orders_2026-01-01.json"),
    Operation("v0.getOrders", "GET", "/orders/v0/orders", 0.0167, 20, "ordersV0.json"),
    Operation("v0.getOrder", "GET", "/orders/v0/orders/{orderId}", 0.5, 30, "ordersV0.json"),
    Operation(
        "v0.getOrderBuyerInfo", "GET", "/orders/v0/orders/{orderId}/buyerInfo", 0.5, 30, "ordersV0.json"
    ),
    Operation("v0.getOrderAddress", "GET", "/orders/v0/orders/{orderId}/address", 0.5, 30, "ordersV0.json"),
    Operation("v0.getOrderItems", "GET", "/orders/v0/orders/{orderId}/orderItems", 0.5, 30, "ordersV0.json"),
    Operation(
        "v0.confirmShipment",
        "POST",
        "/orders/v0/orders/{orderId}/shipmentConfirmation",
        2,
        10,
        "ordersV0.json",
    ),
    Operation("getReports", "GET", "/reports/2021-06-30/reports", 0.0222, 10, "reports_2021-06-30.json"),
    Operation("createReport", "POST", "/reports/2021-06-30/reports", 0.0167, 15, "reports_2021-06-30.json"),
    Operation(
        "cancelReport",
        "DELETE",
        "/reports/2021-06-30/reports/{reportId}",
        0.0222,
        10,
        "reports_2021-06-30.json",
    ),
    Operation("getReport", "GET", "/reports/2021-06-30/reports/{reportId}", 2, 15, "reports_2021-06-30.json"),
    Operation(
        "getReportSchedules", "GET", "/reports/2021-06-30/schedules", 0.0222, 10, "reports_2021-06-30.json"
    ),
    Operation(
        "createReportSchedule", "POST", "/reports/2021-06-30/schedules", 0.0222, 10, "reports_2021-06-30.json"
    ),
    Operation(
        "cancelReportSchedule",
        "DELETE",
        "/reports/2021-06-30/schedules/{reportScheduleId}",
        0.0222,
        10,
        "reports_2021-06-30.json",
    ),
    Operation(
        "getReportSchedule",
        "GET",
        "/reports/2021-06-30/schedules/{reportScheduleId}",
        0.0222,
        10,
        "reports_2021-06-30.json",
    ),
    Operation(
        "getReportDocument",
        "GET",
        "/reports/2021-06-30/documents/{reportDocumentId}",
        0.0167,
        15,
        "reports_2021-06-30.json",
    ),
    Operation("getFeeds", "GET", "/feeds/2021-06-30/feeds", 0.0222, 10, "feeds_2021-06-30.json"),
    Operation("createFeed", "POST", "/feeds/2021-06-30/feeds", 0.0083, 15, "feeds_2021-06-30.json"),
    Operation("cancelFeed", "DELETE", "/feeds/2021-06-30/feeds/{feedId}", 2, 15, "feeds_2021-06-30.json"),
    Operation("getFeed", "GET", "/feeds/2021-06-30/feeds/{feedId}", 2, 15, "feeds_2021-06-30.json"),
    Operation("createFeedDocument", "POST", "/feeds/2021-06-30/documents", 0.5, 15, "feeds_2021-06-30.json"),
    Operation(
        "getFeedDocument",
        "GET",
        "/feeds/2021-06-30/documents/{feedDocumentId}",
        0.0222,
        10,
        "feeds_2021-06-30.json",
    ),
    Operation(
        "getListingsItem",
        "GET",
        "/listings/2021-08-01/items/{sellerId}/{sku}",
        5,
        10,
        "listingsItems_2021-08-01.json",
    ),
    Operation(
        "patchListingsItem",
        "PATCH",
        "/listings/2021-08-01/items/{sellerId}/{sku}",
        5,
        5,
        "listingsItems_2021-08-01.json",
    ),
    Operation(
        "searchListingsItems",
        "GET",
        "/listings/2021-08-01/items/{sellerId}",
        5,
        5,
        "listingsItems_2021-08-01.json",
    ),
    Operation(
        "createRestrictedDataToken",
        "POST",
        "/tokens/2021-03-01/restrictedDataToken",
        1,
        10,
        "tokens_2021-03-01.json",
    ),
    # Notifications API v1 (ADR 0016): destinations are the application's (grantless), a subscription is
    # a seller's (getSubscriptionById and deleteSubscriptionById are grantless too)
    *(
        Operation(name, method, path, 1, 5, "notifications.json")
        for name, method, path in (
            ("getDestinations", "GET", "/notifications/v1/destinations"),
            ("createDestination", "POST", "/notifications/v1/destinations"),
            ("getDestination", "GET", "/notifications/v1/destinations/{destinationId}"),
            ("deleteDestination", "DELETE", "/notifications/v1/destinations/{destinationId}"),
            ("getSubscription", "GET", "/notifications/v1/subscriptions/{notificationType}"),
            ("createSubscription", "POST", "/notifications/v1/subscriptions/{notificationType}"),
            (
                "getSubscriptionById",
                "GET",
                "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}",
            ),
            (
                "deleteSubscriptionById",
                "DELETE",
                "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}",
            ),
        )
    ),
]
OPERATIONS_BY_NAME = {op.name: op for op in OPERATIONS}

# Grantless operations: called with an LWA token of the client_credentials grant (scope
# sellingpartnerapi::notifications), not a seller's token.
GRANTLESS_OPERATIONS = {
    "getDestinations",
    "createDestination",
    "getDestination",
    "deleteDestination",
    "getSubscriptionById",
    "deleteSubscriptionById",
}
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
# Notification types the simulator publishes (it accepts a subscription to these only).
NOTIFICATION_TYPES = {"ORDER_CHANGE"}

# Paths (templates) that are restricted operations (PII): a Restricted Data Token may be requested for them.
RESTRICTED_PATHS = {
    "/orders/v0/orders",
    "/orders/v0/orders/{orderId}",
    "/orders/v0/orders/{orderId}/address",
    "/orders/v0/orders/{orderId}/buyerInfo",
    "/orders/v0/orders/{orderId}/orderItems",
    "/orders/v0/orders/{orderId}/orderItems/buyerInfo",
    "/reports/2021-06-30/documents/{reportDocumentId}",
}
# Operations refused (403) with a plain LWA access token: they return nothing but PII.
RDT_ONLY_OPERATIONS = {"v0.getOrderAddress", "v0.getOrderBuyerInfo"}

# Report types containing buyer PII: getReportDocument needs an RDT for them.
RESTRICTED_REPORT_TYPES = {
    "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING",
    "GET_ORDER_REPORT_DATA_SHIPPING",
}
REPORT_TYPES_REQUESTABLE = {
    "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
    "GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
}
REPORT_TYPES_SCHEDULABLE = {
    "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING",
    "GET_ORDER_REPORT_DATA_SHIPPING",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
    "GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
}
# Only one of these may be scheduled at a time (report-columns.json, Amazon order-report docs).
EXCLUSIVE_SCHEDULE_GROUP = {"GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING", "GET_ORDER_REPORT_DATA_SHIPPING"}

SCHEDULE_PERIODS = {
    "PT5M": 300,
    "PT15M": 900,
    "PT30M": 1800,
    "PT1H": 3600,
    "PT2H": 7200,
    "PT4H": 14400,
    "PT8H": 28800,
    "PT12H": 43200,
    "P1D": 86400,
    "P2D": 172800,
    "P3D": 259200,
    "PT84H": 302400,
    "P7D": 604800,
    "P14D": 1209600,
    "P15D": 1296000,
    "P18D": 1555200,
    "P30D": 2592000,
    "P1M": 2592000,
}

FEED_TYPES_SUPPORTED = {
    "JSON_LISTINGS_FEED",
    "POST_ORDER_FULFILLMENT_DATA",
    "POST_FLAT_FILE_FULFILLMENT_DATA",
}
# Feed types Amazon has switched off: accepted by createFeed, processing ends FATAL.
FEED_TYPES_REMOVED = {
    "POST_INVENTORY_AVAILABILITY_DATA",
    "POST_PRODUCT_DATA",
    "POST_PRODUCT_PRICING_DATA",
    "POST_PRODUCT_RELATIONSHIP_DATA",
    "POST_PRODUCT_IMAGE_DATA",
    "POST_PRODUCT_OVERRIDES_DATA",
    "POST_FLAT_FILE_INVLOADER_DATA",
    "POST_FLAT_FILE_LISTINGS_DATA",
    "POST_FLAT_FILE_PRICEANDQUANTITYONLY_UPDATE_DATA",
}

# A subset of Amazon's CarrierCode values (Amazon documents a list of several hundred; matched exactly).
# Written here, not imported: the simulator plays Amazon and never imports product code. A test checks
# that every code the product offers is in it (tests/accounts/test_account_shipping_release.py).
CARRIER_CODES = {
    "Amazon Shipping", "Asendia", "Australia Post", "Blue Package", "BlueDart", "BRT", "Canada Post",
    "Canpar", "CELERITAS", "China Post", "Chronopost", "City Link", "Colis Prive", "Colissimo", "Correos",
    "Correos Express", "Delhivery", "Deutsche Post", "DHL", "DHL eCommerce", "DHL Global Mail",
    "DHL Home Delivery", "DPD", "DTDC", "DX", "Estafeta", "Evri", "Fastway", "FedEx", "FedEx SmartPost",
    "GLS", "GO!", "Hermes", "Hermes Logistik Gruppe", "India Post", "InPost", "Japan Post", "La Poste",
    "Lasership", "MRW", "Nacex", "Newgistics", "NipponExpress", "OnTrac", "OSM", "Parcelforce", "Parcelnet",
    "Poczta Polska", "Poste Italiane", "PostNL", "PostNord", "Purolator", "Royal Mail", "SagawaExpress",
    "SDA", "Seino", "SEUR", "Smartmail", "Streamlite", "Target", "TNT", "UPS", "UPS Mail Innovations",
    "UPSMI", "USPS", "YamatoTransport", "Yodel", "Other",
}  # fmt: skip
