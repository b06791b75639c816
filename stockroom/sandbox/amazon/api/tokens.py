"""Tokens API 2021-03-01: createRestrictedDataToken (RDTs for restricted data)."""

from __future__ import annotations

from collections.abc import Callable

from ..tables import RESTRICTED_PATHS
from .base import (
    Ctx,
    bad,
    json_body,
    template_for,
)
from .lwa import real_lifetime


def create_restricted_data_token(ctx: Ctx):
    body = json_body(ctx)
    resources = body.get("restrictedResources")
    if not isinstance(resources, list) or not resources:
        raise bad("restrictedResources must be a non-empty array.")
    clean = []
    for res in resources:
        if (
            not isinstance(res, dict)
            or res.get("method") not in ("GET", "PUT", "POST", "DELETE")
            or not isinstance(res.get("path"), str)
        ):
            raise bad("Each restricted resource needs a method (GET|PUT|POST|DELETE) and a path.")
        template = template_for(res["path"])
        if template is None or template not in RESTRICTED_PATHS or res["method"] != "GET":
            raise bad(
                f"Application does not have access to one or more requested data elements: {res['method']} {res['path']} is not a restricted operation."
            )
        elements = res.get("dataElements")
        if elements is not None:
            if not isinstance(elements, list) or any(
                e not in ("buyerInfo", "shippingAddress", "buyerTaxInformation") for e in elements
            ):
                raise bad("dataElements may contain buyerInfo, shippingAddress and buyerTaxInformation.")
        clean.append({"method": res["method"], "path": res["path"], "dataElements": elements})
    issued = ctx.store.issue_rdt(seller_id=ctx.seller_id, resources=clean)
    # like LWA's expires_in: real seconds, so a client that honours it stays valid at any time scale
    return 200, {
        "restrictedDataToken": issued["token"],
        "expiresIn": real_lifetime(ctx.store, issued["lifetime"]),
    }


HANDLERS: dict[str, Callable[[Ctx], tuple]] = {
    "createRestrictedDataToken": create_restricted_data_token,
}
