"""The simulator's Notifications API (destinations, subscriptions; grantless where Amazon's is) and the
ORDER_CHANGE messages it publishes to an SQS queue on moto's server (a real local process)."""

from __future__ import annotations

import json

import pytest

from tests.waiting import wait_for

from .conformance import check_official_schema
from .conftest import CLIENT_ID, CLIENT_SECRET, HTTP, SELLER, place

DESTINATIONS = "/notifications/v1/destinations"
SUBSCRIPTION = "/notifications/v1/subscriptions/ORDER_CHANGE"
SCOPE = "sellingpartnerapi::notifications"


def grantless_token(base_url: str, scope: str = SCOPE) -> str:
    resp = HTTP.post(
        base_url + "/auth/o2/token",
        data={
            "grant_type": "client_credentials",
            "scope": scope,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


@pytest.fixture
def grantless(api, simulator) -> str:
    return grantless_token(simulator.base_url)


@pytest.fixture
def queue(sqs, control) -> dict:
    url = sqs.create_queue("stockroom-orders", visibility_timeout=30)
    arn = sqs.client().get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    control.configure(sqs_endpoint_url=sqs.endpoint_url)
    return {"url": url, "arn": arn}


def create_destination(api, grantless, arn: str, name: str = "stockroom") -> dict:
    resp = api.post(
        DESTINATIONS, token=grantless, json={"name": name, "resourceSpecification": {"sqs": {"arn": arn}}}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["payload"]


def subscribe(api, destination_id: str) -> dict:
    resp = api.post(SUBSCRIPTION, json={"payloadVersion": "1.0", "destinationId": destination_id})
    assert resp.status_code == 200, resp.text
    return resp.json()["payload"]


def receive(sqs, url: str, *, wait: int = 10) -> list[dict]:
    """Messages of the queue, long-polling until one comes (or ``wait`` seconds pass)."""
    answer = sqs.client().receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def test_destinations_are_grantless_and_refuse_a_sellers_token(api, grantless):
    arn = "arn:aws:sqs:us-east-1:123456789012:stockroom-orders"

    refused = api.post(DESTINATIONS, json={"name": "x", "resourceSpecification": {"sqs": {"arn": arn}}})
    created = create_destination(api, grantless, arn)
    listed = api.get(DESTINATIONS, token=grantless)

    assert refused.status_code == 403
    assert "grantless" in refused.json()["errors"][0]["details"]
    assert created["resource"] == {"sqs": {"arn": arn}}
    assert created["name"] == "stockroom"
    assert listed.json() == {"payload": [created]}


def test_a_token_without_the_notifications_scope_cannot_create_a_destination(api, simulator):
    token = grantless_token(simulator.base_url, "sellingpartnerapi::client_credential:rotation")

    resp = api.post(
        DESTINATIONS,
        token=token,
        json={"name": "x", "resourceSpecification": {"sqs": {"arn": "arn:aws:sqs:us-east-1:1:q"}}},
    )

    assert resp.status_code == 403


def test_a_destination_needs_an_sqs_arn_and_is_made_once(api, grantless):
    bad = api.invalid(
        "POST",
        DESTINATIONS,
        token=grantless,
        json={"name": "x", "resourceSpecification": {"sqs": {"arn": "q"}}},
    )
    first = create_destination(api, grantless, "arn:aws:sqs:us-east-1:1:q")
    again = api.post(
        DESTINATIONS,
        token=grantless,
        json={"name": "y", "resourceSpecification": {"sqs": {"arn": "arn:aws:sqs:us-east-1:1:q"}}},
    )

    assert bad.status_code == 400
    assert "arn:aws:sqs" in bad.json()["errors"][0]["details"]
    assert again.status_code == 409
    assert first["destinationId"] in again.json()["errors"][0]["details"]


def test_a_subscription_is_the_sellers_and_one_per_type(api, grantless):
    dest = create_destination(api, grantless, "arn:aws:sqs:us-east-1:1:q")

    sub = subscribe(api, dest["destinationId"])
    again = api.post(SUBSCRIPTION, json={"payloadVersion": "1.0", "destinationId": dest["destinationId"]})
    got = api.get(SUBSCRIPTION)
    by_id = api.get(f"{SUBSCRIPTION}/{sub['subscriptionId']}", token=grantless)

    assert sub["destinationId"] == dest["destinationId"] and sub["payloadVersion"] == "1.0"
    assert again.status_code == 409
    assert got.json() == {"payload": sub}
    assert by_id.json() == {"payload": sub}


def test_a_destination_in_use_is_kept_until_its_subscription_is_deleted(api, grantless):
    dest = create_destination(api, grantless, "arn:aws:sqs:us-east-1:1:q")
    sub = subscribe(api, dest["destinationId"])

    in_use = api.delete(f"{DESTINATIONS}/{dest['destinationId']}", token=grantless)
    sub_gone = api.delete(f"{SUBSCRIPTION}/{sub['subscriptionId']}", token=grantless)
    dest_gone = api.delete(f"{DESTINATIONS}/{dest['destinationId']}", token=grantless)

    assert in_use.status_code == 409
    assert sub_gone.status_code == 200 and sub_gone.json() == {}
    assert dest_gone.status_code == 200
    assert api.get(SUBSCRIPTION).status_code == 404
    assert api.get(DESTINATIONS, token=grantless).json() == {"payload": []}


def test_an_order_change_reaches_the_queue_after_the_delay(api, grantless, control, listing, sqs, queue):
    control.configure(notification_delay_seconds=30)
    dest = create_destination(api, grantless, queue["arn"])
    sub = subscribe(api, dest["destinationId"])

    order = place(control, quantity=2, status="Unshipped")
    before = receive(sqs, queue["url"], wait=0)
    control.advance_clock(31)
    messages = receive(sqs, queue["url"])

    assert before == []
    assert len(messages) == 1
    message = messages[0]
    change = message["Payload"]["OrderChangeNotification"]
    assert message["NotificationType"] == "ORDER_CHANGE"
    assert change["AmazonOrderId"] == order["order_id"]
    assert change["SellerId"] == SELLER
    assert change["OrderChangeType"] == "OrderStatusChange"
    assert change["OrderChangeTrigger"]["ChangeReason"] == "NewOrder"
    assert change["Summary"]["MarketplaceId"] == order["marketplace_id"]
    assert change["Summary"]["OrderStatus"] == "Unshipped"
    assert change["Summary"]["OrderItems"][0]["SellerSKU"] == "SKU-1"
    assert change["Summary"]["OrderItems"][0]["Quantity"] == 2
    assert message["NotificationMetadata"]["SubscriptionId"] == sub["subscriptionId"]
    assert message["NotificationMetadata"]["ApplicationId"] == CLIENT_ID
    assert wait_for(
        lambda: control.notifications()["waiting"] == []
    )  # the publisher marks it sent after SQS took it
    check_official_schema("schemas/notifications/OrderChangeNotification.json", message)


def test_no_subscription_no_message(api, grantless, control, listing, sqs, queue):
    create_destination(api, grantless, queue["arn"])

    place(control, status="Unshipped")
    control.advance_clock(60)

    assert receive(sqs, queue["url"], wait=1) == []
    assert control.notifications()["published"] == []


def test_a_message_sqs_does_not_take_waits_in_the_outbox(api, grantless, control, listing, sqs, queue):
    control.configure(notification_delay_seconds=0)
    dest = create_destination(api, grantless, "arn:aws:sqs:us-east-1:123456789012:no-such-queue")
    subscribe(api, dest["destinationId"])

    order = place(control, status="Unshipped")
    control.advance_clock(1)
    waiting = wait_for(lambda: [w for w in control.notifications()["waiting"] if w["attempts"]])
    sqs.create_queue("no-such-queue")
    control.advance_clock(600)  # the retry is due (5 s real at time scale 60 = 300 s simulated)
    messages = receive(sqs, sqs.client().get_queue_url(QueueName="no-such-queue")["QueueUrl"])

    assert waiting[0]["attempts"] == 1
    assert "QueueDoesNotExist" in waiting[0]["error"]
    assert [m["Payload"]["OrderChangeNotification"]["AmazonOrderId"] for m in messages] == [order["order_id"]]
