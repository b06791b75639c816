"""Connector behaviour that the simulator cannot stage: credentials refused in the middle of a batch."""

from datetime import UTC, datetime

import httpx

from stockroom.channels.contracts import AccountConfig, ShipmentConfirmation, ShipmentLine, StockUpdate
from stockroom.connectors.amazon.connector import AmazonConnector

from .conftest import FakeClock


def connector(handler, **config) -> AmazonConnector:
    account = AccountConfig(
        account_id=1,
        name="Acme",
        external_account_id="A1SELLER",
        region="eu",
        marketplaces=("UK",),
        credentials={
            "client_id": "amzn1.application-oa2-client.x",
            "client_secret": "s",
            "refresh_token": "Atzr|r",
        },
        options={},
        endpoint="https://sp.test",
        token_url="https://lwa.test/auth/o2/token",
    )
    for key, value in config.items():
        object.__setattr__(account, key, value)
    return AmazonConnector(
        account, http=httpx.Client(transport=httpx.MockTransport(handler)), clock=FakeClock()
    )


def shipment(order_id: str) -> ShipmentConfirmation:
    return ShipmentConfirmation(
        order_id,
        "UK",
        "1",
        "DPD",
        "",
        "Next Day",
        "T1",
        datetime(2026, 11, 20, tzinfo=UTC),
        (ShipmentLine("1", 1),),
    )


def test_refused_credentials_stop_the_batch_and_every_record_says_why():
    calls = []

    def amazon(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.host)
        return httpx.Response(400, json={"error": "invalid_grant", "error_description": "bad"})

    outcomes = connector(amazon).confirm_shipments([shipment("026-1"), shipment("026-2")])

    assert [(o.key, o.status, o.retryable) for o in outcomes] == [
        ("026-1", "error", True),
        ("026-2", "error", True),
    ]
    assert outcomes[0].message == outcomes[1].message
    assert outcomes[0].message.startswith("Amazon refused the refresh token (invalid_grant)")
    assert calls == ["lwa.test"]  # asked once, nothing sent to SP-API


def test_missing_credentials_are_named_without_a_network_call():
    calls = []
    con = connector(lambda r: calls.append(r) or httpx.Response(500), credentials={"client_id": "x"})

    result = con.check(orders_since=None)
    outcomes = con.push_stock([StockUpdate("SKU-1", 1)])

    assert not result.ok
    assert (
        result.message
        == "the account has no LWA client secret, LWA refresh token: add it in the account settings."
    )
    assert [(o.status, o.retryable) for o in outcomes] == [("error", True)]
    assert calls == []


def test_an_unknown_marketplace_fails_the_check_with_the_known_ones():
    result = connector(lambda r: httpx.Response(500), marketplaces=("DK",)).check(orders_since=None)

    assert not result.ok
    assert result.message.startswith("Amazon has no Danish marketplace")


def test_checking_too_often_says_when_to_try_again():
    def amazon(request: httpx.Request) -> httpx.Response:
        if request.url.host == "lwa.test":
            return httpx.Response(200, json={"access_token": "Atza|1", "expires_in": 3600})
        if request.url.path.startswith("/sellers/"):
            return httpx.Response(200, json={"payload": [{"marketplace": {"id": "A1F83G8C2ARO7P"}}]})
        if request.url.path.startswith("/listings/"):
            return httpx.Response(200, json={"items": []})
        return httpx.Response(200, json={"orders": []})

    con = connector(amazon)
    results = [con.check(orders_since=None) for _ in range(16)]  # getMarketplaceParticipations: burst 15

    assert [r.ok for r in results] == [True] * 15 + [False]
    elapsed = con.client.clock.monotonic() - 1000.0  # FakeClock time spent pacing searchListingsItems
    wait = 1 / 0.016 - elapsed  # getMarketplaceParticipations: 0.016 per second, burst 15
    assert (
        results[-1].message
        == f"Amazon limits how often an account can be checked; try again in {wait:.0f} s."
    )


def test_by_default_a_push_is_patched_while_the_patch_rate_allows_and_sent_as_a_feed_beyond():
    calls = []

    def amazon(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.host == "lwa.test":
            return httpx.Response(200, json={"access_token": "Atza|t", "expires_in": 3600})
        if request.url.host == "upload.test":
            return httpx.Response(200)
        if request.method == "PATCH":
            calls.append("patchListingsItem")
            sku = path.rsplit("/", 1)[-1]
            return httpx.Response(
                200, json={"sku": sku, "status": "ACCEPTED", "submissionId": "s", "issues": []}
            )
        if path == "/feeds/2021-06-30/documents":
            return httpx.Response(201, json={"feedDocumentId": "D1", "url": "https://upload.test/D1"})
        if path == "/feeds/2021-06-30/feeds":
            calls.append("createFeed")
            return httpx.Response(202, json={"feedId": "F1"})
        return httpx.Response(404, json={"errors": [{"code": "NotFound", "message": path}]})

    con = connector(amazon)  # fake clock: the rate limiter's waits take no time

    # a fresh account may patch its burst (5, one kept in hand) plus what 5 a second refills within
    # the window (60 s)
    assert con.patch_limit() == 304
    patched = con.push_stock([StockUpdate(f"SKU-{n}", 1) for n in range(304)])
    # the burst is spent: 300 now fit the window, so 301 go in a feed
    fed = con.push_stock([StockUpdate(f"SKU-{n}", 2) for n in range(301)])

    assert {o.status for o in patched} == {"confirmed"}
    assert {o.status for o in fed} == {"pending"}
    assert (calls.count("patchListingsItem"), calls.count("createFeed")) == (304, 1)
