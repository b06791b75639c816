"""Orders pushed by Amazon (ADR 0016), end to end over real sockets: the Amazon simulator publishes
ORDER_CHANGE notifications to an SQS queue on moto's standalone server (both real local processes);
Stockroom subscribes, reads the queue, fetches the order with getOrder and stores it, without a poll."""

import itertools
import json

import pytest

from stockroom.channels.models import ChannelAccount
from stockroom.orders.models import Order
from stockroom.sync.engine import pushed_orders
from stockroom.sync.models import IssueKind, IssueStatus, OrderPushSubscription, PushedOrderMessage, SyncIssue
from tests.waiting import wait_for

UK = "A1F83G8C2ARO7P"
HIDDEN = 24 * 3600  # searchOrders does not show the order for a day: only a push can bring it
_sellers = itertools.count(1)
APP_ID, APP_SECRET = "amzn1.application-oa2-client.stockroom", "stockroom-app-secret"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue(sqs, control):
    control.configure(sqs_endpoint_url=sqs.endpoint_url, notification_delay_seconds=0)
    return sqs.create_queue("stockroom-orders", visibility_timeout=1)


@pytest.fixture
def pushing_account(sim, control, queue):
    def make(name="Amazon Push", **options):
        seller_id = f"A{next(_sellers):04d}PUSHSELLER"
        seller = control.create_seller(
            seller_id,
            marketplaces=[UK],
            client_id=APP_ID,  # one application (Stockroom's) authorised by every seller
            client_secret=APP_SECRET,
            refresh_token=f"Atzr|refresh-{seller_id.lower()}",
        )
        control.create_listing(seller["seller_id"], "PUSH-SKU", quantity=50)
        return ChannelAccount.objects.create(
            channel="amazon",
            name=name,
            external_account_id=seller["seller_id"],
            region="eu",
            marketplaces=["UK"],
            options={"order_notifications": True, "notification_queue_url": queue, **options},
            credentials={
                **{k: seller[k] for k in ("client_id", "client_secret", "refresh_token")},
                "aws_access_key_id": "local",
                "aws_secret_access_key": "local",
            },
            endpoint=sim.base_url,
            token_url=sim.token_url,
        )

    return make


def buy(control, account, quantity=2) -> str:
    order = control.place_order(
        account.external_account_id,
        marketplace_id=UK,
        items=[{"sku": "PUSH-SKU", "quantity": quantity}],
        status="Unshipped",
        visible_after_seconds=HIDDEN,
    )
    return order["order_id"]


def receive_until(predicate, *, passes=5):
    """Passes of the worker (each long-polls up to 10 s) until ``predicate(summary)`` holds."""
    for _ in range(passes):
        summary = pushed_orders.receive_pushed_orders(wait_seconds=10)
        if predicate(summary):
            return summary
    raise AssertionError("the expected messages never came")


def calls(control, account, operation):
    return control.stats().get(account.external_account_id, {}).get(operation, {}).get("calls", 0)


def test_stockroom_subscribes_once_and_the_simulator_knows_the_queue(control, pushing_account, queue, sqs):
    account = pushing_account()

    first = pushed_orders.keep_subscriptions()
    again = pushed_orders.keep_subscriptions()

    assert first == [] and again == []
    subscription = OrderPushSubscription.objects.get(account=account)
    arn = sqs.client().get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    state = control.notifications()
    assert [d["resource"] for d in state["destinations"]] == [{"sqs": {"arn": arn}}]
    assert [s["subscriptionId"] for s in state["subscriptions"]] == [subscription.refs["subscription_id"]]
    assert subscription.refs["destination_id"] == state["destinations"][0]["destinationId"]
    assert subscription.address == queue


def test_a_buyers_order_reaches_stockroom_through_the_queue_without_a_poll(control, pushing_account):
    account = pushing_account()
    pushed_orders.keep_subscriptions()

    order_id = buy(control, account, quantity=2)
    summary = receive_until(lambda s: s.imported)

    assert summary.imported == [order_id]
    order = Order.objects.get(account=account, external_order_id=order_id)
    assert [(line.channel_sku, line.quantity) for line in order.lines.all()] == [("PUSH-SKU", 2)]
    assert calls(control, account, "searchOrders") == 0
    assert calls(control, account, "getOrder") == 1
    assert PushedOrderMessage.objects.filter(account=account, external_order_id=order_id).count() == 1
    assert pushed_orders.receive_pushed_orders(wait_seconds=2).received == 0  # deleted after the import


def test_a_message_seen_twice_does_nothing_the_second_time(control, pushing_account, queue, sqs):
    account = pushing_account()
    pushed_orders.keep_subscriptions()
    order_id = buy(control, account)
    receive_until(lambda s: s.imported)
    published = wait_for(lambda: control.notifications()["published"])  # marked once SQS took it
    body = {k: v for k, v in published[0].items() if k not in ("id", "arn", "sqs_message_id")}

    sqs.client().send_message(QueueUrl=queue, MessageBody=json.dumps(body))  # SQS delivers it again
    summary = receive_until(lambda s: s.received)

    assert (summary.received, summary.duplicates, summary.imported) == (1, 1, [])
    assert calls(control, account, "getOrder") == 1
    assert Order.objects.filter(account=account, external_order_id=order_id).count() == 1
    assert pushed_orders.receive_pushed_orders(wait_seconds=2).received == 0


