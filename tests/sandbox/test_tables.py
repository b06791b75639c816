"""The simulator's static tables, and the samples we wrote, agree with Amazon's models and schemas."""

import json
import re

import jsonschema
import pytest

from stockroom.sandbox.amazon.listings_feed_schema import LISTINGS_FEED_SCHEMA
from stockroom.sandbox.amazon.tables import OPERATIONS
from tests.reference import sample as our_sample

from .conformance import amazon_dir, load_model, validate_schema

pytestmark = pytest.mark.conformance  # compares with the official contracts (tests/reference.py)

RATE_ROW = re.compile(r"\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|")


def test_rate_table_matches_the_models():
    checked = 0
    for op in OPERATIONS:
        model = load_model(op.model)
        entry = model["paths"][op.path][op.method.lower()]
        assert entry["operationId"] == op.name.removeprefix("v0."), op
        rate, burst = RATE_ROW.search(entry["description"]).groups()
        assert (float(rate), int(burst)) == (op.rate, op.burst), op.name
        checked += 1
    assert checked == len(OPERATIONS) == 37


def _strip(node):
    if isinstance(node, dict):
        return {
            k: _strip(v)
            for k, v in node.items()
            if not (
                k in ("description", "title", "examples", "$comment", "example") and not isinstance(v, dict)
            )
        }
    if isinstance(node, list):
        return [_strip(x) for x in node]
    return node


def test_vendored_listings_feed_schema_is_the_official_one_minus_prose():
    official = json.loads((amazon_dir() / "schemas/feeds/listings-feed-schema-v2.json").read_text())
    assert LISTINGS_FEED_SCHEMA == _strip(official)


def test_report_columns_match_report_columns_json():
    from stockroom.sandbox.amazon.reports import FLAT_ALL_ORDERS_COLUMNS, FLAT_SHIPPING_COLUMNS

    cols = json.loads((amazon_dir() / "report-columns.json").read_text())
    assert (
        FLAT_ALL_ORDERS_COLUMNS
        == cols["GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"]["columns_docs"]
    )
    seen = cols["GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"]["columns_seen_in_public_files"]
    assert FLAT_SHIPPING_COLUMNS == [c for c in seen if not c.startswith("bill-")]


def test_our_orders_api_sample_order_is_valid_under_the_model():
    order = json.loads(our_sample("searchOrders.order.json").read_text())
    validate_schema("orders_2026-01-01.json", {"$ref": "#/definitions/Order"}, order)


def test_our_order_change_sample_is_valid_under_amazons_schema():
    notification = json.loads(our_sample("ORDER_CHANGE.notification.json").read_text())
    schema = json.loads((amazon_dir() / "schemas/notifications/OrderChangeNotification.json").read_text())
    jsonschema.Draft7Validator(schema).validate(notification)
