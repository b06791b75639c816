"""Fixtures for the Amazon connector tests: Amazon's reference documents and a simulator over HTTP."""

import json
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = Path(os.environ.get("STOCKROOM_REFERENCE_DIR") or REPO_ROOT.parent / "shared" / "reference")
AMAZON = REFERENCE / "amazon"


def amazon_file(relative: str) -> Path:
    path = AMAZON / relative
    if not path.exists():
        pytest.skip(f"Amazon reference data not found at {path} (set STOCKROOM_REFERENCE_DIR)")
    return path


def amazon_json(relative: str):
    return json.loads(amazon_file(relative).read_text(encoding="utf-8"))


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
