"""stockroom serve: the web server (gunicorn) and the background worker, supervised together.

Both run as child processes. If either exits, the other is stopped and ``serve`` exits non-zero
(a supervisor such as systemd then restarts the pair). SIGTERM or Ctrl-C stops both cleanly.
"""

import signal
import subprocess
import sys
import time

from django.core.management.base import CommandError, CommandParser

from stockroom.cli.management.commands._output import StockroomCommand
from stockroom.cli.management.commands.init import pending_migrations

STOP_GRACE_SECONDS = 20
POLL_SECONDS = 0.5


def _gunicorn_has_control_socket() -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS)


def gunicorn_command(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    # gunicorn >= 24 opens a control socket in ~/.gunicorn by default: shared by every instance of
    # the user, so a second installation would collide. Stockroom does not use it.
    extra = ["--no-control-socket"] if _gunicorn_has_control_socket() else []
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "stockroom.config.wsgi:application",
        f"--bind={host}:{port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        "--graceful-timeout=15",
        "--access-logfile=-",
        "--error-logfile=-",
        *extra,
    ]


def worker_command(workers: int | None) -> list[str]:
    return [
        sys.executable,
        "-m",
        "stockroom.cli.main",
        "worker",
        *([f"--workers={workers}"] if workers else []),
    ]


def stop(children: dict[str, subprocess.Popen]) -> None:
    for process in children.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in children.values():
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Command(StockroomCommand):
    help = "Run Stockroom: the web server and the background worker, stopped together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="web server processes (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per web process (default 4)")
        parser.add_argument("--task-workers", type=int, default=None, help="background worker threads")
        parser.add_argument(
            "--no-worker", action="store_true", help="web server only (run `stockroom worker` elsewhere)"
        )

    def handle(self, *args, **options):
        if not 1 <= options["port"] <= 65535:
            raise CommandError(f"--port must be between 1 and 65535, got {options['port']}")
        if not 1 <= options["workers"] <= 64 or not 1 <= options["threads"] <= 64:
            raise CommandError("--workers and --threads must be between 1 and 64")
        if pending_migrations():
            raise CommandError("the database is not set up or not up to date: run `stockroom init` first")

        stopping: list[int] = []

        def on_signal(signum, frame):
            stopping.append(signum)

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        children: dict[str, subprocess.Popen] = {}
        try:
            children["web server"] = subprocess.Popen(
                gunicorn_command(
                    host=options["host"],
                    port=options["port"],
                    workers=options["workers"],
                    threads=options["threads"],
                )
            )
            if not options["no_worker"]:
                children["worker"] = subprocess.Popen(worker_command(options["task_workers"]))
            pids = ", ".join(f"{name} pid {p.pid}" for name, p in children.items())
            self.stdout.write(f"Stockroom serving on http://{options['host']}:{options['port']}/ ({pids})")
            self.stdout.flush()
            while not stopping:
                ended = [(name, p.returncode) for name, p in children.items() if p.poll() is not None]
                if ended and not stopping:
                    name, code = ended[0]
                    self.stderr.write(f"The {name} exited (status {code}); stopping the rest.")
                    stop(children)
                    raise CommandError(f"the {name} stopped unexpectedly (status {code})")
                time.sleep(POLL_SECONDS)
            self.stdout.write("Stopping…")
            stop(children)
            self.stdout.write("Stopped.")
        finally:
            stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
