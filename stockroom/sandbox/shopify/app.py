"""The Shopify simulator's ASGI app: the Admin GraphQL API (``POST /admin/api/{version}/graphql.json``), the
client-credentials grant (``POST /admin/oauth/access_token``) and the /_sim/ control API.

Every route is served both as Shopify serves it on a shop's own host (the shop is the token's) and under
``/shops/{shop}`` (so one simulator holds many shops: a connector's endpoint is
``http://127.0.0.1:8768/shops/name.myshopify.com``). An unknown shop is 404, as on Shopify.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, execute, parse, validate
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..common.faults import gateway_error
from . import cost, schema, webhooks
from .control import control_routes
from .resolvers import Context, executable_schema
from .state import Store

log = logging.getLogger("stockroom.sandbox.shopify")

INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
DOCS = "https://shopify.dev/api/usage/rate-limits"


def _json(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


def _error(message: str, code: str, **extra) -> dict:
    return {"message": message, "extensions": {"code": code, **extra}}


def _throttle_status(store: Store, available: float) -> dict:
    return {
        "maximumAvailable": float(store.settings["bucket_size"]),
        "currentlyAvailable": int(available),
        "restoreRate": float(store.settings["restore_rate"]),
    }


def _operation(document, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        return next((o for o in operations if o.name and o.name.value == name), None)
    return operations[0] if len(operations) == 1 else None


def make_graphql(store: Store):
    async def endpoint(request: Request) -> Response:
        version = request.path_params["version"]
        if version not in schema.VERSIONS:
            return _json({"errors": "Not Found"}, 404)
        raw = await request.body()
        with store.lock:
            store.tick()
            path_shop = request.path_params.get("shop")
            if path_shop is not None and path_shop not in store.s["shops"]:
                return _json({"errors": "Not Found"}, 404)
            info = store.authenticate(request.headers.get("x-shopify-access-token"))
            if info is None or (path_shop is not None and info["shop"] != path_shop):
                store.stat(path_shop, "graphql", "calls")
                return _json(INVALID_TOKEN, 401)
            shop = info["shop"]
            app = store.s["apps"][info["client_id"]]
        try:
            body = json.loads(raw)
            query = body["query"]
            if not isinstance(query, str) or not isinstance(body.get("variables") or {}, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return _json({"errors": {"query": "Required parameter missing or invalid"}}, 400)
        variables = body.get("variables") or {}
        try:
            document = parse(query)
        except GraphQLError as error:
            return _json({"errors": [error.formatted]})
        executable = executable_schema(version)
        problems = validate(executable, document)
        if problems:
            return _json({"errors": [p.formatted for p in problems]})
        operation = _operation(document, body.get("operationName"))
        if operation is None:
            return _json({"errors": [_error("An operation name is required", "BAD_REQUEST")]})
        roots = [s.name.value for s in operation.selection_set.selections if hasattr(s, "name")]
        op_name = roots[0] if roots else "graphql"
        delay, lost_answer = 0.0, False
        with store.lock:
            store.tick()
            store.stat(shop, op_name, "calls")
            fault = store.take_fault(op_name, shop)
            if fault is not None:
                store.stat(shop, op_name, "faults")
                if fault["kind"] in ("http_500", "http_503"):
                    return gateway_error(int(fault["kind"][-3:]))
                if fault["kind"] == "http_429":
                    return _json(
                        {
                            "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
                        },
                        429,
                        {"Retry-After": "2.0"},
                    )
                if fault["kind"] == "throttled":
                    store.stat(shop, op_name, "throttled")
                    return _json(
                        {
                            "errors": [_error("Throttled", "THROTTLED", documentation=DOCS)],
                            "extensions": {
                                "cost": {
                                    "requestedQueryCost": 0,
                                    "actualQueryCost": None,
                                    "throttleStatus": _throttle_status(store, 0),
                                }
                            },
                        }
                    )
                lost_answer = fault["kind"] == "lost_answer"
                if not lost_answer:
                    delay = float(fault.get("delay_seconds") or (5.0 if fault["kind"] == "slow" else 60.0))
        if delay:
            await asyncio.sleep(delay)
            if fault["kind"] == "timeout":
                return gateway_error(504)
        with store.lock:
            store.tick()
            requested = cost.query_cost(executable, document, operation, variables)
            key = f"{app['client_id']}|{shop}"
            size, rate = store.settings["bucket_size"], store.settings["restore_rate"]
            if requested > store.settings["max_query_cost"]:
                available = cost.take(
                    store.s["cost_buckets"], key, cost=0, size=size, rate=rate, now=store.now()
                )[1]
                return _json(
                    {
                        "errors": [
                            _error(
                                f"Query cost is {requested}, which exceeds the single query max cost limit ({store.settings['max_query_cost']}).",
                                "MAX_COST_EXCEEDED",
                                cost=requested,
                                maxCost=store.settings["max_query_cost"],
                                documentation=DOCS,
                            )
                        ],
                        "extensions": {
                            "cost": {
                                "requestedQueryCost": requested,
                                "actualQueryCost": None,
                                "throttleStatus": _throttle_status(store, available),
                            }
                        },
                    }
                )
            if store.settings["rate_limits_enabled"]:
                charged, available = cost.take(
                    store.s["cost_buckets"], key, cost=requested, size=size, rate=rate, now=store.now()
                )
            else:
                charged, available = True, float(size)
            if not charged:
                store.stat(shop, op_name, "throttled")
                return _json(
                    {
                        "errors": [_error("Throttled", "THROTTLED", documentation=DOCS)],
                        "extensions": {
                            "cost": {
                                "requestedQueryCost": requested,
                                "actualQueryCost": None,
                                "throttleStatus": _throttle_status(store, available),
                            }
                        },
                    }
                )
            context = Context(
                store=store,
                shop=shop,
                client_id=app["client_id"],
                scopes=tuple(app["scopes"]),
                version=version,
            )
            try:
                result = execute(
                    executable,
                    document,
                    context_value=context,
                    variable_values=variables,
                    operation_name=body.get("operationName"),
                )
            except Exception:  # a simulator bug: answer as Shopify's internal error
                log.exception("simulator error")
                return _json(
                    {
                        "errors": [
                            _error(
                                "Internal error. Looks like something went wrong on our end.",
                                "INTERNAL_SERVER_ERROR",
                            )
                        ]
                    }
                )
            actual = (
                cost.query_cost(executable, document, operation, variables, result.data or {})
                if operation.operation.value == "query"
                else requested
            )
            if store.settings["rate_limits_enabled"] and requested > actual:
                available = cost.refund(store.s["cost_buckets"], key, requested - actual, size=size)
            for name, count in context.notes.items():
                for _ in range(count):
                    store.stat(shop, name, "calls")
        if lost_answer:  # carried out; the answer never reaches the caller
            return gateway_error(504)
        answer: dict[str, Any] = {}
        if result.errors:
            answer["errors"] = [e.formatted for e in result.errors]
        answer["data"] = result.data
        answer["extensions"] = {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": _throttle_status(store, available),
            }
        }
        return _json(answer)

    return endpoint


def make_oauth(store: Store):
    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                form = json.loads(raw or b"{}")
            except ValueError:
                return _json({"error": "invalid_request", "error_description": "body is not JSON"}, 400)
        else:
            from urllib.parse import parse_qsl

            form = dict(parse_qsl(raw.decode(errors="replace")))
        with store.lock:
            store.tick()
            path_shop = request.path_params.get("shop")
            if path_shop is not None and path_shop not in store.s["shops"]:
                return _json({"errors": "Not Found"}, 404)
            store.stat(path_shop, "access_token", "calls")
            fault = store.take_fault("access_token", path_shop)
            if fault is not None and fault["kind"] in ("http_500", "http_503"):
                return gateway_error(int(fault["kind"][-3:]))
            if form.get("grant_type") != "client_credentials":
                return _json(
                    {
                        "error": "unsupported_grant_type",
                        "error_description": "grant_type must be client_credentials",
                    },
                    400,
                )
            issued = store.issue_token(str(form.get("client_id", "")), str(form.get("client_secret", "")))
            if issued is None or (
                path_shop is not None and store.s["apps"][form["client_id"]]["shop"] != path_shop
            ):
                return _json(
                    {"error": "invalid_client", "error_description": "Client authentication failed."}, 401
                )
        return _json(issued)

    return endpoint


def build_routes(store: Store) -> list[Route]:
    graphql = make_graphql(store)
    oauth = make_oauth(store)
    return [
        Route("/admin/api/{version}/graphql.json", graphql, methods=["POST"]),
        Route("/shops/{shop}/admin/api/{version}/graphql.json", graphql, methods=["POST"]),
        Route("/admin/oauth/access_token", oauth, methods=["POST"]),
        Route("/shops/{shop}/admin/oauth/access_token", oauth, methods=["POST"]),
        *control_routes(store),
    ]


def create_app(store: Store, *, state_file: str | None = None, deliver_webhooks: bool = True) -> Starlette:
    app = Starlette(routes=build_routes(store))
    app.state.store = store
    app.state.state_file = state_file
    if deliver_webhooks:
        app.state.deliverer = webhooks.Deliverer(store).start()
    return app
