"""Databases for a benchmark run: a temporary SQLite STOCKROOM_HOME, or a dedicated PostgreSQL database.

Each scenario runs in its own child process (``bench.child``) so Django is configured once for one
database and peak memory (``VmHWM``) belongs to that scenario alone. The parent creates and drops
the database around the child.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_SERVER = os.environ.get("STOCKROOM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
# one database per bench run (its process id), so that two runs on one server never drop each other's
PG_DATABASE = os.environ.get("STOCKROOM_BENCH_PG_DB", f"stockroom_bench_{os.getpid()}")


@dataclass
class BenchDatabase:
    """Where one scenario's child process keeps its data; ``env`` is what the child runs with."""

    kind: str  # "sqlite" | "postgres"
    home: Path
    url: str = ""

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        env.pop("STOCKROOM_HUEY_IMMEDIATE", None)  # a test run's in-process tasks would push stock early
        env["STOCKROOM_HOME"] = str(self.home)
        env["DJANGO_SETTINGS_MODULE"] = "stockroom.config.settings"
        env["STOCKROOM_LOG_LEVEL"] = "WARNING"
        if self.url:
            env["DATABASE_URL"] = self.url
        return env


def _admin_connection():
    return psycopg.connect(PG_SERVER + "/postgres", autocommit=True, connect_timeout=5)


def postgres_available() -> str:
    """'' when the server answers, else why not."""
    try:
        _admin_connection().close()
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]
    return ""


def create_database(kind: str) -> BenchDatabase:
    home = Path(tempfile.mkdtemp(prefix=f"stockroom-bench-{kind}-"))
    if kind == "sqlite":
        db = BenchDatabase("sqlite", home)
    elif kind == "postgres":
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
        db = BenchDatabase(
            "postgres", home, url=f"{PG_SERVER.replace('postgresql://', 'postgres://')}/{PG_DATABASE}"
        )
    else:
        raise ValueError(f"unknown database {kind!r}: use sqlite or postgres")
    subprocess.run(
        [sys.executable, "-m", "stockroom.cli.main", "django", "migrate", "--no-input", "-v", "0"],
        env=db.env,
        check=True,
    )
    return db


def drop_database(db: BenchDatabase) -> None:
    if db.kind == "postgres":
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    shutil.rmtree(db.home, ignore_errors=True)


def setup_django() -> None:
    """In the child: configure Django from the environment the parent gave it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockroom.config.settings")
    import django

    django.setup()


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return "PostgreSQL " + cursor.fetchone()[0]
        cursor.execute("select sqlite_version()")
        return "SQLite " + cursor.fetchone()[0]
