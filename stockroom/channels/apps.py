from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "stockroom.channels"
    label = "channels"
