"""The installed `stockroom` console script, run for real in subprocesses against a temporary data
directory (SQLite), plus `serve` and `worker` as the long-running processes users start."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

STOCKROOM = Path(sys.executable).with_name("stockroom")
READY_WITHIN = 90  # seconds a loaded machine may need to start gunicorn and the worker

pytestmark = pytest.mark.slow


def environment(data_dir: Path) -> dict[str, str]:
    """Environment for an installation in ``data_dir``: production settings, SQLite, no Redis."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "STOCKROOM_HUEY_IMMEDIATE"}
        and not k.startswith("PYTEST")
    }
    env.update(STOCKROOM_HOME=str(data_dir), STOCKROOM_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    return env


@pytest.fixture
def home(tmp_path):
    """A fresh, empty data directory."""
    return environment(tmp_path)


@pytest.fixture(scope="module")
def initialised(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("initialised")
    result = stockroom(environment(data_dir), "init", "--admin-password", "correct horse battery")
    assert result.returncode == 0, result.stderr
    return data_dir


@pytest.fixture
def installed(initialised, tmp_path):
    """A copy of a data directory where `stockroom init` has run (init once per module)."""
    shutil.copytree(initialised, tmp_path / "home")
    return environment(tmp_path / "home")


def stockroom(env, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([str(STOCKROOM), *args], env=env, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(")")[-1].split()[0] == "Z")


def start_serve(env, port):
    process = subprocess.Popen(
        [str(STOCKROOM), "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    banner = process.stdout.readline()
    assert banner.startswith(f"Stockroom serving on http://127.0.0.1:{port}/"), banner
    pids = {
        name: int(pid)
        for name, pid in (part.rsplit(" pid ", 1) for part in banner.split("(")[1].rstrip(")\n").split(", "))
    }
    deadline = time.monotonic() + READY_WITHIN
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=5)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("stockroom serve did not answer")
            time.sleep(0.3)
    return process, pids


def test_the_console_script_sets_up_an_installation_once(home):
    first = stockroom(home, "init", "--admin-username", "boss", "--admin-password", "correct horse battery")
    second = stockroom(home, "init")

    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith("Database set up: ") and lines[0].endswith("migration(s) applied.")
    assert lines[1:] == ["Administrator created: username boss (with the password you gave)."]
    assert second.returncode == 0
    assert second.stdout.strip() == (
        "Nothing to do: the database is up to date, the default location and administrator boss exists."
    )


def test_console_script_errors_go_to_stderr_with_a_non_zero_exit(installed, tmp_path):
    home = installed
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,title,quantity\nA-1,Good,1\nA-2,,1\n")

    unknown = stockroom(home, "stock", "show", "NOPE", "--json")
    import_ = stockroom(home, "items", "import", str(bad))

    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr.strip() == "CommandError: unknown SKU 'NOPE': no stock item has this SKU"
    assert import_.returncode == 1
    assert import_.stderr.splitlines() == [
        f"{bad}:3 (A-2): title is missing",
        f"CommandError: 1 bad row(s) in {bad}; nothing was imported. Fix them and run again.",
    ]


def test_serve_runs_web_server_and_worker_and_sigterm_stops_both(installed):
    home = installed
    port = free_port()
    process, pids = start_serve(home, port)
    try:
        assert set(pids) == {"web server", "worker"}
        base = f"http://127.0.0.1:{port}"
        login = httpx.get(f"{base}/login/", timeout=10)
        css = httpx.get(f"{base}/static/ninja/swagger-ui.css", timeout=10)
        assert login.status_code == 200 and "<form" in login.text
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert all(alive(pid) for pid in pids.values())
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)

    assert code == 0
    assert not any(alive(pid) for pid in pids.values())
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/login/", timeout=5)


def test_serve_stops_the_web_server_and_fails_when_the_worker_dies(installed):
    home = installed
    process, pids = start_serve(home, free_port())
    try:
        os.kill(pids["worker"], signal.SIGKILL)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()

    assert code == 1
    assert not alive(pids["web server"])


def test_serve_refuses_to_start_before_init(home):
    result = stockroom(home, "serve", "--port", str(free_port()))

    assert result.returncode == 1
    assert "run `stockroom init` first" in result.stderr


def test_worker_check_fails_when_no_worker_answers(home):
    result = stockroom(home, "worker", "--check", "--timeout", "1")

    assert result.returncode == 1
    assert "no worker answered within 1 s on queue 'stockroom'" in result.stderr


def test_a_worker_on_redis_runs_a_task_enqueued_by_another_process(home):
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Redis at 127.0.0.1:6379")
        pytest.skip("needs Redis at 127.0.0.1:6379")
    queue = f"sr-api-test-{uuid.uuid4().hex[:12]}"
    env = {**home, "REDIS_URL": "redis://127.0.0.1:6379/0", "STOCKROOM_QUEUE_NAME": queue}
    worker = subprocess.Popen(
        [str(STOCKROOM), "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        check = stockroom(env, "worker", "--check", "--timeout", "60")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        keys = client.keys(f"*{queue}*")
        if keys:
            client.delete(*keys)

    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith(
        f"Worker OK: host {socket.gethostname()}, pid {worker.pid}, database sqlite"
    )
