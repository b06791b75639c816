"""pytest plugin shipped with the simulators: ``pytest_plugins = ["stockroom.sandbox.pytest_plugin"]``.

It is the one way a test suite starts a simulator. Each simulator runs as a real server in a subprocess,
started once per session and time scale on first use, and is reset before every test that asks for it.

Fixtures:

* ``simulator_options`` (function): ``SimulatorOptions(seed=1, time_scale=1.0, frozen=False)``. Override it
  in a conftest or a test module to change the seed the simulator is reset with, the speed of its clock
  (``time_scale=60``: a two-minute delay takes two seconds) or to freeze its clock for the test (it then
  moves only with ``advance_clock``).
* ``simulators`` (session): the running simulator processes, one per (channel, time scale), stopped at the
  end of the session.
* ``amazon_simulator`` (function): the running Amazon :class:`~stockroom.sandbox.amazon.process.SimulatorProcess`
  for the options' time scale (``base_url``, ``token_url``).
* ``amazon_sim`` (function): its :class:`~stockroom.sandbox.amazon.process.SimulatorControl`, reset with the
  options' seed (clock frozen if asked) before the test.

* ``ebay_simulator`` / ``ebay_sim``: the same for the eBay simulator.
* ``simulator_record_dir`` (session): ``None``; override it with a directory and each simulator that can
  record its exchanges (``records_exchanges``, e.g. eBay's ``--record``) appends every request and answer
  it serves to a JSON-lines file there (``simulators.recordings()``), to be checked against the channel's
  official contract at the end of the session.
* ``sqs_server`` (session): moto's standalone SQS server (:class:`~stockroom.sandbox.common.sqs.SqsServer`),
  a real local process on a free port, for channels that push through a queue; ``sqs`` (function): the
  same, emptied before the test.

A new channel's simulator adds one line to ``CHANNELS`` and its two fixtures here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from .amazon.process import SimulatorControl
from .amazon.process import SimulatorProcess as AmazonSimulatorProcess
from .common.process import SimulatorProcess
from .common.sqs import SqsServer
from .ebay.process import EbayControl, EbaySimulatorProcess
from .shopify.process import ShopifyControl, ShopifySimulatorProcess

CHANNELS: dict[str, type[SimulatorProcess]] = {
    "amazon": AmazonSimulatorProcess,
    "ebay": EbaySimulatorProcess,
    "shopify": ShopifySimulatorProcess,
}


@dataclass(frozen=True)
class SimulatorOptions:
    seed: int = 1
    time_scale: float = 1.0
    frozen: bool = False


class Simulators:
    """Simulator processes of a test session, started on first use and kept for the session, each with one
    control client (creating HTTP clients is slow)."""

    def __init__(self, record_dir: Path | None = None) -> None:
        self._running: dict[tuple[str, float], tuple[SimulatorProcess, object]] = {}
        self.record_dir = record_dir
        self._recordings: dict[str, list[Path]] = {}

    def _options(self, channel: str, time_scale: float, process_class: type[SimulatorProcess]) -> dict:
        if self.record_dir is None or not getattr(process_class, "records_exchanges", False):
            return {"time_scale": time_scale}
        files = self._recordings.setdefault(channel, [])
        files.append(self.record_dir / f"{channel}-{time_scale:g}-{len(files) + 1}.jsonl")
        return {"time_scale": time_scale, "record_file": str(files[-1])}

    def recordings(self) -> dict[str, list[Path]]:
        """{channel: the files its simulators recorded their exchanges to}"""
        return {channel: list(files) for channel, files in self._recordings.items()}

    def _entry(
        self, channel: str, time_scale: float, process_class: type[SimulatorProcess] | None = None
    ) -> tuple[SimulatorProcess, object]:
        key = (channel, float(time_scale))
        entry = self._running.get(key)
        if entry is None or not entry[0].running:
            process_class = process_class or CHANNELS[channel]
            process = process_class(**self._options(channel, time_scale, process_class)).start()
            entry = self._running[key] = (process, process.control())
        return entry

    def get(
        self, channel: str, *, time_scale: float, process_class: type[SimulatorProcess] | None = None
    ) -> SimulatorProcess:
        """The running simulator of ``channel``; ``process_class`` starts one this plugin does not list
        (e.g. the one a channel's spec names, or a test channel's)."""
        return self._entry(channel, time_scale, process_class)[0]

    def control(self, channel: str, *, time_scale: float):
        return self._entry(channel, time_scale)[1]

    def stop_all(self) -> None:
        for process, control in self._running.values():
            control.close()
            process.stop()
        self._running.clear()


def reset_control(control, options: SimulatorOptions):
    control.reset(seed=options.seed)
    if options.frozen:
        control.freeze_clock()
    return control


@pytest.fixture
def simulator_options() -> SimulatorOptions:
    return SimulatorOptions()


@pytest.fixture(scope="session")
def simulator_record_dir() -> Path | None:
    return None


@pytest.fixture(scope="session")
def simulators(simulator_record_dir):
    running = Simulators(simulator_record_dir)
    yield running
    running.stop_all()


@pytest.fixture
def amazon_simulator(simulators, simulator_options) -> AmazonSimulatorProcess:
    return simulators.get("amazon", time_scale=simulator_options.time_scale)


@pytest.fixture
def amazon_sim(simulators, amazon_simulator, simulator_options) -> SimulatorControl:
    control = simulators.control("amazon", time_scale=simulator_options.time_scale)
    return reset_control(control, simulator_options)


@pytest.fixture
def ebay_simulator(simulators, simulator_options) -> EbaySimulatorProcess:
    return simulators.get("ebay", time_scale=simulator_options.time_scale)


@pytest.fixture
def ebay_sim(simulators, ebay_simulator, simulator_options) -> EbayControl:
    control = simulators.control("ebay", time_scale=simulator_options.time_scale)
    return reset_control(control, simulator_options)


@pytest.fixture
def shopify_simulator(simulators, simulator_options) -> ShopifySimulatorProcess:
    return simulators.get("shopify", time_scale=simulator_options.time_scale)


@pytest.fixture
def shopify_sim(simulators, shopify_simulator, simulator_options) -> ShopifyControl:
    control = simulators.control("shopify", time_scale=simulator_options.time_scale)
    return reset_control(control, simulator_options)


@pytest.fixture(scope="session")
def sqs_server():
    server = SqsServer().start()
    yield server
    server.stop()


@pytest.fixture
def sqs(sqs_server) -> SqsServer:
    sqs_server.reset()
    return sqs_server
