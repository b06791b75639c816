"""Process control for any simulator: run ``python -m stockroom.sandbox.<channel>`` as a subprocess on a free
port (tests, the demo, benchmarks) and drive the /_sim/ routes every simulator has."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, ClassVar

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SimulatorError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"simulator answered {status}: {body}")
        self.status = status
        self.body = body


class ControlClient:
    """Thin httpx client for the /_sim/ routes every simulator has; a channel's client adds its own."""

    accounts: ClassVar[str] = "accounts"  # what /_sim/stats calls the accounts (Amazon: sellers)

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url + "/_sim", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, json: Any = None, params: dict | None = None) -> Any:
        resp = self._http.request(method, path, json=json, params=params)
        if resp.status_code >= 400:
            raise SimulatorError(resp.status_code, resp.text)
        return resp.json()

    def stats(self) -> dict:
        """{account: {operation: {calls, throttled, faults}}}"""
        return self._call("GET", "/stats")[self.accounts]

    def set_fault(
        self,
        operation: str,
        kind: str,
        *,
        count: int | None = None,
        probability: float | None = None,
        delay_seconds: float | None = None,
        seller_id: str | None = None,
    ) -> dict:
        body: dict[str, Any] = {"operation": operation, "kind": kind}
        for key, value in (
            ("count", count),
            ("probability", probability),
            ("delay_seconds", delay_seconds),
            ("seller_id", seller_id),
        ):
            if value is not None:
                body[key] = value
        return self._call("POST", "/faults", body)

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def advance_clock(self, seconds: float) -> dict:
        return self._call("POST", "/clock", {"advance_seconds": seconds})

    def freeze_clock(self, frozen: bool = True) -> dict:
        """Stop (or restart) real time from moving the simulated clock; advance_clock() still works."""
        return self._call("POST", "/clock", {"frozen": frozen})

    def clock(self) -> dict:
        return self._call("GET", "/clock")

    def configure(self, **settings: Any) -> dict:
        return self._call("POST", "/config", settings)

    def reset(self, seed: int | None = None) -> dict:
        return self._call("POST", "/reset", {} if seed is None else {"seed": seed})

    def health(self) -> dict:
        return self._call("GET", "/health")


class SimulatorProcess:
    """Run ``python -m <module>`` (a simulator's command line) in a subprocess; a context manager.

    A channel subclass names its ``module`` and ``control_class``. ``base_url`` is the simulator's address
    once started (port 0 = a free port).
    """

    module: ClassVar[str] = ""
    control_class: ClassVar[type[ControlClient]] = ControlClient
    health_path: ClassVar[str] = "/_sim/health"  # answers 200 once the server takes requests

    def __init__(
        self, *, port: int = 0, seed: int = 1, time_scale: float = 1.0, state_file: str | None = None
    ) -> None:
        self.port = port
        self.seed = seed
        self.time_scale = time_scale
        self.state_file = state_file
        self.base_url = ""
        self.proc: subprocess.Popen | None = None

    def command(self, port: int) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            self.module,
            "--port",
            str(port),
            "--seed",
            str(self.seed),
            "--time-scale",
            str(self.time_scale),
        ]
        if self.state_file:
            cmd += ["--state", self.state_file]
        return cmd

    def start(self, timeout: float = 20.0):
        port = self.port or free_port()
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            self.command(port), env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=self._log
        )
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        probe = httpx.Client(timeout=1.0)
        try:
            self._wait_healthy(probe, deadline)
        finally:
            probe.close()
        return self

    def _wait_healthy(self, probe: httpx.Client, deadline: float) -> None:
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.seek(0)
                err = self._log.read().decode(errors="replace")
                raise RuntimeError(f"simulator exited with {self.proc.returncode}: {err}")
            try:
                if probe.get(self.base_url + self.health_path).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("simulator did not become healthy in time")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()
        self.proc = None

    def control(self):
        return self.control_class(self.base_url)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
