"""The SP-API choke point: token cache, pacing, retries and the typing of every kind of failure."""

import json
import re

import httpx
import pytest

from stockroom.channels.contracts import AuthFailed, Permanent, RateLimited, Transient
from stockroom.connectors.amazon.client import (
    IN_FLIGHT_ALLOWANCE_SECONDS,
    OPERATIONS,
    Credentials,
    SpApiClient,
)

from .conftest import amazon_json

TOKEN_URL = "https://lwa.test/auth/o2/token"
ENDPOINT = "https://sp.test"
HTML_503 = "<html><head><title>503 Service Temporarily Unavailable</title></head><body>503</body></html>"


class Amazon:
    """A scripted transport: LWA answers from ``token_answers``, SP-API from ``answers`` (in order)."""

    def __init__(self, answers=(), token_answers=None):
        self.answers = list(answers)
        self.token_answers = list(token_answers or [])
        self.requests: list[httpx.Request] = []
        self.token_requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            self.token_requests.append(request)
            if self.token_answers:
                return self.token_answers.pop(0)
            return httpx.Response(
                200, json={"access_token": f"Atza|{len(self.token_requests)}", "expires_in": 3600}
            )
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def make_client(amazon: Amazon, clock, **kwargs) -> SpApiClient:
    return SpApiClient(
        endpoint=ENDPOINT,
        token_url=TOKEN_URL,
        credentials=Credentials("amzn1.application-oa2-client.x", "secret", "Atzr|refresh"),
        seller_key="A1SELLER",
        http=httpx.Client(transport=httpx.MockTransport(amazon)),
        clock=clock,
        **kwargs,
    )


def ok(body=None, **headers) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else {"payload": []}, headers=headers)


def test_rate_table_matches_the_default_usage_plans_in_amazons_models():
    models = {
        "getMarketplaceParticipations": "sellers.json",
        "searchOrders": "orders_2026-01-01.json",
        "getOrder": "orders_2026-01-01.json",
        "getOrderItems": "ordersV0.json",
        "confirmShipment": "ordersV0.json",
        "getReports": "reports_2021-06-30.json",
        "getReportSchedules": "reports_2021-06-30.json",
        "createReportSchedule": "reports_2021-06-30.json",
        "getReportDocument": "reports_2021-06-30.json",
        "createFeedDocument": "feeds_2021-06-30.json",
        "createFeed": "feeds_2021-06-30.json",
        "getFeed": "feeds_2021-06-30.json",
        "getFeedDocument": "feeds_2021-06-30.json",
        "patchListingsItem": "listingsItems_2021-08-01.json",
        "searchListingsItems": "listingsItems_2021-08-01.json",
        "createRestrictedDataToken": "tokens_2021-03-01.json",
        "getDestinations": "notifications.json",
        "createDestination": "notifications.json",
        "deleteDestination": "notifications.json",
        "getSubscription": "notifications.json",
        "createSubscription": "notifications.json",
        "deleteSubscriptionById": "notifications.json",
    }
    assert set(models) == set(OPERATIONS)
    for name, model in models.items():
        op = OPERATIONS[name]
        described = amazon_json(f"models/{model}")["paths"][op.path][op.method.lower()]
        assert described["operationId"] == name
        rate, burst = re.search(r"\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|", described["description"]).groups()
        assert (op.rate, op.burst) == (float(rate), int(burst)), name


def test_headers_token_exchange_and_token_cache(fake_clock):
    amazon = Amazon([ok(), ok(), ok()])
    client = make_client(amazon, fake_clock)

    client.call("getMarketplaceParticipations")
    client.call("getMarketplaceParticipations")
    fake_clock.now += 3600 - 59  # within the last minute of the token's life
    client.call("getMarketplaceParticipations")

    assert len(amazon.token_requests) == 2
    form = dict(httpx.QueryParams(amazon.token_requests[0].content.decode()))
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": "Atzr|refresh",
        "client_id": "amzn1.application-oa2-client.x",
        "client_secret": "secret",
    }
    first, _, third = amazon.requests
    assert first.headers["x-amz-access-token"] == "Atza|1"
    assert third.headers["x-amz-access-token"] == "Atza|2"
    assert first.headers["user-agent"].startswith("Stockroom/")


def test_an_expired_token_is_refreshed_once(fake_clock):
    expired = httpx.Response(
        403,
        json={"errors": [{"code": "Unauthorized", "message": "The access token you provided has expired."}]},
    )
    amazon = Amazon([expired, ok({"payload": [1]})])
    client = make_client(amazon, fake_clock)

    response = client.call("getMarketplaceParticipations")

    assert response.data == {"payload": [1]}
    assert [r.headers["x-amz-access-token"] for r in amazon.requests] == ["Atza|1", "Atza|2"]


