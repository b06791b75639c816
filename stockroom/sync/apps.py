from django.apps import AppConfig
from django.db.models.signals import pre_delete


def _stop_order_pushes(sender, instance, **kwargs) -> None:
    """A deleted account's channel stops pushing its orders to a queue no one reads (ADR 0016)."""
    from stockroom.sync.engine.pushed_orders import stop_order_pushes

    stop_order_pushes(instance)


class SyncConfig(AppConfig):
    name = "stockroom.sync"
    label = "sync"

    def ready(self) -> None:
        from stockroom.channels.models import ChannelAccount

        pre_delete.connect(_stop_order_pushes, sender=ChannelAccount, dispatch_uid="sync.stop_order_pushes")
