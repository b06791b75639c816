"""Listings Items patch semantics shared by patchListingsItem and JSON_LISTINGS_FEED.

Issue codes are the simulator's own (Amazon's real codes are not published as a stable list).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .tables import FBA_CHANNELS

if TYPE_CHECKING:
    from .state import Store

FA_PATH = "/attributes/fulfillment_availability"


def _issue(code: str, message: str, attribute: str | None = "fulfillment_availability") -> dict:
    issue = {"code": code, "message": message, "severity": "ERROR", "categories": ["INVALID_ATTRIBUTE"]}
    if attribute:
        issue["attributeNames"] = [attribute]
    return issue


def evaluate_patches(
    listing: dict | None, sku: str, patches: list[dict]
) -> tuple[list[dict], int | None, dict]:
    """Check a list of JSON-Patch operations against a listing.

    Returns (issues, new_quantity or None, other_attribute_changes). Nothing is applied here.
    """
    if listing is None:
        return (
            [_issue("4000003", f"The listings item with SKU '{sku}' does not exist for this seller.", None)],
            None,
            {},
        )
    issues: list[dict] = []
    quantity: int | None = None
    others: dict = {}
    for patch in patches:
        op = patch.get("op")
        path = patch.get("path", "")
        value = patch.get("value")
        if not isinstance(path, str) or not path.startswith("/attributes/") or path.count("/") != 2:
            issues.append(
                _issue(
                    "90000001", f"Invalid patch path '{path}'. Expected '/attributes/<attribute name>'.", None
                )
            )
            continue
        attribute = path.split("/")[2]
        if path != FA_PATH:
            others[attribute] = None if op == "delete" else value
            continue
        if op != "delete" and (not isinstance(value, list) or not value):
            issues.append(_issue("90000002", "'fulfillment_availability' requires a non-empty value array."))
            continue
        for entry in value or [{"fulfillment_channel_code": listing["fulfillment_channel"]}]:
            code = entry.get("fulfillment_channel_code") if isinstance(entry, dict) else None
            if not isinstance(code, str):
                issues.append(_issue("90000003", "'fulfillment_channel_code' is required but not supplied."))
                continue
            if code != "DEFAULT" and code not in FBA_CHANNELS:
                issues.append(
                    _issue("90000004", f"'{code}' is not a valid value for 'fulfillment_channel_code'.")
                )
                continue
            if code in FBA_CHANNELS:
                issues.append(
                    _issue(
                        "90000005",
                        f"The quantity for fulfillment channel '{code}' is managed by Amazon and cannot be set.",
                    )
                )
                continue
            if listing["fulfillment_channel"] != "DEFAULT":
                issues.append(
                    _issue(
                        "90000006",
                        f"The listings item is fulfilled by Amazon ({listing['fulfillment_channel']}); its 'DEFAULT' quantity cannot be set.",
                    )
                )
                continue
            if op == "delete":
                quantity = 0
                continue
            qty = entry.get("quantity")
            if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0:
                issues.append(_issue("90000007", "'quantity' must be an integer greater than or equal to 0."))
                continue
            quantity = qty
    return issues, quantity, others


def apply_changes(
    store: Store,
    seller_id: str,
    listing: dict,
    quantity: int | None,
    others: dict,
    source: str,
    *,
    at: float | None = None,
) -> None:
    """Apply accepted changes as of `at` (default now): a feed's changes count from its processingEndTime,
    so its quantity becomes visible at processingEndTime + the propagation delay, whenever the next
    request comes."""
    at = store.now() if at is None else at
    for name, value in others.items():
        if value is None:
            listing["attributes"].pop(name, None)
        else:
            listing["attributes"][name] = value
    if others:
        listing["last_updated"] = at
    if quantity is not None:
        store.queue_listing_update(seller_id, listing, quantity, source, at=at)
