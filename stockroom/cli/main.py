"""The ``stockroom`` console command: Stockroom's own commands, grouped, for the people who run a shop.

- ``stockroom``, ``stockroom --help``, ``stockroom help``: the commands below, one line each. Printed
  without loading Django, so it works before ``stockroom init`` and never touches the data directory.
- ``stockroom COMMAND ...``: one of our management commands (``stockroom/cli/management/commands``);
  ``stockroom COMMAND --help`` or ``stockroom help COMMAND``: its options.
- ``stockroom django COMMAND ...``: any Django management command (migrate, createsuperuser, dbshell,
  shell, run_huey, ...). ``stockroom migrate`` is refused with that pointer: one name space for people,
  Django's behind one word.
- ``stockroom sandbox CHANNEL ...``: a local channel simulator (``stockroom.cli.sandbox``), a separate
  server that never loads Django or the product.
- Anything else: a clear error naming the closest commands (difflib).
"""

from __future__ import annotations

import difflib
import os
import sys

# (group, ((command, one line), ...)): every command in stockroom/cli/management/commands appears
# here exactly once (tests/cli/test_cli_main.py holds the two lists together).
GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Set-up",
        (
            ("init", "create the database and a first administrator (safe to run again)"),
            ("serve", "run Stockroom: the web server and the background worker, supervised together"),
            ("worker", "run more background workers (with REDIS_URL); --check: is one consuming tasks?"),
            ("demo", "a running Stockroom with two simulated Amazon sellers, from nothing"),
            ("api-token", "create, list or revoke REST API tokens"),
            ("django", "Django's own commands: migrate, createsuperuser, dbshell, shell, ..."),
        ),
    ),
    (
        "Stock",
        (
            ("items", "add stock items, one by hand or many from a CSV file"),
            ("stock", "show, adjust or receive the stock of one item"),
        ),
    ),
    (
        "Orders",
        (("orders", "list orders, process (dispatch) them, correct a refused shipping confirmation"),),
    ),
    (
        "Channels",
        (
            ("account", "add, check, enable or disable channel accounts and set their options"),
            ("listings", "import an account's listings and link them to stock items"),
            ("shipping", "shipping methods and each account's carriers and default methods"),
            ("sync", "synchronise accounts now: download orders, send confirmations, push stock"),
        ),
    ),
    ("Simulators", (("sandbox", "run a local channel simulator (`stockroom sandbox --help` lists them)"),)),
)

COMMANDS: dict[str, str] = {name: line for _, commands in GROUPS for name, line in commands}
DJANGO = "django"
SANDBOX = "sandbox"
HELP_FLAGS = {"-h", "--help"}


def usage() -> str:
    width = max(len(name) for name in COMMANDS) + 2
    lines = [
        "usage: stockroom COMMAND [ARGS]",
        "",
        "Stockroom: every channel's orders in one order book, one stock count on every channel.",
    ]
    for group, commands in GROUPS:
        lines += ["", f"{group}:"]
        lines += [f"  {name:<{width}}{line}" for name, line in commands]
    lines += [
        "",
        "`stockroom COMMAND --help` (or `stockroom help COMMAND`) shows a command's options.",
        "Commands that print data take --json.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in HELP_FLAGS or argv == ["help"]:
        print(usage())
        return 0
    if argv[0] == "--version":
        from importlib.metadata import version

        print(f"stockroom {version('stockroom')}")
        return 0
    name, rest = argv[0], argv[1:]
    if name == "help":
        name, rest = rest[0], ["--help"]
    if name == SANDBOX:
        # the simulators are separate servers: they never load Django or the product
        from stockroom.cli.sandbox import main as sandbox_main

        return sandbox_main(rest)
    if name == DJANGO:
        return run_django(["stockroom django", *rest])
    if name in COMMANDS:
        return run_django(["stockroom", name, *rest])
    from stockroom.core.text import escape_controls  # plain Python, like this module

    print(escape_controls(unknown_command(name)), file=sys.stderr)
    return 2


def run_django(argv: list[str]) -> int:
    """Django's ManagementUtility on ``argv``; its program name (argv[0]) is shown in usage lines."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockroom.config.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else 1
    return 0


def django_command_names() -> set[str]:
    """Names of Django's (and its installed apps') commands, ours excluded; empty if Django cannot load."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockroom.config.settings")
    try:
        import django
        from django.core.management import get_commands

        django.setup()
        return {name for name, app in get_commands().items() if not app.startswith("stockroom.")}
    except Exception:  # a broken environment must not hide the real message: unknown command
        return set()


def unknown_command(name: str) -> str:
    django_names = django_command_names()
    if name in django_names:
        message = f"stockroom: '{name}' is one of Django's commands: run `stockroom django {name}`."
    else:
        ours = difflib.get_close_matches(name, [*COMMANDS, "help"], n=3)
        theirs = difflib.get_close_matches(name, sorted(django_names), n=2)
        guesses = [f"`stockroom {guess}`" for guess in ours] + [f"`stockroom django {g}`" for g in theirs]
        message = f"stockroom: unknown command '{name}'."
        if guesses:
            message += f" Did you mean {' or '.join(guesses)}?"
    return f"{message}\nRun `stockroom --help` to see the commands."


if __name__ == "__main__":
    sys.exit(main())
