from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "stockroom.catalog"
    label = "catalog"
    verbose_name = "Catalog"
