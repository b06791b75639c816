"""The conformance checker itself rejects what the models do not allow (so the other tests can fail), and
so does the check against the simulator's own table used when the models are absent."""

import json

import httpx
import pytest

from .conformance import (
    ConformanceError,
    check_request,
    check_response,
    check_response_against_simulator,
)

BASE = "http://sim.test"
HEADERS = {"x-amzn-RequestId": "r", "x-amzn-RateLimit-Limit": "0.5", "content-type": "application/json"}


def _resp(method, path, status, body, headers=HEADERS):
    request = httpx.Request(method, BASE + path)
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(status, headers=headers, content=content, request=request)


GOOD_ORDER = {
    "orderId": "202-1-1",
    "createdTime": "2026-01-01T00:00:00Z",
    "lastUpdatedTime": "2026-01-01T00:00:00Z",
    "salesChannel": {"channelName": "AMAZON"},
    "orderItems": [],
}


@pytest.mark.conformance
def test_accepts_a_valid_body():
    check_response(_resp("GET", "/orders/2026-01-01/orders/202-1-1", 200, {"order": GOOD_ORDER}))


@pytest.mark.conformance
@pytest.mark.parametrize(
    "body",
    [
        {"order": {**GOOD_ORDER, "surprise": 1}},  # undeclared field
        {"order": {k: v for k, v in GOOD_ORDER.items() if k != "salesChannel"}},  # missing required
        {"order": {**GOOD_ORDER, "createdTime": "yesterday"}},  # bad date-time
    ],
)
def test_rejects_invalid_bodies(body):
    with pytest.raises(ConformanceError):
        check_response(_resp("GET", "/orders/2026-01-01/orders/202-1-1", 200, body))


@pytest.mark.conformance
def test_rejects_undeclared_status_missing_headers_and_unexpected_bodies():
    with pytest.raises(ConformanceError):
        check_response(_resp("GET", "/orders/2026-01-01/orders/x", 418, {"errors": []}))
    with pytest.raises(ConformanceError):
        check_response(
            _resp(
                "GET",
                "/orders/2026-01-01/orders/x",
                200,
                {"order": GOOD_ORDER},
                headers={"content-type": "application/json"},
            )
        )
    with pytest.raises(ConformanceError):
        check_response(_resp("POST", "/orders/v0/orders/x/shipmentConfirmation", 204, {"unexpected": True}))
    with pytest.raises(ConformanceError):
        check_response(_resp("GET", "/orders/v1/nothing", 200, {}))


@pytest.mark.conformance
def test_request_bodies_are_checked():
    good = {"productType": "PRODUCT", "patches": [{"op": "merge", "path": "/attributes/x", "value": [{}]}]}
    check_request(httpx.Request("PATCH", BASE + "/listings/2021-08-01/items/S/K", json=good))
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        check_request(httpx.Request("PATCH", BASE + "/listings/2021-08-01/items/S/K", json={"patches": []}))


def test_without_the_models_the_simulators_own_table_is_checked():
    check_response_against_simulator(_resp("GET", "/orders/2026-01-01/orders/202-1-1", 200, {"order": {}}))
    check_response_against_simulator(_resp("POST", "/orders/v0/orders/x/shipmentConfirmation", 204, None))
    with pytest.raises(ConformanceError, match="is not an operation of the simulator"):
        check_response_against_simulator(_resp("GET", "/orders/v1/nothing", 200, {}))
    with pytest.raises(ConformanceError, match="x-amzn-RateLimit-Limit header missing"):
        check_response_against_simulator(
            _resp("GET", "/sellers/v1/account", 200, {}, headers={"x-amzn-RequestId": "r"})
        )
    with pytest.raises(ConformanceError, match="x-amzn-RequestId header missing"):
        check_response_against_simulator(
            _resp("GET", "/sellers/v1/account", 200, {}, headers={"x-amzn-RateLimit-Limit": "1"})
        )
    broken = httpx.Response(
        200, headers=HEADERS, content=b"{not json", request=httpx.Request("GET", BASE + "/sellers/v1/account")
    )
    with pytest.raises(ConformanceError, match="body is not JSON"):
        check_response_against_simulator(broken)
