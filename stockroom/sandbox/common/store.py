"""The base of a simulator's state: plain JSON-serialisable dicts in ``s``, one re-entrant lock, seeded RNG
streams, a heap of events due on the simulated clock, persistence to a state file, faults, stats and rate
buckets.

Every public method must be called with ``lock`` held (the HTTP layer does this). ``tick()`` applies every
transition that is due on the simulated clock; a channel's store says what its events do (``apply_event``) and
how to rebuild them from its entities after a load (``rebuild_events``).
"""

from __future__ import annotations

import heapq
import json
import os
import random
import threading
import uuid
from typing import Any, ClassVar

from . import faults, ratelimit
from .clock import SimClock
from .errors import ControlError, StateFileError

__all__ = ["BaseStore", "ControlError", "StateFileError"]


class BaseStore:
    DEFAULT_SETTINGS: ClassVar[dict[str, Any]] = {"rate_limits_enabled": True}
    FAULT_KINDS: ClassVar[frozenset[str]] = faults.HTTP_FAULT_KINDS
    SPECIAL_FAULT_KINDS: ClassVar[frozenset[str]] = frozenset()  # applied only where a caller asks for them

    def __init__(self, *, seed: int = 1, clock: SimClock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or SimClock()
        self.reset(seed)

    # ------------------------------------------------------------------ what a channel provides
    def new_state(self, seed: int) -> dict:
        """The channel's empty state; extend the base's."""
        return {
            "seed": seed,
            "settings": dict(self.DEFAULT_SETTINGS),
            "faults": [],
            "stats": {},  # account -> operation -> {calls, throttled, faults}
            "buckets": {},  # "account|operation" -> [tokens, last_refill]
            "fault_seq": 0,
        }

    def apply_event(self, kind: str, key: str, due: float, now: float) -> None:
        raise NotImplementedError

    def rebuild_events(self) -> None:
        """Schedule again every event the loaded entities are waiting for."""

    def check_state(self, path: str, state: dict) -> None:
        """Raise StateFileError if a state file holds something the simulator must not serve."""

    def fault_operations(self) -> set[str]:
        """Operation names a fault may target (besides "*")."""
        return set()

    def rate_limit(self, operation: str) -> tuple[float, int]:
        """(requests per simulated second, burst) of `operation`."""
        raise NotImplementedError

    # ------------------------------------------------------------------ lifecycle / persistence
    def reset(self, seed: int | None = None) -> None:
        seed = self.s["seed"] if seed is None and hasattr(self, "s") else (1 if seed is None else seed)
        self.s = self.new_state(seed)
        self.rng = random.Random(seed)  # entity ids and generated data
        self.fault_rng = random.Random(seed * 7919 + 1)  # probabilistic faults
        self.token_rng = random.Random(seed * 104729 + 2)  # tokens, submission ids
        self.events: list = []
        self._event_seq = 0
        self.version = getattr(self, "version", 0) + 1  # monotonic across resets
        self.clock.reset_offset()

    def dump(self) -> dict:
        return {
            "version": 1,
            "state": self.s,
            "clock_offset": self.clock.offset,
            "saved_at": self.now(),
            "rng_state": [_rng_state(r) for r in (self.rng, self.fault_rng, self.token_rng)],
        }

    def save(self, path: str) -> None:
        data = json.dumps(self.dump())
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.replace(tmp, path)

    def load(self, path: str) -> None:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        self.check_state(path, data["state"])
        self.s = data["state"]
        for key, default in self.DEFAULT_SETTINGS.items():
            self.s["settings"].setdefault(key, default)
        # simulated time never goes backwards across a restart (at time scale > 1 it ran ahead of real time)
        offset = float(data.get("clock_offset", 0.0))
        self.clock.offset = 0.0
        saved_at = data.get("saved_at")
        if saved_at is not None:
            offset = max(offset, float(saved_at) - self.clock.now())
        self.clock.offset = offset
        states = data.get("rng_state")
        if states:
            for r, st in zip((self.rng, self.fault_rng, self.token_rng), states, strict=True):
                r.setstate((st[0], tuple(st[1]), st[2]))
        self.events = []
        self.rebuild_events()

    # ------------------------------------------------------------------ time
    @property
    def settings(self) -> dict:
        return self.s["settings"]

    def now(self) -> float:
        return self.clock.now()

    def _schedule(self, due: float, kind: str, key: str) -> None:
        self._event_seq += 1
        heapq.heappush(self.events, (due, self._event_seq, kind, key))

    def tick(self) -> None:
        """Apply every transition that is due on the simulated clock (called at the start of every request)."""
        self.version += 1  # every request may change state: the autosaver writes only when this moved
        now = self.now()
        while self.events and self.events[0][0] <= now:
            due, _seq, kind, key = heapq.heappop(self.events)
            self.apply_event(kind, key, due, now)

    # ------------------------------------------------------------------ ids
    def _digits(self, n: int) -> str:
        return "".join(str(self.rng.randrange(10)) for _ in range(n))

    def _uuid(self, rng: random.Random | None = None) -> str:
        return str(uuid.UUID(int=(rng or self.rng).getrandbits(128), version=4))

    # ------------------------------------------------------------------ faults, stats, rate limits
    def add_fault(self, data: dict) -> dict:
        return faults.add_fault(self.s, data, kinds=self.FAULT_KINDS, operations=self.fault_operations())

    def take_fault(
        self, operation: str, account: str | None, kinds: tuple[str, ...] | None = None
    ) -> dict | None:
        return faults.take_fault(
            self.s, self.fault_rng, operation, account, kinds=kinds, special_kinds=self.SPECIAL_FAULT_KINDS
        )

    def stat(self, account: str | None, operation: str, field: str) -> None:
        per = self.s["stats"].setdefault(account or "-", {})
        entry = per.setdefault(operation, {"calls": 0, "throttled": 0, "faults": 0})
        entry[field] += 1

    def take_token(self, account: str, operation: str) -> bool:
        """Token bucket (rate per simulated second, capacity = burst). False when empty."""
        if not self.settings["rate_limits_enabled"]:
            return True
        rate, burst = self.rate_limit(operation)
        return ratelimit.take_token(
            self.s["buckets"], f"{account}|{operation}", rate=rate, burst=burst, now=self.now()
        )


def _rng_state(r: random.Random) -> list:
    version, internal, gauss = r.getstate()
    return [version, list(internal), gauss]
