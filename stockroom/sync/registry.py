"""The explicit list of channel connectors. Adding a channel = one line here.

Only the sync engine (and the sync-layer account helpers) build connectors.

``settings.STOCKROOM_CONNECTORS`` (channel key -> dotted path) is merged over ``CONNECTORS``: the one
explicit way to add a connector from outside the package, e.g. a test's fake connector.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from stockroom.channels.contracts import AccountConfig, ChannelCapabilities, ChannelConnector
from stockroom.channels.models import ChannelAccount
from stockroom.sync.tokens import AccountTokenCache, CredentialsKeeper

CONNECTORS: dict[str, str] = {
    "amazon": "stockroom.connectors.amazon.connector.AmazonConnector",
}

CHANNEL_NAMES = {"amazon": "Amazon"}


def account_config(account: ChannelAccount) -> AccountConfig:
    return AccountConfig(
        account_id=account.pk,
        name=account.name,
        external_account_id=account.external_account_id,
        region=account.region,
        marketplaces=tuple(account.marketplaces),
        credentials=dict(account.credentials),
        options=dict(account.options),
        endpoint=account.endpoint,
        token_url=account.token_url,
        token_cache=AccountTokenCache(account),
        credentials_changed=CredentialsKeeper(account.pk),
    )


def connectors() -> dict[str, str]:
    return {**CONNECTORS, **getattr(settings, "STOCKROOM_CONNECTORS", {})}


def connector_for(account: ChannelAccount) -> ChannelConnector:
    """A new connector for ``account``: use it as a context manager (``with connector_for(a) as c:``),
    so it is closed."""
    try:
        dotted = connectors()[account.channel]
    except KeyError:
        raise LookupError(f"no connector for channel {account.channel!r}") from None
    return import_string(dotted)(account_config(account))


def channel_capabilities(channel: str) -> ChannelCapabilities:
    """What the connector of ``channel`` declares (its class attribute ``capabilities``); nothing
    special for a channel without a connector (manual orders) or a connector that declares nothing.

    Named in ``settings.STOCKROOM_CHANNEL_CAPABILITIES``: the domain reads it through
    ``stockroom.channels.capabilities`` without importing the sync layer."""
    dotted = connectors().get(channel)
    if dotted is None:
        return ChannelCapabilities()
    return getattr(import_string(dotted), "capabilities", None) or ChannelCapabilities()
