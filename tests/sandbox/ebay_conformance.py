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

from stockroom.sandbox.ebay import tables
from tests import reference
from tests.sandbox.conformance import FORMATS

OAS_FILES = {"fulfillment": "sell_fulfillment_v1_oas3.json", "inventory": "sell_inventory_v1_oas3.json"}


@cache
def oas(api: str) -> dict:
    return json.loads(reference.official(OAS_FILES[api], "ebay").read_text(encoding="utf-8"))


def _strict(node):
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(x) for x in node]
    return node


@cache
def _components(api: str) -> dict:
    return _strict(copy.deepcopy(oas(api)["components"]))


def validate(api: str, schema: dict, instance) -> None:
    root = {"components": _components(api), **_strict(copy.deepcopy(schema))}
    jsonschema.Draft7Validator(root, format_checker=FORMATS).validate(instance)


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


def check_response(response: httpx.Response) -> str:
    operation_id = check_request(response.request)
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
