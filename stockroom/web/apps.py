from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "stockroom.web"
    label = "web"
