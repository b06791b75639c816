"""Check simulator requests/responses against Amazon's official SP-API models (Swagger 2.0) at run time.

With the official contracts present (always under CI=true), every response is validated against the model:
status declared, headers, body with undeclared properties forbidden. Without them (a fresh clone), responses
are checked against the simulator's own description of what it serves (``sandbox/amazon/tables.py``: the
operation exists, the status is one it answers, Amazon's headers are present, a JSON body parses); the
conformance tests are then skipped (tests/reference.py).
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from functools import cache

import httpx
import jsonschema

from stockroom.sandbox.amazon.tables import OPERATIONS
from tests import reference

MODEL_FILES = [
    "orders_2026-01-01.json",
    "ordersV0.json",
    "reports_2021-06-30.json",
    "feeds_2021-06-30.json",
    "listingsItems_2021-08-01.json",
    "sellers.json",
    "tokens_2021-03-01.json",
    "notifications.json",
]
amazon_dir = reference.amazon_dir


@cache
def load_model(name: str) -> dict:
    return json.loads((amazon_dir() / "models" / name).read_text(encoding="utf-8"))


def _strict(node):
    """Swagger objects allow extra properties; for conformance we forbid fields the model does not declare."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(x) for x in node]
    return node


FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    if not isinstance(value, str) or "T" not in value:
        raise ValueError(f"not a date-time: {value!r}")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@cache
def _definitions(name: str) -> dict:
    return _strict(copy.deepcopy(load_model(name)["definitions"]))


def validate_schema(model_name: str, schema: dict, instance) -> None:
    root = {"definitions": _definitions(model_name), **_strict(copy.deepcopy(schema))}
    jsonschema.Draft4Validator(root, format_checker=FORMATS).validate(instance)


def _match(template: str, path: str) -> bool:
    a, b = template.rstrip("/").split("/"), path.rstrip("/").split("/")
    return len(a) == len(b) and all(x == y or x.startswith("{") for x, y in zip(a, b, strict=True))


@cache
def _operations() -> list[tuple[str, str, str, dict]]:
    ops = []
    for name in MODEL_FILES:
        model = load_model(name)
        for path, item in model["paths"].items():
            for method, op in item.items():
                if method != "parameters":
                    ops.append((name, method.upper(), path, op))
    return ops


def find_operation(method: str, path: str) -> tuple[str, str, dict] | None:
    found = [(n, p, op) for n, m, p, op in _operations() if m == method and _match(p, path)]
    # prefer literal matches (e.g. /orders/v0/orders/{id}/address over a shorter template)
    found.sort(key=lambda t: t[1].count("{"))
    return found[0] if found else None


class ConformanceError(AssertionError):
    pass


def check_response(response: httpx.Response) -> None:
    """Status, headers and body of one SP-API response against the model (or the simulator's own table)."""
    if not reference.available():
        check_response_against_simulator(response)
        return
    request = response.request
    found = find_operation(request.method, request.url.path)
    if found is None:
        raise ConformanceError(f"{request.method} {request.url.path} is not an operation of the models")
    model_name, _path, op = found
    status = str(response.status_code)
    declared = op["responses"].get(status)
    if declared is None:
        raise ConformanceError(f"{op['operationId']}: status {status} is not declared by the model")
    if "x-amzn-RequestId" not in response.headers:
        raise ConformanceError("x-amzn-RequestId header missing")
    if (
        "x-amzn-RateLimit-Limit" in declared.get("headers", {})
        and "x-amzn-RateLimit-Limit" not in response.headers
    ):
        raise ConformanceError("x-amzn-RateLimit-Limit header missing")
    schema = declared.get("schema")
    if schema is None:
        if response.content:
            raise ConformanceError(
                f"{op['operationId']} {status}: model declares no body, got {response.content[:200]!r}"
            )
        return
    if response.status_code in (500, 503) and response.headers.get("content-type", "").startswith(
        "text/html"
    ):
        return  # injected gateway faults are HTML, as Amazon's front ends send them
    try:
        body = response.json()
    except ValueError as exc:
        raise ConformanceError(f"{op['operationId']} {status}: body is not JSON") from exc
    try:
        validate_schema(model_name, schema, body)
    except jsonschema.ValidationError as exc:
        raise ConformanceError(
            f"{op['operationId']} {status}: {exc.message} at {list(exc.absolute_path)}"
        ) from exc


def check_request(request: httpx.Request) -> None:
    if not reference.available():
        return  # request bodies are checked against the models only
    found = find_operation(request.method, request.url.path)
    if found is None or not request.content:
        return
    model_name, _path, op = found
    params = [p for p in op.get("parameters", []) if p.get("in") == "body"]
    if params:
        validate_schema(model_name, params[0]["schema"], json.loads(request.content))


def check_response_against_simulator(response: httpx.Response) -> None:
    """Without the official models: the operation is one the simulator declares, and the answer carries
    Amazon's headers and, when JSON, parses."""
    request = response.request
    if not any(op.method == request.method and _match(op.path, request.url.path) for op in OPERATIONS):
        raise ConformanceError(f"{request.method} {request.url.path} is not an operation of the simulator")
    if "x-amzn-RequestId" not in response.headers:
        raise ConformanceError("x-amzn-RequestId header missing")
    if "x-amzn-RateLimit-Limit" not in response.headers:
        raise ConformanceError("x-amzn-RateLimit-Limit header missing")
    if response.content and response.headers.get("content-type", "").startswith("application/json"):
        try:
            response.json()
        except ValueError as exc:
            raise ConformanceError(f"{request.url.path} {response.status_code}: body is not JSON") from exc


def check_official_schema(relative: str, instance, validator=jsonschema.Draft7Validator) -> None:
    """Validate `instance` against a JSON schema of the official contracts, when they are present (a
    conformance check inside a behavioural test; their absence fails the run under CI=true)."""
    if reference.available():
        schema = json.loads((amazon_dir() / relative).read_text(encoding="utf-8"))
        validator(schema).validate(instance)
