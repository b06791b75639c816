"""Connecting an account through its channel's OAuth consent, for every channel whose spec declares
``Authorization(kind=OAUTH_CONSENT, consent_url, exchange_code)`` (ADR 0010's hook; eBay is the first).

``start_consent`` gives the address of the channel's consent page for the account, with a signed
``state`` naming the account; the channel sends the seller's browser back to Stockroom's consent return
page with ``code`` and ``state`` (or ``error``). ``finish_consent`` checks the state, exchanges the code
through the connector's hook and stores what it gives (a refresh token), encrypted like every credential.
A seller whose browser cannot come back pastes the code instead (``state`` then comes from the page the
seller pasted it on). Nothing here names a channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core import signing

from stockroom.channels.contracts import ChannelError
from stockroom.channels.models import ChannelAccount
from stockroom.channels.spec import AuthorizationKind, ChannelSpec
from stockroom.core.errors import StockroomError
from stockroom.sync.accounts import ChannelRequestFailed, spec_of
from stockroom.sync.tokens import merge_credentials

logger = logging.getLogger(__name__)

SALT = "stockroom.sync.consent"
STATE_MAX_AGE = 3600  # a consent left open for more than an hour is started again


class ConsentFailed(StockroomError):
    """The consent did not give the account its credentials; ``message`` says why and what to do."""

    code = "consent_failed"
    http_status = 400


@dataclass(frozen=True)
class ConsentStarted:
    url: str  # the channel's consent page, to send the seller's browser to
    state: str


def uses_consent(spec: ChannelSpec) -> bool:
    authorization = spec.authorization
    return (
        authorization.kind is AuthorizationKind.OAUTH_CONSENT
        and authorization.consent_url is not None
        and authorization.exchange_code is not None
    )


def _consent_spec(account: ChannelAccount) -> ChannelSpec:
    spec = spec_of(account.channel)
    if not uses_consent(spec):
        raise ConsentFailed(f"{spec.display_name} accounts are not connected through a consent page")
    return spec


def consent_state(account: ChannelAccount) -> str:
    return signing.dumps({"account": account.pk}, salt=SALT)


def start_consent(*, account: ChannelAccount, redirect_uri: str) -> ConsentStarted:
    spec = _consent_spec(account)
    state = consent_state(account)
    url = spec.authorization.consent_url(
        state=state,
        redirect_uri=redirect_uri,
        credentials=dict(account.credentials),
        endpoint=account.endpoint,
    )
    return ConsentStarted(url=url, state=state)


def account_of_state(state: str) -> ChannelAccount:
    try:
        data = signing.loads(state or "", salt=SALT, max_age=STATE_MAX_AGE)
    except signing.SignatureExpired:
        raise ConsentFailed(
            "the consent took more than an hour: start it again from the account's page"
        ) from None
    except signing.BadSignature:
        raise ConsentFailed("the consent answer does not belong to this Stockroom: start it again") from None
    account = ChannelAccount.objects.filter(pk=data.get("account")).first()
    if account is None:
        raise ConsentFailed("the account of this consent no longer exists")
    return account


def finish_consent(*, state: str, code: str = "", error: str = "", redirect_uri: str = "") -> ChannelAccount:
    """The channel's answer (``code``, or ``error`` when the seller refused) -> the account, connected."""
    account = account_of_state(state)
    spec = _consent_spec(account)
    if error:
        reason = (
            "the seller refused consent"
            if error == "access_denied"
            else f"the channel answered {error[:80]!r}"
        )
        raise ConsentFailed(
            f"{spec.display_name} did not connect {account.name}: {reason}; start the consent again"
        )
    code = str(code or "").strip()
    if not code:
        raise ConsentFailed("no code: paste the code the channel showed, or start the consent again")
    try:
        changed = spec.authorization.exchange_code(
            code=code,
            redirect_uri=redirect_uri,
            credentials=dict(account.credentials),
            endpoint=account.endpoint,
            token_url=account.token_url,
        )
    except ChannelError as failure:
        raise ChannelRequestFailed(failure.message) from None
    locked = merge_credentials(account.pk, changed)
    if locked is None:
        raise ChannelAccount.DoesNotExist(f"account {account.pk} was deleted during its consent")
    logger.info(
        "account %s connected through the channel's consent (%s stored encrypted)",
        account.name,
        ", ".join(sorted(changed)),
    )
    return locked
