"""Explicit after-commit hooks, named in settings.STOCKROOM_HOOKS.

The domain cannot import the sync engine, yet the engine must hear of a stock change within
seconds. The domain calls ``after_commit("stock_changed")``; settings name the functions that run
once the transaction commits (e.g. one that enqueues a background push). No magic registration:
the list is in settings and can be read in one place.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def after_commit(event: str, **kwargs) -> None:
    for dotted in getattr(settings, "STOCKROOM_HOOKS", {}).get(event, []):
        function = import_string(dotted)

        def run(function=function, dotted=dotted):
            try:
                function(**kwargs)
            except Exception:  # a hook failure must never undo or hide the committed change
                logger.exception("hook %s for %s failed", dotted, event)

        transaction.on_commit(run)
