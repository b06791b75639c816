"""Test override: the same settings, an isolated data directory, fast hashing, tasks in-process."""

import os
from pathlib import Path

os.environ.setdefault("STOCKROOM_HOME", str(Path(__file__).resolve().parents[2] / "var" / "test"))
os.environ.setdefault("STOCKROOM_HUEY_IMMEDIATE", "1")

from stockroom.config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["root"]["level"] = os.environ.get("STOCKROOM_LOG_LEVEL", "WARNING")  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # per test process
# Sync hooks (stock push, shipping confirmation) stay quiet in tests unless a test switches them on
# (tests/sync does): accounts made by other tests point at no simulator.
STOCKROOM_SYNC_HOOKS_ENABLED = False
