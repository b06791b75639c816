"""Where the tests find the official channel contracts, and our own samples.

The official contracts (Amazon's SP-API models, JSON schemas and samples, ...) are not in the repository
(README, "Official channel contracts"): they are read from ``$STOCKROOM_REFERENCE_DIR``, or from
``../shared/reference`` beside the repository. Only conformance tests need them: a test marked
``@pytest.mark.conformance``, or one that reads a file through ``official()``, is skipped with the reason
when they are missing; under ``CI=true`` their absence fails the run (tests/conftest.py checks at session
start). Every other test uses the simulators' own description of what they serve and the samples we wrote
ourselves (``sample()``: tests/samples/<channel>/).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = REPO_ROOT / "tests" / "samples"


def reference_dir() -> Path:
    return Path(os.environ.get("STOCKROOM_REFERENCE_DIR") or REPO_ROOT.parent / "shared" / "reference")


def amazon_dir() -> Path:
    return reference_dir() / "amazon"


def missing() -> str:
    """Why the official contracts cannot be read ("" when they can)."""
    if not (amazon_dir() / "models").is_dir():
        return (
            f"the official channel contracts are not at {reference_dir()} "
            "(set STOCKROOM_REFERENCE_DIR; see README, 'Official channel contracts')"
        )
    return ""


def available() -> bool:
    return not missing()


def under_ci() -> bool:
    return os.environ.get("CI") == "true"


def require(path: Path | None = None) -> None:
    """Skip the calling conformance test (fail it under CI=true) when the contracts, or `path`, are missing."""
    reason = missing()
    if not reason and path is not None and not path.exists():
        reason = f"{path} is not among the official channel contracts at {reference_dir()}"
    if reason:
        if under_ci():
            pytest.fail(f"CI=true and a conformance test cannot run: {reason}")
        pytest.skip(f"conformance test: {reason}")


def official(relative: str, channel: str = "amazon") -> Path:
    """A file of the official contracts, e.g. ``official("models/sellers.json")``; a conformance test only."""
    path = reference_dir() / channel / relative
    require(path)
    return path


def sample(name: str, channel: str = "amazon") -> Path:
    """One of our own samples (tests/samples/<channel>/<name>)."""
    return SAMPLES / channel / name
