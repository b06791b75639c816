"""What a channel requires of the domain, as its connector declares it (``ChannelCapabilities``).

The domain never imports connectors or the sync layer: the function that reads the connectors'
declarations is named in ``settings.STOCKROOM_CHANNEL_CAPABILITIES`` (like the after-commit hooks
in ``stockroom.core.hooks``), so the dependency is written down in one place.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from stockroom.channels.contracts import ChannelCapabilities


def capabilities_of(channel: str) -> ChannelCapabilities:
    """The declared capabilities of ``channel`` (a connector key such as an account's ``channel``)."""
    dotted = getattr(settings, "STOCKROOM_CHANNEL_CAPABILITIES", "")
    if not dotted or not channel:
        return ChannelCapabilities()
    return import_string(dotted)(channel)
