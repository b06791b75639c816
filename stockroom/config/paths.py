"""Where Stockroom keeps its data: one directory, ``STOCKROOM_HOME`` (default ``./var``)."""

import os
import secrets
from pathlib import Path


def data_dir() -> Path:
    path = Path(os.environ.get("STOCKROOM_HOME") or "var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_or_create_key_file(name: str, factory) -> str:
    """Return the key stored in ``<data dir>/<name>``, creating it with mode 0600 on first use.

    The file is created with O_EXCL so two processes starting at once agree on one key.
    """
    path = data_dir() / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(factory())
    os.chmod(path, 0o600)
    return path.read_text().strip()


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def private_file(path: Path) -> Path:
    """Make ``path`` readable by its owner only (0600): created empty when missing (an empty file is an
    empty SQLite database), group and other access taken away when it exists.

    SQLite gives its -wal and -shm files the database file's mode, so they follow; those an older
    release left readable are narrowed too.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:  # a read-only or foreign location: the database reports its own error
        return path
    for each in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            mode = each.stat().st_mode & 0o777
            if mode & 0o077:
                os.chmod(each, mode & 0o700)
        except OSError:  # missing, or not ours to change
            pass
    return path
