"""Stockroom settings: one module, driven by the environment.

Environment variables:
- ``STOCKROOM_HOME``: data directory (default ``./var``): SQLite database, generated keys, task queue.
- ``DATABASE_URL``: e.g. ``postgres://user@127.0.0.1:5432/stockroom``; default SQLite in the data directory.
- ``REDIS_URL``: when set, background work goes through Redis so workers scale out over machines.
- ``STOCKROOM_SECRET_KEY`` / ``STOCKROOM_ENCRYPTION_KEY``: generated on first start (mode 0600) when unset.
- ``STOCKROOM_DEBUG`` (0/1), ``STOCKROOM_ALLOWED_HOSTS`` (comma separated), ``STOCKROOM_TIME_ZONE``.
- ``STOCKROOM_HUEY_IMMEDIATE`` (0/1): run background tasks in-process (tests).
"""

import os
from pathlib import Path

import dj_database_url

from stockroom.config.paths import data_dir, new_secret_key, private_file, read_or_create_key_file


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = data_dir()

SECRET_KEY = os.environ.get("STOCKROOM_SECRET_KEY") or read_or_create_key_file("secret_key", new_secret_key)


def _new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


STOCKROOM_ENCRYPTION_KEY = os.environ.get("STOCKROOM_ENCRYPTION_KEY") or read_or_create_key_file(
    "encryption_key", _new_fernet_key
)

DEBUG = _env_bool("STOCKROOM_DEBUG")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("STOCKROOM_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("STOCKROOM_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "ninja",  # only so its Swagger UI assets are served locally (no CDN)
    "django_htmx",
    "stockroom.core",
    "stockroom.catalog",
    "stockroom.inventory",
    "stockroom.channels",
    "stockroom.orders",
    "stockroom.sync",
    "stockroom.web",
    "stockroom.api",
    "stockroom.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "stockroom.web.middleware.ContentSecurityPolicyMiddleware",
    "stockroom.web.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "stockroom.config.urls"
WSGI_APPLICATION = "stockroom.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stockroom.web.context_processors.navigation",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{DATA_DIR / 'stockroom.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _default_sqlite, conn_max_age=60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # the database holds encrypted credentials and every order: 0600 like the key files
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        private_file(Path(DATABASES["default"]["NAME"]))
    # IMMEDIATE transactions take the write lock up front, so concurrent writers wait (timeout)
    # instead of failing on a lock upgrade; WAL lets readers run beside the writer.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-stockroom.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("STOCKROOM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # only for `collectstatic`; whitenoise serves from the apps' static dirs
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("STOCKROOM_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Background work: Huey. SQLite storage in the data directory by default; Redis when REDIS_URL is set,
# so several workers on several machines share one queue.
REDIS_URL = os.environ.get("REDIS_URL", "")
HUEY_IMMEDIATE = _env_bool("STOCKROOM_HUEY_IMMEDIATE")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": os.environ.get("STOCKROOM_QUEUE_NAME", "stockroom"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": int(os.environ.get("STOCKROOM_WORKERS", "4")), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "stockroom",
        "filename": str(private_file(DATA_DIR / "tasks.sqlite3")),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": int(os.environ.get("STOCKROOM_WORKERS", "4")), "worker_type": "thread"},
    }

# Cache: login rate limiting counts failures here, so every server process must share it.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("STOCKROOM_QUEUE_NAME", "stockroom"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("STOCKROOM_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        # configured here, the worker (run_huey) adds no handler of its own: each line is logged once
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# How often the worker synchronises every enabled channel account on its own (seconds).
STOCKROOM_SYNC_INTERVAL_SECONDS = int(os.environ.get("STOCKROOM_SYNC_INTERVAL_SECONDS", "60"))
# this server's public address (https://...): channels deliver webhooks to <it>/hooks/<account id>/
STOCKROOM_PUBLIC_URL = os.environ.get("STOCKROOM_PUBLIC_URL", "")

# Functions run after a domain transaction commits (see stockroom.core.hooks), in the order listed:
# stock freed is first offered to orders waiting for it (the order domain), then pushed to channels.
STOCKROOM_HOOKS = {
    "stock_changed": [
        "stockroom.orders.services.offer_freed_stock",
        "stockroom.sync.tasks.enqueue_stock_push",
    ],
    "order_dispatched": ["stockroom.sync.tasks.enqueue_shipments"],
}

# The stock_changed / order_dispatched hooks enqueue sync work (off only in the test settings).
STOCKROOM_SYNC_HOOKS_ENABLED = True
# What each channel's connector declares (e.g. a tracking number is required), read by the domain
# through stockroom.channels.capabilities.
STOCKROOM_CHANNEL_CAPABILITIES = "stockroom.sync.registry.channel_capabilities"
# Extra channel connectors (channel key -> dotted path), merged over stockroom.sync.registry.CONNECTORS.
STOCKROOM_CONNECTORS: dict[str, str] = {}
# A stock change is pushed this many seconds later, so a burst of changes makes one update per listing.
STOCKROOM_STOCK_PUSH_DELAY_SECONDS = float(os.environ.get("STOCKROOM_STOCK_PUSH_DELAY_SECONDS", "1.5"))
# the reserve (ADR 0015): how far back order delays and each item's pace per account are measured
STOCKROOM_RESERVE_WINDOW_DAYS = float(os.environ.get("STOCKROOM_RESERVE_WINDOW_DAYS", "7"))
