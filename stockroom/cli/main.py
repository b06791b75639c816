"""The ``stockroom`` console command: our commands plus Django's management commands."""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sandbox"]:
        # the simulators are separate servers: they never load Django or the product
        from stockroom.cli.sandbox import main as sandbox_main

        return sandbox_main(argv[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockroom.config.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["stockroom", *argv])
    except SystemExit as exit_:
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
