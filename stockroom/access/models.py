"""The REST API token.

``ApiToken`` stays in the ``api`` app's migrations and table (``app_label = "api"``): the class moved
here so that the CLI, which issues tokens, does not import the API interface. ``stockroom.api.models``
imports it, so Django registers it with that app as before.
"""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 hash and a short prefix are stored.

    The token acts as its user: it carries exactly the user's role and is refused once the user is
    deactivated or the token revoked.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "api"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
