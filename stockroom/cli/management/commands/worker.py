"""stockroom worker: run the background task consumer (Huey); start more on other machines with REDIS_URL."""

import uuid

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from huey.exceptions import ResultTimeout

from stockroom.cli.management.commands._output import StockroomCommand
from stockroom.cli.tasks import healthcheck_task


class Command(StockroomCommand):
    help = (
        "Run the background worker (the Huey consumer). With --check, do not run one: ask the queue "
        "whether a running worker answers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers", type=int, default=None, help="worker threads (default: STOCKROOM_WORKERS or 4)"
        )
        parser.add_argument(
            "--check", action="store_true", help="send a health check task and wait for a worker to run it"
        )
        parser.add_argument("--timeout", type=float, default=15.0, help="seconds --check waits (default 15)")

    def handle(self, *args, **options):
        if options["check"]:
            return self.run_check(options["timeout"])
        workers = options["workers"]
        if workers is not None and not 1 <= workers <= 64:
            raise CommandError(f"--workers must be between 1 and 64, got {workers}")
        queue = settings.HUEY.get("url") or settings.HUEY.get("filename")
        self.stderr.write(f"Worker consuming queue {settings.HUEY['name']!r} at {queue}")
        call_command("run_huey", *([f"--workers={workers}"] if workers else []))

    def run_check(self, timeout: float) -> None:
        nonce = uuid.uuid4().hex
        result = healthcheck_task(nonce)
        try:
            answer = result.get(blocking=True, timeout=timeout) if result is not None else None
        except ResultTimeout:
            raise CommandError(
                f"no worker answered within {timeout:g} s on queue {settings.HUEY['name']!r}: "
                "start one with `stockroom worker` (with the same REDIS_URL / STOCKROOM_HOME)"
            ) from None
        if not answer or answer.get("nonce") != nonce:
            raise CommandError("the health check came back malformed; is another program using this queue?")
        self.stdout.write(
            f"Worker OK: host {answer['host']}, pid {answer['pid']}, database {answer['database']}, "
            f"ran at {answer['ran_at']}"
        )
