"""Command line entry point: ``stockroom sandbox ebay`` / ``python -m stockroom.sandbox.ebay``."""

from __future__ import annotations

import argparse

from ..common import server
from .state import Store

DEFAULT_PORT = 8767


def build_parser() -> argparse.ArgumentParser:
    parser = server.build_parser(
        "stockroom sandbox ebay",
        "Run the eBay simulator (OAuth consent and tokens, Sell Fulfillment v1, Sell Inventory v1, "
        "/_sim/ control API).",
        default_port=DEFAULT_PORT,
    )
    parser.add_argument(
        "--record",
        metavar="FILE",
        help="append each Sell call and its answer to FILE, one JSON line each (to check them afterwards "
        "against eBay's OpenAPI documents)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def make_app(store, state_file):
        from .app import create_app

        return create_app(store, state_file=state_file, record=args.record)

    return server.serve(
        args,
        make_store=lambda seed, clock: Store(seed=seed, clock=clock),
        make_app=make_app,
        banner=lambda host, port: (
            f"eBay simulator on http://{host}:{port} (OAuth: http://{host}:{port}/identity/v1/oauth2/token, "
            f"consent: http://{host}:{port}/oauth2/authorize, time scale {args.time_scale:g}, seed {args.seed})"
        ),
    )


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
