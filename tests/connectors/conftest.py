"""Fixtures for the Amazon connector tests: Amazon documents (our samples, or the official contracts for
conformance tests) and a clock that never waits."""

import copy
import json
from pathlib import Path

import pytest

from stockroom.sandbox.amazon.listings_feed_schema import LISTINGS_FEED_SCHEMA
from tests import reference

OUR_SAMPLES = "samples/synthetic/"  # where the official collection keeps the samples written for Stockroom
# official documents the simulator carries a copy of (checked against the official ones by the
# conformance tests in tests/sandbox/test_tables.py)
CARRIED_BY_THE_SIMULATOR = {"schemas/feeds/listings-feed-schema-v2.json": LISTINGS_FEED_SCHEMA}


def amazon_file(relative: str) -> Path:
    """A sample we wrote (``samples/synthetic/...``: tests/samples/amazon/), or a file of the official
    contracts (models, schemas, Amazon's samples: the test is then a conformance test, skipped without them)."""
    if relative.startswith(OUR_SAMPLES):
        return reference.sample(relative.removeprefix(OUR_SAMPLES))
    return reference.official(relative)


def amazon_json(relative: str):
    if relative in CARRIED_BY_THE_SIMULATOR:
        return copy.deepcopy(CARRIED_BY_THE_SIMULATOR[relative])
    return json.loads(amazon_file(relative).read_text(encoding="utf-8"))


def amazon_order() -> dict:
    """An Orders API 2026-01-01 order (searchOrders/getOrder with BUYER, RECIPIENT, PROCEEDS, FULFILLMENT,
    PACKAGES) that we wrote: tests/samples/amazon/searchOrders.order.json."""
    return json.loads(reference.sample("searchOrders.order.json").read_text(encoding="utf-8"))


def sandbox_examples(model: str, path: str, method: str = "get") -> list[dict]:
    """The ``x-amzn-api-sandbox`` static request/response pairs of one operation's 200 answer."""
    spec = amazon_json(f"models/{model}")
    response = spec["paths"][path][method]["responses"]
    for status in ("200", "201", "202"):
        if status in response:
            return response[status].get("x-amzn-api-sandbox", {}).get("static", [])
    return []


class FakeClock:
    """Monotonic time that only moves when someone sleeps: tests never wait for real."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) > 10_000:
            raise AssertionError("sleeping in a loop: the rate limiter never lets the call through")
        self.now += max(0.0, seconds)


@pytest.fixture
def fake_clock():
    return FakeClock()
