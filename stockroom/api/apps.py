from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "stockroom.api"
    label = "api"
