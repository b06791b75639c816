"""What a connector keeps of an account between runs: access tokens, and credentials it rotated.

``AccountTokenCache`` is the ``channels.contracts.TokenCache`` the sync layer gives every connector it
builds (``registry.account_config``). Tokens live in Django's cache (Redis when ``REDIS_URL`` is set,
so every worker shares them; a file cache in the data directory otherwise), Fernet-encrypted like the
credentials, until the expiry the connector gives. The key holds a fingerprint of the account's
credentials and addresses, so new credentials (or another endpoint) never get an old token.

``CredentialsKeeper`` is the ``credentials_changed`` callback: a connector whose channel refreshed or
rotated a credential hands the changed values over at once, and they are stored encrypted on the
account (merged into the stored ones). Nothing here logs a secret.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import transaction

from stockroom.channels.models import ChannelAccount
from stockroom.core.crypto import decrypt_text, encrypt_text

logger = logging.getLogger(__name__)

KEY_PREFIX = "stockroom:token"


def _fingerprint(account: ChannelAccount) -> str:
    identity = json.dumps(
        [account.credentials, account.endpoint, account.token_url, account.external_account_id],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(identity.encode()).hexdigest()[:24]


class AccountTokenCache:
    """Access tokens of one account (its current credentials), encrypted, across runs and processes."""

    def __init__(self, account: ChannelAccount):
        self._prefix = f"{KEY_PREFIX}:{account.pk}:{_fingerprint(account)}"

    def _key(self, name: str) -> str:
        return f"{self._prefix}:{name}"

    def get(self, name: str) -> str | None:
        stored = cache.get(self._key(name))
        if not isinstance(stored, str):
            return None
        try:
            return decrypt_text(stored)
        except ValueError:  # another encryption key: as if nothing were cached
            return None

    def set(self, name: str, value: str, *, expires_at: datetime) -> None:
        seconds = (expires_at - datetime.now(UTC)).total_seconds()
        if seconds < 1:
            return
        cache.set(self._key(name), encrypt_text(value), timeout=int(seconds))

    def forget(self, name: str) -> None:
        cache.delete(self._key(name))


class CredentialsKeeper:
    """The ``credentials_changed`` callback of one account's connector: stores the credentials the
    channel refreshed or rotated, encrypted on the account (merged into the stored ones).

    Called on the thread that built the connector, it stores at once. Called from another thread (the
    order download reads its next page in one) it keeps them, and the engine stores them at its next
    checkpoint and when the connector is closed (``flush``): a SQLite database has one writer."""

    def __init__(self, account_id: int):
        self.account_id = account_id
        self._owner = threading.get_ident()
        self._lock = threading.Lock()
        self._waiting: dict = {}

    def __call__(self, changed: dict) -> None:
        if not isinstance(changed, dict) or not changed:
            return
        with self._lock:
            self._waiting.update(changed)
        if threading.get_ident() == self._owner:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            changed, self._waiting = self._waiting, {}
        if not changed:
            return
        if merge_credentials(self.account_id, changed) is None:
            return
        logger.info(
            "account %s: the channel rotated %s; stored encrypted",
            self.account_id,
            ", ".join(sorted(changed)),
        )


def merge_credentials(account_id: int, changed: dict) -> ChannelAccount | None:
    """Store ``changed`` credentials over the account's (encrypted), under the account's row lock so
    that two writers never lose each other's keys; None when the account is gone."""
    with transaction.atomic():
        account = ChannelAccount.objects.select_for_update().filter(pk=account_id).first()
        if account is None:
            return None
        account.credentials = {**account.credentials, **changed}
        account.save(update_fields=["credentials", "updated_at"])
    return account


def store_rotated_credentials(connector) -> None:
    """Store what ``connector`` handed back from another thread (see ``CredentialsKeeper``)."""
    keeper = getattr(getattr(connector, "config", None), "credentials_changed", None)
    if isinstance(keeper, CredentialsKeeper):
        keeper.flush()
