"""A simulator's record of the exchanges it serves (``--record FILE``): one JSON line per request and its
answer, appended as each answer leaves, so a test suite (or an integrator) can check afterwards every
exchange against the channel's official contract. The simulator itself never reads the contract."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

Endpoint = Callable[[Request], Awaitable[Response]]
REQUEST_HEADERS = ("content-type", "content-language", "user-agent", "x-ebay-c-marketplace-id")


class ExchangeRecorder:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        with open(path, "a", encoding="utf-8"):
            pass  # the file exists from the start: an empty record means no exchange

    def write(self, operation: str, request: Request, request_body: bytes, response: Response) -> None:
        entry = {
            "operation": operation,
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "request_headers": {k: request.headers[k] for k in REQUEST_HEADERS if k in request.headers},
            "request_body": request_body.decode("utf-8", errors="replace"),
            "status": response.status_code,
            "response_headers": dict(response.headers),
            "response_body": bytes(response.body).decode("utf-8", errors="replace"),
        }
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(line)

    def wrap(self, operation: str, endpoint: Endpoint) -> Endpoint:
        async def recorded(request: Request) -> Response:
            body = await request.body()
            response = await endpoint(request)
            self.write(operation, request, body, response)
            return response

        return recorded


def read_records(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as records:
        return [json.loads(line) for line in records if line.strip()]
