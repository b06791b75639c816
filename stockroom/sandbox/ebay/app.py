"""The eBay simulator's HTTP application: OAuth (consent page and token endpoint), the Sell Fulfillment
and Sell Inventory operations of ``tables.OPERATIONS`` and the /_sim/ control API.

Every Sell call goes through ``sell_call``: bearer token (401 errorId 1001), scope (403 errorId 1100),
an injected fault, the application's daily quota for the API (429 errorId 2001), then the handler.
"""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..common.control import PREFIX, base_routes, control_endpoint
from ..common.errors import ControlError
from ..common.faults import gateway_error
from ..common.record import ExchangeRecorder
from . import render, tables
from .state import ApiError, Store, iso_ms

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    if status == 204:
        return Response(status_code=204, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def _error(status: int, error_id: int, message: str = "", **params) -> Response:
    return _json(render.error_body(error_id, message, **params), status)


def _oauth_error(status: int, error: str, description: str) -> Response:
    return _json({"error": error, "error_description": description}, status)


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


# --------------------------------------------------------------------------------------- getOrders filter
def _split_filter(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current:
        parts.append(current)
    return parts


def _parse_date(value: str) -> float:
    if not _DATE.match(value):
        raise ApiError(400, 30810)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def parse_filter(text: str, now: float) -> dict:
    """``creationdate:[a..b]``, ``lastmodifieddate:[a..]``, ``orderfulfillmentstatus:{A|B}`` -> criteria."""
    criteria: dict = {}
    for part in _split_filter(text):
        name, sep, value = part.partition(":")
        name = name.strip()
        if not sep or name not in tables.FILTER_FIELDS:
            raise ApiError(400, 30700, fieldname=name)
        value = value.strip()
        if name == "orderfulfillmentstatus":
            if not (value.startswith("{") and value.endswith("}")):
                raise ApiError(400, 30800, fieldvalue=value, fieldname=name)
            statuses = [s.strip() for s in value[1:-1].split("|")]
            if not statuses or any(s not in tables.FULFILLMENT_STATUSES for s in statuses):
                raise ApiError(400, 30800, fieldvalue=value, fieldname=name)
            criteria[name] = set(statuses)
            continue
        if not (value.startswith("[") and value.endswith("]")) or ".." not in value:
            raise ApiError(400, 30800, fieldvalue=value, fieldname=name)
        start_text, _, end_text = value[1:-1].partition("..")
        if not start_text:
            raise ApiError(400, 30820)
        start = _parse_date(start_text)
        end = _parse_date(end_text) if end_text else now
        if start > now + 1 or (end_text and end > now + 1):
            raise ApiError(400, 30850)
        if start > end:
            raise ApiError(400, 30840)
        if end - start > tables.FILTER_YEARS * 366 * 86400:
            raise ApiError(400, 30830, allowedTime=str(tables.FILTER_YEARS))
        criteria[name] = (start, end)
    return criteria


def _modified(order: dict) -> float:
    return order["_modified"]


def _matches(order: dict, criteria: dict) -> bool:
    from .state import fulfillment_status

    if "creationdate" in criteria:
        start, end = criteria["creationdate"]
        if not start <= order["_created"] <= end:
            return False
    if "lastmodifieddate" in criteria:
        start, end = criteria["lastmodifieddate"]
        if not start <= _modified(order) <= end:
            return False
    if (
        "orderfulfillmentstatus" in criteria
        and fulfillment_status(order) not in criteria["orderfulfillmentstatus"]
    ):
        return False
    return True


def _int_param(
    request: Request, name: str, default: int, low: int, high: int | None, error_id: int, key: str
) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, error_id, **{key: raw}) from None
    if value < low or (high is not None and value > high):
        raise ApiError(400, error_id, **{key: raw})
    return value


def _page_href(base: str, path: str, params: dict) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None}, quote_via=quote, safe=":,.|")
    return f"{base}{path}?{query}" if query else f"{base}{path}"


