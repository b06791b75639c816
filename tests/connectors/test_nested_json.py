"""A channel answering JSON nested thousands deep (Python's json decoder recurses and raises
RecursionError) gets the same clear, typed refusal as any other unreadable answer, on every path where
Stockroom reads a channel's JSON: never an internal error that stops a run or a webhook with a 500."""

import base64
import hashlib
import hmac
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stockroom.channels.contracts import AccountConfig, Transient, WebhookRefused
from stockroom.connectors.amazon.mapping import order_push_from_sqs
from stockroom.connectors.ebay.client import EbayClient
from stockroom.connectors.shopify.client import ShopifyClient
from stockroom.connectors.shopify.connector import ShopifyConnector

DEEP = b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


GOOD_TOKEN = b'{"access_token": "v^1.1#t", "expires_in": 7200}'


class _Channel(BaseHTTPRequestHandler):
    """Answers a token request with the server's ``token_body`` and everything else with ``DEEP``."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        token = self.path.endswith("token")  # eBay .../oauth2/token, Shopify .../access_token
        body = self.server.token_body if token else DEEP
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def channel():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Channel)
    server.token_body = GOOD_TOKEN
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def _shop(endpoint: str = "", credentials: dict | None = None) -> AccountConfig:
    return AccountConfig(
        account_id=1,
        name="Web shop",
        external_account_id="stockroom-test.myshopify.com",
        region="",
        marketplaces=(),
        credentials=credentials or {"access_token": "shpat_x", "client_secret": "hush"},
        options={},
        endpoint=endpoint,
    )


def _ebay(channel) -> EbayClient:
    return EbayClient(
        credentials={"client_id": "id", "client_secret": "s", "refresh_token": "v^1.1#r"},
        endpoint=channel.url,
        token_url=f"{channel.url}/identity/v1/oauth2/token",
    )


def test_ebay_answering_json_nested_too_deep_is_a_transient_failure(channel):
    client = _ebay(channel)

    with pytest.raises(Transient, match="eBay answered getOrders with something that is not JSON"):
        client.json("GET", "/sell/fulfillment/v1/order", operation="getOrders")


def test_shopify_answering_json_nested_too_deep_is_a_transient_failure(channel):
    client = ShopifyClient(_shop(channel.url))

    with pytest.raises(Transient, match="Shopify's answer was not JSON"):
        client.graphql("{ shop { name } }")


def test_a_signed_shopify_webhook_nested_too_deep_is_refused_as_not_an_order():
    connector = ShopifyConnector(_shop())
    signature = base64.b64encode(hmac.new(b"hush", DEEP, hashlib.sha256).digest()).decode()
    headers = {
        "x-shopify-hmac-sha256": signature,
        "x-shopify-shop-domain": "stockroom-test.myshopify.com",
        "x-shopify-webhook-id": "w-1",
        "x-shopify-topic": "orders/create",
    }

    with pytest.raises(WebhookRefused, match="the webhook's body is not an order"):
        connector.read_webhook(headers, DEEP)


def test_an_amazon_notification_nested_too_deep_is_kept_as_unreadable_with_why():
    body = DEEP.decode()

    push = order_push_from_sqs({"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": body})

    assert (push.problem, push.external_order_id, push.raw, push.receipt) == (
        "the message is JSON nested too deeply to read",
        "",
        body,
        "r-1",
    )


BAD_TOKEN_ANSWERS = [
    pytest.param(b"<html>maintenance</html>", id="not-json"),
    pytest.param(DEEP, id="nested-too-deep"),
    pytest.param(b'["v^1.1#t"]', id="not-an-object"),
    pytest.param(b'{"expires_in": 7200}', id="no-token"),
]


@pytest.mark.parametrize("body", BAD_TOKEN_ANSWERS)
def test_an_ebay_token_answer_without_a_token_is_a_transient_failure(channel, body):
    channel.token_body = body

    with pytest.raises(
        Transient,
        match="eBay's OAuth service answered the token request with something"
        if body != b'{"expires_in": 7200}'
        else "eBay answered without an access token",
    ):
        _ebay(channel).access_token()


@pytest.mark.parametrize(
    "body", [*BAD_TOKEN_ANSWERS, pytest.param(b'{"access_token": "t", "expires_in": "x"}', id="bad-lifetime")]
)
def test_a_shopify_token_answer_without_a_token_is_a_transient_failure(channel, body):
    channel.token_body = body
    config = _shop(channel.url, credentials={"client_id": "id", "client_secret": "hush"})

    with pytest.raises(Transient, match="Shopify answered the token request without an access token"):
        ShopifyClient(config).access_token(fresh=True)
