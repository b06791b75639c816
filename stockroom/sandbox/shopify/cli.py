"""Command line entry point: ``stockroom sandbox shopify`` / ``python -m stockroom.sandbox.shopify``."""

from __future__ import annotations

import argparse

from ..common import server
from .state import Store

DEFAULT_PORT = 8768


def build_parser() -> argparse.ArgumentParser:
    return server.build_parser(
        "stockroom sandbox shopify",
        "Run the Shopify Admin GraphQL API simulator (GraphQL, client-credentials grant, webhooks, /_sim/ control API).",
        default_port=DEFAULT_PORT,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def make_app(store, state_file):
        from .app import create_app

        return create_app(store, state_file=state_file)

    return server.serve(
        args,
        make_store=lambda seed, clock: Store(seed=seed, clock=clock),
        make_app=make_app,
        banner=lambda host, port: (
            f"Shopify Admin API simulator on http://{host}:{port} (GraphQL: "
            f"http://{host}:{port}/shops/<shop>/admin/api/2026-04/graphql.json, time scale {args.time_scale:g}, seed {args.seed})"
        ),
    )


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
