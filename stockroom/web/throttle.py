"""Login rate limiting: at most LIMIT failed logins per (username, IP address) per WINDOW seconds.

Counts live in Django's default cache (shared by all processes when it is Redis or file based).
"""

import hashlib

from django.core.cache import cache

LIMIT = 5
WINDOW_SECONDS = 15 * 60


def _key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{(username or '').strip().lower()}\x00{ip or ''}".encode()).hexdigest()
    return f"stockroom:login-failures:{digest}"


def login_blocked(username: str, ip: str) -> bool:
    return cache.get(_key(username, ip), 0) >= LIMIT


def record_login_failure(username: str, ip: str) -> int:
    key = _key(username, ip)
    if cache.add(key, 1, WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, WINDOW_SECONDS)
        return 1


def clear_login_failures(username: str, ip: str) -> None:
    cache.delete(_key(username, ip))