# --------------------------------------------------------------------------------------- the application
def create_app(store: Store, *, state_file: str | None = None, record: str | None = None) -> Starlette:
    """``record``: a file each Sell call and its answer is appended to (one JSON line, ``--record``)."""
    recorder = ExchangeRecorder(record) if record else None

    def sell_call(operation: str, handler):
        op = tables.OPERATIONS[operation]

        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            with store.lock:
                store.tick()
                header = request.headers.get("authorization", "")
                token = header[7:].strip() if header.lower().startswith("bearer ") else ""
                grant = store.s["access_tokens"].get(token)
                if grant is None or grant["expires"] <= store.now():
                    store.stat("-", operation, "calls")
                    return _error(401, 1001, "Invalid access token")
                user = grant["user_id"]
                store.stat(user, operation, "calls")
                if not set(op.scopes) & set(grant["scopes"]) and tables.SCOPE_ROOT not in op.scopes:
                    return _error(403, 1100, "Insufficient permissions to fulfill the request.")
                fault = store.take_fault(operation, user)
                lost = False
                if fault is not None:
                    store.stat(user, operation, "faults")
                    if fault["kind"] == "http_503":
                        return gateway_error(503)
                    if fault["kind"] == "http_500":
                        return _error(500, 30500 if op.api == "fulfillment" else 25001)
                    if fault["kind"] == "http_429":
                        return _error(429, 2001, "Too many requests.")
                    lost = fault["kind"] == "lost_answer"
                if not store.take_quota(grant["client_id"], op.api) or not store.take_token(user, operation):
                    store.stat(user, operation, "throttled")
                    return _json(
                        {
                            "errors": [
                                {
                                    "errorId": 2001,
                                    "domain": "ACCESS",
                                    "category": "REQUEST",
                                    "message": "Too many requests.",
                                    "longMessage": "The request limit has been reached for the resource.",
                                }
                            ]
                        },
                        429,
                    )
                body = None
                if raw:
                    try:
                        body = json.loads(raw)
                    except json.JSONDecodeError:
                        return _error(
                            400,
                            32600 if op.api == "fulfillment" else 25709,
                            "Invalid input data: the body is not JSON",
                        )
                seller = store.s["sellers"][user]
                try:
                    result = handler(request, seller, body)
                except ApiError as err:
                    return _error(err.status, err.error_id, err.message, **err.params)
            if lost:  # carried out; the answer never reaches the caller
                return gateway_error(504)
            if not isinstance(result, tuple):
                result = (result,)
            body, status, headers = (*result, 200, None)[:3] if len(result) == 1 else (*result, None)[:3]
            if op.api == "inventory":
                headers = {
                    **(headers or {}),
                    "Content-Language": request.headers.get("content-language") or "en-US",
                }
            return _json(body, status, headers)

        return endpoint

    # ------------------------------------------------------------------ fulfillment
    def get_orders(request, seller, body):
        now = store.now()
        limit = _int_param(
            request, "limit", tables.ORDERS_LIMIT_DEFAULT, 1, tables.ORDERS_LIMIT_MAX, 31100, "limitvalue"
        )
        offset = _int_param(request, "offset", 0, 0, None, 31000, "offsetvalue")
        groups = request.query_params.get("fieldGroups")
        if groups and any(g not in tables.FIELD_GROUPS for g in groups.split(",")):
            raise ApiError(400, 32800, fieldGroup=groups)
        visible = [o for o in seller["orders"].values() if o["payment"] != "UNPAID"]
        order_ids = request.query_params.get("orderIds")
        filter_text = request.query_params.get("filter")
        if order_ids:
            wanted = [i.strip() for i in order_ids.split(",") if i.strip()]
            if len(wanted) > tables.ORDER_IDS_MAX:
                raise ApiError(400, 30900)
            chosen = [o for o in visible if o["orderId"] in wanted]
        else:
            # without a filter eBay returns the orders created in the last 90 days
            criteria = (
                parse_filter(filter_text, now) if filter_text else {"creationdate": (now - 90 * 86400, now)}
            )
            chosen = [o for o in visible if _matches(o, criteria)]
        chosen.sort(key=lambda o: (o["_created"], o["orderId"]), reverse=True)  # newest first
        page = chosen[offset : offset + limit]
        base = _base_url(request)
        path = f"{tables.FULFILLMENT_BASE}/order"
        params = {"filter": filter_text, "orderIds": order_ids, "limit": limit}
        document = {
            "href": _page_href(base, path, {**params, "offset": offset}),
            "total": len(chosen),
            "limit": limit,
            "offset": offset,
            "orders": [render.order_document(o, seller["user_id"], base) for o in page],
        }
        if offset + limit < len(chosen):
            document["next"] = _page_href(base, path, {**params, "offset": offset + limit})
        if offset > 0:
            document["prev"] = _page_href(base, path, {**params, "offset": max(0, offset - limit)})
        return document

    def order_of(seller, order_id) -> dict:
        order = seller["orders"].get(order_id)
        if order is None or order["payment"] == "UNPAID":
            raise ApiError(404, 32100, orderId=order_id)
        return order

    def get_order(request, seller, body):
        order = order_of(seller, request.path_params["orderId"])
        return render.order_document(order, seller["user_id"], _base_url(request))

    def create_fulfillment(request, seller, body):
        order = order_of(seller, request.path_params["orderId"])
        if not isinstance(body, dict):
            raise ApiError(400, 32600, "Invalid input data: the body is required")
        fulfillment = store.create_fulfillment(order, body)
        location = (
            f"{_base_url(request)}{tables.FULFILLMENT_BASE}/order/{order['orderId']}"
            f"/shipping_fulfillment/{quote(fulfillment['fulfillmentId'])}"
        )
        return {}, 201, {"Location": location}

    def get_fulfillments(request, seller, body):
        order = order_of(seller, request.path_params["orderId"])
        fulfillments = [render.fulfillment_document(f) for f in order["fulfillments"]]
        return {"fulfillments": fulfillments, "total": len(fulfillments)}

    def get_fulfillment(request, seller, body):
        order = order_of(seller, request.path_params["orderId"])
        wanted = request.path_params["fulfillmentId"]
        for fulfillment in order["fulfillments"]:
            if fulfillment["fulfillmentId"] == wanted:
                return render.fulfillment_document(fulfillment)
        raise ApiError(404, 32600, f"no fulfillment {wanted}")

    # ------------------------------------------------------------------ inventory
    def content_language(request) -> str:
        language = request.headers.get("content-language", "")
        if not re.match(r"^[a-z]{2}-[A-Z]{2}$", language):
            raise ApiError(
                400, 25709, fieldName="Content-Language", additionalInfo="a header like en-GB is required"
            )
        return language

    def put_item(request, seller, body):
        locale = content_language(request)
        if not isinstance(body, dict):
            raise ApiError(400, 25709, fieldName="body")
        store.put_item(seller, request.path_params["sku"], body, locale)
        return None, 204

    def get_item(request, seller, body):
        item = seller["items"].get(request.path_params["sku"])
        if item is None:
            raise ApiError(404, 25702, skuValue=request.path_params["sku"])
        return render.item_document(item)

    def page_params(request) -> tuple[int, int]:
        limit = _int_param(
            request,
            "limit",
            tables.INVENTORY_LIMIT_DEFAULT,
            1,
            tables.INVENTORY_LIMIT_MAX,
            25706,
            "additionalInfo",
        )
        page = _int_param(request, "offset", 0, 0, None, 25706, "additionalInfo")
        return limit, page

    def paged(request, path, entries, key, limit, page, extra=None) -> dict:
        base = _base_url(request)
        chunk = entries[page * limit : (page + 1) * limit]
        document = {
            "href": _page_href(base, path, {**(extra or {}), "limit": limit, "offset": page}),
            "limit": limit,
            "size": len(chunk),
            "total": len(entries),
            key: chunk,
        }
        if (page + 1) * limit < len(entries):
            document["next"] = _page_href(base, path, {**(extra or {}), "limit": limit, "offset": page + 1})
        if page > 0:
            document["prev"] = _page_href(base, path, {**(extra or {}), "limit": limit, "offset": page - 1})
        return document

    def get_items(request, seller, body):
        limit, page = page_params(request)
        items = [render.item_document(seller["items"][sku]) for sku in sorted(seller["items"])]
        return paged(request, f"{tables.INVENTORY_BASE}/inventory_item", items, "inventoryItems", limit, page)

    def create_offer(request, seller, body):
        content_language(request)
        if not isinstance(body, dict):
            raise ApiError(400, 25709, fieldName="body")
        return {"offerId": store.create_offer(seller, body)["offerId"]}, 201

    def get_offers(request, seller, body):
        limit, page = page_params(request)
        sku = request.query_params.get("sku")
        marketplace = request.query_params.get("marketplace_id")
        offers = sorted(seller["offers"].values(), key=lambda o: int(o["offerId"]))
        if sku is not None:
            offers = [o for o in offers if o["sku"] == sku]
            if not offers:
                raise ApiError(404, 25713, additionalInfo=f"no offer for SKU {sku}")
        if marketplace:
            offers = [o for o in offers if o["marketplaceId"] == marketplace]
        extra = {"sku": sku, "marketplace_id": marketplace}
        documents = [render.offer_document(o) for o in offers]
        return paged(request, f"{tables.INVENTORY_BASE}/offer", documents, "offers", limit, page, extra)

    def get_offer(request, seller, body):
        offer = seller["offers"].get(request.path_params["offerId"])
        if offer is None:
            raise ApiError(404, 25713, additionalInfo=request.path_params["offerId"])
        return render.offer_document(offer)

    def publish_offer(request, seller, body):
        offer = store.publish_offer(seller, request.path_params["offerId"])
        return {"listingId": offer["listingId"], "warnings": []}

    def bulk_update(request, seller, body):
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            raise ApiError(400, 25709, fieldName="requests", additionalInfo="at least one entry is required")
        if len(requests) > tables.BULK_PRICE_QUANTITY_MAX:
            raise ApiError(
                400,
                25709,
                fieldName="requests",
                additionalInfo=f"at most {tables.BULK_PRICE_QUANTITY_MAX} entries",
            )
        responses = store.bulk_update(seller, requests)
        status = 200 if all(r["statusCode"] == 200 for r in responses) else 207
        return {"responses": responses}, status

    # ------------------------------------------------------------------ OAuth
    async def token(request: Request) -> Response:
        raw = (await request.body()).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        with store.lock:
            store.tick()
            client_id, secret = _basic(request.headers.get("authorization", ""))
            app = store.app_of(client_id)
            if app is None or app["client_secret"] != secret:
                store.stat("-", "token", "calls")
                return _oauth_error(401, "invalid_client", "client authentication failed")
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                code = store.s["codes"].pop(form.get("code", ""), None)
                if form.get("redirect_uri") != app["ru_name"]:
                    return _oauth_error(
                        400, "invalid_request", "redirect_uri does not match the app's RuName"
                    )
                if code is None or code["client_id"] != client_id or code["expires"] <= store.now():
                    return _oauth_error(
                        400,
                        "invalid_grant",
                        "the provided authorization grant code is invalid or was issued to another client",
                    )
                store.stat(code["user_id"], "token", "calls")
                access = store.issue_access_token(code["user_id"], client_id, code["scopes"])
                refresh = store.issue_refresh_token(code["user_id"], client_id, code["scopes"])
                return _json(
                    {
                        "access_token": access,
                        "expires_in": tables.ACCESS_TOKEN_SECONDS,
                        "refresh_token": refresh,
                        "refresh_token_expires_in": tables.REFRESH_TOKEN_SECONDS,
                        "token_type": "User Access Token",
                    }
                )
            if grant_type == "refresh_token":
                grant = store.s["refresh_tokens"].get(form.get("refresh_token", ""))
                if grant is None or grant["client_id"] != client_id or grant["expires"] <= store.now():
                    return _oauth_error(
                        400,
                        "invalid_grant",
                        "the provided authorization refresh token is invalid or was issued to another client",
                    )
                store.stat(grant["user_id"], "token", "calls")
                fault = store.take_fault("token", grant["user_id"])
                if fault is not None:
                    store.stat(grant["user_id"], "token", "faults")
                    return gateway_error(503) if fault["kind"] != "http_429" else _error(429, 2001)
                scopes = form.get("scope", "").split() or grant["scopes"]
                if set(scopes) - set(grant["scopes"]):
                    return _oauth_error(
                        400,
                        "invalid_scope",
                        "the requested scope is invalid, unknown, malformed, or exceeds the scope granted to the client",
                    )
                access = store.issue_access_token(grant["user_id"], client_id, scopes)
                return _json(
                    {
                        "access_token": access,
                        "expires_in": tables.ACCESS_TOKEN_SECONDS,
                        "token_type": "User Access Token",
                    }
                )
            return _oauth_error(
                400,
                "unsupported_grant_type",
                "grant type in request is not supported by the authorization server",
            )

    def consent_page(request: Request) -> Response:
        params = dict(request.query_params)
        with store.lock:
            app = store.app_of(params.get("client_id", ""))
            if (
                app is None
                or params.get("redirect_uri") != app["ru_name"]
                or params.get("response_type") != "code"
            ):
                return HTMLResponse(
                    _page(
                        "Request not valid",
                        "<p>client_id, redirect_uri (the app's RuName) or response_type is wrong.</p>",
                    ),
                    400,
                )
            sellers = sorted(store.s["sellers"])
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        options = "".join(f'<option value="{html.escape(u)}">{html.escape(u)}</option>' for u in sellers)
        body = (
            f"<p>Simulated eBay sign-in for <b>{html.escape(app['client_id'])}</b>.</p>"
            f'<form method="post" action="{tables.CONSENT_PATH}">{hidden}'
            f'<label>User <select name="username" id="username">{options}</select></label> '
            '<label>Password <input type="password" name="password" id="password" value="password"></label>'
            f"<p>The app asks to: {html.escape(params.get('scope', ''))}</p>"
            '<button name="decision" value="agree" id="agree">Agree</button> '
            '<button name="decision" value="decline" id="decline">No thanks</button></form>'
        )
        return HTMLResponse(_page("Grant application access: eBay (simulated)", body))

    async def consent_answer(request: Request) -> Response:
        raw = (await request.body()).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        with store.lock:
            store.tick()
            app = store.app_of(form.get("client_id", ""))
            if app is None or form.get("redirect_uri") != app["ru_name"]:
                return HTMLResponse(_page("Request not valid", "<p>Unknown app or RuName.</p>"), 400)
            if not app["accept_url"]:
                return HTMLResponse(_page("No accept URL", "<p>The app's RuName has no accept URL.</p>"), 400)
            answer = {"state": form.get("state", "")}
            if form.get("decision") != "agree":
                answer["error"] = "access_denied"
            else:
                seller = store.s["sellers"].get(form.get("username", ""))
                if seller is None or seller["password"] != form.get("password"):
                    return HTMLResponse(_page("Sign-in failed", "<p>Wrong user or password.</p>"), 401)
                scopes = [s for s in form.get("scope", "").split() if s in tables.ALL_SCOPES] or list(
                    tables.ALL_SCOPES
                )
                answer["code"] = store.issue_code(seller["user_id"], app["client_id"], scopes)
                answer["expires_in"] = str(tables.CODE_SECONDS)
            parts = urlsplit(app["accept_url"])
            query = "&".join(x for x in (parts.query, urlencode(answer)) if x)
            return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=302)

    # ------------------------------------------------------------------ control
    def sim_create_seller(request, body):
        return store.create_seller(body), 201

    def sim_sellers(request):
        return {"sellers": sorted(store.s["sellers"])}

    def sim_seller(request):
        seller = store.seller(request.path_params["user"])
        return {
            "user_id": seller["user_id"],
            "marketplace": seller["marketplace"],
            "listings": len(seller["items"]),
            "orders": len(seller["orders"]),
        }

    def sim_set_app(request, body):
        app = store.app_of(request.path_params["client_id"])
        if app is None:
            raise ControlError(404, "no such app")
        if "accept_url" in body:
            app["accept_url"] = str(body["accept_url"] or "")
        return app

    def sim_create_listing(request, body):
        seller = store.seller(request.path_params["user"])
        try:
            return store.create_listing(seller, body), 201
        except ApiError as err:
            raise ControlError(
                400, render.error_body(err.error_id, **err.params)["errors"][0]["message"]
            ) from None

    def sim_listings(request):
        seller = store.seller(request.path_params["user"])
        skus = sorted({*seller["items"], *seller.get("site_listings", {})})
        return {"listings": [store.listing_view(seller, sku) for sku in skus]}

    def sim_listing(request):
        return store.listing_view(store.seller(request.path_params["user"]), request.path_params["sku"])

    def sim_place_orders(request, body):
        seller = store.seller(request.path_params["user"])
        if "orders" in body:
            return {"orders": [_view(store.place_order(seller, o)) for o in body["orders"]]}, 201
        return _view(store.place_order(seller, body)), 201

    def sim_orders(request):
        seller = store.seller(request.path_params["user"])
        return {"orders": [_view(o) for o in seller["orders"].values()]}

    def sim_order(request):
        return _view(store.order(store.seller(request.path_params["user"]), request.path_params["order_id"]))

    def sim_pay(request, body):
        return _view(
            store.pay(store.order(store.seller(request.path_params["user"]), request.path_params["order_id"]))
        )

    def sim_cancel(request, body):
        return _view(
            store.cancel(
                store.order(store.seller(request.path_params["user"]), request.path_params["order_id"])
            )
        )

    def sim_expire_tokens(request, body):
        user = store.seller(request.path_params["user"])["user_id"]
        return {"expired": store.expire_tokens(user, refresh=bool(body.get("refresh_tokens")))}

    def sim_quota(request):
        app = store.app_of(request.path_params["client_id"])
        if app is None:
            raise ControlError(404, "no such app")
        return {"used": store.quota_used(app["client_id"]), "quotas": store.settings["daily_quotas"]}

    def _view(order: dict) -> dict:
        from .state import fulfillment_status

        return {
            "order_id": order["orderId"],
            "payment": order["payment"],
            "cancelled": order["cancelled"],
            "status": fulfillment_status(order),
            "last_modified": order["lastModifiedDate"],
            "lines": [
                {
                    "line_item_id": line["lineItemId"],
                    "sku": line["sku"],
                    "quantity": line["quantity"],
                    "fulfilled": line["fulfilled"],
                }
                for line in order["lineItems"]
            ],
            "fulfillments": [render.fulfillment_document(f) for f in order["fulfillments"]],
        }

    def control(path: str, fn, method: str, *, json_body: bool = False) -> Route:
        return Route(PREFIX + path, control_endpoint(store, fn, json_body=json_body), methods=[method])

    handlers = {
        "getOrders": get_orders,
        "getOrder": get_order,
        "createShippingFulfillment": create_fulfillment,
        "getShippingFulfillments": get_fulfillments,
        "getShippingFulfillment": get_fulfillment,
        "createOrReplaceInventoryItem": put_item,
        "getInventoryItem": get_item,
        "getInventoryItems": get_items,
        "createOffer": create_offer,
        "getOffers": get_offers,
        "getOffer": get_offer,
        "publishOffer": publish_offer,
        "bulkUpdatePriceQuantity": bulk_update,
    }
    routes = [
        Route(
            tables.BASES[op.api] + op.path,
            recorder.wrap(name, sell_call(name, handlers[name]))
            if recorder
            else sell_call(name, handlers[name]),
            methods=[op.method],
        )
        for name, op in tables.OPERATIONS.items()
    ]
    seller_path = "/sellers/{user}"
    routes += [
        Route(tables.TOKEN_PATH, token, methods=["POST"]),
        Route(tables.CONSENT_PATH, consent_page, methods=["GET"]),
        Route(tables.CONSENT_PATH, consent_answer, methods=["POST"]),
        *base_routes(store, accounts="sellers", check_settings=store.check_settings),
        control("/sellers", sim_create_seller, "POST", json_body=True),
        control("/sellers", sim_sellers, "GET"),
        control(seller_path, sim_seller, "GET"),
        control("/apps/{client_id}", sim_set_app, "POST", json_body=True),
        control("/apps/{client_id}/quota", sim_quota, "GET"),
        control(seller_path + "/listings", sim_create_listing, "POST", json_body=True),
        control(seller_path + "/listings", sim_listings, "GET"),
        control(seller_path + "/listings/{sku}", sim_listing, "GET"),
        control(seller_path + "/orders", sim_place_orders, "POST", json_body=True),
        control(seller_path + "/orders", sim_orders, "GET"),
        control(seller_path + "/orders/{order_id}", sim_order, "GET"),
        control(seller_path + "/orders/{order_id}/pay", sim_pay, "POST", json_body=True),
        control(seller_path + "/orders/{order_id}/cancel", sim_cancel, "POST", json_body=True),
        control(seller_path + "/expire_tokens", sim_expire_tokens, "POST", json_body=True),
    ]
    app = Starlette(routes=routes)
    app.state.state_file = state_file
    return app


def _basic(header: str) -> tuple[str, str]:
    if not header.lower().startswith("basic "):
        return "", ""
    try:
        decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return "", ""
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


__all__ = ["create_app", "iso_ms", "parse_filter", "UTC"]