def test_a_403_after_a_fresh_token_is_auth_failed(fake_clock):
    denied = {"errors": [{"code": "Unauthorized", "message": "The access token you provided has expired."}]}
    amazon = Amazon([httpx.Response(403, json=denied), httpx.Response(403, json=denied)])

    with pytest.raises(AuthFailed, match="Amazon refused getMarketplaceParticipations"):
        make_client(amazon, fake_clock).call("getMarketplaceParticipations")
    assert len(amazon.requests) == 2


@pytest.mark.parametrize(
    ("status", "body", "error", "cause"),
    [
        (
            400,
            {"error": "invalid_grant", "error_description": "The request has an invalid grant parameter"},
            "invalid_grant",
            "refresh token",
        ),
        (
            401,
            {"error": "invalid_client", "error_description": "Client authentication failed"},
            "invalid_client",
            "client id",
        ),
    ],
)
def test_lwa_refusals_are_auth_failed_with_a_cause_the_seller_can_act_on(
    fake_clock, status, body, error, cause
):
    amazon = Amazon(token_answers=[httpx.Response(status, json=body)])

    with pytest.raises(AuthFailed) as failure:
        make_client(amazon, fake_clock).call("getMarketplaceParticipations")

    assert failure.value.code == error
    assert cause in failure.value.message and f"({error})" in failure.value.message
    assert amazon.requests == [] and len(amazon.token_requests) == 1  # not retried


def test_the_invalid_grant_sample_is_recognised(fake_clock):
    sample = amazon_json("samples/synthetic/lwa-token.error.invalid_grant.response.json")
    amazon = Amazon(token_answers=[httpx.Response(400, json=sample)])

    with pytest.raises(AuthFailed) as failure:
        make_client(amazon, fake_clock).access_token()

    assert failure.value.code == "invalid_grant"


@pytest.mark.parametrize(
    ("answer", "expected", "message"),
    [
        (
            httpx.Response(503, text=HTML_503, headers={"content-type": "text/html"}),
            Transient,
            "503 (an HTML error page)",
        ),
        (httpx.Response(500, content=b""), Transient, "500 (an error)"),
        (httpx.Response(200, text="{not json"), Transient, "not JSON"),
        (
            httpx.Response(200, content=b'{"payload": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
            Transient,
            "getMarketplaceParticipations answered 200 with JSON nested too deeply to read",
        ),
        (httpx.ReadTimeout("slow"), Transient, "did not answer getMarketplaceParticipations in time"),
        (httpx.ConnectError("refused"), Transient, "could not reach Amazon"),
    ],
    ids=["html-503", "empty-500", "invalid-json", "nested-too-deep", "timeout", "connection-refused"],
)
def test_transient_failures_are_retried_then_raised(fake_clock, answer, expected, message):
    amazon = Amazon([answer, answer, answer])

    with pytest.raises(expected) as failure:
        make_client(amazon, fake_clock).call("getMarketplaceParticipations")

    assert message in failure.value.message
    assert len(amazon.requests) == 3
    assert len(fake_clock.sleeps) == 2 and fake_clock.sleeps[1] > fake_clock.sleeps[0] >= 1.0


def test_a_transient_failure_followed_by_success_returns_the_answer(fake_clock):
    amazon = Amazon([httpx.Response(503, text=HTML_503), ok({"payload": ["x"]})])

    assert make_client(amazon, fake_clock).call("getMarketplaceParticipations").data == {"payload": ["x"]}


@pytest.mark.parametrize(
    "body",
    [
        b'{"payload": {"quantity": 18446744073709551616, "price": 12.5, "big": -98765432109876543210}}',
        b'\xef\xbb\xbf{"payload": {"name": "byte order mark first"}}',
        b'{"payload": {"name": "lone \\ud800 surrogate"}}',
        b'{"payload": {"a": NaN, "b": Infinity, "c": 1e400}}',
        '{"payload": {"name": "Zo\u00eb \u2014 \U0001f600", "n": [1, 2.25, null, true]}}'.encode(),
    ],
    ids=["wide-integers", "byte-order-mark", "lone-surrogate", "non-finite", "unicode"],
)
def test_an_answer_reads_as_pythons_json_reads_it(fake_clock, body):
    # the fast parser first, Python's json for what it refuses: every body json accepts gives the
    # same values (an integer wider than 64 bits stays an exact int, never a float)
    amazon = Amazon([httpx.Response(200, content=body, headers={"content-type": "application/json"})])

    data = make_client(amazon, fake_clock).call("getMarketplaceParticipations").data

    expected = json.loads(body)
    assert json.dumps(data, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert [type(v) for v in data["payload"].values()] == [type(v) for v in expected["payload"].values()]


def test_throttling_is_rate_limited_after_bounded_retries(fake_clock):
    quota = amazon_json("samples/synthetic/error.429.QuotaExceeded.response.json")
    amazon = Amazon([httpx.Response(429, json=quota)] * 3)

    with pytest.raises(RateLimited) as failure:
        make_client(amazon, fake_clock, max_wait=600).call("getFeed", path_params={"feedId": "1"})

    assert failure.value.code == "QuotaExceeded" and failure.value.status == 429
    # getFeed: 2 requests per second, and the refill kept in hand
    assert failure.value.retry_after == pytest.approx(0.5 + IN_FLIGHT_ALLOWANCE_SECONDS)
    assert len(amazon.requests) == 3


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            httpx.Response(
                400,
                json={
                    "errors": [{"code": "InvalidInput", "message": "Invalid Input", "details": "bad carrier"}]
                },
            ),
            "confirmShipment: InvalidInput: Invalid Input bad carrier",
        ),
        (httpx.Response(404, content=b""), "confirmShipment: 404: no error details"),
        (
            httpx.Response(400, text="<html>Bad Request</html>"),
            "confirmShipment: 400: <html>Bad Request</html>",
        ),
    ],
)
def test_client_errors_are_permanent_and_not_retried(fake_clock, answer, message):
    amazon = Amazon([answer])

    with pytest.raises(Permanent) as failure:
        make_client(amazon, fake_clock).call("confirmShipment", path_params={"orderId": "1"}, json_body={})

    assert failure.value.message == message
    assert not isinstance(failure.value, AuthFailed)
    assert len(amazon.requests) == 1


