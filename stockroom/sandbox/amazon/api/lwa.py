"""Login with Amazon: POST /auth/o2/token (refresh_token and client_credentials grants)."""

from __future__ import annotations

import hmac
import uuid
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..state import Store

LWA_SCOPES = {"sellingpartnerapi::notifications", "sellingpartnerapi::client_credential:rotation"}


def _lwa_error(status: int, error: str, description: str) -> Response:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={
            "Cache-Control": "no-cache, no-store",
            "Pragma": "no-cache",
            "x-amzn-RequestId": str(uuid.uuid4()),
        },
    )


def make_lwa(store: Store):
    async def token(request: Request) -> Response:
        ctype = request.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" not in ctype:
            return _lwa_error(400, "invalid_request", "The request has an invalid parameter : Content-Type")
        raw = await request.body()
        try:
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
        except UnicodeDecodeError:
            return _lwa_error(400, "invalid_request", "The request body is not valid form data")
        grant = form.get("grant_type")
        with store.lock:
            store.tick()
            if not grant:
                return _lwa_error(
                    400, "invalid_request", "The request is missing a required parameter : grant_type"
                )
            if grant not in ("refresh_token", "client_credentials"):
                return _lwa_error(
                    400,
                    "unsupported_grant_type",
                    "The authorization grant type is not supported by the authorization server",
                )
            client_id = form.get("client_id")
            secret = form.get("client_secret")
            if not client_id:
                return _lwa_error(
                    400, "invalid_request", "The request is missing a required parameter : client_id"
                )
            sellers = [s for s in store.s["sellers"].values() if s["client_id"] == client_id]
            if not sellers or not any(hmac.compare_digest(s["client_secret"], secret or "") for s in sellers):
                return _lwa_error(401, "invalid_client", "Client authentication failed")
            headers = {
                "Cache-Control": "no-cache, no-store",
                "Pragma": "no-cache",
                "x-amzn-RequestId": str(uuid.uuid4()),
            }
            if grant == "refresh_token":
                refresh = form.get("refresh_token")
                if not refresh:
                    return _lwa_error(
                        400, "invalid_request", "The request is missing a required parameter : refresh_token"
                    )
                seller = next(
                    (s for s in sellers if s["refresh_token"] == refresh and s["client_secret"] == secret),
                    None,
                )
                if seller is None:
                    return _lwa_error(
                        400, "invalid_grant", "The request has an invalid grant parameter : refresh_token"
                    )
                issued = store.issue_access_token(seller_id=seller["seller_id"], client_id=client_id)
                store.stat(seller["seller_id"], "lwaToken", "calls")  # refresh-token exchanges, per seller
                body = {
                    "access_token": issued["token"],
                    "refresh_token": refresh,
                    "token_type": "bearer",
                    "expires_in": real_lifetime(store, issued["lifetime"]),
                }
                return JSONResponse(body, headers=headers)
            scope = form.get("scope")
            if not scope:
                return _lwa_error(
                    400, "invalid_request", "The request is missing a required parameter : scope"
                )
            if any(s not in LWA_SCOPES for s in scope.split()):
                return _lwa_error(400, "invalid_scope", "The request has an invalid parameter : scope")
            issued = store.issue_access_token(seller_id=None, client_id=client_id, scope=scope)
            body = {
                "access_token": issued["token"],
                "scope": scope,
                "token_type": "bearer",
                "expires_in": real_lifetime(store, issued["lifetime"]),
            }
            return JSONResponse(body, headers=headers)

    return token


def real_lifetime(store: Store, sim_seconds: float) -> int:
    """expires_in in real seconds, so that clients honouring it refresh in time at any time scale."""
    return max(1, int(sim_seconds / store.clock.time_scale))
