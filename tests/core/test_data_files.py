"""Issue 10 item 15: the SQLite database (and the task queue) are 0600, like the key files."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from stockroom.config.paths import private_file

REPO = Path(__file__).resolve().parents[2]

SETUP = """
import json, os, stat, django
django.setup()
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE t (x integer)")
    cursor.execute("INSERT INTO t VALUES (1)")
    # while the connection is open, the -wal and -shm files exist too
    print(json.dumps({
        name: oct(stat.S_IMODE(os.stat(settings.DATA_DIR / name).st_mode))
        for name in sorted(os.listdir(settings.DATA_DIR)) if (settings.DATA_DIR / name).is_file()
    }))
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_directory_has_only_private_files(tmp_path):
    env = {
        **os.environ,
        "STOCKROOM_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "stockroom.config.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)

    done = subprocess.run(
        [sys.executable, "-c", SETUP],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(done.stdout) == {
        "encryption_key": "0o600",
        "secret_key": "0o600",
        "stockroom.sqlite3": "0o600",
        "stockroom.sqlite3-shm": "0o600",
        "stockroom.sqlite3-wal": "0o600",
        "tasks.sqlite3": "0o600",
    }


def test_an_existing_world_readable_database_is_narrowed(tmp_path):
    database = tmp_path / "stockroom.sqlite3"
    database.write_bytes(b"")
    wal = tmp_path / "stockroom.sqlite3-wal"
    wal.write_bytes(b"")
    os.chmod(database, 0o644)
    os.chmod(wal, 0o664)

    private_file(database)

    assert (_mode(database), _mode(wal), database.read_bytes()) == (0o600, 0o600, b"")
