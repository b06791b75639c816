from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "stockroom.sync"
    label = "sync"
