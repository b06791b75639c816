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
