"""The REST API (django-ninja) mounted at /api/: one exception mapping for every endpoint.

- ``StockroomError`` -> its ``http_status`` with ``as_dict()`` (``{"error", "message", "details"?}``)
- request validation -> 422 ``{"error": "invalid_input", "message", "details": {"fields": [...]}}``
- an unknown URL under /api/ -> 404 JSON
The docs page (Swagger UI) loads its assets from ninja's bundled static files, never a CDN.
"""

from django.http import Http404
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from stockroom.api import accounts, orders, stock
from stockroom.core.errors import StockroomError


class LocalSwagger(Swagger):
    """Swagger UI from local static files; its page needs inline styles, so it gets its own CSP."""

    def render_page(self, request, api, **kwargs):
        response = super().render_page(request, api, **kwargs)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; object-src 'none'"
        )
        return response


api = NinjaAPI(
    title="Stockroom API",
    version="1",
    description=(
        "Orders and stock of a Stockroom installation. Authenticate with "
        "`Authorization: Bearer <token>` (create a token with `stockroom api-token create USERNAME`). "
        "Errors are JSON `{error, message}`; money is a decimal string; times are ISO 8601 UTC."
    ),
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api",
)
api.add_router("", orders.router)
api.add_router("", stock.router)
api.add_router("", accounts.router)


def _field_message(error: dict) -> dict:
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    # ninja nests the body under its parameter name ("body") and query models under theirs
    if location and location[0] in {"filters"}:
        location = location[1:]
    return {"field": ".".join(location), "message": error.get("msg", "invalid value")}


@api.exception_handler(StockroomError)
def stockroom_error(request, error: StockroomError):
    return api.create_response(request, error.as_dict(), status=error.http_status)


@api.exception_handler(ValidationError)
def validation_error(request, error: ValidationError):
    fields = [_field_message(e) for e in error.errors]
    summary = "; ".join(f"{f['field'] or 'request'}: {f['message']}" for f in fields)
    return api.create_response(
        request,
        {"error": "invalid_input", "message": f"invalid request: {summary}", "details": {"fields": fields}},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request, error: AuthenticationError):
    return api.create_response(
        request, {"error": "missing_token", "message": "this endpoint needs an API token"}, status=401
    )


@api.exception_handler(HttpError)
def http_error(request, error: HttpError):
    return api.create_response(
        request, {"error": "http_error", "message": error.message}, status=error.status_code
    )


@api.exception_handler(Http404)
def not_found(request, error: Http404):
    return api.create_response(
        request, {"error": "not_found", "message": str(error) or "not found"}, status=404
    )
