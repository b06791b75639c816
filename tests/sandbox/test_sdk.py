"""Amazon's official Python SDK (amzn-sp-api) as an independent client of the simulator.

The SDK is pointed at the simulator by configuration only: ``SPAPIClient(config, oauth_endpoint=<base>/auth/o2/token,
endpoint=<base>)``. For restricted operations the SDK has no RDT support, so ``_RdtCache`` (an object with the same
``get_lwa_access_token()`` method as the SDK's AccessTokenCache) is set as the configuration's token cache.
"""

import json

import pytest

pytest.importorskip("spapi")

from spapi.api.feeds_v2021_06_30.feeds_api import FeedsApi  # noqa: E402
from spapi.api.listings_items_v2021_08_01.listings_api import ListingsApi  # noqa: E402
from spapi.api.orders_v0.orders_v0_api import OrdersV0Api  # noqa: E402
from spapi.api.orders_v2026_01_01.get_order_api import GetOrderApi  # noqa: E402
from spapi.api.orders_v2026_01_01.search_orders_api import SearchOrdersApi  # noqa: E402
from spapi.api.reports_v2021_06_30.reports_api import ReportsApi  # noqa: E402
from spapi.api.sellers_v1.sellers_api import SellersApi  # noqa: E402
from spapi.api.tokens_v2021_03_01.tokens_api import TokensApi  # noqa: E402
from spapi.api_client import ApiClient  # noqa: E402
from spapi.auth.credentials import SPAPIConfig  # noqa: E402
from spapi.client import SPAPIClient  # noqa: E402
from spapi.configuration import Configuration  # noqa: E402
from spapi.rest import ApiException  # noqa: E402

from .conftest import CLIENT_ID, CLIENT_SECRET, HTTP, REFRESH, SELLER, UK, place  # noqa: E402


@pytest.fixture()
def sdk(simulator, seller):
    config = SPAPIConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH, region="EU")
    client = SPAPIClient(
        config, oauth_endpoint=simulator.base_url + "/auth/o2/token", endpoint=simulator.base_url
    )
    return client.api_client


class _RdtCache:
    def __init__(self, token: str) -> None:
        self.token = token

    def get_lwa_access_token(self) -> str:
        return self.token


def _rdt_client(simulator, token: str) -> ApiClient:
    configuration = Configuration()
    configuration.host = simulator.base_url
    configuration.access_token_cache = _RdtCache(token)
    return ApiClient(configuration=configuration)


def test_sdk_sellers(sdk):
    participations = SellersApi(sdk).get_marketplace_participations()
    assert [p.marketplace.id for p in participations.payload] == [UK, "A1PA6795UKMFR9"]
    account = SellersApi(sdk).get_account()
    assert account.payload.selling_plan == "PROFESSIONAL"


def test_sdk_orders(sdk, simulator, control, listing):
    order = place(control, quantity=2)
    control.advance_clock(180)
    found = SearchOrdersApi(sdk).search_orders(
        created_after="2020-01-01T00:00:00Z",
        included_data=["BUYER", "FULFILLMENT", "PACKAGES"],
        marketplace_ids=[UK],
    )
    assert [o.order_id for o in found.orders] == [order["order_id"]]
    assert found.orders[0].fulfillment.fulfillment_status == "UNSHIPPED"
    got = GetOrderApi(sdk).get_order(order["order_id"], included_data=["RECIPIENT"])
    assert got.order.recipient.delivery_address.city == "Exampletown"
    v0 = OrdersV0Api(sdk)
    orders = v0.get_orders([UK], created_after="2020-01-01T00:00:00Z")
    assert orders.payload.orders[0].amazon_order_id == order["order_id"]
    assert v0.get_order(order["order_id"]).payload.order_status == "Unshipped"
    items = v0.get_order_items(order["order_id"]).payload.order_items
    assert items[0].seller_sku == "SKU-1" and items[0].quantity_ordered == 2
    with pytest.raises(ApiException) as exc:
        v0.get_order_address(order["order_id"])
    assert exc.value.status == 403
    rdt = TokensApi(sdk).create_restricted_data_token(
        {"restrictedResources": [{"method": "GET", "path": f"/orders/v0/orders/{order['order_id']}/address"}]}
    )
    address = OrdersV0Api(_rdt_client(simulator, rdt.restricted_data_token)).get_order_address(
        order["order_id"]
    )
    assert address.payload.shipping_address.address_line1 == "1 Example Street"
    v0.confirm_shipment(
        order["order_id"],
        {
            "marketplaceId": UK,
            "packageDetail": {
                "packageReferenceId": "1",
                "carrierCode": "DHL",
                "trackingNumber": "JD0001",
                "shipDate": "2026-11-20T15:04:05Z",
                "orderItems": [{"orderItemId": items[0].order_item_id, "quantity": 2}],
            },
        },
    )
    assert control.get_order(SELLER, order["order_id"])["status"] == "Shipped"
    with pytest.raises(ApiException) as exc:
        v0.confirm_shipment(
            order["order_id"],
            {
                "marketplaceId": UK,
                "packageDetail": {
                    "packageReferenceId": "2",
                    "carrierCode": "DHL",
                    "trackingNumber": "x",
                    "shipDate": "2026-11-20T15:04:05Z",
                    "orderItems": [{"orderItemId": items[0].order_item_id, "quantity": 1}],
                },
            },
        )
    assert exc.value.status == 400


