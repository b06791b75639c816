"""Shared plumbing of Stockroom's commands: JSON or text out, errors to stderr, nothing raw.

Every command derives from ``StockroomCommand``: whatever it prints, on stdout or stderr (error
messages included), goes through ``core.text.escape_controls``, so a buyer name or title carrying an
ANSI escape sequence or a bidi override is shown as ``\\x1b[...`` and never acted on by the terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import wraps

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from stockroom.core.errors import StockroomError
from stockroom.core.text import escape_controls


class TerminalOutput(OutputWrapper):
    """Django's command output, with control characters in every message escaped before styling."""

    def write(self, msg="", style_func=None, ending=None):
        super().write(escape_controls(str(msg)), style_func, ending)


class StockroomCommand(BaseCommand):
    # Django's developer options still work but stay out of a seller's --help
    suppressed_base_arguments = {
        "--version",
        "--verbosity",
        "--settings",
        "--pythonpath",
        "--traceback",
        "--no-color",
        "--force-color",
    }

    def __init__(self, stdout=None, stderr=None, no_color=False, force_color=False):
        super().__init__(stdout=stdout, stderr=stderr, no_color=no_color, force_color=force_color)
        self.stdout = TerminalOutput(stdout or sys.stdout)
        self.stderr = self._error_output(stderr or sys.stderr)

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._actions:  # added by Django without add_base_argument, so not suppressible
            if "--skip-checks" in action.option_strings:
                action.help = argparse.SUPPRESS
        return parser

    def execute(self, *args, **options):
        # call_command(stdout=...) would otherwise be wrapped in a plain OutputWrapper by Django
        if options.get("stdout"):
            self.stdout = TerminalOutput(options.pop("stdout"))
        if options.get("stderr"):
            self.stderr = self._error_output(options.pop("stderr"))
        return super().execute(*args, **options)

    def _error_output(self, stream) -> TerminalOutput:
        output = TerminalOutput(stream)
        output.style_func = self.stderr.style_func
        return output


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
