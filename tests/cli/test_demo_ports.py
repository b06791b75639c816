"""`make demo` / `stockroom demo` check their ports before printing or starting anything."""

import io
import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stockroom.cli import demo


@pytest.fixture
def listening():
    """A port another program listens on (a real socket on 127.0.0.1)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_busy_web_port_stops_the_demo_before_anything_is_printed(listening, monkeypatch):
    started = []
    monkeypatch.setattr(demo, "demo_login", lambda: started.append("login"))
    out = io.StringIO()
    sim_port = _free_port()

    with pytest.raises(CommandError) as raised:
        call_command("demo", port=listening, sim_port=sim_port, stdout=out)

    message = str(raised.value)
    assert message.startswith(
        f"port {listening} (the web server) is already in use on 127.0.0.1. "
        "Stop the program holding it (another demo?) or pick free ports, e.g. make demo PORT="
    )
    web = demo.free_port_after("127.0.0.1", listening)
    assert (
        f"make demo PORT={web} SIM_PORT=" in message
        and f"(or stockroom demo --port {web} --sim-port " in message
    )
    assert out.getvalue() == "" and started == []


def test_a_busy_simulator_port_is_named(listening):
    with pytest.raises(CommandError, match=rf"^port {listening} \(the Amazon simulator\) is already in use"):
        call_command("demo", port=_free_port(), sim_port=listening, stdout=io.StringIO())


def test_one_port_for_both_is_refused():
    port = _free_port()
    with pytest.raises(
        CommandError, match=rf"^the web server and the Amazon simulator cannot share port {port}\."
    ):
        call_command("demo", port=port, sim_port=port, stdout=io.StringIO())


def test_free_ports_are_not_reported(listening):
    free = _free_port()
    assert demo.busy_ports("127.0.0.1", {"web": free}) == []
    assert demo.busy_ports("127.0.0.1", {"web": listening}) == [
        f"port {listening} (web) is already in use on 127.0.0.1"
    ]
    assert demo.free_port_after("127.0.0.1", listening - 1, avoid=set()) != listening


def test_a_busy_sqs_port_is_named(listening):
    with pytest.raises(CommandError, match=rf"^port {listening} \(the local SQS server\) is already in use"):
        call_command(
            "demo", port=_free_port(), sim_port=_free_port(), sqs_port=listening, stdout=io.StringIO()
        )
