"""``python -m tests.testchannel.sandbox --port P``: run the Test Store simulator."""

import sys

from stockroom.sandbox.common import server


def main(argv: list[str] | None = None) -> int:
    args = server.build_parser(
        "testchannel-sandbox", "Run the Test Store simulator (a test-only web shop).", default_port=8799
    ).parse_args(argv)

    def make_app(store, state_file):
        from tests.testchannel.sandbox.app import create_app

        return create_app(store, state_file=state_file)

    def make_store(seed, clock):
        from tests.testchannel.sandbox.app import Store

        return Store(seed=seed, clock=clock)

    return server.serve(
        args,
        make_store=make_store,
        make_app=make_app,
        banner=lambda host, port: f"Test Store simulator on http://{host}:{port}",
    )


if __name__ == "__main__":
    sys.exit(main())
