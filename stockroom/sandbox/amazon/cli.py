"""Command line entry point: ``stockroom sandbox amazon`` / ``python -m stockroom.sandbox.amazon``."""

from __future__ import annotations

import argparse

from ..common import server
from ..common.server import listening_socket
from .state import Store

__all__ = ["build_parser", "listening_socket", "main"]


def build_parser() -> argparse.ArgumentParser:
    return server.build_parser(
        "stockroom sandbox amazon",
        "Run the Amazon Selling Partner API simulator (SP-API + Login with Amazon + /_sim/ control API).",
        default_port=8765,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def make_app(store, state_file):
        from .app import create_app
        from .notifications import Publisher

        Publisher(store).start()  # ORDER_CHANGE messages to SQS, once due (a daemon thread)
        return create_app(store, state_file=state_file)

    return server.serve(
        args,
        make_store=lambda seed, clock: Store(seed=seed, clock=clock),
        make_app=make_app,
        banner=lambda host, port: (
            f"Amazon SP-API simulator on http://{host}:{port} (LWA: http://{host}:{port}/auth/o2/token, "
            f"time scale {args.time_scale:g}, seed {args.seed})"
        ),
    )


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
