from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "stockroom.inventory"
    label = "inventory"
