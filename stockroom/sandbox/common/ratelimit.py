"""Token buckets on the simulated clock: one per account and operation, refilled at `rate` per simulated
second up to `burst` (how channels describe their default usage plans)."""

from __future__ import annotations


def take_token(buckets: dict, key: str, *, rate: float, burst: int, now: float) -> bool:
    """Take one request from the bucket `key` (stored in `buckets` as [tokens, last_refill]); False when empty.

    A new bucket starts full. `buckets` is plain JSON so that it is saved with the rest of the state.
    """
    bucket = buckets.get(key)
    if bucket is None:
        bucket = [float(burst), now]
    tokens = min(float(burst), bucket[0] + max(0.0, now - bucket[1]) * rate)
    if tokens >= 1.0:
        buckets[key] = [tokens - 1.0, now]
        return True
    buckets[key] = [tokens, now]
    return False
