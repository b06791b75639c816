"""Command line entry point: ``stockroom sandbox amazon`` / ``python -m stockroom.sandbox.amazon``."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading

from .clock import SimClock
from .state import StateFileError, Store


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stockroom sandbox amazon",
        description="Run the Amazon Selling Partner API simulator (SP-API + Login with Amazon + /_sim/ control API).",
    )
    parser.add_argument("--port", type=int, default=8765, help="TCP port (0 = pick a free one; default 8765)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument(
        "--state", metavar="FILE", help="load state from FILE if it exists and save it there on exit"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for deterministic ids and data (default 1)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="X",
        help=(
            "speed of simulated time: X simulated seconds pass per real second, so rate-limit refill periods, "
            "pending periods and feed/report processing delays are divided by X while every ratio is kept "
            "(default 1 = Amazon's real limits)"
        ),
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.time_scale <= 0:
        print("--time-scale must be > 0")
        return 2
    import uvicorn

    from .app import create_app

    store = Store(seed=args.seed, clock=SimClock(args.time_scale))
    if args.state and os.path.exists(args.state):
        try:
            store.load(args.state)
        except StateFileError as err:
            print(f"cannot load the state file: {err}", file=sys.stderr)
            return 2
    app = create_app(store, state_file=args.state)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)

    if args.state:
        stop = threading.Event()

        def autosave() -> None:  # every 5 s if anything was requested, so that a killed process loses little
            saved = store.version
            while not stop.wait(5.0):
                with store.lock:
                    if store.version != saved:
                        store.save(args.state)
                        saved = store.version

        threading.Thread(target=autosave, daemon=True).start()

    def _terminate(signum, frame):  # uvicorn re-raises SIGTERM after its graceful shutdown
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _terminate)
    try:
        sock = listening_socket(args.host, args.port)
        host, port = sock.getsockname()[:2]
        print(
            f"Amazon SP-API simulator on http://{host}:{port} (LWA: http://{host}:{port}/auth/o2/token, "
            f"time scale {args.time_scale:g}, seed {args.seed})",
            flush=True,
        )
        server.run(sockets=[sock])
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        if args.state:
            stop.set()
            with store.lock:
                store.save(args.state)
    return 0


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound (port 0: any free port). TCP_NODELAY is set here, and inherited by
    every accepted connection: uvicorn leaves Nagle's algorithm on for sockets it is handed, so each
    response's body waited for the client's delayed ACK of its headers, 40 ms per request on a
    kept-alive connection."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
