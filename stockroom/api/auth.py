"""Bearer-token authentication and role checks for the REST API.

A token acts as its user. The roles are ``stockroom.access.roles``: Administrator (or a superuser) may
do everything; Warehouse staff may read and process orders and read, adjust and receive stock.
"""

from ninja.security import HttpBearer

from stockroom.access import throttle
from stockroom.access.roles import ADMINISTRATOR, WAREHOUSE_STAFF
from stockroom.access.tokens import InvalidToken, authenticate_api_token
from stockroom.core.errors import StockroomError


class TooManyInvalidTokens(StockroomError):
    code = "too_many_invalid_tokens"
    http_status = 429


class Forbidden(StockroomError):
    code = "forbidden"
    http_status = 403


def _roles(user) -> set[str]:
    if user.is_superuser:
        return {ADMINISTRATOR}
    return set(user.groups.filter(name__in=[ADMINISTRATOR, WAREHOUSE_STAFF]).values_list("name", flat=True))


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; the token's user must hold one of ``roles``."""

    def __init__(self, *, roles: tuple[str, ...] = (ADMINISTRATOR, WAREHOUSE_STAFF)):
        super().__init__()
        self.roles = frozenset(roles)

    def __call__(self, request):
        header = request.headers.get("Authorization", "").strip()
        scheme, _, secret = header.partition(" ")
        if header and scheme.lower() != "bearer":
            secret = header  # not a bearer token: reported as an invalid token
        return self.authenticate(request, secret if header else "")

    def authenticate(self, request, token):
        ip = request.META.get("REMOTE_ADDR", "")
        try:
            token = authenticate_api_token(token)
        except InvalidToken:
            throttle.record_api_token_failure(ip)
            wait = throttle.api_token_wait(ip)
            if wait:
                raise TooManyInvalidTokens(
                    f"too many invalid API tokens from your address; wait {throttle.wait_in_words(wait)} "
                    "(a valid token is never refused)",
                    retry_after=wait,
                ) from None
            raise
        if not _roles(token.user) & self.roles:
            raise Forbidden(
                f"user {token.user.username} may not do this through the API "
                f"(needs the role {' or '.join(sorted(self.roles))})"
            )
        request.user = token.user
        return token


staff_auth = TokenAuth()
administrator_auth = TokenAuth(roles=(ADMINISTRATOR,))
