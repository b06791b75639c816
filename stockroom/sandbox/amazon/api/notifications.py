"""Notifications API v1: destinations (the application's, grantless) and subscriptions (a seller's).

A destination is an SQS queue named by its ARN; a subscription to ``ORDER_CHANGE`` makes the simulator
publish a message to that queue, after ``notification_delay_seconds``, whenever one of the seller's
orders is placed or changes status (``sandbox/amazon/notifications.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..state import ApiError
from ..tables import NOTIFICATION_TYPES
from .base import Ctx, bad, json_body, not_found

SQS_ARN = re.compile(r"^arn:aws:sqs:\S+:\S+:\S+")
MAX_NAME = 256
PAYLOAD_VERSIONS = {"ORDER_CHANGE": "1.0"}


def _client(ctx: Ctx) -> str:
    return ctx.token["client_id"]


def destination_view(dest: dict) -> dict:
    return {"name": dest["name"], "destinationId": dest["destinationId"], "resource": dest["resource"]}


def subscription_view(sub: dict) -> dict:
    view = {
        "subscriptionId": sub["subscriptionId"],
        "payloadVersion": sub["payloadVersion"],
        "destinationId": sub["destinationId"],
    }
    if sub.get("processingDirective"):
        view["processingDirective"] = sub["processingDirective"]
    return view


def _destinations(ctx: Ctx) -> dict:
    return ctx.store.s.setdefault("destinations", {})


def _subscriptions(ctx: Ctx) -> dict:
    return ctx.store.s.setdefault("subscriptions", {})


def _own_destination(ctx: Ctx, destination_id: str) -> dict:
    dest = _destinations(ctx).get(destination_id)
    if dest is None or dest["_client"] != _client(ctx):
        raise not_found(f"Destination {destination_id} was not found.")
    return dest


def create_destination(ctx: Ctx):
    body = json_body(ctx)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad("name is required.")
    if len(name) > MAX_NAME:
        raise bad(f"name must be at most {MAX_NAME} characters.")
    spec = body.get("resourceSpecification")
    if not isinstance(spec, dict) or not spec:
        raise bad("resourceSpecification is required.")
    if "eventBridge" in spec:
        raise bad("The simulator delivers to SQS destinations only: give resourceSpecification.sqs.")
    sqs = spec.get("sqs")
    arn = sqs.get("arn") if isinstance(sqs, dict) else None
    if not isinstance(arn, str) or not SQS_ARN.match(arn) or len(arn) > 1000:
        raise bad("resourceSpecification.sqs.arn must be an SQS queue ARN (arn:aws:sqs:region:account:name).")
    for dest in _destinations(ctx).values():
        if dest["_client"] == _client(ctx) and dest["resource"]["sqs"]["arn"] == arn:
            raise ApiError(
                409,
                "Conflict",
                "A destination with this resource already exists.",
                f"destinationId {dest['destinationId']}",
            )
    destination_id = ctx.store._uuid(ctx.store.token_rng)
    dest = {
        "destinationId": destination_id,
        "name": name,
        "resource": {"sqs": {"arn": arn}},
        "_client": _client(ctx),
    }
    _destinations(ctx)[destination_id] = dest
    return 200, {"payload": destination_view(dest)}


def get_destinations(ctx: Ctx):
    own = [d for d in _destinations(ctx).values() if d["_client"] == _client(ctx)]
    return 200, {"payload": [destination_view(d) for d in own]}


def get_destination(ctx: Ctx):
    return 200, {"payload": destination_view(_own_destination(ctx, ctx.path["destinationId"]))}


def delete_destination(ctx: Ctx):
    dest = _own_destination(ctx, ctx.path["destinationId"])
    in_use = [s for s in _subscriptions(ctx).values() if s["destinationId"] == dest["destinationId"]]
    if in_use:
        raise ApiError(
            409,
            "Conflict",
            "The destination has subscriptions: delete them first.",
            ", ".join(s["subscriptionId"] for s in in_use),
        )
    del _destinations(ctx)[dest["destinationId"]]
    return 200, {}


def _notification_type(ctx: Ctx) -> str:
    kind = ctx.path["notificationType"]
    if kind not in NOTIFICATION_TYPES:
        raise bad(f"The simulator does not publish {kind} notifications (only {sorted(NOTIFICATION_TYPES)}).")
    return kind


def _seller_subscription(ctx: Ctx, kind: str) -> dict | None:
    return next(
        (
            s
            for s in _subscriptions(ctx).values()
            if s["_seller"] == ctx.seller_id and s["_client"] == _client(ctx) and s["_type"] == kind
        ),
        None,
    )


def create_subscription(ctx: Ctx):
    kind = _notification_type(ctx)
    body = json_body(ctx)
    version = body.get("payloadVersion")
    if version != PAYLOAD_VERSIONS[kind]:
        raise bad(f"payloadVersion must be {PAYLOAD_VERSIONS[kind]} for {kind}.")
    destination_id = body.get("destinationId")
    if not isinstance(destination_id, str) or not destination_id:
        raise bad("destinationId is required.")
    _own_destination(ctx, destination_id)
    directive = body.get("processingDirective")
    if directive is not None and not isinstance(directive, dict):
        raise bad("processingDirective must be an object.")
    existing = _seller_subscription(ctx, kind)
    if existing is not None:
        raise ApiError(
            409,
            "Conflict",
            f"A subscription for {kind} already exists.",
            f"subscriptionId {existing['subscriptionId']}",
        )
    sub = {
        "subscriptionId": ctx.store._uuid(ctx.store.token_rng),
        "payloadVersion": version,
        "destinationId": destination_id,
        "processingDirective": directive,
        "_seller": ctx.seller_id,
        "_client": _client(ctx),
        "_type": kind,
    }
    _subscriptions(ctx)[sub["subscriptionId"]] = sub
    return 200, {"payload": subscription_view(sub)}


def get_subscription(ctx: Ctx):
    kind = _notification_type(ctx)
    sub = _seller_subscription(ctx, kind)
    if sub is None:
        raise not_found(f"There is no subscription for {kind}.")
    return 200, {"payload": subscription_view(sub)}


def _subscription_by_id(ctx: Ctx) -> dict:
    kind = _notification_type(ctx)
    sub = _subscriptions(ctx).get(ctx.path["subscriptionId"])
    if sub is None or sub["_client"] != _client(ctx) or sub["_type"] != kind:
        raise not_found(f"Subscription {ctx.path['subscriptionId']} was not found.")
    return sub


def get_subscription_by_id(ctx: Ctx):
    return 200, {"payload": subscription_view(_subscription_by_id(ctx))}


def delete_subscription_by_id(ctx: Ctx):
    sub = _subscription_by_id(ctx)
    del _subscriptions(ctx)[sub["subscriptionId"]]
    return 200, {}


HANDLERS: dict[str, Callable[[Ctx], tuple]] = {
    "createDestination": create_destination,
    "getDestinations": get_destinations,
    "getDestination": get_destination,
    "deleteDestination": delete_destination,
    "createSubscription": create_subscription,
    "getSubscription": get_subscription,
    "getSubscriptionById": get_subscription_by_id,
    "deleteSubscriptionById": delete_subscription_by_id,
}
