"""The part of Shopify's Admin GraphQL API the simulator serves, as an SDL we wrote, and its version overlays.

Every type, field, argument and enum value here exists with the same type in Shopify's official schema (a
conformance test compares them with the official introspection). Root types and objects are subsets: a
document asking for anything else fails validation here as it does in production.

Versions: the base is what 2025-01 to 2025-10 share. From 2026-01 ``changeFromQuantity`` (compare-and-swap)
joins ``InventoryQuantityInput`` and ``InventoryChangeInput`` and the ``@idempotent(key:)`` directive exists;
from 2026-04 ``compareQuantity`` and ``ignoreCompareQuantity`` are gone (the resolvers then require
``changeFromQuantity`` on ``inventorySetQuantities`` and ``@idempotent`` on ``inventoryAdjustQuantities``).
"""

from __future__ import annotations

from functools import cache

from graphql import GraphQLSchema, build_schema

VERSIONS = ("2025-01", "2025-04", "2025-07", "2025-10", "2026-01", "2026-04")
LATEST = VERSIONS[-1]

BASE_SDL = """
scalar DateTime
scalar Decimal
scalar URL
scalar UnsignedInt64

schema { query: QueryRoot mutation: Mutation }

type QueryRoot {
  shop: Shop!
  currentAppInstallation: AppInstallation!
  orders(first: Int, after: String, reverse: Boolean, sortKey: OrderSortKeys, query: String): OrderConnection!
  ordersCount(query: String, limit: Int): Count
  order(id: ID!): Order
  productVariants(first: Int, after: String, query: String): ProductVariantConnection!
  inventoryItem(id: ID!): InventoryItem
  locations(first: Int, after: String): LocationConnection!
  location(id: ID): Location
  webhookSubscriptions(first: Int, after: String, topics: [WebhookSubscriptionTopic!]): WebhookSubscriptionConnection!
}

type Mutation {
  fulfillmentCreate(fulfillment: FulfillmentInput!, message: String): FulfillmentCreatePayload
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
  inventoryAdjustQuantities(input: InventoryAdjustQuantitiesInput!): InventoryAdjustQuantitiesPayload
  webhookSubscriptionCreate(topic: WebhookSubscriptionTopic!, webhookSubscription: WebhookSubscriptionInput!): WebhookSubscriptionCreatePayload
  webhookSubscriptionDelete(id: ID!): WebhookSubscriptionDeletePayload
  orderCancel(orderId: ID!, refund: Boolean!, restock: Boolean!, reason: OrderCancelReason!, notifyCustomer: Boolean, staffNote: String): OrderCancelPayload
}

type Shop { id: ID! name: String! myshopifyDomain: String! currencyCode: CurrencyCode! }
type AppInstallation { id: ID! accessScopes: [AccessScope!]! }
type AccessScope { handle: String! description: String! }
type Count { count: Int! precision: CountPrecision! }
enum CountPrecision { EXACT AT_LEAST }

type PageInfo { endCursor: String hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String }
type MoneyBag { presentmentMoney: MoneyV2! shopMoney: MoneyV2! }
type MoneyV2 { amount: Decimal! currencyCode: CurrencyCode! }
enum CurrencyCode { GBP EUR USD }
enum CountryCode { GB IE DE FR US }

type Order {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  createdAt: DateTime!
  updatedAt: DateTime!
  processedAt: DateTime!
  cancelledAt: DateTime
  cancelReason: OrderCancelReason
  closed: Boolean!
  test: Boolean!
  email: String
  currencyCode: CurrencyCode!
  displayFinancialStatus: OrderDisplayFinancialStatus
  displayFulfillmentStatus: OrderDisplayFulfillmentStatus!
  shippingAddress: MailingAddress
  subtotalPriceSet: MoneyBag
  totalShippingPriceSet: MoneyBag!
  totalTaxSet: MoneyBag
  totalPriceSet: MoneyBag!
  lineItems(first: Int, after: String): LineItemConnection!
  fulfillmentOrders(first: Int, after: String): FulfillmentOrderConnection!
  fulfillments(first: Int): [Fulfillment!]!
}
type OrderConnection { edges: [OrderEdge!]! nodes: [Order!]! pageInfo: PageInfo! }
type OrderEdge { cursor: String! node: Order! }
enum OrderSortKeys { CREATED_AT ID UPDATED_AT }
enum OrderDisplayFinancialStatus { PENDING AUTHORIZED PAID PARTIALLY_REFUNDED REFUNDED VOIDED }
enum OrderDisplayFulfillmentStatus { UNFULFILLED PARTIALLY_FULFILLED FULFILLED }
enum OrderCancelReason { CUSTOMER DECLINED FRAUD INVENTORY STAFF OTHER }

type MailingAddress {
  name: String address1: String address2: String city: String province: String zip: String
  countryCodeV2: CountryCode phone: String
}

type LineItem {
  id: ID!
  sku: String
  name: String!
  title: String!
  quantity: Int!
  currentQuantity: Int!
  unfulfilledQuantity: Int!
  originalUnitPriceSet: MoneyBag!
  variant: ProductVariant
}
type LineItemConnection { edges: [LineItemEdge!]! nodes: [LineItem!]! pageInfo: PageInfo! }
type LineItemEdge { cursor: String! node: LineItem! }

type FulfillmentOrder {
  id: ID!
  orderId: ID!
  status: FulfillmentOrderStatus!
  updatedAt: DateTime!
  assignedLocation: FulfillmentOrderAssignedLocation!
  lineItems(first: Int, after: String): FulfillmentOrderLineItemConnection!
}
type FulfillmentOrderConnection { edges: [FulfillmentOrderEdge!]! nodes: [FulfillmentOrder!]! pageInfo: PageInfo! }
type FulfillmentOrderEdge { cursor: String! node: FulfillmentOrder! }
enum FulfillmentOrderStatus { OPEN IN_PROGRESS CANCELLED CLOSED }
type FulfillmentOrderAssignedLocation { name: String! location: Location }
type FulfillmentOrderLineItem {
  id: ID! sku: String totalQuantity: Int! remainingQuantity: Int! inventoryItemId: ID lineItem: LineItem!
}
type FulfillmentOrderLineItemConnection {
  edges: [FulfillmentOrderLineItemEdge!]! nodes: [FulfillmentOrderLineItem!]! pageInfo: PageInfo!
}
type FulfillmentOrderLineItemEdge { cursor: String! node: FulfillmentOrderLineItem! }

type Fulfillment {
  id: ID! legacyResourceId: UnsignedInt64! name: String! status: FulfillmentStatus! createdAt: DateTime!
  totalQuantity: Int! trackingInfo(first: Int): [FulfillmentTrackingInfo!]!
  fulfillmentLineItems(first: Int, after: String): FulfillmentLineItemConnection!
}
type FulfillmentLineItem { id: ID! quantity: Int lineItem: LineItem! }
type FulfillmentLineItemConnection { edges: [FulfillmentLineItemEdge!]! nodes: [FulfillmentLineItem!]! pageInfo: PageInfo! }
type FulfillmentLineItemEdge { cursor: String! node: FulfillmentLineItem! }
enum FulfillmentStatus { SUCCESS CANCELLED }
type FulfillmentTrackingInfo { company: String number: String url: URL }
input FulfillmentInput {
  trackingInfo: FulfillmentTrackingInput
  notifyCustomer: Boolean = false
  lineItemsByFulfillmentOrder: [FulfillmentOrderLineItemsInput!]!
}
input FulfillmentOrderLineItemsInput { fulfillmentOrderId: ID! fulfillmentOrderLineItems: [FulfillmentOrderLineItemInput!] }
input FulfillmentOrderLineItemInput { id: ID! quantity: Int! }
input FulfillmentTrackingInput { number: String url: URL company: String }
type FulfillmentCreatePayload { fulfillment: Fulfillment userErrors: [UserError!]! }
type UserError { field: [String!] message: String! }

type ProductVariant {
  id: ID! legacyResourceId: UnsignedInt64! sku: String title: String! displayName: String!
  inventoryQuantity: Int inventoryItem: InventoryItem! product: Product!
}
type ProductVariantConnection { edges: [ProductVariantEdge!]! nodes: [ProductVariant!]! pageInfo: PageInfo! }
type ProductVariantEdge { cursor: String! node: ProductVariant! }
type Product { id: ID! title: String! }

type InventoryItem {
  id: ID! legacyResourceId: UnsignedInt64! sku: String tracked: Boolean!
  inventoryLevel(locationId: ID!): InventoryLevel variant: ProductVariant!
}
type InventoryLevel { id: ID! item: InventoryItem! location: Location! quantities(names: [String!]!): [InventoryQuantity!]! }
type InventoryQuantity { id: ID! name: String! quantity: Int! updatedAt: DateTime }

type Location {
  id: ID! legacyResourceId: UnsignedInt64! name: String! isActive: Boolean! fulfillsOnlineOrders: Boolean!
  inventoryLevel(inventoryItemId: ID!): InventoryLevel
}
type LocationConnection { edges: [LocationEdge!]! nodes: [Location!]! pageInfo: PageInfo! }
type LocationEdge { cursor: String! node: Location! }

input InventorySetQuantitiesInput {
  reason: String! name: String! referenceDocumentUri: String quantities: [InventoryQuantityInput!]! %(ignore_compare)s
}
input InventoryQuantityInput { inventoryItemId: ID! locationId: ID! quantity: Int! %(quantity_compare)s }
type InventorySetQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup userErrors: [InventorySetQuantitiesUserError!]!
}
type InventorySetQuantitiesUserError { code: InventorySetQuantitiesUserErrorCode field: [String!] message: String! }
enum InventorySetQuantitiesUserErrorCode {
  INVALID_INVENTORY_ITEM INVALID_LOCATION INVALID_QUANTITY_NEGATIVE INVALID_REASON INVALID_NAME
  ITEM_NOT_STOCKED_AT_LOCATION INVALID_QUANTITY_TOO_HIGH NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR
  %(stale_codes)s
}
input InventoryAdjustQuantitiesInput {
  reason: String! name: String! referenceDocumentUri: String changes: [InventoryChangeInput!]!
}
input InventoryChangeInput { delta: Int! inventoryItemId: ID! locationId: ID! ledgerDocumentUri: String %(change_from)s }
type InventoryAdjustQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup userErrors: [InventoryAdjustQuantitiesUserError!]!
}
type InventoryAdjustQuantitiesUserError { code: InventoryAdjustQuantitiesUserErrorCode field: [String!] message: String! }
enum InventoryAdjustQuantitiesUserErrorCode {
  INVALID_INVENTORY_ITEM INVALID_LOCATION INVALID_QUANTITY_NAME INVALID_REASON ITEM_NOT_STOCKED_AT_LOCATION
  INVALID_QUANTITY_TOO_LOW
}
type InventoryAdjustmentGroup {
  id: ID! createdAt: DateTime! reason: String! referenceDocumentUri: String
  changes(inventoryItemIds: [ID!], locationIds: [ID!], quantityNames: [String!]): [InventoryChange!]!
}
type InventoryChange { name: String! delta: Int! quantityAfterChange: Int item: InventoryItem location: Location }

enum WebhookSubscriptionTopic { ORDERS_CREATE ORDERS_UPDATED ORDERS_CANCELLED ORDERS_FULFILLED ORDERS_PAID }
enum WebhookSubscriptionFormat { JSON }
input WebhookSubscriptionInput { callbackUrl: URL format: WebhookSubscriptionFormat }
type WebhookSubscription {
  id: ID! legacyResourceId: UnsignedInt64! topic: WebhookSubscriptionTopic! format: WebhookSubscriptionFormat!
  createdAt: DateTime! endpoint: WebhookSubscriptionEndpoint!
}
union WebhookSubscriptionEndpoint = WebhookHttpEndpoint
type WebhookHttpEndpoint { callbackUrl: URL! }
type WebhookSubscriptionConnection {
  edges: [WebhookSubscriptionEdge!]! nodes: [WebhookSubscription!]! pageInfo: PageInfo!
}
type WebhookSubscriptionEdge { cursor: String! node: WebhookSubscription! }
type WebhookSubscriptionCreatePayload { userErrors: [UserError!]! webhookSubscription: WebhookSubscription }
type WebhookSubscriptionDeletePayload { deletedWebhookSubscriptionId: ID userErrors: [UserError!]! }

type OrderCancelPayload { job: Job orderCancelUserErrors: [OrderCancelUserError!]! }
type Job { id: ID! done: Boolean! }
type OrderCancelUserError { code: OrderCancelUserErrorCode field: [String!] message: String! }
enum OrderCancelUserErrorCode { NO_REFUND_PERMISSION NOT_FOUND INVALID }
"""

