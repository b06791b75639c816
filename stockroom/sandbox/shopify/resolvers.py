"""Resolvers of the simulator's schema: the store's entities as GraphQL nodes.

A node is a dict; a field with arguments is a callable in it (graphql-core's default resolver calls it with
``info`` and the arguments). Root fields check the app's access scopes as Shopify does (``ACCESS_DENIED``).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from graphql import GraphQLError, GraphQLSchema

from . import schema as schemas
from .state import Store, gid, iso, numeric_id

MAX_PAGE = 250


@dataclass
class Context:
    store: Store
    shop: str
    client_id: str
    scopes: tuple[str, ...]
    version: str
    notes: dict = field(default_factory=dict)


def _need(info, scope: str, *also: str) -> Context:
    ctx: Context = info.context
    if not any(s in ctx.scopes for s in (scope, *also)):
        raise GraphQLError(
            f"Access denied for {info.field_name} field. Required access: `{scope}` access scope.",
            extensions={"code": "ACCESS_DENIED", "requiredAccess": f"`{scope}` access scope."},
        )
    return ctx


# ------------------------------------------------------------------ connections
def _cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode(cursor: str | None) -> Any:
    if cursor is None:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError):
        raise GraphQLError(
            "Invalid cursor for current pagination sort.", extensions={"code": "BAD_REQUEST"}
        ) from None


def connection(keyed: list[tuple[Any, dict]], first: int | None, after: str | None) -> dict:
    """``keyed``: (sort key, node) in order; a page of ``first`` after the cursor ``after``."""
    if first is None:
        raise GraphQLError("you must provide one of first or last", extensions={"code": "BAD_REQUEST"})
    if not 0 <= first <= MAX_PAGE:
        raise GraphQLError(
            f"The first argument must be between 0 and {MAX_PAGE}.", extensions={"code": "BAD_REQUEST"}
        )
    start = _decode(after)
    if start is not None:
        keyed = [(k, n) for k, n in keyed if k > start]
    page = keyed[:first]
    edges = [{"cursor": _cursor(k), "node": n} for k, n in page]
    return {
        "edges": edges,
        "nodes": [n for _, n in page],
        "pageInfo": {
            "hasNextPage": len(keyed) > first,
            "hasPreviousPage": start is not None,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _listed(nodes: list[dict]):
    def resolve(info, first=None, after=None, **_):
        return connection([([i], n) for i, n in enumerate(nodes)], first, after)

    return resolve


# ------------------------------------------------------------------ nodes
def money(amount: Decimal | str, currency: str) -> dict:
    value = {"amount": str(Decimal(amount).quantize(Decimal("0.01"))), "currencyCode": currency}
    return {"shopMoney": value, "presentmentMoney": value}


def location_node(store: Store, location: dict) -> dict:
    def inventory_level(info, inventoryItemId):
        item_id = numeric_id(inventoryItemId, "InventoryItem")
        if item_id is None or store.level(item_id, location["id"]) is None:
            return None
        return level_node(store, item_id, location["id"])

    return {
        "id": gid("Location", location["id"]),
        "legacyResourceId": location["id"],
        "name": location["name"],
        "isActive": location["active"],
        "fulfillsOnlineOrders": True,
        "inventoryLevel": inventory_level,
    }


def level_node(store: Store, item_id: str, location_id: str) -> dict:
    level = store.level(item_id, location_id)

    def quantities(info, names):
        return [
            {
                "id": f"gid://shopify/InventoryQuantity/{item_id}-{location_id}-{name}",
                "name": name,
                "quantity": level.get(name, 0),
                "updatedAt": None,
            }
            for name in names
        ]

    return {
        "id": f"gid://shopify/InventoryLevel/{item_id}?inventory_item_id={item_id}&location_id={location_id}",
        "item": lambda info: item_node(store, item_id),
        "location": lambda info: location_node(store, store.s["locations"][location_id]),
        "quantities": quantities,
    }


def item_node(store: Store, item_id: str) -> dict:
    item = store.s["items"][item_id]
    variant = store.s["variants"][item["variant_id"]]

    def inventory_level(info, locationId):
        location_id = numeric_id(locationId, "Location")
        if location_id is None or location_id not in item["levels"]:
            return None
        return level_node(store, item_id, location_id)

    return {
        "id": gid("InventoryItem", item_id),
        "legacyResourceId": item_id,
        "sku": variant["sku"],
        "tracked": True,
        "inventoryLevel": inventory_level,
        "variant": lambda info: variant_node(store, variant),
    }


def variant_node(store: Store, variant: dict) -> dict:
    item = store.s["items"][variant["inventory_item_id"]]
    return {
        "id": gid("ProductVariant", variant["id"]),
        "legacyResourceId": variant["id"],
        "sku": variant["sku"],
        "title": variant["title"],
        "displayName": f"{variant['product_title']} - {variant['title']}",
        "inventoryQuantity": sum(level["available"] for level in item["levels"].values()),
        "inventoryItem": lambda info: item_node(store, variant["inventory_item_id"]),
        "product": {"id": gid("Product", variant["product_id"]), "title": variant["product_title"]},
    }


def line_node(store: Store, order: dict, line: dict, remaining: dict) -> dict:
    variant = store.s["variants"].get(line["variant_id"])
    return {
        "id": gid("LineItem", line["id"]),
        "sku": line["sku"],
        "name": line["title"],
        "title": line["title"],
        "quantity": line["quantity"],
        "currentQuantity": 0 if order["cancelled_at"] else line["quantity"],
        "unfulfilledQuantity": remaining.get(line["id"], 0),
        "originalUnitPriceSet": money(line["price"], order["currency"]),
        "variant": (lambda info: variant_node(store, variant)) if variant else None,
    }


def fulfillment_order_node(store: Store, order: dict, fo: dict) -> dict:
    lines_by_id = {line["id"]: line for line in order["lines"]}
    remaining = store.remaining(order)
    location = store.s["locations"][fo["location_id"]]
    lines = [
        {
            "id": gid("FulfillmentOrderLineItem", line["id"]),
            "sku": line["sku"],
            "totalQuantity": line["total"],
            "remainingQuantity": line["remaining"],
            "inventoryItemId": gid("InventoryItem", line["inventory_item_id"]),
            "lineItem": line_node(store, order, lines_by_id[line["line_item_id"]], remaining),
        }
        for line in fo["lines"]
    ]
    return {
        "id": gid("FulfillmentOrder", fo["id"]),
        "orderId": gid("Order", order["id"]),
        "status": fo["status"],
        "updatedAt": iso(fo["updated_at"]),
        "assignedLocation": {"name": location["name"], "location": location_node(store, location)},
        "lineItems": _listed(lines),
    }


def fulfillment_node(store: Store, fulfillment: dict) -> dict:
    tracking = fulfillment["tracking"]
    order = store.s["orders"][fulfillment["order_id"]]
    lines_by_id = {line["id"]: line for line in order["lines"]}
    remaining = store.remaining(order)
    line_items = [
        {
            "id": gid("FulfillmentLineItem", f"{fulfillment['id']}{index}"),
            "quantity": line["quantity"],
            "lineItem": line_node(store, order, lines_by_id[line["line_item_id"]], remaining),
        }
        for index, line in enumerate(fulfillment["lines"])
    ]
    return {
        "fulfillmentLineItems": _listed(line_items),
        "id": gid("Fulfillment", fulfillment["id"]),
        "legacyResourceId": fulfillment["id"],
        "name": fulfillment["name"],
        "status": "SUCCESS",
        "createdAt": iso(fulfillment["created_at"]),
        "totalQuantity": sum(line["quantity"] for line in fulfillment["lines"]),
        "trackingInfo": lambda info, first=None: [tracking] if any(tracking.values()) else [],
    }


def order_node(store: Store, order: dict, ctx: Context) -> dict:
    remaining = store.remaining(order)
    subtotal = sum(Decimal(line["price"]) * line["quantity"] for line in order["lines"])
    address = order["address"]

    def fulfillment_orders(info, first=None, after=None):
        _need(info, "read_merchant_managed_fulfillment_orders", "write_merchant_managed_fulfillment_orders")
        fos = [
            fulfillment_order_node(store, order, store.s["fulfillment_orders"][i])
            for i in order["fulfillment_orders"]
        ]
        return connection([([i], n) for i, n in enumerate(fos)], first, after)

    return {
        "id": gid("Order", order["id"]),
        "legacyResourceId": order["id"],
        "name": order["name"],
        "createdAt": iso(order["created_at"]),
        "updatedAt": iso(order["updated_at"]),
        "processedAt": iso(order["created_at"]),
        "cancelledAt": iso(order["cancelled_at"]) if order["cancelled_at"] else None,
        "cancelReason": order["cancel_reason"],
        "closed": store.fulfillment_status(order) == "FULFILLED",
        "test": False,
        "email": order["email"],
        "currencyCode": order["currency"],
        "displayFinancialStatus": order["financial_status"],
        "displayFulfillmentStatus": store.fulfillment_status(order),
        "shippingAddress": {
            "name": address.get("name"),
            "address1": address.get("address1"),
            "address2": address.get("address2"),
            "city": address.get("city"),
            "province": address.get("province"),
            "zip": address.get("zip"),
            "countryCodeV2": address.get("country_code"),
            "phone": address.get("phone"),
        },
        "subtotalPriceSet": money(subtotal, order["currency"]),
        "totalShippingPriceSet": money(order["shipping"], order["currency"]),
        "totalTaxSet": money("0", order["currency"]),
        "totalPriceSet": money(subtotal + Decimal(order["shipping"]), order["currency"]),
        "lineItems": _listed([line_node(store, order, line, remaining) for line in order["lines"]]),
        "fulfillmentOrders": fulfillment_orders,
        "fulfillments": lambda info, first=None: [
            fulfillment_node(store, store.s["fulfillments"][f]) for f in order["fulfillments"]
        ][: first or None],
    }


# ------------------------------------------------------------------ order search
_TERM = re.compile(r"(updated_at|created_at):(>=|<=|>|<)?'?([0-9T:\-+.Z]+)'?", re.IGNORECASE)


def _order_filter(query: str | None):
    from ..common.clock import parse_iso

    tests = []
    for name, op, value in _TERM.findall(query or ""):
        try:
            moment = int(parse_iso(value))
        except ValueError:
            raise GraphQLError(
                f"Invalid search value {value!r}", extensions={"code": "BAD_REQUEST"}
            ) from None
        key = "updated_at" if name.lower() == "updated_at" else "created_at"
        op = op or ">="
        tests.append((key, op, moment))

    def keep(order: dict) -> bool:
        for key, op, moment in tests:
            value = int(order[key])
            if not {">": value > moment, ">=": value >= moment, "<": value < moment, "<=": value <= moment}[
                op
            ]:
                return False
        return True

    return keep


def _shop_orders(ctx: Context, query: str | None) -> list[dict]:
    keep = _order_filter(query)
    return [o for o in ctx.store.s["orders"].values() if o["shop"] == ctx.shop and keep(o)]


# ------------------------------------------------------------------ root fields
def q_shop(root, info):
    ctx: Context = info.context
    shop = ctx.store.s["shops"][ctx.shop]
    return {
        "id": gid("Shop", shop["id"]),
        "name": shop["name"],
        "myshopifyDomain": shop["domain"],
        "currencyCode": shop["currency"],
    }


def q_app_installation(root, info):
    ctx: Context = info.context
    return {
        "id": gid("AppInstallation", ctx.client_id[:12]),
        "accessScopes": [{"handle": s, "description": s.replace("_", " ")} for s in ctx.scopes],
    }


def q_orders(root, info, first=None, after=None, reverse=False, sortKey="ID", query=None):
    ctx = _need(info, "read_orders")
    key_field = {"UPDATED_AT": "updated_at", "CREATED_AT": "created_at"}.get(sortKey)
    orders = _shop_orders(ctx, query)
    sign = -1 if reverse else 1  # reversed: the keys (and so the cursors) run the other way
    keyed = [([sign * int(o[key_field]) if key_field else 0, sign * int(o["id"])], o) for o in orders]
    keyed.sort(key=lambda kv: kv[0])
    page = connection(keyed, first, after)
    page["nodes"] = [order_node(ctx.store, o, ctx) for o in page["nodes"]]
    for edge in page["edges"]:
        edge["node"] = order_node(ctx.store, edge["node"], ctx)
    return page


def q_orders_count(root, info, query=None, limit=10000):
    ctx = _need(info, "read_orders")
    count = len(_shop_orders(ctx, query))
    limit = 10000 if limit is None else limit
    return {"count": min(count, limit), "precision": "AT_LEAST" if count > limit else "EXACT"}


def q_order(root, info, id):
    ctx = _need(info, "read_orders")
    order = ctx.store.s["orders"].get(numeric_id(id, "Order") or "")
    return order_node(ctx.store, order, ctx) if order and order["shop"] == ctx.shop else None


_SKU = re.compile(r"sku:'?([^' ]+)'?")


def q_variants(root, info, first=None, after=None, query=None):
    ctx = _need(info, "read_products")
    wanted = _SKU.findall(query or "")
    variants = [
        v
        for v in ctx.store.s["variants"].values()
        if v["shop"] == ctx.shop and (not wanted or v["sku"] in wanted)
    ]
    keyed = [([int(v["id"])], v) for v in sorted(variants, key=lambda v: int(v["id"]))]
    page = connection(keyed, first, after)
    page["nodes"] = [variant_node(ctx.store, v) for v in page["nodes"]]
    for edge in page["edges"]:
        edge["node"] = variant_node(ctx.store, edge["node"])
    return page


def q_inventory_item(root, info, id):
    ctx = _need(info, "read_inventory")
    item_id = numeric_id(id, "InventoryItem")
    item = ctx.store.s["items"].get(item_id or "")
    if item is None or ctx.store.s["variants"][item["variant_id"]]["shop"] != ctx.shop:
        return None
    return item_node(ctx.store, item_id)


def q_locations(root, info, first=None, after=None):
    ctx = _need(info, "read_locations", "read_inventory")
    shop = ctx.store.s["shops"][ctx.shop]
    nodes = [location_node(ctx.store, ctx.store.s["locations"][i]) for i in shop["locations"]]
    return connection([([i], n) for i, n in enumerate(nodes)], first, after)


def q_location(root, info, id=None):
    ctx = _need(info, "read_locations", "read_inventory")
    shop = ctx.store.s["shops"][ctx.shop]
    location_id = numeric_id(id, "Location") if id else shop["locations"][0]
    location = ctx.store.location(ctx.shop, location_id or "")
    return location_node(ctx.store, location) if location else None


def webhook_node(sub: dict) -> dict:
    return {
        "id": gid("WebhookSubscription", sub["id"]),
        "legacyResourceId": sub["id"],
        "topic": sub["topic"],
        "format": "JSON",
        "createdAt": iso(sub["created_at"]),
        "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": sub["callback_url"]},
    }


def q_webhooks(root, info, first=None, after=None, topics=None):
    ctx: Context = info.context
    subs = [
        s
        for s in ctx.store.s["webhooks"].values()
        if s["shop"] == ctx.shop and s["client_id"] == ctx.client_id and (not topics or s["topic"] in topics)
    ]
    keyed = [([int(s["id"])], webhook_node(s)) for s in sorted(subs, key=lambda s: int(s["id"]))]
    return connection(keyed, first, after)


# ------------------------------------------------------------------ mutations
def m_fulfillment_create(root, info, fulfillment, message=None):
    ctx = _need(info, "write_merchant_managed_fulfillment_orders")
    store = ctx.store
    requests = []
    order = None
    errors = []
    for index, group in enumerate(fulfillment["lineItemsByFulfillmentOrder"]):
        fo = store.s["fulfillment_orders"].get(
            numeric_id(group["fulfillmentOrderId"], "FulfillmentOrder") or ""
        )
        fo_order = store.s["orders"].get(fo["order_id"]) if fo else None
        if fo is None or fo_order["shop"] != ctx.shop:
            errors.append(
                (
                    ["fulfillment", "lineItemsByFulfillmentOrder", str(index)],
                    "Fulfillment order does not exist.",
                )
            )
            continue
        if order is not None and fo_order is not order:
            errors.append((["fulfillment"], "All fulfillment orders must belong to the same order."))
            continue
        if order is not None and requests and fo["location_id"] != requests[0][0]["location_id"]:
            errors.append((["fulfillment"], "All fulfillment orders must be assigned to the same location."))
            continue
        order = fo_order
        if fo["status"] not in ("OPEN", "IN_PROGRESS"):
            errors.append(
                (
                    ["fulfillment"],
                    f"Fulfillment order {group['fulfillmentOrderId']} has an unfulfillable status= {fo['status'].lower()}.",
                )
            )
            continue
        by_id = {gid("FulfillmentOrderLineItem", line["id"]): line for line in fo["lines"]}
        wanted = group.get("fulfillmentOrderLineItems")
        if wanted is None:
            lines = [(line, line["remaining"]) for line in fo["lines"] if line["remaining"] > 0]
        else:
            lines = []
            for item in wanted:
                line = by_id.get(item["id"])
                if line is None:
                    errors.append(
                        (["fulfillment"], f"Fulfillment order line item {item['id']} does not exist.")
                    )
                elif item["quantity"] <= 0 or item["quantity"] > line["remaining"]:
                    errors.append(
                        (["fulfillment"], "Invalid fulfillment order line item quantity requested.")
                    )
                else:
                    lines.append((line, item["quantity"]))
        requests.append((fo, lines))
    if not errors and not any(lines for _, lines in requests):
        errors.append((["fulfillment"], "Line items are already fulfilled."))
    if errors:
        return {"fulfillment": None, "userErrors": [{"field": f, "message": m} for f, m in errors]}
    tracking_input = fulfillment.get("trackingInfo") or {}
    tracking = {key: tracking_input.get(key) for key in ("company", "number", "url")}
    done = store.fulfil(order, requests, tracking)
    return {"fulfillment": fulfillment_node(store, done), "userErrors": []}


def _idempotency_key(info) -> str | None:
    for directive in info.field_nodes[0].directives or ():
        if directive.name.value == "idempotent":
            for argument in directive.arguments or ():
                if argument.name.value == "key":
                    node = argument.value
                    if hasattr(node, "value"):
                        return node.value
                    values = info.variable_values
                    values = getattr(values, "coerced", values) or {}  # graphql-core 3.3: VariableValues
                    return values.get(node.name.value)
    return None


def _changes_node(store: Store, group_id: str, reason: str, uri: str | None, changes: list[dict]) -> dict:
    def resolve_changes(info, inventoryItemIds=None, locationIds=None, quantityNames=None):
        return [
            {
                "name": c["name"],
                "delta": c["delta"],
                "quantityAfterChange": c["after"],
                "item": item_node(store, c["item_id"]),
                "location": location_node(store, store.s["locations"][c["location_id"]]),
            }
            for c in changes
            if not quantityNames or c["name"] in quantityNames
        ]

    return {
        "id": gid("InventoryAdjustmentGroup", group_id),
        "createdAt": iso(store.now()),
        "reason": reason,
        "referenceDocumentUri": uri,
        "changes": resolve_changes,
    }


def _check_quantity_target(ctx: Context, item_gid: str, location_gid: str, path: list[str]):
    store = ctx.store
    item_id = numeric_id(item_gid, "InventoryItem")
    item = store.s["items"].get(item_id or "")
    if item is None or store.s["variants"][item["variant_id"]]["shop"] != ctx.shop:
        return None, {
            "code": "INVALID_INVENTORY_ITEM",
            "field": [*path, "inventoryItemId"],
            "message": "The specified inventory item could not be found.",
        }
    location_id = numeric_id(location_gid, "Location")
    if store.location(ctx.shop, location_id or "") is None:
        return None, {
            "code": "INVALID_LOCATION",
            "field": [*path, "locationId"],
            "message": "The specified location could not be found.",
        }
    level = store.level(item_id, location_id)
    if level is None:
        return None, {
            "code": "ITEM_NOT_STOCKED_AT_LOCATION",
            "field": [*path, "inventoryItemId"],
            "message": "The specified inventory item is not stocked at the location.",
        }
    return (item_id, location_id, level), None


def m_inventory_set(root, info, input):
    ctx = _need(info, "write_inventory")
    store = ctx.store
    strict = schemas.strict_concurrency(ctx.version)
    key = _idempotency_key(info)
    if key:
        first = store.s["idempotency"].get(f"{ctx.shop}|inventorySetQuantities|{key}")
        if first is not None:  # the same key: the first result, nothing applied again
            return first if first.get("userErrors") else _replay_adjust(store, first)
    result = _inventory_set(ctx, store, strict, input)
    if key:
        store.s["idempotency"][f"{ctx.shop}|inventorySetQuantities|{key}"] = (
            result.pop("_record", None) or result
        )
    result.pop("_record", None)
    return result


def _inventory_set(ctx: Context, store: Store, strict: bool, input: dict) -> dict:
    errors, targets = [], []
    if input["name"] not in ("available", "on_hand"):
        errors.append(
            {
                "code": "INVALID_NAME",
                "field": ["input", "name"],
                "message": "The quantity name must be either 'available' or 'on_hand'.",
            }
        )
    seen = set()
    for index, quantity in enumerate(input["quantities"]):
        path = ["input", "quantities", str(index)]
        target, error = _check_quantity_target(ctx, quantity["inventoryItemId"], quantity["locationId"], path)
        if error:
            errors.append(error)
            continue
        if (target[0], target[1]) in seen:
            errors.append(
                {
                    "code": "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    "field": path,
                    "message": "The combination of inventoryItemId and locationId must be unique.",
                }
            )
            continue
        seen.add((target[0], target[1]))
        if quantity["quantity"] < 0:
            errors.append(
                {
                    "code": "INVALID_QUANTITY_NEGATIVE",
                    "field": [*path, "quantity"],
                    "message": "The quantity can't be negative.",
                }
            )
            continue
        if quantity["quantity"] > 1_000_000_000:
            errors.append(
                {
                    "code": "INVALID_QUANTITY_TOO_HIGH",
                    "field": [*path, "quantity"],
                    "message": "The quantity can't be higher than 1,000,000,000.",
                }
            )
            continue
        current = target[2][input["name"]]
        if strict or "changeFromQuantity" in quantity:
            if "changeFromQuantity" not in quantity:
                raise GraphQLError(
                    "Variable $input of type InventorySetQuantitiesInput! was provided invalid value for quantities.0.changeFromQuantity (Expected value to not be null)",
                    extensions={"code": "INVALID_VARIABLE"},
                )
            expected = quantity["changeFromQuantity"]
            if expected is not None and expected != current:
                errors.append(
                    {
                        "code": "CHANGE_FROM_QUANTITY_STALE",
                        "field": [*path, "changeFromQuantity"],
                        "message": "The changeFromQuantity no longer matches the persisted quantity.",
                    }
                )
                continue
        elif not input.get("ignoreCompareQuantity"):
            expected = quantity.get("compareQuantity")
            if expected is None:
                errors.append(
                    {
                        "code": "COMPARE_QUANTITY_REQUIRED",
                        "field": [*path, "compareQuantity"],
                        "message": "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.",
                    }
                )
                continue
            if expected != current:
                errors.append(
                    {
                        "code": "COMPARE_QUANTITY_STALE",
                        "field": [*path, "compareQuantity"],
                        "message": "The compareQuantity argument no longer matches the persisted quantity.",
                    }
                )
                continue
        targets.append((target, quantity["quantity"]))
    if errors:  # all or nothing
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    changes = []
    for (item_id, location_id, level), new in targets:
        delta = new - level[input["name"]]
        if input["name"] == "available":
            level["available"] = new
            level["on_hand"] += delta
        else:
            level["on_hand"] = new
            level["available"] += delta
        changes.append(
            {
                "name": input["name"],
                "delta": delta,
                "after": new,
                "item_id": item_id,
                "location_id": location_id,
            }
        )
    ctx.notes["stock_writes"] = ctx.notes.get("stock_writes", 0) + 1
    record = {
        "group_id": store.new_id(),
        "reason": input["reason"],
        "uri": input.get("referenceDocumentUri"),
        "changes": changes,
    }
    return _replay_adjust(store, record) | {"_record": record}


def m_inventory_adjust(root, info, input):
    ctx = _need(info, "write_inventory")
    store = ctx.store
    key = _idempotency_key(info)
    if schemas.strict_concurrency(ctx.version) and not key:
        raise GraphQLError(
            "The @idempotent directive is required for this mutation.", extensions={"code": "BAD_REQUEST"}
        )
    if key:
        first = store.s["idempotency"].get(f"{ctx.shop}|inventoryAdjustQuantities|{key}")
        if first is not None:
            return _replay_adjust(store, first)
    errors, targets = [], []
    if input["name"] not in ("available", "on_hand"):
        errors.append(
            {
                "code": "INVALID_QUANTITY_NAME",
                "field": ["input", "name"],
                "message": "The quantity name must be either 'available' or 'on_hand'.",
            }
        )
    for index, change in enumerate(input["changes"]):
        target, error = _check_quantity_target(
            ctx, change["inventoryItemId"], change["locationId"], ["input", "changes", str(index)]
        )
        if error:
            errors.append(error)
        else:
            targets.append((target, change["delta"]))
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    changes = []
    for (item_id, location_id, level), delta in targets:
        level["available"] += delta
        level["on_hand"] += delta
        changes.append(
            {
                "name": input["name"],
                "delta": delta,
                "after": level[input["name"]],
                "item_id": item_id,
                "location_id": location_id,
            }
        )
    record = {
        "group_id": store.new_id(),
        "reason": input["reason"],
        "uri": input.get("referenceDocumentUri"),
        "changes": changes,
    }
    if key:
        store.s["idempotency"][f"{ctx.shop}|inventoryAdjustQuantities|{key}"] = record
    return _replay_adjust(store, record)


def _replay_adjust(store: Store, record: dict) -> dict:
    return {
        "inventoryAdjustmentGroup": _changes_node(
            store, record["group_id"], record["reason"], record["uri"], record["changes"]
        ),
        "userErrors": [],
    }


def m_webhook_create(root, info, topic, webhookSubscription):
    ctx = _need(info, "read_orders")
    url = webhookSubscription.get("callbackUrl") or ""
    if not str(url).startswith(("http://", "https://")):
        return {
            "webhookSubscription": None,
            "userErrors": [
                {"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"}
            ],
        }
    for sub in ctx.store.s["webhooks"].values():
        if (
            sub["shop"] == ctx.shop
            and sub["client_id"] == ctx.client_id
            and sub["topic"] == topic
            and sub["callback_url"] == url
        ):
            return {
                "webhookSubscription": None,
                "userErrors": [
                    {
                        "field": ["webhookSubscription", "callbackUrl"],
                        "message": "Address for this topic has already been taken",
                    }
                ],
            }
    sub = {
        "id": ctx.store.new_id(),
        "shop": ctx.shop,
        "client_id": ctx.client_id,
        "topic": topic,
        "callback_url": url,
        "api_version": ctx.version,
        "created_at": ctx.store.now(),
    }
    ctx.store.s["webhooks"][sub["id"]] = sub
    return {"webhookSubscription": webhook_node(sub), "userErrors": []}


def m_webhook_delete(root, info, id):
    ctx: Context = info.context
    sub_id = numeric_id(id, "WebhookSubscription")
    sub = ctx.store.s["webhooks"].get(sub_id or "")
    if sub is None or sub["shop"] != ctx.shop:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
        }
    del ctx.store.s["webhooks"][sub_id]
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


def m_order_cancel(root, info, orderId, refund, restock, reason, notifyCustomer=None, staffNote=None):
    ctx = _need(info, "write_orders")
    order = ctx.store.s["orders"].get(numeric_id(orderId, "Order") or "")
    if order is None or order["shop"] != ctx.shop:
        return {
            "job": None,
            "orderCancelUserErrors": [
                {"code": "NOT_FOUND", "field": ["orderId"], "message": "Order does not exist"}
            ],
        }
    problem = ctx.store.cancel_order(order, reason=reason, restock=restock)
    if problem:
        return {
            "job": None,
            "orderCancelUserErrors": [{"code": "INVALID", "field": ["orderId"], "message": problem}],
        }
    return {"job": {"id": gid("Job", ctx.store.new_id()), "done": True}, "orderCancelUserErrors": []}


QUERY = {
    "shop": q_shop,
    "currentAppInstallation": q_app_installation,
    "orders": q_orders,
    "ordersCount": q_orders_count,
    "order": q_order,
    "productVariants": q_variants,
    "inventoryItem": q_inventory_item,
    "locations": q_locations,
    "location": q_location,
    "webhookSubscriptions": q_webhooks,
}
MUTATION = {
    "fulfillmentCreate": m_fulfillment_create,
    "inventorySetQuantities": m_inventory_set,
    "inventoryAdjustQuantities": m_inventory_adjust,
    "webhookSubscriptionCreate": m_webhook_create,
    "webhookSubscriptionDelete": m_webhook_delete,
    "orderCancel": m_order_cancel,
}


@cache
def executable_schema(version: str) -> GraphQLSchema:
    built = schemas.schema(version)
    for name, fn in QUERY.items():
        built.query_type.fields[name].resolve = fn
    for name, fn in MUTATION.items():
        built.mutation_type.fields[name].resolve = fn
    built.type_map["WebhookSubscriptionEndpoint"].resolve_type = lambda value, info, abstract: value[
        "__typename"
    ]
    return built
