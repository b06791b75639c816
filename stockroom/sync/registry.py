"""The explicit list of channel connectors. Adding a channel = one line here.

Only the sync engine (and the sync-layer account helpers) build connectors. Each connector class
declares its channel's spec (``spec``: credentials, addressing, options, carriers; see
``stockroom.channels.spec``), which the account services, web, CLI and API read from here.

``settings.STOCKROOM_CONNECTORS`` (channel key -> dotted path) is merged over ``CONNECTORS``: the one
explicit way to add a connector from outside the package, e.g. a test's fake connector.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from stockroom.channels.contracts import AccountConfig, ChannelCapabilities, ChannelConnector
from stockroom.channels.models import ChannelAccount
from stockroom.channels.spec import AccountIdField, Addressing, AddressingKind, ChannelSpec
from stockroom.sync.tokens import AccountTokenCache, CredentialsKeeper

CONNECTORS: dict[str, str] = {
    "amazon": "stockroom.connectors.amazon.connector.AmazonConnector",
    "ebay": "stockroom.connectors.ebay.connector.EbayConnector",
    "shopify": "stockroom.connectors.shopify.connector.ShopifyConnector",
}


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


def channel_keys() -> list[str]:
    """Every registered channel, in registry order (the built-in ones, then the settings' ones)."""
    return list(connectors())


def channel_spec(channel: str) -> ChannelSpec:
    """The spec the connector of ``channel`` declares (its class attribute ``spec``). A connector that
    declares none (a test's fake) gets a bare spec: no credentials, no marketplaces, the options
    every channel has. Raises LookupError for a channel with no connector."""
    try:
        dotted = connectors()[channel]
    except KeyError:
        raise LookupError(f"no connector for channel {channel!r}") from None
    declared = getattr(import_string(dotted), "spec", None)
    if isinstance(declared, ChannelSpec):
        return declared
    return ChannelSpec(
        key=channel,
        display_name=channel.replace("_", " ").title(),
        credentials=(),
        addressing=Addressing(
            kind=AddressingKind.SHOP_ADDRESS, account_id=AccountIdField(label="Account id")
        ),
        capabilities=getattr(import_string(dotted), "capabilities", None) or ChannelCapabilities(),
    )


def channel_specs() -> list[ChannelSpec]:
    return [channel_spec(key) for key in channel_keys()]


def channel_name(channel: str) -> str:
    """What people call ``channel`` ("Amazon"); the key itself for a channel with no connector."""
    try:
        return channel_spec(channel).display_name
    except (LookupError, ImportError):
        return channel


def channel_capabilities(channel: str) -> ChannelCapabilities:
    """What the connector of ``channel`` declares (its class attribute ``capabilities``); nothing
    special for a channel without a connector (manual orders) or a connector that declares nothing.

    Named in ``settings.STOCKROOM_CHANNEL_CAPABILITIES``: the domain reads it through
    ``stockroom.channels.capabilities`` without importing the sync layer."""
    dotted = connectors().get(channel)
    if dotted is None:
        return ChannelCapabilities()
    return getattr(import_string(dotted), "capabilities", None) or ChannelCapabilities()
