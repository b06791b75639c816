"""Injected faults: what `POST /_sim/faults` stores and how a request draws one.

A fault names an operation (or "*"), a kind, optionally an account, and either `count` (the next N matching
calls) or `probability` (each call with probability p), or both (p for the next N). Draws use the store's
fault RNG, seeded by --seed, so a given sequence of requests gets the same faults.
"""

from __future__ import annotations

import random

from starlette.responses import Response

from .errors import ControlError

# Kinds every simulator understands at the HTTP layer (see `gateway_page` and the endpoints' fault handling).
HTTP_FAULT_KINDS = frozenset({"http_500", "http_503", "slow", "timeout"})

# What a gateway in front of the API answers (as Amazon's and most front ends do: HTML, not the API's JSON).
GATEWAY_PAGES = {
    500: "500 Internal Server Error",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}


def gateway_page(status: int) -> str:
    title = GATEWAY_PAGES[status]
    return f"<html>\n<head><title>{title}</title></head>\n<body>\n<center><h1>{title}</h1></center>\n</body>\n</html>\n"


def gateway_error(status: int, headers: dict | None = None) -> Response:
    """An injected http_500 / http_503 / timeout (504) answer: the gateway's HTML page."""
    return Response(gateway_page(status), status_code=status, media_type="text/html", headers=headers)


def add_fault(state: dict, data: dict, *, kinds: frozenset[str], operations: set[str]) -> dict:
    kind = data.get("kind")
    if kind not in kinds:
        raise ControlError(400, f"kind must be one of {sorted(kinds)}")
    operation = data.get("operation", "*")
    if operation not in operations and operation != "*":
        raise ControlError(400, f"unknown operation {operation!r}")
    count = data.get("count")
    probability = data.get("probability")
    if count is None and probability is None:
        count = 1
    if probability is not None and not (0 <= float(probability) <= 1):
        raise ControlError(400, "probability must be between 0 and 1")
    state["fault_seq"] += 1
    fault = {
        "id": state["fault_seq"],
        "operation": operation,
        "kind": kind,
        "count": count,
        "probability": None if probability is None else float(probability),
        "seller_id": data.get("seller_id"),
        "delay_seconds": data.get("delay_seconds"),
        "served": 0,
    }
    state["faults"].append(fault)
    return fault


def take_fault(
    state: dict,
    rng: random.Random,
    operation: str,
    account: str | None,
    *,
    kinds: tuple[str, ...] | None = None,
    special_kinds: frozenset[str] = frozenset(),
) -> dict | None:
    """The fault this call gets, if any. Without `kinds`, faults of the `special_kinds` (which apply only
    where a caller asks for them, e.g. a truncated document) are passed over."""
    for fault in state["faults"]:
        if fault["operation"] not in ("*", operation):
            continue
        if kinds is not None and fault["kind"] not in kinds:
            continue
        if kinds is None and fault["kind"] in special_kinds:
            continue
        if fault["seller_id"] and fault["seller_id"] != account:
            continue
        if fault["count"] is not None:
            if fault["count"] <= 0:
                continue
            if fault["probability"] is not None and rng.random() >= fault["probability"]:
                continue
            fault["count"] -= 1
        elif rng.random() >= fault["probability"]:
            continue
        fault["served"] += 1
        return fault
    return None
