from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "stockroom.core"
    label = "core"
