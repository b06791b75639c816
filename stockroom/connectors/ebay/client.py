"""The one choke point to eBay's APIs: OAuth (refresh token -> user access token, kept in the account's
token cache until shortly before its two hours end), explicit timeouts, and eBay's answers turned into
typed errors naming the cause. One attempt per call: eBay's createShippingFulfillment is not idempotent,
so a retry is the engine's decision, after reading the fulfillments back."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from stockroom.channels.contracts import (
    AuthFailed,
    NoTokenCache,
    Permanent,
    RateLimited,
    TokenCache,
    Transient,
)
from stockroom.connectors.jsonbody import read_json

from .spec import API_BASE, SCOPES, TOKEN_PATH

TOKEN_NAME = "ebay_user_token"
REFRESH_ENDS = "refresh_token_expires_at"  # kept beside the refresh token: when the consent ends (UTC)
EARLY_REFRESH_SECONDS = 300  # a token is renewed five minutes before eBay's 7,200 s end
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
USER_AGENT = "Stockroom (eBay connector)"  # how the simulator's record tells Stockroom's calls apart


class EbayError(Permanent):
    """eBay refused the request as it is; ``error_ids`` are eBay's errorIds."""

    def __init__(self, message: str, *, error_ids: tuple[int, ...] = (), **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.error_ids = error_ids


def _errors(response: httpx.Response) -> list[dict]:
    try:
        body = read_json(response.content)
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _oauth_answer(response: httpx.Response, what: str) -> dict:
    """The JSON object eBay's OAuth service answered with; anything else is a Transient failure."""
    try:
        data = read_json(response.content)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise Transient(f"eBay's OAuth service answered {what} with something that is not a JSON object")
    return data


def describe(errors: list[dict]) -> str:
    return "; ".join(
        f"{e.get('message') or e.get('longMessage') or 'error'} (errorId {e.get('errorId')})" for e in errors
    )


def _token_error(response: httpx.Response) -> Exception:
    try:
        body = read_json(response.content)
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    if error == "invalid_client":
        return AuthFailed(
            "eBay refused the app's client id or client secret (invalid_client): check the App ID and Cert ID",
            status=response.status_code,
            code=error,
        )
    if error == "invalid_grant":
        return AuthFailed(
            "eBay refused the refresh token or code (invalid_grant): it expired or the seller withdrew "
            "consent; connect the account to eBay again",
            status=response.status_code,
            code=error,
        )
    if error == "invalid_scope":
        return AuthFailed(
            "eBay refused the scopes (invalid_scope): the consent did not grant sell.fulfillment and "
            "sell.inventory; connect the account to eBay again",
            status=response.status_code,
            code=error,
        )
    if response.status_code == 429:
        return RateLimited("eBay's OAuth service is throttling token requests", retry_after=60.0, status=429)
    if response.status_code >= 500:
        return Transient(f"eBay's OAuth service answered {response.status_code}", status=response.status_code)
    return AuthFailed(
        f"eBay's OAuth service refused the request ({error or response.status_code})",
        status=response.status_code,
    )


def _basic(credentials: dict) -> httpx.BasicAuth:
    return httpx.BasicAuth(str(credentials.get("client_id", "")), str(credentials.get("client_secret", "")))


def exchange_authorization_code(*, code: str, credentials: dict, token_url: str) -> dict:
    """authorization_code grant: the consent's code -> {"refresh_token": ...} to store."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": credentials.get("ru_name", "")}
    try:
        response = httpx.post(token_url, data=form, auth=_basic(credentials), timeout=TIMEOUT)
    except httpx.HTTPError as error:
        raise Transient(f"eBay's OAuth service did not answer: {error}") from None
    if response.status_code != 200:
        raise _token_error(response)
    data = _oauth_answer(response, "the code exchange")
    refresh = data.get("refresh_token")
    if not isinstance(refresh, str) or not refresh:
        raise Transient("eBay answered the code exchange without a refresh token")
    changed = {"refresh_token": refresh}
    try:
        lifetime = float(data["refresh_token_expires_in"])
    except (KeyError, TypeError, ValueError):
        return changed
    ends = datetime.now(UTC) + timedelta(seconds=lifetime)
    changed[REFRESH_ENDS] = ends.strftime("%Y-%m-%dT%H:%M:%SZ")
    return changed


class EbayClient:
    def __init__(
        self,
        *,
        credentials: dict,
        endpoint: str = "",
        token_url: str = "",
        token_cache: TokenCache | None = None,
        language: str = "en-US",
        marketplace: str = "",
    ) -> None:
        self.credentials = credentials
        base = (endpoint or API_BASE).rstrip("/")
        self.token_url = token_url or base + TOKEN_PATH
        self.token_cache = token_cache or NoTokenCache()
        self.language = language
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if marketplace:
            headers["X-EBAY-C-MARKETPLACE-ID"] = marketplace
        self.http = httpx.Client(base_url=base, timeout=TIMEOUT, headers=headers)
        self._token: str | None = None
        self._expires = 0.0
        self.calls: dict[str, int] = {}

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------------ tokens
    def access_token(self) -> str:
        if self._token and time.time() < self._expires:
            return self._token
        try:
            entry = json.loads(self.token_cache.get(TOKEN_NAME) or "null")
            if entry and float(entry["expires_at"]) - time.time() > 1:
                self._token, self._expires = entry["token"], float(entry["expires_at"])
                return self._token
        except (ValueError, TypeError, KeyError):
            pass
        refresh = str(self.credentials.get("refresh_token") or "")
        if not refresh:
            raise AuthFailed("the account is not connected to eBay yet: connect it through eBay's consent")
        form = {"grant_type": "refresh_token", "refresh_token": refresh, "scope": " ".join(SCOPES)}
        try:
            response = self.http.post(self.token_url, data=form, auth=_basic(self.credentials))
        except httpx.HTTPError as error:
            raise Transient(f"eBay's OAuth service did not answer: {error}") from None
        self.calls["token"] = self.calls.get("token", 0) + 1
        if response.status_code != 200:
            raise _token_error(response)
        data = _oauth_answer(response, "the token request")
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise Transient("eBay answered without an access token")
        lifetime = float(data.get("expires_in", 7200))
        self._token = token
        self._expires = time.time() + max(1.0, lifetime - min(EARLY_REFRESH_SECONDS, lifetime / 2))
        self.token_cache.set(
            TOKEN_NAME,
            json.dumps({"token": token, "expires_at": self._expires}),
            expires_at=datetime.fromtimestamp(self._expires, UTC),
        )
        return token

    def forget_token(self) -> None:
        self._token, self._expires = None, 0.0
        self.token_cache.forget(TOKEN_NAME)

    # ------------------------------------------------------------------ calls
    def request(
        self, method: str, path: str, *, operation: str, content_language: bool = False, **kwargs
    ) -> httpx.Response:
        """One call; a 401 (an access token eBay no longer takes) renews the token and tries once more."""
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.access_token()}"}
            if content_language:
                headers["Content-Language"] = self.language
            try:
                response = self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TimeoutException:
                raise Transient(f"eBay did not answer {operation} in time") from None
            except httpx.HTTPError as error:
                raise Transient(f"eBay could not be reached for {operation}: {error}") from None
            self.calls[operation] = self.calls.get(operation, 0) + 1
            if response.status_code == 401 and attempt == 1:
                self.forget_token()
                continue
            return self._checked(response, operation)
        raise AssertionError("unreachable")  # pragma: no cover

    def _checked(self, response: httpx.Response, operation: str) -> httpx.Response:
        status = response.status_code
        if status < 400 or status == 207:
            return response
        errors = _errors(response)
        ids = tuple(int(e["errorId"]) for e in errors if isinstance(e.get("errorId"), int))
        text = describe(errors) or response.text[:200]
        if status == 401:
            raise AuthFailed(f"eBay refused the access token for {operation}: {text}", status=401)
        if status == 403:
            raise AuthFailed(
                f"eBay refused {operation}: the consent lacks a scope it needs (sell.fulfillment, "
                f"sell.inventory); connect the account to eBay again ({text})",
                status=403,
            )
        if status == 429:
            raise RateLimited(
                f"eBay's daily call limit for {operation} is reached ({text}); it resets at midnight UTC",
                retry_after=60.0,
                status=429,
            )
        if status >= 500:
            raise Transient(
                f"eBay answered {status} to {operation}: {text}", status=status, body=response.text
            )
        raise EbayError(f"eBay refused {operation}: {text}", status=status, error_ids=ids, body=response.text)

    def json(self, method: str, path: str, *, operation: str, **kwargs) -> Any:
        response = self.request(method, path, operation=operation, **kwargs)
        if not response.content:
            return {}
        try:
            return read_json(response.content)
        except ValueError:
            raise Transient(f"eBay answered {operation} with something that is not JSON") from None