def test_a_message_whose_import_fails_is_kept_and_tried_again(control, pushing_account, monkeypatch):
    account = pushing_account()
    pushed_orders.keep_subscriptions()
    real_import = pushed_orders.import_channel_order
    failures = iter([RuntimeError("database went away")])

    def failing_once(**kwargs):
        error = next(failures, None)
        if error is not None:
            raise error
        return real_import(**kwargs)

    monkeypatch.setattr(pushed_orders, "import_channel_order", failing_once)
    order_id = buy(control, account)

    failed = receive_until(lambda s: s.kept)
    issue = SyncIssue.objects.get(account=account, kind=IssueKind.ORDER, external_ref=order_id)
    assert (failed.kept, failed.imported) == ([order_id], [])
    assert not Order.objects.filter(account=account, external_order_id=order_id).exists()
    assert "database went away" in issue.message

    retried = receive_until(lambda s: s.received)  # visible again after the queue's visibility timeout

    assert (retried.imported, retried.kept) == ([order_id], [])
    assert Order.objects.filter(account=account, external_order_id=order_id).count() == 1
    issue.refresh_from_db()
    assert issue.status == IssueStatus.RESOLVED
    assert pushed_orders.receive_pushed_orders(wait_seconds=2).received == 0


def test_turning_notifications_off_removes_the_subscription_and_destination(control, pushing_account):
    account = pushing_account()
    pushed_orders.keep_subscriptions()

    account.options = {**account.options, "order_notifications": False}
    account.save()
    problems = pushed_orders.keep_subscriptions()

    assert problems == []
    assert not OrderPushSubscription.objects.filter(account=account).exists()
    state = control.notifications()
    assert (state["subscriptions"], state["destinations"]) == ([], [])


def test_deleting_an_account_removes_its_subscription_and_destination(control, pushing_account):
    account = pushing_account()
    pushed_orders.keep_subscriptions()
    state = control.notifications()
    assert (len(state["subscriptions"]), len(state["destinations"])) == (1, 1)

    account.delete()

    state = control.notifications()
    assert (state["subscriptions"], state["destinations"]) == ([], [])
    assert not OrderPushSubscription.objects.exists()


def test_an_account_is_deleted_even_when_the_channel_refuses_to_stop_and_the_refs_are_logged(
    control, pushing_account, caplog
):
    account = pushing_account(name="Amazon Gone")
    pushed_orders.keep_subscriptions()
    refs = OrderPushSubscription.objects.get(account=account).refs
    control.set_fault("deleteSubscriptionById", "http_500", count=10)

    account.delete()

    assert not ChannelAccount.objects.filter(name="Amazon Gone").exists()
    assert len(control.notifications()["subscriptions"]) == 1  # left at Amazon, and said so
    warning = next(r for r in caplog.records if r.levelname == "WARNING" and "Amazon Gone" in r.getMessage())
    assert "could not stop order pushes" in warning.getMessage()
    assert str(refs["subscription_id"]) in warning.getMessage()


def test_a_message_for_a_seller_no_account_reads_is_acknowledged(control, pushing_account, queue, sqs):
    pushing_account()
    pushed_orders.keep_subscriptions()
    stranger = {
        "NotificationType": "ORDER_CHANGE",
        "Payload": {
            "OrderChangeNotification": {"SellerId": "ANOTHERSELLER", "AmazonOrderId": "202-0000000-0000000"}
        },
        "NotificationMetadata": {"NotificationId": "n-1"},
    }

    sqs.client().send_message(QueueUrl=queue, MessageBody=json.dumps(stranger))
    summary = receive_until(lambda s: s.received)

    assert (summary.not_ours, summary.imported) == (1, [])
    assert pushed_orders.receive_pushed_orders(wait_seconds=2).received == 0


def test_two_accounts_share_one_queue_and_each_order_goes_to_its_account(control, pushing_account):
    first, second = pushing_account("Amazon One"), pushing_account("Amazon Two")
    pushed_orders.keep_subscriptions()
    state = control.notifications()
    assert (len(state["destinations"]), len(state["subscriptions"])) == (1, 2)

    one, two = buy(control, first), buy(control, second)
    imported = []
    receive_until(lambda s: imported.extend(s.imported) or len(imported) == 2)

    assert sorted(imported) == sorted([one, two])
    assert Order.objects.get(external_order_id=one).account == first
    assert Order.objects.get(external_order_id=two).account == second

    second.enabled = False
    second.save()
    assert pushed_orders.keep_subscriptions() == []
    state = control.notifications()
    # the first account's subscription still uses the destination: Amazon keeps it (409), so do we
    assert (len(state["destinations"]), [s["_seller"] for s in state["subscriptions"]]) == (
        1,
        [first.external_account_id],
    )
