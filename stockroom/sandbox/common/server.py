"""Run a simulator as a server: the options every simulator takes (--port, --host, --state, --seed,
--time-scale, --log-level) and uvicorn with the state file loaded at start, saved every 5 s when something
changed, and on exit (SIGTERM/SIGINT)."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable

from .clock import SimClock
from .errors import StateFileError
from .store import BaseStore


def build_parser(prog: str, description: str, *, default_port: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--port",
        type=int,
        default=default_port,
        help=f"TCP port (0 = pick a free one; default {default_port})",
    )
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
            "(default 1 = the channel's real limits)"
        ),
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    return parser


def serve(
    args: argparse.Namespace,
    *,
    make_store: Callable[[int, SimClock], BaseStore],
    make_app: Callable[[BaseStore, str | None], object],
    banner: Callable[[str, int], str],
) -> int:
    """Run the simulator until SIGTERM/SIGINT; the exit status (2: bad options or state file)."""
    if args.time_scale <= 0:
        print("--time-scale must be > 0")
        return 2
    import uvicorn

    store = make_store(args.seed, SimClock(args.time_scale))
    if args.state and os.path.exists(args.state):
        try:
            store.load(args.state)
        except StateFileError as err:
            print(f"cannot load the state file: {err}", file=sys.stderr)
            return 2
    app = make_app(store, args.state)
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
        print(banner(host, port), flush=True)
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
