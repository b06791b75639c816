"""Fetch the next page while this one is stored: an iterator run one item ahead in a thread.

A download spends part of each page waiting for the channel (the request, the answer's parsing) and
part writing to the database; both wait on sockets, so a second thread overlaps them. The source
must not use the database: a connector's ``fetch_orders`` (HTTP and parsing only) is what it is for.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()
STOP_WAIT_SECONDS = 5.0  # closing waits this long at most for a request in flight


def read_ahead(source: Iterator[T]) -> Iterator[T]:
    """Yield ``source``'s items in order while a thread already fetches the next one.

    An error the source raises comes out here after the items before it, exactly where reading in
    line would have raised it. Closing this generator (the consumer stops early or fails) stops the
    thread after the item it is fetching, which is dropped, and closes the source.
    """
    handoff: queue.Queue = queue.Queue(maxsize=1)
    stopped = threading.Event()

    def produce() -> None:
        try:
            while not stopped.is_set():
                try:
                    item = next(source)
                except StopIteration:
                    handoff.put((_END, None))
                    return
                except BaseException as error:  # noqa: BLE001 - handed over, raised by the consumer
                    handoff.put((_END, error))
                    return
                handoff.put((item, None))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item, error = handoff.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stopped.set()
        try:  # free the slot, so a fetch in flight can hand over its item and see the stop
            handoff.get_nowait()
        except queue.Empty:
            pass
        worker.join(STOP_WAIT_SECONDS)
