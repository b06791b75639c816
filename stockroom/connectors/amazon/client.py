"""The one choke point between Stockroom and the Amazon Selling Partner API.

Owns: the Login with Amazon (LWA) token exchange and its cache, the ``x-amz-access-token`` and
``user-agent`` headers, explicit timeouts, pacing by a token bucket per seller and operation, bounded
retries of transient failures, and the translation of every non-2xx answer into a typed
``ChannelError`` (``Permanent``, ``AuthFailed``, ``RateLimited``, ``Transient``).

The endpoint and the token URL come from configuration only, so the simulator and Amazon's sandbox
are reached exactly like production.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from stockroom.channels.contracts import (
    AuthFailed,
    ChannelError,
    NoTokenCache,
    Permanent,
    RateLimited,
    TokenCache,
    Transient,
)
from stockroom.connectors.jsonbody import TooDeep, read_json

USER_AGENT = "Stockroom/0.1 (Language=Python; +https://github.com/stockroom)"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DOWNLOAD_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
TOKEN_EARLY_REFRESH_SECONDS = 60  # refresh the access token this long before ``expires_in`` ends
LWA_TOKEN_NAME = "lwa-access-token"  # the access token's name in the account's token cache


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str  # template, exactly as in Amazon's model
    rate: float  # requests per second, default usage plan
    burst: int


# Default usage plans (rate per second, burst), copied from the ``description`` of each operation in
# Amazon's models (amzn/selling-partner-api-models, commit 34dc93fe45f37c9a0b2e56823c808f68b4f81754):
# sellers.json, orders_2026-01-01.json, ordersV0.json, reports_2021-06-30.json, feeds_2021-06-30.json,
# listingsItems_2021-08-01.json, tokens_2021-03-01.json. tests/connectors/test_client.py re-reads the
# models and fails if this table drifts from them. The ``x-amzn-RateLimit-Limit`` header corrects the rate.
OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("getMarketplaceParticipations", "GET", "/sellers/v1/marketplaceParticipations", 0.016, 15),
        Operation("searchOrders", "GET", "/orders/2026-01-01/orders", 0.0056, 20),
        Operation("getOrder", "GET", "/orders/2026-01-01/orders/{orderId}", 0.5, 30),
        Operation("getOrderItems", "GET", "/orders/v0/orders/{orderId}/orderItems", 0.5, 30),
        Operation("confirmShipment", "POST", "/orders/v0/orders/{orderId}/shipmentConfirmation", 2.0, 10),
        Operation("getReports", "GET", "/reports/2021-06-30/reports", 0.0222, 10),
        Operation("getReportSchedules", "GET", "/reports/2021-06-30/schedules", 0.0222, 10),
        Operation("createReportSchedule", "POST", "/reports/2021-06-30/schedules", 0.0222, 10),
        Operation("getReportDocument", "GET", "/reports/2021-06-30/documents/{reportDocumentId}", 0.0167, 15),
        Operation("createFeedDocument", "POST", "/feeds/2021-06-30/documents", 0.5, 15),
        Operation("createFeed", "POST", "/feeds/2021-06-30/feeds", 0.0083, 15),
        Operation("getFeed", "GET", "/feeds/2021-06-30/feeds/{feedId}", 2.0, 15),
        Operation("getFeedDocument", "GET", "/feeds/2021-06-30/documents/{feedDocumentId}", 0.0222, 10),
        Operation("patchListingsItem", "PATCH", "/listings/2021-08-01/items/{sellerId}/{sku}", 5.0, 5),
        Operation("searchListingsItems", "GET", "/listings/2021-08-01/items/{sellerId}", 5.0, 5),
        Operation("createRestrictedDataToken", "POST", "/tokens/2021-03-01/restrictedDataToken", 1.0, 10),
        # notifications.json; the destination operations and deleteSubscriptionById are grantless
        Operation("getDestinations", "GET", "/notifications/v1/destinations", 1.0, 5),
        Operation("createDestination", "POST", "/notifications/v1/destinations", 1.0, 5),
        Operation("deleteDestination", "DELETE", "/notifications/v1/destinations/{destinationId}", 1.0, 5),
        Operation("getSubscription", "GET", "/notifications/v1/subscriptions/{notificationType}", 1.0, 5),
        Operation("createSubscription", "POST", "/notifications/v1/subscriptions/{notificationType}", 1.0, 5),
        Operation(
            "deleteSubscriptionById",
            "DELETE",
            "/notifications/v1/subscriptions/{notificationType}/{subscriptionId}",
            1.0,
            5,
        ),
    )
}
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"  # the grantless token of the Notifications API


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


# Amazon counts a request when it arrives, a bucket here when it leaves. While Amazon's bucket is full,
# the refill of the time a request spends on the way is lost to its cap and not to ours, so after a
# quiet spell Amazon can hold a fraction of a token less than ours says, and a call sent on our last
# token is answered 429. Each bucket keeps this many seconds of refill in hand (a token at 5 a second,
# nothing noticeable at one call a minute): it lowers the burst a little, never the rate.
IN_FLIGHT_ALLOWANCE_SECONDS = 0.2


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` per second; one token per request, sent only while
    ``reserve`` more are left (see IN_FLIGHT_ALLOWANCE_SECONDS)."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = now

    def _refill(self, now: float) -> None:
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now

    @property
    def reserve(self) -> float:
        return min(self.rate * IN_FLIGHT_ALLOWANCE_SECONDS, max(0.0, self.burst - 1.0))

    def wait_time(self, now: float) -> float:
        self._refill(now)
        missing = 1.0 + self.reserve - self.tokens
        return 0.0 if missing <= 1e-6 else missing / self.rate  # tolerance: float refill after a sleep

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0

    def drain(self, now: float) -> None:
        """After a 429: Amazon's bucket is empty, so is ours."""
        self._refill(now)
        self.tokens = min(self.tokens, 0.0)


