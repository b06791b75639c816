"""Every GraphQL document Stockroom sends to Shopify (Admin API 2026-04). A conformance test validates each
against Shopify's official schema; nothing else builds a document."""

from __future__ import annotations

ORDER_FIELDS = """
fragment OrderFields on Order {
  id legacyResourceId name createdAt updatedAt cancelledAt email currencyCode
  displayFinancialStatus displayFulfillmentStatus
  shippingAddress { name address1 address2 city province zip countryCodeV2 phone }
  subtotalPriceSet { shopMoney { amount } }
  totalShippingPriceSet { shopMoney { amount } }
  totalTaxSet { shopMoney { amount } }
  totalPriceSet { shopMoney { amount } }
  lineItems(first: 30) {
    pageInfo { hasNextPage }
    nodes { id sku title quantity currentQuantity unfulfilledQuantity originalUnitPriceSet { shopMoney { amount } } }
  }
}
"""

CHECK = """
query Check {
  shop { name myshopifyDomain currencyCode }
  currentAppInstallation { accessScopes { handle } }
}
"""

ORDERS_COUNT = """
query OrdersWaiting($query: String) { ordersCount(query: $query) { count precision } }
"""

ORDERS = (
    """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes { ...OrderFields }
  }
}
"""
    + ORDER_FIELDS
)

ORDER = (
    """
query Order($id: ID!) { order(id: $id) { ...OrderFields } }
"""
    + ORDER_FIELDS
)

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 5) {
      id
      trackingInfo(first: 1) { number }
      fulfillmentLineItems(first: 30) { nodes { quantity lineItem { id } } }
    }
    fulfillmentOrders(first: 5) {
      nodes {
        id status
        assignedLocation { location { id } }
        lineItems(first: 30) { nodes { id remainingQuantity lineItem { id } } }
      }
    }
  }
}
"""

FULFILLMENT_CREATE = """
mutation Fulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id name status }
    userErrors { field message }
  }
}
"""

LOCATIONS = """
query Locations { locations(first: 50) { nodes { id name isActive } } }
"""

VARIANTS = """
query Variants($first: Int!, $after: String, $query: String, $location: ID!) {
  productVariants(first: $first, after: $after, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id sku displayName
      inventoryItem {
        id
        inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } }
      }
    }
  }
}
"""

SET_QUANTITIES = """
mutation SetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id changes(quantityNames: ["available"]) { name delta quantityAfterChange } }
    userErrors { code field message }
  }
}
"""

WEBHOOKS = """
query Webhooks { webhookSubscriptions(first: 50) { nodes { id topic endpoint { ... on WebhookHttpEndpoint { callbackUrl } } } } }
"""

WEBHOOK_CREATE = """
mutation Subscribe($topic: WebhookSubscriptionTopic!, $url: URL!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {callbackUrl: $url, format: JSON}) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}
"""

DOCUMENTS: dict[str, str] = {
    "CHECK": CHECK,
    "ORDERS_COUNT": ORDERS_COUNT,
    "ORDERS": ORDERS,
    "ORDER": ORDER,
    "FULFILLMENT_ORDERS": FULFILLMENT_ORDERS,
    "FULFILLMENT_CREATE": FULFILLMENT_CREATE,
    "LOCATIONS": LOCATIONS,
    "VARIANTS": VARIANTS,
    "SET_QUANTITIES": SET_QUANTITIES,
    "WEBHOOKS": WEBHOOKS,
    "WEBHOOK_CREATE": WEBHOOK_CREATE,
}
