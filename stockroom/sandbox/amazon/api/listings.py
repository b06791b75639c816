"""Listings Items API 2021-08-01: getListingsItem, patchListingsItem, searchListingsItems."""

from __future__ import annotations

from collections.abc import Callable

from ..listings import apply_changes, evaluate_patches
from ..render import listing_item
from ..state import ApiError
from .base import (
    Ctx,
    new_page_token,
    use_page_token,
)

LISTING_INCLUDED_DATA = {
    "summaries", "attributes", "issues", "offers", "fulfillmentAvailability", "procurement", "relationships",
    "productTypes",
}  # fmt: skip


def _check_seller_path(ctx: Ctx) -> None:
    if ctx.path["sellerId"] != ctx.seller_id:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "The sellerId in the path does not belong to the authorised selling partner.",
        )


def _listing_included(ctx: Ctx, default: str) -> set[str]:
    values = set(ctx.qlist("includedData")) or {default}
    if values - LISTING_INCLUDED_DATA:
        raise ApiError(
            400,
            "BAD_REQUEST",
            "Invalid input",
            f"Invalid includedData value(s): {', '.join(sorted(values - LISTING_INCLUDED_DATA))}.",
        )
    return values


def _listing_mps(ctx: Ctx) -> list[str]:
    mps = ctx.qlist("marketplaceIds")
    if not mps:
        raise ApiError(400, "BAD_REQUEST", "Invalid input", "marketplaceIds is required.")
    for mp in mps:
        if mp not in ctx.seller["marketplaces"]:
            raise ApiError(
                400, "BAD_REQUEST", "Invalid input", f"The seller does not participate in marketplace '{mp}'."
            )
    return mps


def get_listings_item(ctx: Ctx):
    _check_seller_path(ctx)
    mps = _listing_mps(ctx)
    included = _listing_included(ctx, "summaries")
    listing = ctx.store.listing(ctx.seller_id, ctx.path["sku"])
    if listing is None:
        raise ApiError(404, "NOT_FOUND", f"SKU '{ctx.path['sku']}' not found in marketplace {mps[0]}")
    return 200, listing_item(listing, mps, included)


def patch_listings_item(ctx: Ctx):
    _check_seller_path(ctx)
    mps = _listing_mps(ctx)
    body = ctx.body
    problems = []
    if not isinstance(body, dict):
        problems.append("The request body must be a JSON object.")
    else:
        if not isinstance(body.get("productType"), str) or not body.get("productType"):
            problems.append("productType is required.")
        patches = body.get("patches")
        if not isinstance(patches, list) or not patches:
            problems.append("patches must be a non-empty array.")
        else:
            for n, p in enumerate(patches):
                if (
                    not isinstance(p, dict)
                    or p.get("op") not in ("add", "replace", "merge", "delete")
                    or not isinstance(p.get("path"), str)
                ):
                    problems.append(f"patches[{n}] must have op (add|replace|merge|delete) and path.")
                elif "value" in p and (
                    not isinstance(p["value"], list) or not all(isinstance(v, dict) for v in p["value"])
                ):
                    problems.append(f"patches[{n}].value must be an array of objects.")
    mode = ctx.q("mode")
    if mode is not None and mode != "VALIDATION_PREVIEW":
        problems.append("mode must be VALIDATION_PREVIEW.")
    if problems:
        raise ApiError(400, "BAD_REQUEST", "Invalid input", " ".join(problems))
    sku = ctx.path["sku"]
    listing = ctx.store.listing(ctx.seller_id, sku)
    issues, quantity, others = evaluate_patches(listing, sku, body["patches"])
    submission_id = ctx.store.next_submission_id()
    for issue in issues:
        issue["marketplaceIds"] = mps
    if issues:
        return 200, {"sku": sku, "status": "INVALID", "submissionId": submission_id, "issues": issues}
    if mode == "VALIDATION_PREVIEW":
        return 200, {"sku": sku, "status": "VALID", "submissionId": submission_id, "issues": []}
    apply_changes(ctx.store, ctx.seller_id, listing, quantity, others, f"patch:{submission_id}")
    return 200, {"sku": sku, "status": "ACCEPTED", "submissionId": submission_id, "issues": []}


def search_listings_items(ctx: Ctx):
    _check_seller_path(ctx)
    store = ctx.store
    mps = _listing_mps(ctx)
    included = _listing_included(ctx, "summaries")
    size = ctx.qint("pageSize", 10, 1, 20)
    token = ctx.q("pageToken")
    if token:
        data = use_page_token(ctx, "searchListingsItems", token, "pageToken")
        skus, offset = data["ids"], data["offset"]
    else:
        identifiers = ctx.qlist("identifiers")
        id_type = ctx.q("identifiersType")
        if bool(identifiers) != bool(id_type):
            raise ApiError(
                400,
                "BAD_REQUEST",
                "Invalid input",
                "identifiers and identifiersType must be provided together.",
            )
        if id_type and id_type not in ("ASIN", "EAN", "FNSKU", "GTIN", "ISBN", "JAN", "MINSAN", "SKU", "UPC"):
            raise ApiError(400, "BAD_REQUEST", "Invalid input", f"Invalid identifiersType '{id_type}'.")
        sort_by = ctx.q("sortBy") or "lastUpdatedDate"
        sort_order = ctx.q("sortOrder") or "DESC"
        if sort_by not in ("sku", "createdDate", "lastUpdatedDate") or sort_order not in ("ASC", "DESC"):
            raise ApiError(400, "BAD_REQUEST", "Invalid input", "Invalid sortBy or sortOrder.")
        bounds = {
            n: ctx.qtime(n)
            for n in ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore")
        }
        chosen = []
        for listing in store.s["listings"].get(ctx.seller_id, {}).values():
            if not set(mps) & set(listing["marketplaces"]):
                continue
            if id_type == "SKU" and listing["sku"] not in identifiers:
                continue
            if id_type == "ASIN" and listing["asin"] not in identifiers:
                continue
            if id_type not in (None, "SKU", "ASIN"):
                continue  # the simulator keeps no EAN/UPC/... identifiers
            if bounds["createdAfter"] is not None and listing["created_at"] < bounds["createdAfter"]:
                continue
            if bounds["createdBefore"] is not None and listing["created_at"] > bounds["createdBefore"]:
                continue
            if (
                bounds["lastUpdatedAfter"] is not None
                and listing["last_updated"] < bounds["lastUpdatedAfter"]
            ):
                continue
            if (
                bounds["lastUpdatedBefore"] is not None
                and listing["last_updated"] > bounds["lastUpdatedBefore"]
            ):
                continue
            chosen.append(listing)
        key = {"sku": "sku", "createdDate": "created_at", "lastUpdatedDate": "last_updated"}[sort_by]
        chosen.sort(key=lambda item: (item[key], item["sku"]), reverse=sort_order == "DESC")
        skus = [item["sku"] for item in chosen]
        offset = 0
    page = [s for s in skus[offset : offset + size] if store.listing(ctx.seller_id, s) is not None]
    body: dict = {
        "numberOfResults": len(skus),
        "items": [listing_item(store.listing(ctx.seller_id, s), mps, included) for s in page],
    }
    if offset + size < len(skus):
        body["pagination"] = {
            "nextToken": new_page_token(store, "searchListingsItems", ctx.seller_id, skus, offset + size)
        }
    return 200, body


HANDLERS: dict[str, Callable[[Ctx], tuple]] = {
    "getListingsItem": get_listings_item,
    "patchListingsItem": patch_listings_item,
    "searchListingsItems": search_listings_items,
}
