"""Optional pytest plugin for other test suites: ``pytest_plugins = ["stockroom.sandbox.amazon.pytest_plugin"]``.

Fixtures:
* ``amazon_simulator`` (session): a running :class:`SimulatorProcess` at time scale 60 (``base_url``, ``token_url``).
* ``amazon_sim`` (function): a :class:`SimulatorControl` for it, reset (seed 1) before the test.
"""

from __future__ import annotations

import pytest

from .process import SimulatorControl, SimulatorProcess


@pytest.fixture(scope="session")
def amazon_simulator():
    with SimulatorProcess(seed=1, time_scale=60.0) as sim:
        yield sim


@pytest.fixture()
def amazon_sim(amazon_simulator) -> SimulatorControl:
    ctl = amazon_simulator.control()
    ctl.reset(seed=1)
    yield ctl
    ctl.close()
