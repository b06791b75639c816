"""Pydantic models of the SP-API payloads the connector reads.

Tolerant by design: unknown fields are ignored and enumerations are plain strings, so a value Amazon
adds tomorrow (a new fulfillment status, a new program) never crashes a sync; ``mapping`` decides what
an unknown value means.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

# Amazon sends null for empty text now and then: read it as "".
Text = Annotated[str, BeforeValidator(lambda v: "" if v is None else v)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Money(Payload):
    amount: Decimal | None = None
    currency_code: Text = Field("", alias="currencyCode")


# --------------------------------------------------------------------------- Orders API 2026-01-01
class SalesChannel(Payload):
    channel_name: Text = Field("", alias="channelName")
    marketplace_id: Text = Field("", alias="marketplaceId")
    marketplace_name: Text = Field("", alias="marketplaceName")


class Buyer(Payload):
    buyer_name: Text = Field("", alias="buyerName")
    buyer_email: Text = Field("", alias="buyerEmail")
    buyer_company_name: Text = Field("", alias="buyerCompanyName")


class CustomerAddress(Payload):
    name: Text = ""
    company_name: Text = Field("", alias="companyName")
    address_line1: Text = Field("", alias="addressLine1")
    address_line2: Text = Field("", alias="addressLine2")
    address_line3: Text = Field("", alias="addressLine3")
    city: Text = ""
    district_or_county: Text = Field("", alias="districtOrCounty")
    state_or_region: Text = Field("", alias="stateOrRegion")
    postal_code: Text = Field("", alias="postalCode")
    country_code: Text = Field("", alias="countryCode")
    phone: Text = ""


class Recipient(Payload):
    delivery_address: CustomerAddress | None = Field(None, alias="deliveryAddress")


class Breakdown(Payload):
    type: Text = ""
    subtotal: Money | None = None


class OrderProceeds(Payload):
    grand_total: Money | None = Field(None, alias="grandTotal")
    breakdowns: list[Breakdown] = Field(default_factory=list)


class DateTimeRange(Payload):
    earliest: str | None = Field(None, alias="earliestDateTime")
    latest: str | None = Field(None, alias="latestDateTime")


class OrderFulfillment(Payload):
    fulfillment_status: Text = Field("", alias="fulfillmentStatus")
    fulfilled_by: Text = Field("", alias="fulfilledBy")
    fulfillment_service_level: Text = Field("", alias="fulfillmentServiceLevel")
    ship_by_window: DateTimeRange | None = Field(None, alias="shipByWindow")


class ItemPrice(Payload):
    unit_price: Money | None = Field(None, alias="unitPrice")


class ItemProduct(Payload):
    asin: Text = ""
    title: Text = ""
    seller_sku: Text = Field("", alias="sellerSku")
    price: ItemPrice | None = None


class ItemProceeds(Payload):
    proceeds_total: Money | None = Field(None, alias="proceedsTotal")
    breakdowns: list[Breakdown] = Field(default_factory=list)


class ItemFulfillment(Payload):
    quantity_fulfilled: int = Field(0, alias="quantityFulfilled")
    quantity_unfulfilled: int | None = Field(None, alias="quantityUnfulfilled")


class OrderItem(Payload):
    order_item_id: Text = Field(alias="orderItemId")
    quantity_ordered: int = Field(alias="quantityOrdered")
    product: ItemProduct = Field(default_factory=ItemProduct)
    proceeds: ItemProceeds | None = None
    fulfillment: ItemFulfillment | None = None


class Order(Payload):
    order_id: Text = Field(alias="orderId")
    created_time: Text = Field(alias="createdTime")
    last_updated_time: str | None = Field(None, alias="lastUpdatedTime")
    programs: list[str] = Field(default_factory=list)
    sales_channel: SalesChannel | None = Field(None, alias="salesChannel")
    buyer: Buyer | None = None
    recipient: Recipient | None = None
    proceeds: OrderProceeds | None = None
    fulfillment: OrderFulfillment | None = None
    order_items: list[OrderItem] = Field(default_factory=list, alias="orderItems")


class Pagination(Payload):
    next_token: str | None = Field(None, alias="nextToken")


class SearchOrdersResponse(Payload):
    """Orders are kept raw (dicts) so that one bad order is reported alone, not the whole page."""

    orders: list[dict] = Field(default_factory=list)
    pagination: Pagination | None = None
    last_updated_before: str | None = Field(None, alias="lastUpdatedBefore")
    created_before: str | None = Field(None, alias="createdBefore")


# --------------------------------------------------------------------------- Sellers
class Marketplace(Payload):
    id: str
    country_code: Text = Field("", alias="countryCode")
    name: Text = ""


class Participation(Payload):
    is_participating: bool = Field(True, alias="isParticipating")


class MarketplaceParticipation(Payload):
    marketplace: Marketplace
    participation: Participation = Field(default_factory=Participation)
    store_name: Text = Field("", alias="storeName")


class ParticipationsResponse(Payload):
    payload: list[MarketplaceParticipation] = Field(default_factory=list)


# --------------------------------------------------------------------------- Reports & feeds
class Report(Payload):
    report_id: Text = Field(alias="reportId")
    report_type: Text = Field(alias="reportType")
    created_time: Text = Field(alias="createdTime")
    processing_status: Text = Field(alias="processingStatus")
    report_document_id: str | None = Field(None, alias="reportDocumentId")
    marketplace_ids: list[str] = Field(default_factory=list, alias="marketplaceIds")


class ReportsResponse(Payload):
    reports: list[Report] = Field(default_factory=list)
    next_token: str | None = Field(None, alias="nextToken")


class ReportSchedule(Payload):
    report_schedule_id: Text = Field(alias="reportScheduleId")
    report_type: Text = Field(alias="reportType")
    period: Text = ""
    marketplace_ids: list[str] = Field(default_factory=list, alias="marketplaceIds")


class ReportSchedulesResponse(Payload):
    report_schedules: list[ReportSchedule] = Field(default_factory=list, alias="reportSchedules")


class Document(Payload):
    """A report or feed document: where to download it, and how it is compressed."""

    document_id: Text = Field("", alias="reportDocumentId")
    feed_document_id: Text = Field("", alias="feedDocumentId")
    url: str
    compression_algorithm: str | None = Field(None, alias="compressionAlgorithm")


class Feed(Payload):
    feed_id: Text = Field(alias="feedId")
    feed_type: Text = Field("", alias="feedType")
    processing_status: Text = Field(alias="processingStatus")
    result_feed_document_id: str | None = Field(None, alias="resultFeedDocumentId")


class ProcessingIssue(Payload):
    message_id: int | None = Field(None, alias="messageId")
    sku: str | None = None
    code: Text = ""
    severity: Text = ""
    message: Text = ""


class ProcessingReport(Payload):
    issues: list[ProcessingIssue] = Field(default_factory=list)


# --------------------------------------------------------------------------- Listings
class ListingIssue(Payload):
    code: Text = ""
    message: Text = ""
    severity: Text = ""


class ListingsItemSubmission(Payload):
    sku: Text = ""
    status: Text = ""
    submission_id: Text = Field("", alias="submissionId")
    issues: list[ListingIssue] = Field(default_factory=list)


class ListingSummary(Payload):
    marketplace_id: Text = Field("", alias="marketplaceId")
    asin: Text = ""
    item_name: Text = Field("", alias="itemName")


class FulfillmentAvailability(Payload):
    fulfillment_channel_code: Text = Field("", alias="fulfillmentChannelCode")
    quantity: int | None = None


class ListingItem(Payload):
    sku: str
    summaries: list[ListingSummary] = Field(default_factory=list)
    fulfillment_availability: list[FulfillmentAvailability] = Field(
        default_factory=list, alias="fulfillmentAvailability"
    )


class ListingsSearchResponse(Payload):
    items: list[dict] = Field(default_factory=list)
    pagination: Pagination | None = None
