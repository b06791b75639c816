"""Encryption at rest for channel credentials (Fernet: AES-128-CBC + HMAC-SHA256).

The key is ``settings.STOCKROOM_ENCRYPTION_KEY`` (generated into the data directory on first start).
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def encrypt_text(plain: str) -> str:
    return _fernet(settings.STOCKROOM_ENCRYPTION_KEY).encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet(settings.STOCKROOM_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "stored credentials cannot be decrypted with this server's encryption key "
            "(was STOCKROOM_ENCRYPTION_KEY or the data directory changed?)"
        ) from None


def mask_secret(value: str, *, visible: int = 4) -> str:
    """Show a secret without revealing it: the last few characters only."""
    if not value:
        return ""
    if len(value) <= visible * 2:
        return "•" * len(value)
    return "•" * 8 + value[-visible:]


class EncryptedJSONField(models.TextField):
    """A dict stored as one Fernet token. Never use it in lookups."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return {}
        return json.loads(decrypt_text(value))

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        if not value:
            return {}
        return json.loads(decrypt_text(value))

    def get_prep_value(self, value):
        if value is None:
            value = {}
        return encrypt_text(json.dumps(value, sort_keys=True))
