"""Opaque keyset cursors for the API: a page costs the same at row 50 and at row 1,000,000."""

import base64
import json
from datetime import datetime

from stockroom.core.errors import InvalidInput


def encode_cursor(*values) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *kinds: type) -> tuple:
    """The values in ``cursor``, read back as ``kinds``; InvalidInput if it was not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        decoded = tuple(
            datetime.fromisoformat(v) if kind is datetime else kind(v)
            for v, kind in zip(values, kinds, strict=True)
        )
        if any(isinstance(v, datetime) and v.tzinfo is None for v in decoded):
            raise ValueError
        return decoded
    except (ValueError, TypeError, UnicodeDecodeError):
        raise InvalidInput(
            "cursor is not valid: pass the next_cursor of the previous page unchanged", field="cursor"
        ) from None
