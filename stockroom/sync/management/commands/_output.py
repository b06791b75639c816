"""Shared plumbing of the account, listings and shipping commands: JSON or text out, errors to stderr."""

from __future__ import annotations

import json
from functools import wraps

from django.core.management.base import CommandError

from stockroom.core.errors import StockroomError


def add_json_flag(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def emit(command, options, data, text: str) -> None:
    """Print ``data`` as JSON with --json, ``text`` otherwise."""
    if options.get("json"):
        command.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        command.stdout.write(text)


def warn(command, warnings) -> None:
    for warning in warnings:
        command.stderr.write(f"Warning: {warning}")


def stockroom_errors(handle):
    """Turn a StockroomError into a CommandError: message on stderr, exit status 1."""

    @wraps(handle)
    def wrapper(self, *args, **options):
        try:
            return handle(self, *args, **options)
        except StockroomError as error:
            raise CommandError(error.message) from None

    return wrapper
