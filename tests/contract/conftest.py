"""The connector contract suite: every test of this folder runs once per harness in ``HARNESSES``."""

import pytest

from tests.contract.harness import HARNESSES, Harness


@pytest.fixture(params=HARNESSES, ids=[harness.channel for harness in HARNESSES])
def harness(request, settings) -> Harness:
    settings.STOCKROOM_SYNC_IN_DOUBT_GRACE_SECONDS = 600
    return request.param(request)