# What each version adds (the overlays); the official 2025-01 schema has none of them.
IDEMPOTENT_DIRECTIVE = "directive @idempotent(key: String!) on FIELD"
OVERLAY_FIELDS = {  # (type, field or enum value) added from 2026-01
    ("InventoryQuantityInput", "changeFromQuantity"),
    ("InventoryChangeInput", "changeFromQuantity"),
    ("InventorySetQuantitiesUserErrorCode", "CHANGE_FROM_QUANTITY_STALE"),
}


def compare_and_swap(version: str) -> bool:
    """changeFromQuantity exists (2026-01 on)."""
    return version >= "2026-01"


def strict_concurrency(version: str) -> bool:
    """changeFromQuantity required on inventorySetQuantities and @idempotent on inventoryAdjustQuantities (2026-04 on)."""
    return version >= "2026-04"


def sdl(version: str) -> str:
    cas, strict = compare_and_swap(version), strict_concurrency(version)
    text = BASE_SDL % {
        "ignore_compare": "" if strict else "ignoreCompareQuantity: Boolean = false",
        "quantity_compare": ("" if strict else "compareQuantity: Int ")
        + ("changeFromQuantity: Int" if cas else ""),
        "stale_codes": ("" if strict else "COMPARE_QUANTITY_REQUIRED COMPARE_QUANTITY_STALE ")
        + ("CHANGE_FROM_QUANTITY_STALE" if cas else ""),
        "change_from": "changeFromQuantity: Int" if cas else "",
    }
    return (IDEMPOTENT_DIRECTIVE + "\n" + text) if cas else text


@cache
def schema(version: str) -> GraphQLSchema:
    if version not in VERSIONS:
        raise KeyError(version)
    return build_schema(sdl(version))
