"""``stockroom sandbox CHANNEL ...``: run a local channel simulator.

``SIMULATORS`` is the registry: one line per simulator, the channel's name -> the module whose
``main(argv)`` runs it (it parses its own options, so ``stockroom sandbox CHANNEL --help`` is its help)
and a one-line description for ``stockroom sandbox --help``. A new simulator is added by one line.
Nothing here loads Django (only the plain-Python `core.text`): the simulators are separate servers.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from typing import NamedTuple

from stockroom.core.text import escape_controls


class Simulator(NamedTuple):
    module: str  # has main(argv: list[str]) -> int
    summary: str


SIMULATORS: dict[str, Simulator] = {
    "amazon": Simulator("stockroom.sandbox.amazon.cli", "Amazon Selling Partner API and Login with Amazon"),
    "ebay": Simulator("stockroom.sandbox.ebay.cli", "eBay OAuth, Sell Fulfillment and Sell Inventory APIs"),
    "shopify": Simulator(
        "stockroom.sandbox.shopify.cli", "Shopify Admin GraphQL API, client-credentials grant and webhooks"
    ),
}


def usage() -> str:
    width = max(len(name) for name in SIMULATORS) + 2
    lines = ["usage: stockroom sandbox CHANNEL [--port P] [--state FILE] [--seed N] [--time-scale X]", ""]
    lines += ["Simulators (each a local server with a /_sim/ control API):"]
    lines += [f"  {name:<{width}}{simulator.summary}" for name, simulator in SIMULATORS.items()]
    lines += ["", "`stockroom sandbox CHANNEL --help` shows a simulator's options."]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(usage(), file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    channel, rest = argv[0], argv[1:]
    simulator = SIMULATORS.get(channel)
    if simulator is None:
        message = f"stockroom sandbox: no simulator named '{channel}'; available: {', '.join(SIMULATORS)}."
        guesses = difflib.get_close_matches(channel, list(SIMULATORS), n=1)
        if guesses:
            message += f" Did you mean `stockroom sandbox {guesses[0]}`?"
        print(escape_controls(message), file=sys.stderr)
        return 2
    return importlib.import_module(simulator.module).main(rest)
