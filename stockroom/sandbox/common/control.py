"""The base of every simulator's control API under /_sim/ (JSON; not part of any channel's API).

``control_endpoint`` wraps a handler: it parses a JSON object body, takes the store lock, applies due events
and turns a ``ControlError`` into ``{"error": message}`` with its status. ``base_routes`` are the routes every
simulator has: health, stats, faults, clock, reset, config and save. A channel adds its own routes (sellers,
listings, orders, ...) with the same wrapper.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .clock import iso
from .errors import ControlError
from .store import BaseStore

PREFIX = "/_sim"


def answer(body: Any, status: int = 200) -> Response:
    return JSONResponse(body, status_code=status)


def control_endpoint(store: BaseStore, fn: Callable[..., Any], *, json_body: bool = False):
    """An endpoint calling ``fn(request)`` (or ``fn(request, body)``) under the store lock. ``fn`` returns a
    body, ``(body, status)`` or a Response."""

    async def endpoint(request: Request) -> Response:
        body: Any = None
        if json_body:
            raw = await request.body()
            if raw:
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    return answer({"error": "body is not valid JSON"}, 400)
            body = {} if body is None else body
            if not isinstance(body, dict):
                return answer({"error": "body must be a JSON object"}, 400)
        with store.lock:
            store.tick()
            try:
                result = fn(request, body) if json_body else fn(request)
            except ControlError as err:
                return answer({"error": err.message}, err.status)
        if isinstance(result, Response):
            return result
        return answer(*result) if isinstance(result, tuple) else answer(result)

    return endpoint


def base_routes(
    store: BaseStore,
    *,
    accounts: str = "accounts",
    check_settings: Callable[[dict], None] | None = None,
) -> list[Route]:
    """health, stats (``{<accounts>: {account: {operation: {calls, throttled, faults}}}}``), faults, clock,
    reset, config (``check_settings`` may refuse values) and save."""

    def health(request):
        return {
            "status": "ok",
            "now": iso(store.now()),
            "time_scale": store.clock.time_scale,
            "clock_offset_seconds": store.clock.offset,
            "seed": store.s["seed"],
        }

    def stats(request):
        return {accounts: store.s["stats"]}

    def add_fault(request, body):
        return store.add_fault(body), 201

    def list_faults(request):
        return {"faults": store.s["faults"]}

    def clear_faults(request):
        store.s["faults"] = []
        return {"faults": []}

    def clock(request, body):
        seconds = body.get("advance_seconds", 0)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise ControlError(400, "advance_seconds must be a number >= 0")
        if "frozen" in body:
            if not isinstance(body["frozen"], bool):
                raise ControlError(400, "frozen must be true or false")
            if body["frozen"]:
                store.clock.freeze()
            else:
                store.clock.unfreeze()
        store.clock.advance(float(seconds))
        store.tick()
        return get_clock(request)

    def get_clock(request):
        return {
            "now": iso(store.now()),
            "offset_seconds": store.clock.offset,
            "time_scale": store.clock.time_scale,
            "frozen": store.clock.frozen,
        }

    def reset(request, body):
        seed = body.get("seed")
        if seed is not None and not isinstance(seed, int):
            raise ControlError(400, "seed must be an integer")
        store.reset(seed)
        return {"status": "reset", "seed": store.s["seed"]}

    def get_config(request):
        return store.settings

    def set_config(request, body):
        unknown = set(body) - set(store.DEFAULT_SETTINGS)
        if unknown:
            raise ControlError(400, f"unknown settings {sorted(unknown)}")
        if check_settings is not None:
            check_settings(body)
        store.settings.update(body)
        return store.settings

    def save(request, body):
        path = body.get("path") or request.app.state.state_file
        if not path:
            raise ControlError(400, "no state file configured; pass path")
        store.save(path)
        return {"saved": path}

    def route(path: str, fn, method: str, *, json_body: bool = False) -> Route:
        return Route(PREFIX + path, control_endpoint(store, fn, json_body=json_body), methods=[method])

    return [
        route("/health", health, "GET"),
        route("/stats", stats, "GET"),
        route("/faults", add_fault, "POST", json_body=True),
        route("/faults", list_faults, "GET"),
        route("/faults", clear_faults, "DELETE"),
        route("/clock", clock, "POST", json_body=True),
        route("/clock", get_clock, "GET"),
        route("/reset", reset, "POST", json_body=True),
        route("/config", get_config, "GET"),
        route("/config", set_config, "POST", json_body=True),
        route("/save", save, "POST", json_body=True),
    ]