class RateLimiter:
    """Token buckets per (seller, operation), shared by every client of a process."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, seller: str, op: Operation) -> TokenBucket:
        key = (seller, op.name)
        with self._lock:
            if key not in self._buckets:
                self._buckets[key] = TokenBucket(op.rate, op.burst, self.clock.monotonic())
            return self._buckets[key]

    def acquire(self, seller: str, op: Operation, *, max_wait: float) -> None:
        """Wait for a token; raise ``RateLimited`` instead of waiting longer than ``max_wait``."""
        bucket = self.bucket(seller, op)
        while True:
            with self._lock:
                wait = bucket.wait_time(self.clock.monotonic())
                if wait <= 0:
                    bucket.take(self.clock.monotonic())
                    return
            if wait > max_wait:
                raise RateLimited(
                    f"Amazon allows {op.name} about {_per_hour(bucket.rate)} times an hour; the next call is "
                    f"possible in {wait:.0f} s, so this run stops here and resumes later",
                    retry_after=wait,
                    code="LocalQuota",
                )
            self.clock.sleep(wait)

    def capacity(self, seller: str, op: Operation, *, within: float) -> int:
        """How many calls could start within ``within`` seconds from now without outrunning the
        rate limit (the tokens left plus those refilled meanwhile); nothing is taken."""
        bucket = self.bucket(seller, op)
        with self._lock:
            bucket._refill(self.clock.monotonic())
            return max(0, int(bucket.tokens - bucket.reserve + within * bucket.rate + 1e-6))

    def observe(self, seller: str, op: Operation, limit_header: str | None) -> None:
        if not limit_header:
            return
        try:
            rate = float(limit_header.split(",")[0].strip())
        except ValueError:
            return
        if rate > 0:
            bucket = self.bucket(seller, op)
            with self._lock:
                bucket._refill(self.clock.monotonic())
                bucket.rate = rate

    def throttled(self, seller: str, op: Operation) -> float:
        bucket = self.bucket(seller, op)
        with self._lock:
            bucket.drain(self.clock.monotonic())
            return bucket.wait_time(self.clock.monotonic())


def _per_hour(rate: float) -> str:
    return f"{rate * 3600:.0f}"


_SHARED_LIMITER = RateLimiter(SystemClock())


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    refresh_token: str


@dataclass(frozen=True)
class Response:
    status: int
    data: Any  # decoded JSON, or None for an empty body
    headers: Mapping[str, str]


LWA_CAUSES = {
    "invalid_client": (
        "Amazon refused the app's LWA client id or client secret (invalid_client): copy both again from "
        "Developer Central in Seller Central"
    ),
    "invalid_grant": (
        "Amazon refused the refresh token (invalid_grant): it is mistyped, was revoked, or belongs to "
        "another app or seller; authorise the app again and paste the new refresh token"
    ),
    "unauthorized_client": "this app is not allowed to use the refresh-token grant (unauthorized_client)",
}


class SpApiClient:
    def __init__(
        self,
        *,
        endpoint: str,
        token_url: str,
        credentials: Credentials,
        seller_key: str,
        http: httpx.Client | None = None,
        clock: Clock | None = None,
        limiter: RateLimiter | None = None,
        max_attempts: int = 3,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        token_cache: TokenCache | None = None,
        grantless_scope: str | None = None,
    ) -> None:
        """``grantless_scope``: the client calls grantless operations, with an access token of the
        client_credentials grant for that scope (no refresh token is used)."""
        self.endpoint = endpoint.rstrip("/")
        self.grantless_scope = grantless_scope
        self.token_name = LWA_TOKEN_NAME + (f":{grantless_scope}" if grantless_scope else "")
        self.token_url = token_url
        self.credentials = credentials
        self.seller_key = seller_key
        self.clock = clock or SystemClock()
        self.limiter = limiter or (_SHARED_LIMITER if clock is None else RateLimiter(self.clock))
        self.http = http or httpx.Client(timeout=TIMEOUT, headers={"user-agent": USER_AGENT})
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self._token: str | None = None
        self._token_expires = 0.0
        # the account's access token is kept there between runs, with its wall-clock expiry
        self.token_cache = token_cache or NoTokenCache()

    def close(self) -> None:
        self.http.close()

    def capacity(self, operation: str, *, within: float) -> int:
        """Calls of ``operation`` the rate limit lets start within ``within`` seconds from now."""
        return self.limiter.capacity(self.seller_key, OPERATIONS[operation], within=within)

    # ------------------------------------------------------------------ LWA
    def access_token(self) -> str:
        if self._token and self.clock.monotonic() < self._token_expires:
            return self._token
        if self._cached_token():
            return self._token
        data = self._with_retries(self._exchange_token, "LWA token exchange")
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise Transient("Login with Amazon answered without an access token", body=str(data))
        try:
            lifetime = float(data.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        good_for = max(1.0, lifetime - min(TOKEN_EARLY_REFRESH_SECONDS, lifetime / 2))
        self._token = token
        self._token_expires = self.clock.monotonic() + good_for
        expires_at = time.time() + good_for
        self.token_cache.set(
            self.token_name,
            json.dumps({"token": token, "expires_at": expires_at}),
            expires_at=datetime.fromtimestamp(expires_at, UTC),
        )
        return token

    def _cached_token(self) -> bool:
        """Take the account's access token from the token cache (an earlier run's) while still good."""
        try:
            entry = json.loads(self.token_cache.get(self.token_name) or "null")
            token, left = entry["token"], float(entry["expires_at"]) - time.time()
        except (ValueError, TypeError, KeyError):
            return False
        if not isinstance(token, str) or not token or left < 1.0:
            return False
        self._token = token
        self._token_expires = self.clock.monotonic() + left
        return True

    def forget_token(self) -> None:
        self._token = None
        self._token_expires = 0.0
        self.token_cache.forget(self.token_name)

    def _exchange_token(self) -> Any:
        if self.grantless_scope:
            form = {
                "grant_type": "client_credentials",
                "scope": self.grantless_scope,
                "client_id": self.credentials.client_id,
                "client_secret": self.credentials.client_secret,
            }
        else:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": self.credentials.refresh_token,
                "client_id": self.credentials.client_id,
                "client_secret": self.credentials.client_secret,
            }
        try:
            resp = self.http.post(
                self.token_url,
                data=form,
                headers={"content-type": "application/x-www-form-urlencoded;charset=UTF-8"},
                timeout=TIMEOUT,
            )
        except httpx.TimeoutException as exc:
            raise Transient(f"Login with Amazon did not answer in time ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise Transient(f"could not reach Login with Amazon: {exc}") from exc
        if 200 <= resp.status_code < 300:
            return _decode_json(resp, what="Login with Amazon")
        body = _safe_json(resp)
        error = body.get("error", "") if isinstance(body, dict) else ""
        description = body.get("error_description", "") if isinstance(body, dict) else ""
        if error in LWA_CAUSES:
            raise AuthFailed(LWA_CAUSES[error], status=resp.status_code, code=error, body=resp.text)
        if resp.status_code == 429:
            raise RateLimited("Login with Amazon is throttling token requests", status=429, body=resp.text)
        if resp.status_code >= 500:
            raise Transient(
                f"Login with Amazon answered {resp.status_code}", status=resp.status_code, body=resp.text
            )
        raise AuthFailed(
            f"Login with Amazon refused the token request ({error or resp.status_code}"
            f"{': ' + description if description else ''})",
            status=resp.status_code,
            code=error,
            body=resp.text,
        )

    # ------------------------------------------------------------------ SP-API calls
    def call(
        self,
        operation: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        access_token: str | None = None,
        max_wait: float | None = None,
    ) -> Response:
        """Call one SP-API operation; returns the decoded 2xx response or raises a ``ChannelError``.

        ``access_token`` overrides the LWA token (a Restricted Data Token for PII operations);
        ``max_wait`` overrides how long this call may wait for a token of the rate limit.
        """
        wait_limit = self.max_wait if max_wait is None else max_wait
        op = OPERATIONS[operation]
        path = op.path
        for key, value in (path_params or {}).items():
            path = path.replace("{" + key + "}", quote(str(value), safe=""))
        url = self.endpoint + path
        query = {
            k: (",".join(v) if isinstance(v, list | tuple) else v)
            for k, v in (params or {}).items()
            if v is not None
        }
        refreshed = False

        def attempt() -> Response:
            nonlocal refreshed
            token = access_token or self.access_token()  # before the rate token: a refresh takes time
            self.limiter.acquire(self.seller_key, op, max_wait=wait_limit)
            try:
                resp = self.http.request(
                    op.method,
                    url,
                    params=query,
                    content=None if json_body is None else json.dumps(json_body).encode(),
                    headers={
                        "x-amz-access-token": token,
                        "user-agent": USER_AGENT,
                        "accept": "application/json",
                        **({"content-type": "application/json"} if json_body is not None else {}),
                    },
                )
            except httpx.TimeoutException as exc:
                raise Transient(f"Amazon did not answer {operation} in time ({type(exc).__name__})") from exc
            except httpx.HTTPError as exc:
                raise Transient(f"could not reach Amazon for {operation}: {exc}") from exc
            self.limiter.observe(self.seller_key, op, resp.headers.get("x-amzn-RateLimit-Limit"))
            if 200 <= resp.status_code < 300:
                data = None if not resp.content.strip() else _decode_json(resp, what=operation)
                return Response(resp.status_code, data, resp.headers)
            if resp.status_code == 429:
                wait = self.limiter.throttled(self.seller_key, op)
                raise RateLimited(
                    f"Amazon throttled {operation} (QuotaExceeded)",
                    retry_after=wait,
                    status=429,
                    code=_first_error(resp)[0] or "QuotaExceeded",
                    body=resp.text,
                )
            error = _error_for(operation, resp)
            if resp.status_code == 403 and not refreshed and access_token is None and _token_problem(resp):
                refreshed = True
                self.forget_token()
                return attempt()
            raise error

        return self._with_retries(attempt, operation)

    def _with_retries(self, fn, what: str):
        for n in range(1, self.max_attempts + 1):
            try:
                return fn()
            except RateLimited as exc:
                if n == self.max_attempts or exc.retry_after > self.max_wait or exc.code == "LocalQuota":
                    raise
                self.clock.sleep(max(exc.retry_after, self._delay(n)))
            except Transient:
                if n == self.max_attempts:
                    raise
                self.clock.sleep(self._delay(n))
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int) -> float:
        return self.backoff * (2 ** (attempt - 1)) * (1 + random.random() / 4)

    # ------------------------------------------------------------------ documents (pre-signed URLs)
    def download(self, url: str) -> tuple[bytes, str]:
        """GET a pre-signed document URL (no SP-API token); returns (bytes, content type)."""
        resp = self._document("GET", url, "document download", headers={"user-agent": USER_AGENT})
        return resp.content, resp.headers.get("content-type", "")

    def download_to(self, url: str, handle) -> str:
        """GET a pre-signed document URL into ``handle`` (a binary file), streamed in chunks, so a
        document of any size never sits in memory whole. Returns the content type."""

        def attempt():
            handle.seek(0)
            handle.truncate()
            try:
                with self.http.stream(
                    "GET", url, timeout=DOWNLOAD_TIMEOUT, headers={"user-agent": USER_AGENT}
                ) as resp:
                    if resp.status_code >= 300:
                        resp.read()
                        raise _storage_error(resp, "download")
                    for chunk in resp.iter_bytes(1 << 18):
                        handle.write(chunk)
                    return resp.headers.get("content-type", "")
            except httpx.TimeoutException as exc:
                raise Transient("the document download timed out") from exc
            except httpx.HTTPError as exc:
                raise Transient(f"the document download failed: {exc}") from exc

        return self._with_retries(attempt, "document download")

    def upload(self, url: str, content: bytes, content_type: str) -> None:
        """PUT a feed document to its pre-signed URL, with the content type given to createFeedDocument."""
        self._document("PUT", url, "feed upload", content=content, headers={"content-type": content_type})

    def _document(self, method: str, url: str, what: str, **kwargs) -> httpx.Response:
        def attempt() -> httpx.Response:
            try:
                resp = self.http.request(method, url, timeout=DOWNLOAD_TIMEOUT, **kwargs)
            except httpx.TimeoutException as exc:
                raise Transient(f"the {what} timed out") from exc
            except httpx.HTTPError as exc:
                raise Transient(f"the {what} failed: {exc}") from exc
            if resp.status_code >= 300:
                raise _storage_error(resp, what)
            return resp

        return self._with_retries(attempt, what)


# ---------------------------------------------------------------------------------------------- errors
def _safe_json(resp: httpx.Response) -> Any:
    try:
        return read_json(resp.content)
    except ValueError:
        return None


def _decode_json(resp: httpx.Response, *, what: str) -> Any:
    try:
        return read_json(resp.content)
    except TooDeep as exc:
        raise Transient(
            f"{what} answered {resp.status_code} with JSON nested too deeply to read",
            status=resp.status_code,
            body=resp.text,
        ) from exc
    except ValueError as exc:
        raise Transient(
            f"{what} answered {resp.status_code} with a body that is not JSON",
            status=resp.status_code,
            body=resp.text,
        ) from exc


def _first_error(resp: httpx.Response) -> tuple[str, str]:
    body = _safe_json(resp)
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            message = str(first.get("message") or "")
            details = str(first.get("details") or "")
            if details and details not in message:
                message = f"{message} {details}".strip()
            return str(first.get("code") or ""), message
    return "", ""


def _token_problem(resp: httpx.Response) -> bool:
    _, message = _first_error(resp)
    text = message.lower()
    return (
        "expired" in text
        or "revoked, malformed or invalid" in text
        or "access token" in text
        and "invalid" in text
    )


def _error_for(operation: str, resp: httpx.Response) -> ChannelError:
    status = resp.status_code
    code, message = _first_error(resp)
    if status >= 500:
        kind = "an HTML error page" if "<html" in resp.text[:200].lower() else "an error"
        return Transient(
            f"Amazon answered {operation} with {status} ({kind})",
            status=status,
            code=code,
            body=resp.text,
        )
    if status in (401, 403):
        return AuthFailed(
            f"Amazon refused {operation} ({status} {code or 'Unauthorized'}: {message or 'access denied'}). "
            "The app may lack the role for this operation, the seller may not have authorised it, or the "
            "account's region may be wrong",
            status=status,
            code=code,
            body=resp.text,
        )
    if not message:
        message = "no error details" if not resp.content.strip() else resp.text[:300]
    return Permanent(f"{operation}: {code or status}: {message}", status=status, code=code, body=resp.text)


def _storage_error(resp: httpx.Response, what: str) -> ChannelError:
    if resp.status_code >= 500 or resp.status_code == 429:
        return Transient(f"the {what} answered {resp.status_code}", status=resp.status_code, body=resp.text)
    if resp.status_code == 403 and "expired" in resp.text.lower():
        return Transient(f"the {what} URL expired", status=403, body=resp.text)
    return Permanent(f"the {what} was refused ({resp.status_code})", status=resp.status_code, body=resp.text)