def test_sdk_listings(sdk, control, listing):
    api = ListingsApi(sdk)
    item = api.get_listings_item(
        SELLER, "SKU-1", [UK], included_data=["summaries", "fulfillmentAvailability"]
    )
    assert item.fulfillment_availability[0].quantity == 10
    result = api.patch_listings_item(
        SELLER,
        "SKU-1",
        [UK],
        {
            "productType": "PRODUCT",
            "patches": [
                {
                    "op": "merge",
                    "path": "/attributes/fulfillment_availability",
                    "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 4}],
                }
            ],
        },
    )
    assert result.status == "ACCEPTED"
    control.advance_clock(121)
    found = api.search_listings_items(
        SELLER, [UK], identifiers=["SKU-1"], identifiers_type="SKU", included_data=["fulfillmentAvailability"]
    )
    assert found.number_of_results == 1
    assert found.items[0].fulfillment_availability[0].quantity == 4


def test_sdk_reports(sdk, control, listing):
    place(control)
    api = ReportsApi(sdk)
    created = api.create_report(
        {"reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", "marketplaceIds": [UK]}
    )
    control.advance_clock(61)
    report = api.get_report(created.report_id)
    assert report.processing_status == "DONE"
    listed = api.get_reports(report_types=["GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"])
    assert [r.report_id for r in listed.reports] == [created.report_id]
    document = api.get_report_document(report.report_document_id)
    assert HTTP.get(document.url).text.startswith("amazon-order-id\t")
    schedule = api.create_report_schedule(
        {"reportType": "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING", "marketplaceIds": [UK], "period": "P1D"}
    )
    schedules = api.get_report_schedules(["GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"])
    assert [s.report_schedule_id for s in schedules.report_schedules] == [schedule.report_schedule_id]
    assert api.get_report_schedule(schedule.report_schedule_id).period == "P1D"
    api.cancel_report_schedule(schedule.report_schedule_id)
    assert api.get_report_schedules(["GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"]).report_schedules == []


def test_sdk_feeds(sdk, control, listing):
    api = FeedsApi(sdk)
    doc = api.create_feed_document({"contentType": "application/json; charset=UTF-8"})
    message = {
        "messageId": 1,
        "sku": "SKU-1",
        "operationType": "PATCH",
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 2}],
            }
        ],
    }
    feed_body = json.dumps({"header": {"sellerId": SELLER, "version": "2.0"}, "messages": [message]})
    assert (
        HTTP.put(
            doc.url, content=feed_body.encode(), headers={"Content-Type": "application/json; charset=UTF-8"}
        ).status_code
        == 200
    )
    created = api.create_feed(
        {
            "feedType": "JSON_LISTINGS_FEED",
            "marketplaceIds": [UK],
            "inputFeedDocumentId": doc.feed_document_id,
        }
    )
    control.advance_clock(92)
    feed = api.get_feed(created.feed_id)
    assert feed.processing_status == "DONE"
    assert [f.feed_id for f in api.get_feeds(feed_types=["JSON_LISTINGS_FEED"]).feeds] == [created.feed_id]
    result = api.get_feed_document(feed.result_feed_document_id)
    assert '"messagesAccepted": 1' in HTTP.get(result.url).text
    control.advance_clock(121)
    assert control.get_listing(SELLER, "SKU-1")["quantity"] == 2


def test_sdk_sees_throttling(sdk, control):
    api = SellersApi(sdk)
    for _ in range(15):
        api.get_account()
    with pytest.raises(ApiException) as exc:
        api.get_account()
    assert exc.value.status == 429
