"""Sellers API v1: getMarketplaceParticipations, getAccount."""

from __future__ import annotations

from collections.abc import Callable

from ..tables import MARKETPLACES
from .base import Ctx


def get_marketplace_participations(ctx: Ctx):
    return 200, {"payload": _participations(ctx)}


def _participations(ctx: Ctx) -> list[dict]:
    out = []
    for mp_id in ctx.seller["marketplaces"]:
        m = MARKETPLACES[mp_id]
        out.append(
            {
                "marketplace": {
                    "id": m.id,
                    "name": m.name,
                    "countryCode": m.country,
                    "defaultCurrencyCode": m.currency,
                    "defaultLanguageCode": m.language,
                    "domainName": m.domain,
                },
                "participation": {"isParticipating": True, "hasSuspendedListings": False},
                "storeName": ctx.seller["name"],
            }
        )
    return out


def get_account(ctx: Ctx):
    first = MARKETPLACES[ctx.seller["marketplaces"][0]]
    return 200, {
        "payload": {
            "marketplaceParticipationList": _participations(ctx),
            "businessType": "PRIVATE_LIMITED",
            "sellingPlan": "PROFESSIONAL",
            "business": {
                "name": ctx.seller["name"],
                "registeredBusinessAddress": {
                    "addressLine1": "1 Simulator Street",
                    "countryCode": first.country,
                },
            },
        }
    }


HANDLERS: dict[str, Callable[[Ctx], tuple]] = {
    "getMarketplaceParticipations": get_marketplace_participations,
    "getAccount": get_account,
}
