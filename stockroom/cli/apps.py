from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "stockroom.cli"
    label = "cli"
