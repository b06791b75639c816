"""Feeds API 2021-06-30: feed documents and feeds."""

from __future__ import annotations

from collections.abc import Callable

from .. import feeds as feeds_mod
from ..tables import (
    FEED_TYPES_REMOVED,
    FEED_TYPES_SUPPORTED,
)
from .base import (
    Ctx,
    bad,
    json_body,
    list_entities,
    marketplace_ids,
    not_found,
)
from .documents import document_url


def create_feed_document(ctx: Ctx):
    body = json_body(ctx)
    ctype = body.get("contentType")
    if not isinstance(ctype, str) or not ctype.strip():
        raise bad("contentType is required.")
    doc = feeds_mod.create_document(ctx.store, ctx.seller_id, ctype)
    return 201, {"feedDocumentId": doc["id"], "url": document_url(ctx, "feeds", doc["id"])}


def create_feed(ctx: Ctx):
    body = json_body(ctx)
    ftype = body.get("feedType")
    if not isinstance(ftype, str) or not ftype:
        raise bad("feedType is required.")
    if ftype not in FEED_TYPES_SUPPORTED and ftype not in FEED_TYPES_REMOVED:
        raise bad(f"Feed type {ftype} is not supported.")
    mps = body.get("marketplaceIds")
    if not isinstance(mps, list) or not 1 <= len(mps) <= 25:
        raise bad("marketplaceIds must be an array of 1 to 25 marketplace ids.")
    marketplace_ids(ctx, mps, required=True)
    doc_id = body.get("inputFeedDocumentId")
    doc = ctx.store.s["feed_documents"].get(doc_id) if isinstance(doc_id, str) else None
    if doc is None or doc["seller_id"] != ctx.seller_id or doc["kind"] != "input":
        raise bad(f"inputFeedDocumentId '{doc_id}' is not a valid feed document id.")
    options = body.get("feedOptions")
    if options is not None and (
        not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values())
    ):
        raise bad("feedOptions must be an object of strings.")
    fatal = ctx.store.take_fault("createFeed", ctx.seller_id, kinds=("fatal",)) is not None
    feed = feeds_mod.create_feed(ctx.store, ctx.seller_id, body, fatal=fatal)
    return 202, {"feedId": feed["feedId"]}


def _feed(ctx: Ctx) -> dict:
    feed = ctx.store.s["feeds"].get(ctx.path["feedId"])
    if feed is None or feed["_seller"] != ctx.seller_id:
        raise not_found(f"Feed {ctx.path['feedId']} was not found.")
    return feed


def get_feed(ctx: Ctx):
    return 200, feeds_mod.feed_view(_feed(ctx))


def cancel_feed(ctx: Ctx):
    if not feeds_mod.cancel_feed(_feed(ctx)):
        raise bad("Only feeds in IN_QUEUE status can be cancelled.")
    return 200, None


def get_feeds(ctx: Ctx):
    return list_entities(
        ctx,
        kind="getFeeds",
        collection=ctx.store.s["feeds"],
        type_param="feedTypes",
        type_key="feedType",
        view=feeds_mod.feed_view,
    )


def get_feed_document(ctx: Ctx):
    doc = ctx.store.s["feed_documents"].get(ctx.path["feedDocumentId"])
    if doc is None or doc["seller_id"] != ctx.seller_id:
        raise not_found(f"Feed document {ctx.path['feedDocumentId']} was not found.")
    return 200, {"feedDocumentId": doc["id"], "url": document_url(ctx, "feeds", doc["id"])}


HANDLERS: dict[str, Callable[[Ctx], tuple]] = {
    "getFeeds": get_feeds,
    "createFeed": create_feed,
    "cancelFeed": cancel_feed,
    "getFeed": get_feed,
    "createFeedDocument": create_feed_document,
    "getFeedDocument": get_feed_document,
}
