from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "stockroom.core"
    label = "core"

    def ready(self) -> None:
        from stockroom.core import lookups  # noqa: F401 - registers ``__any``
