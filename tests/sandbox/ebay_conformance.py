"""Checks of eBay requests and responses against eBay's OpenAPI documents (Sell Fulfillment v1, Sell
Inventory v1) in the official contracts (``../shared/reference/ebay``): conformance tests only.

``check_exchange(response)`` finds the operation of the request in the OAS by method and path, validates
the request body (when the operation has one) and the response body against the schema of its status,
with every object closed (a field the OAS does not declare is an error, as for the Amazon models)."""

from __future__ import annotations

import copy
import json
import re
from functools import cache

import httpx
import jsonschema

from stockroom.connectors.ebay.client import USER_AGENT
from stockroom.sandbox.common.record import read_records
from stockroom.sandbox.ebay import tables
from tests import reference
from tests.sandbox.conformance import FORMATS, _strict

OAS_FILES = {"fulfillment": "sell_fulfillment_v1_oas3.json", "inventory": "sell_inventory_v1_oas3.json"}


@cache
def oas(api: str) -> dict:
    return json.loads(reference.official(OAS_FILES[api], "ebay").read_text(encoding="utf-8"))


@cache
def _components(api: str) -> dict:
    return _strict(copy.deepcopy(oas(api)["components"]))


def validate(api: str, schema: dict, instance) -> None:
    _validator(api, schema).validate(instance)


def find_operation(method: str, path: str) -> tuple[str, str, dict]:
    """(api, operationId, operation object) of a request path like /sell/fulfillment/v1/order/1-2-3."""
    for api, base in tables.BASES.items():
        if not path.startswith(base + "/"):
            continue
        rest = path[len(base) :]
        for template, item in oas(api)["paths"].items():
            pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
            if re.match(pattern, rest) and method.lower() in item:
                operation = item[method.lower()]
                return api, operation["operationId"], operation
    raise AssertionError(f"{method} {path} is no operation of eBay's OAS")


def _validator(api: str, schema: dict) -> jsonschema.Draft7Validator:
    key = (api, json.dumps(schema, sort_keys=True))
    if key not in _VALIDATORS:
        root = {"components": _components(api), **_strict(copy.deepcopy(schema))}
        _VALIDATORS[key] = jsonschema.Draft7Validator(root, format_checker=FORMATS)
    return _VALIDATORS[key]


_VALIDATORS: dict[tuple[str, str], jsonschema.Draft7Validator] = {}


def check_request(request: httpx.Request) -> str:
    api, operation_id, operation = find_operation(request.method, request.url.path)
    known = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    unknown = set(request.url.params) - known
    assert not unknown, f"{operation_id}: query parameters {sorted(unknown)} are not in the OAS"
    body = operation.get("requestBody")
    if body is not None and request.content:
        schema = body["content"]["application/json"]["schema"]
        validate(api, schema, json.loads(request.content))
    return operation_id


def check_response(response: httpx.Response, *, request: bool = True) -> str:
    """The operation of the exchange, after checking the answer (and the request, unless ``request`` is
    False) against the OAS; an AssertionError or a ValidationError names what does not conform."""
    operation_id = (
        check_request(response.request)
        if request
        else find_operation(response.request.method, response.request.url.path)[1]
    )
    api, _, operation = find_operation(response.request.method, response.request.url.path)
    status = str(response.status_code)
    answers = operation["responses"]
    if status not in answers:  # the common errors every operation has (401, 403, 429)
        assert response.status_code in (401, 403, 429), f"{operation_id} answered {status}"
        body = response.json()
        assert {"errors"} == set(body) and all({"errorId", "message"} <= set(e) for e in body["errors"])
        return operation_id
    spec = answers[status]
    codes = set((spec.get("x-response-codes") or {}).get("errors", {}))
    schema = (spec.get("content") or {}).get("application/json", {}).get("schema")
    if response.status_code >= 400:
        body = response.json()
        errors = body["errors"]
        if codes:
            assert {str(e["errorId"]) for e in errors} <= codes, (operation_id, errors, codes)
        validate("fulfillment", {"$ref": "#/components/schemas/Error"}, errors[0])
        return operation_id
    if schema is not None and response.content:
        validate(api, schema, response.json())
    for header in spec.get("headers", {}):
        assert header.lower() in response.headers, f"{operation_id} {status} lacks {header}"
    return operation_id


# ------------------------------------------------------------------ the simulator's record of a test session
GATEWAY_PAGES = (502, 503, 504)  # an injected gateway fault: an HTML page, not an answer of eBay's API


def missing_oas() -> str:
    """Why the OAS cannot be read ("" when it can)."""
    absent = [name for name in OAS_FILES.values() if not (reference.reference_dir() / "ebay" / name).exists()]
    if absent:
        return f"eBay's OpenAPI documents {absent} are not at {reference.reference_dir() / 'ebay'}"
    return ""


def exchange(entry: dict) -> httpx.Response:
    """An exchange the simulator recorded (``--record``), as the httpx response of its request."""
    url = "http://simulator" + entry["path"] + (f"?{entry['query']}" if entry["query"] else "")
    request = httpx.Request(
        entry["method"], url, headers=entry["request_headers"], content=entry["request_body"].encode()
    )
    return httpx.Response(
        entry["status"],
        headers=entry["response_headers"],
        content=entry["response_body"].encode(),
        request=request,
    )


def from_stockroom(entry: dict) -> bool:
    return entry["request_headers"].get("user-agent", "").startswith(USER_AGENT)


def check_recorded(entry: dict) -> str:
    """One recorded exchange: the answer always; the request when Stockroom sent it, or when the simulator
    accepted it (a test's deliberately bad request, refused, is checked by the answer alone)."""
    if entry["status"] in GATEWAY_PAGES and not entry["response_body"].lstrip().startswith("{"):
        return entry["operation"]
    response = exchange(entry)
    return check_response(response, request=from_stockroom(entry) or entry["status"] < 400)


def check_recordings(paths) -> tuple[int, list[str]]:
    """(exchanges checked, violations: "operation METHOD path -> status: what does not conform")."""
    checked, violations = 0, []
    for path in paths:
        for entry in read_records(str(path)):
            checked += 1
            try:
                check_recorded(entry)
            except (AssertionError, jsonschema.ValidationError) as error:
                what = error.message if isinstance(error, jsonschema.ValidationError) else str(error)
                where = f"{entry['method']} {entry['path']}" + (
                    f"?{entry['query']}" if entry["query"] else ""
                )
                sender = "Stockroom" if from_stockroom(entry) else "a test"
                violations.append(f"{entry['operation']} {where} ({sender}) -> {entry['status']}: {what}")
    return checked, violations
