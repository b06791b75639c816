"""``stockroom sandbox CHANNEL ...``: run a local channel simulator."""

import sys

USAGE = "usage: stockroom sandbox amazon --port P [--state FILE] [--seed N] [--time-scale X]"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(USAGE)
        return 0 if argv else 2
    if argv[0] == "amazon":
        from stockroom.sandbox.amazon.cli import main as amazon_main

        return amazon_main(argv[1:])
    print(f"unknown simulator {argv[0]!r}; available: amazon", file=sys.stderr)
    return 2
