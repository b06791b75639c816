"""What each user chooses for their own screens."""

from django.conf import settings
from django.db import models


class UserPreferences(models.Model):
    """One row per user who changed a preference; users without one get the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    # an IANA zone name (e.g. "Europe/London"); empty = the zone the browser reports
    time_zone = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"preferences of {self.user}"
