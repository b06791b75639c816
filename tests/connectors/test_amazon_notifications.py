"""Reading Amazon's ORDER_CHANGE notifications (pure mapping, our own sample) and the SQS queue's address."""

import json

import pytest

from stockroom.channels.contracts import PushedOrder
from stockroom.channels.spec import InvalidOption
from stockroom.connectors.amazon.mapping import order_push_from_sqs
from stockroom.connectors.amazon.queue import endpoint_and_region
from stockroom.connectors.amazon.spec import SPEC
from tests.reference import sample


def sqs_message(body: str, message_id="sqs-1", receipt="r-1") -> dict:
    return {"MessageId": message_id, "ReceiptHandle": receipt, "Body": body}


def test_an_order_change_names_the_seller_the_order_and_the_notification():
    body = sample("ORDER_CHANGE.notification.json").read_text()

    push = order_push_from_sqs(sqs_message(body))

    assert push == PushedOrder(
        account_ref="A0STOCKROOMSELLER",
        external_order_id="026-0000001-0000001",
        message_id="00000000-0000-4000-8000-0000000000aa",  # Amazon's NotificationId, not SQS's id
        receipt="r-1",
        raw=body,
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("not json", "the message is not JSON"),
        ("[1]", "the message is not a notification (a JSON object)"),
        (
            '{"NotificationType": "ANY_OFFER_CHANGED"}',
            "not an ORDER_CHANGE notification (NotificationType 'ANY_OFFER_CHANGED')",
        ),
        ('{"NotificationType": "ORDER_CHANGE"}', "ORDER_CHANGE without Payload.OrderChangeNotification"),
        (
            '{"NotificationType": "ORDER_CHANGE", "Payload": {"OrderChangeNotification": {"AmazonOrderId": "1"}}}',
            "ORDER_CHANGE without SellerId",
        ),
    ],
)
def test_a_message_that_is_not_a_readable_order_change_says_why(body, problem):
    push = order_push_from_sqs(sqs_message(body))

    assert (push.problem, push.external_order_id, push.raw, push.receipt) == (problem, "", body, "r-1")


def test_an_order_change_without_an_order_id_keeps_the_seller():
    body = json.dumps(
        {"NotificationType": "ORDER_CHANGE", "Payload": {"OrderChangeNotification": {"SellerId": "S1"}}}
    )

    push = order_push_from_sqs(sqs_message(body))

    assert (push.account_ref, push.problem) == ("S1", "ORDER_CHANGE without a readable AmazonOrderId")


def test_without_a_notification_id_the_sqs_message_id_names_the_message():
    body = json.dumps(
        {
            "NotificationType": "ORDER_CHANGE",
            "Payload": {"OrderChangeNotification": {"SellerId": "S1", "AmazonOrderId": "O1"}},
        }
    )

    assert order_push_from_sqs(sqs_message(body, message_id="sqs-9")).message_id == "sqs-9"


def test_a_queue_on_aws_uses_its_region_and_any_other_is_an_endpoint():
    assert endpoint_and_region("https://sqs.eu-west-1.amazonaws.com/123456789012/orders") == (
        None,
        "eu-west-1",
    )
    assert endpoint_and_region("http://127.0.0.1:8769/123456789012/orders") == (
        "http://127.0.0.1:8769",
        "us-east-1",
    )


def test_notifications_need_a_queue_url_and_refuse_anything_else():
    option = SPEC.option("notification_queue_url")

    with pytest.raises(InvalidOption, match="is not an SQS queue URL"):
        option.clean("sqs://orders")
    assert SPEC.check_options({"order_notifications": True, "notification_queue_url": ""}) == [
        "order_notifications needs notification_queue_url: the SQS queue Amazon sends order notifications "
        "to (see docs/amazon-accounts.md, Order notifications)"
    ]
    assert SPEC.check_options({"order_notifications": True, "notification_queue_url": "http://h/1/q"}) == []
