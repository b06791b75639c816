"""A fake connector for the test channel "fake": explicit, registered per test by ``fake_channel``.

It accepts exactly the credentials in ``GOOD_CREDENTIALS`` (as Amazon's LWA would: exact strings),
and lists whatever the test puts in ``LISTINGS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from stockroom.channels.contracts import (
    AccountConfig,
    AuthFailed,
    ChannelListing,
    CheckResult,
    ConnectorLifecycle,
    Transient,
)

GOOD_CREDENTIALS = {
    "client_id": "amzn1.application-oa2-client.fake",
    "client_secret": "fake-secret-0123456789abcdef",
    "refresh_token": "Atzr|fake-refresh-token-0123456789",
}

STATE: dict = {"listings": [], "orders_waiting": 3, "calls": [], "listings_error": None}


def reset() -> None:
    STATE.update(listings=[], orders_waiting=3, calls=[], listings_error=None)


class FakeConnector(ConnectorLifecycle):
    channel = "fake"
    max_stock_batch = 500

    def __init__(self, config: AccountConfig):
        self.config = config

    def check(self, *, orders_since: datetime | None) -> CheckResult:
        STATE["calls"].append(("check", orders_since))
        for key, good in GOOD_CREDENTIALS.items():
            if self.config.credentials.get(key) != good:
                raise AuthFailed(f"Amazon refused the {key.replace('_', ' ')}: check it and paste it again")
        return CheckResult(
            ok=True,
            message="Credentials accepted",
            marketplaces=("UK", "DE"),
            orders_waiting=STATE["orders_waiting"],
        )

    def list_listings(self) -> Iterator[ChannelListing]:
        STATE["calls"].append(("list_listings", None))
        if STATE["listings_error"]:
            raise Transient(STATE["listings_error"])
        yield from STATE["listings"]
