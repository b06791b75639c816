"""The api app's models: the token class lives in ``stockroom.access.models`` (shared with the CLI)."""

from stockroom.access.models import ApiToken

__all__ = ["ApiToken"]
