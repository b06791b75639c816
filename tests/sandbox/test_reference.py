"""Without the official channel contracts, conformance tests are skipped with the reason, and under
CI=true the run stops at its start (tests/reference.py, tests/conftest.py)."""

import os
import subprocess
import sys

from tests.reference import REPO_ROOT


def _pytest(tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "DATABASE_URL")}
    environment |= {"STOCKROOM_REFERENCE_DIR": str(tmp_path / "nowhere"), **env}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rs",
            "tests/sandbox/test_tables.py",
        ],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_the_contracts_conformance_tests_are_skipped_with_the_reason(tmp_path):
    run = _pytest(tmp_path)
    reason = (
        f"conformance test: the official channel contracts are not at {tmp_path / 'nowhere'} "
        "(set STOCKROOM_REFERENCE_DIR; see README, 'Official channel contracts')"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert reason in run.stdout
    assert "5 skipped" in run.stdout and "passed" not in run.stdout


def test_under_ci_their_absence_stops_the_run(tmp_path):
    run = _pytest(tmp_path, CI="true")
    assert run.returncode == 1
    assert "CI=true and the conformance tests cannot run: the official channel contracts are not at" in (
        run.stdout + run.stderr
    )
    assert "skipped" not in run.stdout
