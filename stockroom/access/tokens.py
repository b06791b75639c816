"""API tokens: issue (shown once), authenticate, list, revoke.

A token is ``sr_`` + 43 random URL-safe characters. Only its SHA-256 hex digest is stored (a fast
hash is right here: the token has 256 bits of entropy, so there is nothing to brute-force), plus
its first 10 characters as a visible ``prefix`` to tell tokens apart in lists.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from stockroom.access.models import ApiToken
from stockroom.core.errors import InvalidInput, NotFound, StockroomError

TOKEN_PREFIX = "sr_"
PREFIX_LENGTH = 10
NAME_MAX = 100
# last_used_at is refreshed at most this often, so busy clients do not write on every request
LAST_USED_RESOLUTION = timedelta(minutes=1)


class MissingToken(StockroomError):
    code = "missing_token"
    http_status = 401


class InvalidToken(StockroomError):
    code = "invalid_token"
    http_status = 401


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the only time the full token exists outside the client


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_api_token(*, username: str, name: str = "") -> IssuedToken:
    user = get_user_model().objects.filter(username=(username or "").strip()).first()
    if user is None:
        raise NotFound(f"no user named {str(username)[:150]!r}; create the user first", username=username)
    if not user.is_active:
        raise InvalidInput(f"user {user.username} is deactivated; a token for them would not work")
    name = (name or "").strip() or "API token"
    if len(name) > NAME_MAX:
        raise InvalidInput(f"token name is longer than {NAME_MAX} characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:PREFIX_LENGTH], token_hash=hash_token(secret)
    )
    return IssuedToken(token=token, secret=secret)


def authenticate_api_token(secret: str | None) -> ApiToken:
    """The active token ``secret`` belongs to, or MissingToken / InvalidToken."""
    secret = (secret or "").strip()
    if not secret:
        raise MissingToken(
            "this endpoint needs an API token: send the header 'Authorization: Bearer <token>' "
            "(create one with `stockroom api-token create USERNAME`)"
        )
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(secret)).first()
    if token is None:
        raise InvalidToken("the API token is not valid (mistyped, or not a Stockroom token)")
    if token.revoked_at is not None:
        raise InvalidToken(f"the API token {token.prefix}… was revoked; create a new one")
    if not token.user.is_active:
        raise InvalidToken(f"the user of API token {token.prefix}… is deactivated")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_tokens(*, username: str = "", include_revoked: bool = False) -> QuerySet[ApiToken]:
    tokens = ApiToken.objects.select_related("user")
    if username:
        tokens = tokens.filter(user__username=username)
    if not include_revoked:
        tokens = tokens.filter(revoked_at__isnull=True)
    return tokens.order_by("-created_at", "-id")


def revoke_api_token(*, reference: str) -> ApiToken:
    """Revoke the token whose id or prefix is ``reference``. Revoking twice changes nothing."""
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput("give the id or prefix of the token to revoke")
    matches = ApiToken.objects.filter(
        Q(pk=int(reference))
        if reference.isascii() and reference.isdigit() and len(reference) <= 18
        else Q(prefix=reference.rstrip("…"))
    )
    tokens = list(matches[:2])
    if not tokens:
        raise NotFound(f"no API token with id or prefix {reference[:40]!r} (see `stockroom api-token list`)")
    if len(tokens) > 1:
        raise InvalidInput(f"several tokens start with {reference[:40]!r}; revoke by id instead")
    token = tokens[0]
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