def test_the_bucket_paces_calls_instead_of_provoking_a_429(fake_clock):
    op = OPERATIONS["confirmShipment"]  # 2 per second, burst 10
    amazon = Amazon([httpx.Response(204)] * (op.burst + 2))
    client = make_client(amazon, fake_clock)

    for _ in range(op.burst + 2):
        client.call("confirmShipment", path_params={"orderId": "1"}, json_body={})

    # nine go at once (0.4 of a token kept in hand), then one every half second
    assert fake_clock.sleeps == [pytest.approx(0.2), pytest.approx(0.5), pytest.approx(0.5)]


def test_the_rate_limit_header_corrects_the_bucket(fake_clock):
    op = OPERATIONS["getFeed"]
    amazon = Amazon([ok({}, **{"x-amzn-RateLimit-Limit": "10.0"})] * (op.burst + 1))
    client = make_client(amazon, fake_clock)

    for _ in range(op.burst + 1):
        client.call("getFeed", path_params={"feedId": "1"})

    assert fake_clock.sleeps == [pytest.approx(0.1)] * 3  # 10 a second, 2 tokens in hand


def test_a_wait_longer_than_allowed_ends_the_call_without_sending(fake_clock):
    op = OPERATIONS["searchOrders"]  # one call per 180 s once the burst of 20 is spent
    amazon = Amazon([ok({"orders": []})] * op.burst)
    client = make_client(amazon, fake_clock, max_wait=60)
    for _ in range(op.burst):
        client.call("searchOrders")

    with pytest.raises(RateLimited) as failure:
        client.call("searchOrders")

    assert failure.value.retry_after == pytest.approx(1 / op.rate)
    assert len(amazon.requests) == op.burst
    assert fake_clock.sleeps == [pytest.approx(IN_FLIGHT_ALLOWANCE_SECONDS)]  # the last of the burst


def test_path_parameters_are_escaped(fake_clock):
    amazon = Amazon([ok({})])

    make_client(amazon, fake_clock).call(
        "patchListingsItem", path_params={"sellerId": "A1", "sku": "RED/BLUE 1"}, json_body={"x": 1}
    )

    assert amazon.requests[0].url.raw_path.decode() == "/listings/2021-08-01/items/A1/RED%2FBLUE%201"
    assert json.loads(amazon.requests[0].content) == {"x": 1}


def test_capacity_counts_the_tokens_left_and_those_refilled_within_the_window(fake_clock):
    amazon = Amazon([ok({})] * 7)
    client = make_client(amazon, fake_clock)

    fresh = client.capacity("patchListingsItem", within=2.0)  # burst 5 + 2 s at 5 a second
    for _ in range(7):
        client.call("patchListingsItem", path_params={"sellerId": "A1", "sku": "S"}, json_body={})
    drained = client.capacity("patchListingsItem", within=2.0)

    assert (fresh, drained) == (14, 10)  # one token kept in hand
    assert len(amazon.requests) == 7  # asking took no token


def test_pacing_many_calls_never_spins_on_rounding(fake_clock):
    amazon = Amazon([ok({})] * 40)
    client = make_client(amazon, fake_clock)

    for _ in range(40):  # patchListingsItem: 5 per second, burst 5
        client.call("patchListingsItem", path_params={"sellerId": "A1", "sku": "S"}, json_body={})

    assert len(fake_clock.sleeps) == 36  # four at once (one token kept in hand), then 5 a second
    assert sum(fake_clock.sleeps) == pytest.approx(36 * 0.2)
