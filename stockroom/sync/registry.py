"""The explicit list of channel connectors. Adding a channel = one line here.

Only the sync engine (and the sync-layer account helpers) build connectors.
"""

from django.utils.module_loading import import_string

from stockroom.channels.contracts import AccountConfig, ChannelConnector
from stockroom.channels.models import ChannelAccount

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
    )


def connector_for(account: ChannelAccount) -> ChannelConnector:
    try:
        dotted = CONNECTORS[account.channel]
    except KeyError:
        raise LookupError(f"no connector for channel {account.channel!r}") from None
    return import_string(dotted)(account_config(account))
