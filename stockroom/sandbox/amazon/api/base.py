"""What every SP-API operation handler uses: the request context, Amazon-shaped errors, query parameters,
marketplaces, pagination tokens and the list operations shared by Reports and Feeds."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from ...common.clock import parse_iso
from ..state import ApiError, Store
from ..tables import OPERATIONS


def bad(details: str, code: str = "InvalidInput", message: str = "Invalid Input") -> ApiError:
    return ApiError(400, code, message, details)


def not_found(message: str) -> ApiError:
    return ApiError(404, "NotFound", message)


@dataclass
class Ctx:
    request: Request
    store: Store
    op: str
    seller_id: str
    token: dict
    body: Any = None
    path: dict = field(default_factory=dict)

    @property
    def seller(self) -> dict:
        return self.store.s["sellers"][self.seller_id]

    def qlist(self, name: str) -> list[str]:
        out: list[str] = []
        for raw in self.request.query_params.getlist(name):
            out.extend(p.strip() for p in raw.split(",") if p.strip())
        return out

    def q(self, name: str) -> str | None:
        value = self.request.query_params.get(name)
        return value if value not in (None, "") else None

    def qint(self, name: str, default: int, lo: int, hi: int) -> int:
        raw = self.q(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad(f"{name} must be an integer between {lo} and {hi}.") from None
        if not lo <= value <= hi:
            raise bad(f"{name} must be between {lo} and {hi}.")
        return value

    def qtime(self, name: str) -> float | None:
        raw = self.q(name)
        if raw is None:
            return None
        try:
            return parse_iso(raw)
        except ValueError:
            raise bad(f"{name} must be an ISO 8601 date-time.") from None

    @property
    def is_rdt(self) -> bool:
        return self.token.get("kind") == "rdt"

    def has_data_element(self, element: str) -> bool:
        if not self.is_rdt:
            return False
        for res in self.token["resources"]:
            # getOrders/getOrder/getOrderItems return PII only for the dataElements named in the RDT
            if path_matches(res["path"], self.request.url.path) and element in (
                res.get("dataElements") or []
            ):
                return True
        return False


def path_matches(pattern: str, path: str) -> bool:
    a = pattern.rstrip("/").split("/")
    b = path.rstrip("/").split("/")
    return len(a) == len(b) and all(
        x == y or (x.startswith("{") and x.endswith("}")) for x, y in zip(a, b, strict=True)
    )


def template_for(path: str) -> str | None:
    for op in OPERATIONS:
        if path_matches(op.path, path):
            return op.path
    return None


def marketplace_ids(ctx: Ctx, ids: list[str], *, required: bool, name: str = "marketplaceIds") -> list[str]:
    if not ids:
        if required:
            raise bad(f"{name} is required.")
        return list(ctx.seller["marketplaces"])
    for mp in ids:
        if mp not in ctx.seller["marketplaces"]:
            raise bad(f"Invalid {name}: the seller does not participate in marketplace '{mp}'.")
    return ids


def json_body(ctx: Ctx) -> dict:
    if not isinstance(ctx.body, dict):
        raise bad("The request body must be a JSON object.")
    return ctx.body


def new_page_token(
    store: Store, kind: str, seller_id: str, ids: list[str], offset: int, extra: dict | None = None
) -> str:
    tokens = store.s["page_tokens"]
    if len(tokens) > 500:
        now = store.now()
        for key in [k for k, v in tokens.items() if v["expires"] < now]:
            del tokens[key]
    token = base64.b64encode(store.token_rng.getrandbits(192).to_bytes(24, "big")).decode("ascii")
    tokens[token] = {
        "kind": kind,
        "seller_id": seller_id,
        "ids": ids,
        "offset": offset,
        "expires": store.now() + store.settings["pagination_token_ttl_seconds"],
        "extra": extra or {},
    }
    return token


def use_page_token(ctx: Ctx, kind: str, token: str, name: str) -> dict:
    # tokens stay valid until they expire, so a client may retry a page (e.g. after a timeout)
    data = ctx.store.s["page_tokens"].get(token)
    if data is None or data["kind"] != kind or data["seller_id"] != ctx.seller_id:
        raise bad(f"Invalid {name}.")
    if data["expires"] < ctx.store.now():
        raise bad(f"The {name} has expired.")
    return data


def statuses_param(ctx: Ctx, name: str) -> set[str] | None:
    values = set(ctx.qlist(name))
    allowed = {"CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE"}
    if values - allowed:
        raise bad(f"Invalid {name} value(s): {', '.join(sorted(values - allowed))}.")
    return values or None


def list_entities(ctx: Ctx, *, kind: str, collection: dict, type_param: str, type_key: str, view):
    store = ctx.store
    token = ctx.q("nextToken")
    if token:
        data = use_page_token(ctx, kind, token, "nextToken")
        ids, offset, size = data["ids"], data["offset"], data["extra"]["size"]
    else:
        types = ctx.qlist(type_param)
        if not types:
            raise bad(f"{type_param} or nextToken is required.")
        if len(types) > 10:
            raise bad(f"{type_param} accepts at most 10 values.")
        statuses = statuses_param(ctx, "processingStatuses")
        mps = set(ctx.qlist("marketplaceIds"))
        size = ctx.qint("pageSize", 10, 1, 100)
        now = store.now()
        since = ctx.qtime("createdSince")
        until = ctx.qtime("createdUntil")
        since = now - 90 * 86400 if since is None else since
        until = now if until is None else until
        chosen = [
            e
            for e in collection.values()
            if e["_seller"] == ctx.seller_id
            and e[type_key] in types
            and (statuses is None or e["processingStatus"] in statuses)
            and (not mps or mps & set(e["marketplaceIds"]))
            and since <= e["_created"] <= until
        ]
        id_key = "reportId" if kind == "getReports" else "feedId"
        chosen.sort(key=lambda e: (-e["_created"], e[id_key]))
        ids = [e[id_key] for e in chosen]
        offset = 0
    page = ids[offset : offset + size]
    body: dict = {("reports" if kind == "getReports" else "feeds"): [view(collection[i]) for i in page]}
    if offset + size < len(ids):
        body["nextToken"] = new_page_token(store, kind, ctx.seller_id, ids, offset + size, {"size": size})
    return 200, body
