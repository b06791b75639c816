"""The one way Stockroom talks to a Shopify shop: the Admin GraphQL endpoint with its access token (given,
or obtained with the client-credentials grant and kept in the account's token cache until shortly before it
expires), explicit timeouts, and Shopify's answers turned into typed errors.

A throttled document (``THROTTLED``, or HTTP 429) is ``RateLimited`` with the wait the bucket needs; a
missing access scope (``ACCESS_DENIED``) is ``Permanent`` naming the scope; 5xx and network errors are
``Transient``; an unknown shop (404) and a refused token (401) are ``Permanent`` / ``AuthFailed`` with what
to do. Nothing here retries: the sync engine does, on its next run.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from stockroom.channels.contracts import (
    AccountConfig,
    AuthFailed,
    ChannelError,
    Permanent,
    RateLimited,
    Transient,
)
from stockroom.connectors.jsonbody import read_json

from .spec import API_VERSION

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
TOKEN_MARGIN = timedelta(minutes=5)  # a cached token is renewed this long before it expires
_SCOPE = re.compile(r"`([a-z_]+)` access scope")


class UnknownShop(Permanent):
    pass


class AccessDenied(Permanent):
    def __init__(self, message: str, *, scope: str, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.scope = scope


class ShopifyClient:
    def __init__(self, config: AccountConfig) -> None:
        self.config = config
        self.shop = config.external_account_id
        self.base_url = (config.endpoint or f"https://{self.shop}").rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=TIMEOUT)
        self.last_cost: dict = {}

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------------ tokens
    @property
    def _credentials(self) -> dict:
        return self.config.credentials

    def access_token(self, *, fresh: bool = False) -> str:
        given = self._credentials.get("access_token")
        if given:
            return given
        if not fresh:
            cached = self.config.token_cache.get("access_token")
            if cached:
                return cached
        try:
            response = self.http.post(
                "/admin/oauth/access_token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._credentials.get("client_id", ""),
                    "client_secret": self._credentials.get("client_secret", ""),
                },
            )
        except httpx.HTTPError as error:
            raise Transient(f"Shopify ({self.shop}) did not answer: {error}") from None
        if response.status_code == 404:
            raise UnknownShop(self._unknown_shop(), status=404)
        if response.status_code in (400, 401, 403):
            raise AuthFailed(
                "Shopify refused the app's client id or client secret (invalid_client): copy both again "
                "from the app's settings",
                status=response.status_code,
                body=response.text,
            )
        if response.status_code >= 300:
            raise Transient(
                f"Shopify answered {response.status_code} to the token request", status=response.status_code
            )
        try:
            data = read_json(response.content)
            token = data["access_token"]
            lifetime = timedelta(seconds=int(data.get("expires_in") or 86399))
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
            token = None  # not JSON, not an object, no token, or a lifetime that is not a number
        if not isinstance(token, str) or not token:
            raise Transient(
                "Shopify answered the token request without an access token", status=response.status_code
            )
        self.config.token_cache.set(
            "access_token", token, expires_at=datetime.now(UTC) + lifetime - TOKEN_MARGIN
        )
        return token

    def _unknown_shop(self) -> str:
        return f"There is no Shopify shop at {self.shop}: check the shop address (name.myshopify.com)"

    # ------------------------------------------------------------------ GraphQL
    def graphql(self, document: str, variables: dict | None = None) -> dict:
        """The ``data`` of a document; raises a ChannelError for anything Shopify refused as a whole."""
        token = self.access_token()
        response = self._post(document, variables, token)
        if response.status_code == 401 and not self._credentials.get("access_token"):
            self.config.token_cache.forget("access_token")  # expired or revoked: one new token, once
            response = self._post(document, variables, self.access_token(fresh=True))
        return self._answer(response)

    def _post(self, document: str, variables: dict | None, token: str) -> httpx.Response:
        try:
            return self.http.post(
                f"/admin/api/{API_VERSION}/graphql.json",
                json={"query": document, "variables": variables or {}},
                headers={"X-Shopify-Access-Token": token},
            )
        except httpx.TimeoutException as error:
            raise Transient(f"Shopify ({self.shop}) did not answer in time: {error}") from None
        except httpx.HTTPError as error:
            raise Transient(f"Shopify ({self.shop}) could not be reached: {error}") from None

    def _answer(self, response: httpx.Response) -> dict:
        status = response.status_code
        if status == 404:
            raise UnknownShop(self._unknown_shop(), status=404)
        if status == 401:
            if self._credentials.get("access_token"):
                raise AuthFailed(
                    "Shopify refused the Admin API access token: it was revoked or mistyped; copy it again "
                    "from the app's API credentials",
                    status=401,
                )
            raise AuthFailed(
                "Shopify refused the token issued for the app's client id and secret", status=401
            )
        if status == 429:
            retry = float(response.headers.get("Retry-After") or 2.0)
            raise RateLimited("Shopify is throttling requests (429)", retry_after=retry, status=429)
        if status >= 500:
            raise Transient(f"Shopify answered {status}", status=status, body=response.text)
        if status >= 400:
            raise Permanent(f"Shopify refused the request ({status}): {response.text[:200]}", status=status)
        try:
            body: dict[str, Any] = read_json(response.content)
        except ValueError:
            raise Transient("Shopify's answer was not JSON", status=status, body=response.text) from None
        self.last_cost = (body.get("extensions") or {}).get("cost") or {}
        errors = body.get("errors")
        if errors:
            raise self._error(errors if isinstance(errors, list) else [{"message": str(errors)}])
        return body.get("data") or {}

    def _error(self, errors: list[dict]) -> ChannelError:
        first = errors[0]
        code = (first.get("extensions") or {}).get("code", "")
        message = first.get("message", "")
        if code == "THROTTLED":
            status = self.last_cost.get("throttleStatus") or {}
            needed = float(self.last_cost.get("requestedQueryCost") or 0) - float(
                status.get("currentlyAvailable") or 0
            )
            retry = max(1.0, needed / float(status.get("restoreRate") or 100.0))
            return RateLimited(
                "Shopify is throttling requests (query cost budget used up)", retry_after=retry, code=code
            )
        if code == "ACCESS_DENIED":
            match = _SCOPE.search(message)
            scope = match.group(1) if match else ""
            return AccessDenied(
                f"The Shopify app may not do this: it lacks the access scope {scope or '(unknown)'}; add it "
                "in the app's configuration and install the app again",
                scope=scope,
                code=code,
            )
        if code == "MAX_COST_EXCEEDED":
            return Permanent(f"Shopify refused a query as too costly: {message}", code=code)
        if code in ("INTERNAL_SERVER_ERROR",):
            return Transient(f"Shopify had an internal error: {message}", code=code)
        return Permanent(f"Shopify refused the query: {message}", code=code)
