"""``stockroom sandbox CHANNEL ...``: run a local channel simulator."""

import importlib
import sys

# the simulators: channel -> the module whose main(argv) runs it
SIMULATORS = {"amazon": "stockroom.sandbox.amazon.cli"}
USAGE = f"usage: stockroom sandbox {'|'.join(SIMULATORS)} --port P [--state FILE] [--seed N] [--time-scale X]"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(USAGE)
        return 0 if argv else 2
    module = SIMULATORS.get(argv[0])
    if module is not None:
        return importlib.import_module(module).main(argv[1:])
    print(f"unknown simulator {argv[0]!r}; available: {', '.join(SIMULATORS)}", file=sys.stderr)
    return 2
