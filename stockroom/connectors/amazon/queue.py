"""The seller's SQS queue that Amazon sends ORDER_CHANGE notifications to, read with boto3.

The queue URL says where it is: ``https://sqs.<region>.amazonaws.com/<account>/<name>`` in production,
any other address (moto's standalone server on 127.0.0.1 in tests and the demo) is used as boto3's
``endpoint_url``. Every boto3 failure comes out as a ``ChannelError`` (refused credentials:
``AuthFailed``; anything else: ``Transient``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from stockroom.channels.contracts import AuthFailed, ChannelError, Permanent, Transient

LONG_POLL_MAX_SECONDS = 20  # SQS's longest ReceiveMessage wait
MAX_MESSAGES = 10  # SQS's most messages per ReceiveMessage
LOCAL_REGION = "us-east-1"  # a queue not on amazonaws.com (moto) is addressed in this region
_AWS_HOST = re.compile(r"^sqs\.([a-z0-9-]+)\.amazonaws\.com$")
_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
}
_MISSING = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}


def endpoint_and_region(url: str) -> tuple[str | None, str]:
    """(boto3's endpoint_url, region) of a queue URL: None for AWS itself (boto3 knows the endpoint)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    found = _AWS_HOST.match(host)
    if found:
        return None, found.group(1)
    return f"{parts.scheme}://{parts.netloc}", LOCAL_REGION


class SqsQueue:
    def __init__(self, url: str, *, access_key_id: str, secret_access_key: str, client: Any = None) -> None:
        self.url = url
        if client is None:
            import boto3
            from botocore.config import Config

            endpoint, region = endpoint_and_region(url)
            client = boto3.client(
                "sqs",
                endpoint_url=endpoint,
                region_name=region,
                aws_access_key_id=access_key_id or None,
                aws_secret_access_key=secret_access_key or None,
                # a long poll waits up to 20 s: the read timeout leaves room for it
                config=Config(
                    connect_timeout=10, read_timeout=LONG_POLL_MAX_SECONDS + 10, retries={"max_attempts": 2}
                ),
            )
        self.sqs = client

    def close(self) -> None:
        close = getattr(self.sqs, "close", None)
        if close is not None:
            close()

    def arn(self) -> str:
        attributes = self._call("GetQueueAttributes", QueueUrl=self.url, AttributeNames=["QueueArn"])
        arn = (attributes.get("Attributes") or {}).get("QueueArn")
        if not arn:
            raise Transient(f"SQS answered GetQueueAttributes for {self.url} without the queue's ARN")
        return arn

    def receive(self, *, wait_seconds: int) -> list[dict]:
        answer = self._call(
            "ReceiveMessage",
            QueueUrl=self.url,
            MaxNumberOfMessages=MAX_MESSAGES,
            WaitTimeSeconds=max(0, min(LONG_POLL_MAX_SECONDS, int(wait_seconds))),
        )
        return list(answer.get("Messages") or [])

    def delete(self, receipt: str) -> None:
        self._call("DeleteMessage", QueueUrl=self.url, ReceiptHandle=receipt)

    def _call(self, operation: str, **params) -> dict:
        from botocore.exceptions import BotoCoreError, ClientError

        method = getattr(self.sqs, re.sub(r"(?<!^)([A-Z])", r"_\1", operation).lower())
        try:
            return method(**params)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            text = str(error.response.get("Error", {}).get("Message", "")) or str(error)
            if code in _DENIED or status == 403:
                raise AuthFailed(
                    f"SQS refused {operation} on {self.url} ({code}: {text}): check the AWS access key "
                    "of the account and the queue's policy",
                    status=status,
                    code=code,
                ) from error
            if code in _MISSING:
                raise Permanent(
                    f"the SQS queue {self.url} does not exist ({code}): check notification_queue_url",
                    status=status,
                    code=code,
                ) from error
            raise Transient(
                f"SQS answered {operation} with {code or status}: {text}", status=status, code=code
            ) from error
        except BotoCoreError as error:
            raise Transient(f"could not reach SQS for {operation}: {error}") from error
        except ChannelError:
            raise
