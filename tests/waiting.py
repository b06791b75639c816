"""Waiting for what a separate process does in its own time (a simulator's background thread), without
timing it: ask again until it happened, fail if it never does."""

import time


def wait_for(probe, *, tries: int = 400, pause: float = 0.05):
    """Ask ``probe`` until it answers something truthy, and return that."""
    for _ in range(tries):
        found = probe()
        if found:
            return found
        time.sleep(pause)
    raise AssertionError("never happened")
