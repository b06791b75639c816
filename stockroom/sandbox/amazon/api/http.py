"""The HTTP plumbing of every SP-API operation: authentication (LWA access token or RDT), the rate limit,
injected faults, then the operation's handler; Amazon's headers on every answer."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ...common.faults import gateway_error
from ..state import ApiError, Store
from ..tables import (
    GRANTLESS_OPERATIONS,
    NOTIFICATIONS_SCOPE,
    OPERATIONS_BY_NAME,
    RDT_ONLY_OPERATIONS,
)
from . import feeds, listings, notifications, orders, reports, sellers, tokens
from .base import (
    Ctx,
    bad,
    path_matches,
)

log = logging.getLogger("stockroom.sandbox.amazon")

HANDLERS: dict[str, Callable[[Ctx], tuple]] = (
    sellers.HANDLERS
    | orders.HANDLERS
    | reports.HANDLERS
    | feeds.HANDLERS
    | listings.HANDLERS
    | tokens.HANDLERS
    | notifications.HANDLERS
)


UNLIMITED_RATE = 1000.0  # what x-amzn-RateLimit-Limit says with rate limits off (a raised usage plan)


QUOTA_EXCEEDED = {
    "errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}]
}


def _rate_header(store: Store, op: str) -> str:
    """The operation's rate; with rate limits off, a rate that paces a well-behaved client no more."""
    rate = OPERATIONS_BY_NAME[op].rate if store.settings["rate_limits_enabled"] else UNLIMITED_RATE
    return f"{rate:g}"


def _json(status: int, body: Any, headers: dict) -> Response:
    if body is None:
        return Response(status_code=status, headers=headers)
    # orjson: compact UTF-8, the same keys and values as json.dumps at a fraction of the CPU (ADR 0007)
    return Response(
        orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _authenticate(store: Store, request: Request, op: str) -> dict:
    token = request.headers.get("x-amz-access-token")
    if not token:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "Access token is missing in the request header.",
        )
    info = store.s["tokens"].get(token)
    if info is None:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "The access token you provided is revoked, malformed or invalid.",
        )
    if info["expires_at"] <= store.now():
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "The access token you provided has expired.",
        )
    if op in GRANTLESS_OPERATIONS:
        if info["seller_id"] is not None or NOTIFICATIONS_SCOPE not in (info.get("scope") or "").split():
            raise ApiError(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                f"{op} is a grantless operation: call it with an access token of the client_credentials "
                f"grant with scope {NOTIFICATIONS_SCOPE}.",
            )
        return info
    if info["seller_id"] is None:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "A grantless (client_credentials) token cannot call selling partner operations.",
        )
    if info["kind"] == "rdt":
        ok = any(
            res["method"] == request.method and path_matches(res["path"], request.url.path)
            for res in info["resources"]
        )
        if not ok:
            raise ApiError(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The restricted data token is not valid for this resource.",
            )
    elif op in RDT_ONLY_OPERATIONS:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "This operation returns restricted data (PII): call it with a Restricted Data Token.",
        )
    return info


def make_endpoint(store: Store, op: str) -> Callable[[Request], Awaitable[Response]]:
    handler = HANDLERS[op]

    async def endpoint(request: Request) -> Response:
        headers = {"x-amzn-RequestId": str(uuid.uuid4()), "x-amzn-RateLimit-Limit": _rate_header(store, op)}
        raw = await request.body() if request.method in ("POST", "PUT", "PATCH") else b""
        delay = 0.0
        lost_answer = False
        with store.lock:
            store.tick()
            try:
                info = _authenticate(store, request, op)
            except ApiError as err:
                store.stat(None, op, "calls")
                return _json(err.status, err.body(), headers)
            # a grantless call is the application's: counted and rate-limited per client id
            seller_id = info["seller_id"] or f"app:{info['client_id']}"
            store.stat(seller_id, op, "calls")
            if not store.take_token(seller_id, op):
                store.stat(seller_id, op, "throttled")
                return _json(429, QUOTA_EXCEEDED, headers)
            fault = store.take_fault(op, seller_id)
            if fault is not None:
                store.stat(seller_id, op, "faults")
                if fault["kind"] == "http_429":  # throttled although the bucket had a token
                    return _json(429, QUOTA_EXCEEDED, headers)
                if fault["kind"] == "http_500":
                    return gateway_error(500, headers)
                if fault["kind"] == "http_503":
                    return gateway_error(503, headers)
                lost_answer = fault["kind"] == "lost_answer"
                delay = (
                    0.0
                    if lost_answer
                    else float(fault.get("delay_seconds") or (5.0 if fault["kind"] == "slow" else 120.0))
                )
        if delay:
            await asyncio.sleep(delay)
            if fault["kind"] == "timeout":
                return gateway_error(504, headers)
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                err = bad("The request body is not valid JSON.")
                return _json(err.status, err.body(), headers)
        with store.lock:
            store.tick()
            ctx = Ctx(
                request=request,
                store=store,
                op=op,
                seller_id=seller_id,
                token=info,
                body=body,
                path=dict(request.path_params),
            )
            try:
                status, payload = handler(ctx)
            except ApiError as err:
                return _json(err.status, err.body(), headers)
            except Exception:  # a simulator bug: answer like Amazon's InternalFailure and log it
                log.exception("simulator error in %s", op)
                body = {
                    "errors": [
                        {
                            "code": "InternalFailure",
                            "message": "We encountered an internal error. Please try again.",
                        }
                    ]
                }
                return _json(500, body, headers)
        if lost_answer:  # the request was carried out; its answer never reaches the caller
            return gateway_error(504, headers)
        return _json(status, payload, headers)

    endpoint.__name__ = op.replace(".", "_")
    return endpoint
