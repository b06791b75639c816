"""A local SQS for the channels that push through a queue (Amazon's Notifications API): moto's
standalone server (``moto[server]``) as a subprocess on 127.0.0.1, for tests, the demo and benchmarks.

``SqsServer(port=0).start()`` runs ``python -m moto.server`` on a free port (or the one given);
``endpoint_url`` is what boto3 (the simulator publishing, Stockroom reading) is pointed at; ``reset()``
empties every queue and forgets every queue (moto's ``/moto-api/reset``).
"""

from __future__ import annotations

import sys

import httpx

from .process import SimulatorProcess

# moto takes any key; what the local tools sign with
LOCAL_REGION = "us-east-1"
LOCAL_ACCESS_KEY = "local"
LOCAL_SECRET_KEY = "local"  # noqa: S105 - not a secret: moto's server accepts any


class SqsServer(SimulatorProcess):
    """moto's server as a subprocess; a context manager (``with SqsServer() as sqs: sqs.endpoint_url``)."""

    health_path = "/moto-api/"

    def command(self, port: int) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]

    @property
    def endpoint_url(self) -> str:
        return self.base_url

    def reset(self) -> None:
        httpx.post(self.base_url + "/moto-api/reset", timeout=10.0).raise_for_status()

    def create_queue(self, name: str, *, visibility_timeout: int = 30) -> str:
        """A queue (made once; the same name gives the same queue): its URL."""
        return self.client().create_queue(
            QueueName=name, Attributes={"VisibilityTimeout": str(visibility_timeout)}
        )["QueueUrl"]

    def client(self):
        import boto3

        return boto3.client(
            "sqs",
            endpoint_url=self.endpoint_url,
            region_name=LOCAL_REGION,
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
        )
