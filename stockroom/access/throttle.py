"""Login throttling that slows an attacker without locking the real user out.

A fixed lock-out (N failures -> 15 minutes refused) lets anyone lock out the administrator by typing
a wrong password N times. Instead, following OWASP's "device cookie" pattern:

- Failures count per (username, client). The client is the browser when it carries a **device
  cookie** for that username (signed, set at each successful login), else the IP address. A browser
  the user has logged in with before is therefore never slowed by failures from anywhere else, and a
  clean client can always log in with the right password.
- After ``LIMIT`` failures the client must wait before trying that username again: ``FIRST_WAIT``,
  doubling with each further failure, at most ``MAX_WAIT``. Failures are forgotten ``FORGET_SECONDS``
  after the last one, and at once after a successful login.
- A global slow-down: when more than ``GLOBAL_LIMIT`` logins fail site-wide within a minute (an
  attack spread over many usernames or addresses), each failed attempt is answered ``GLOBAL_DELAY``
  seconds later.
- Invalid API tokens count per IP address the same way (``api_token_wait``); a valid token is never
  refused.

Counts live in Django's default cache (shared by all processes when it is Redis or file based).
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time

from django.core import signing
from django.core.cache import cache

from stockroom.core.text import identity_key

LIMIT = 5
FIRST_WAIT = 60
MAX_WAIT = 15 * 60
FORGET_SECONDS = 60 * 60
GLOBAL_LIMIT = 100
GLOBAL_WINDOW = 60
GLOBAL_DELAY = 1.0
DEVICE_COOKIE = "stockroom_device"
DEVICE_COOKIE_AGE = 365 * 24 * 3600
_DEVICE_SALT = "stockroom.web.throttle.device"  # its first home; changing it would void device cookies


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"stockroom:{kind}:{digest}"


def _user(username: str) -> str:
    return identity_key((username or "").strip())


# --- the client: a device cookie for this username, or the address ------------------------------------


def new_device_cookie(username: str) -> str:
    """The signed value of a device cookie saying "this browser logged in as ``username``"."""
    return signing.dumps({"u": _user(username), "n": secrets.token_urlsafe(12)}, salt=_DEVICE_SALT)


def client_for(username: str, ip: str, device_cookie: str = "") -> str:
    """The client failures of ``username`` are counted for: its device, or else its address."""
    if device_cookie:
        try:
            device = signing.loads(device_cookie, salt=_DEVICE_SALT, max_age=DEVICE_COOKIE_AGE)
        except signing.BadSignature:
            device = None
        if isinstance(device, dict) and device.get("u") == _user(username):
            return f"device:{device.get('n')}"
    return f"ip:{ip or ''}"


# --- failures and waits ----------------------------------------------------------------------------


def _wait_for(failures: int) -> int:
    if failures < LIMIT:
        return 0
    return min(FIRST_WAIT * 2 ** (failures - LIMIT), MAX_WAIT)


def _wait_left(key: str) -> int:
    state = cache.get(key) or {}
    return max(0, math.ceil(state.get("until", 0) - time.time()))


def _fail(key: str) -> int:
    state = cache.get(key) or {}
    failures = state.get("failures", 0) + 1
    cache.set(key, {"failures": failures, "until": time.time() + _wait_for(failures)}, FORGET_SECONDS)
    return failures


def login_wait(username: str, client: str) -> int:
    """Seconds ``client`` must wait before trying ``username`` again (0: it may try now)."""
    return _wait_left(_key("login-failures", _user(username), client))


def record_login_failure(username: str, client: str) -> int:
    """Count a failed login; returns the failures so far. Slows the answer under a global attack."""
    failures = _fail(_key("login-failures", _user(username), client))
    if _count_globally() > GLOBAL_LIMIT:
        time.sleep(GLOBAL_DELAY)
    return failures


def clear_login_failures(username: str, client: str) -> None:
    cache.delete(_key("login-failures", _user(username), client))


def _count_globally() -> int:
    key = f"stockroom:login-failures-global:{int(time.time() // GLOBAL_WINDOW)}"
    if cache.add(key, 1, GLOBAL_WINDOW * 2):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        return 1


def api_token_wait(ip: str) -> int:
    return _wait_left(_key("api-token-failures", ip or ""))


def record_api_token_failure(ip: str) -> int:
    return _fail(_key("api-token-failures", ip or ""))


def wait_in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"
