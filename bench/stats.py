"""Medians and percentiles of measurements (nearest-rank, no interpolation surprises)."""

from __future__ import annotations

import math
import resource
import statistics


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentile(values, pct: float) -> float | None:
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far: ``VmHWM`` of /proc/self/status (Linux, KiB).

    Not ``getrusage().ru_maxrss``: Linux carries it over ``exec`` from the process that started this
    one (the high-water mark of the parent's memory at the fork), so a child started by a bench
    process holding a big data set reported that set as its own peak. ``VmHWM`` belongs to this
    process's own address space, made new by ``exec``."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return round(pages * resource.getpagesize() / 1024 / 1024, 1)
    except OSError:
        return peak_rss_mb()
