"""Simulated clock: real elapsed time multiplied by the time scale, plus a manual offset."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class SimClock:
    def __init__(self, time_scale: float = 1.0, start: float | None = None) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = float(time_scale)
        self._start = time.time() if start is None else start
        self._mono0 = time.monotonic()
        self._origin = (self._start, self._mono0)  # the base as if never frozen
        self.offset = 0.0
        self._frozen: float | None = None  # simulated time (without offset) while frozen
        self._lock = threading.Lock()

    def _base(self) -> float:
        if self._frozen is not None:
            return self._frozen
        return self._start + (time.monotonic() - self._mono0) * self.time_scale

    def now(self) -> float:
        """Simulated POSIX time (seconds)."""
        with self._lock:
            return self._base() + self.offset

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def freeze(self) -> None:
        """Stop real time from moving the clock (only advance() moves it); for deterministic tests."""
        with self._lock:
            if self._frozen is None:
                self._frozen = self._base()

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen is not None:
                self._start, self._mono0 = self._frozen, time.monotonic()
                self._frozen = None

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            self.offset += seconds
        return self.now()

    def reset_offset(self) -> None:
        """Back to real time x time scale, as if the clock had never been frozen or advanced: no
        offset, not frozen (at time scale 1, the wall clock again, however long it stood still)."""
        with self._lock:
            self._start, self._mono0 = self._origin
            self._frozen = None
            self.offset = 0.0

    def real_seconds(self, sim_seconds: float) -> float:
        """How long `sim_seconds` of simulated time take in real time."""
        return sim_seconds / self.time_scale


def iso(t: float) -> str:
    """Amazon's date-time format: ISO 8601 in UTC with a Z suffix, whole seconds."""
    # the fields formatted by hand: what strftime("%Y-%m-%dT%H:%M:%SZ") gives (%Y unpadded, as glibc's),
    # at half the CPU; every order of every searchOrders page costs four of these
    d = datetime.fromtimestamp(t, UTC)
    return f"{d.year}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}Z"


def iso_offset(t: float) -> str:
    """The `+00:00` style used inside report files."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_iso(value: str) -> float:
    """Parse an ISO 8601 date-time (Z or offset; a naive value is taken as UTC). Raises ValueError."""
    if not isinstance(value, str) or len(value) < 10:
        raise ValueError(f"not an ISO 8601 date-time: {value!r}")
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
