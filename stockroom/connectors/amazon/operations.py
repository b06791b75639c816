"""One function per SP-API operation the connector uses: build the request, parse the answer.

Every call goes through ``SpApiClient.call`` (auth, pacing, retries, typed errors); nothing here
knows about the sync engine.
"""

from __future__ import annotations

from collections.abc import Sequence

from stockroom.channels.contracts import Permanent, Transient

from . import schemas
from .client import SpApiClient

ORDER_INCLUDED_DATA = ("BUYER", "RECIPIENT", "PROCEEDS", "FULFILLMENT")


def get_marketplace_participations(client: SpApiClient) -> schemas.ParticipationsResponse:
    return schemas.ParticipationsResponse.model_validate(
        client.call("getMarketplaceParticipations").data or {}
    )


def search_orders(
    client: SpApiClient,
    *,
    marketplace_ids: Sequence[str],
    last_updated_after: str | None = None,
    last_updated_before: str | None = None,
    pagination_token: str | None = None,
    max_results: int = 100,
) -> schemas.SearchOrdersResponse:
    """Orders API 2026-01-01 ``searchOrders``; order items come inline, so no per-order call is needed."""
    if pagination_token:
        params = {"paginationToken": pagination_token}
    else:
        params = {
            "lastUpdatedAfter": last_updated_after,
            "lastUpdatedBefore": last_updated_before,
            "marketplaceIds": list(marketplace_ids),
            "includedData": list(ORDER_INCLUDED_DATA),
            "maxResultsPerPage": max_results,
        }
    return schemas.SearchOrdersResponse.model_validate(client.call("searchOrders", params=params).data or {})


def confirm_shipment(client: SpApiClient, order_id: str, body: dict) -> None:
    """Orders v0 ``confirmShipment``: 204 No Content on success."""
    client.call("confirmShipment", path_params={"orderId": order_id}, json_body=body)


# ---------------------------------------------------------------------------------------------- reports
def get_reports(
    client: SpApiClient,
    *,
    report_types: Sequence[str] | None = None,
    created_since: str | None = None,
    marketplace_ids: Sequence[str] = (),
    statuses: Sequence[str] = (),
    next_token: str | None = None,
) -> schemas.ReportsResponse:
    if next_token:
        params: dict = {"nextToken": next_token}
    else:
        params = {
            "reportTypes": list(report_types or ()),
            "createdSince": created_since,
            "marketplaceIds": list(marketplace_ids) or None,
            "processingStatuses": list(statuses) or None,
            "pageSize": 100,
        }
    return schemas.ReportsResponse.model_validate(client.call("getReports", params=params).data or {})


def get_report_schedules(client: SpApiClient, report_type: str) -> list[schemas.ReportSchedule]:
    data = client.call("getReportSchedules", params={"reportTypes": [report_type]}).data or {}
    return schemas.ReportSchedulesResponse.model_validate(data).report_schedules


def create_report_schedule(
    client: SpApiClient, *, report_type: str, marketplace_ids: Sequence[str], period: str
) -> str:
    """Creates the schedule; Amazon replaces an existing schedule of the same type and marketplaces."""
    data = client.call(
        "createReportSchedule",
        json_body={"reportType": report_type, "marketplaceIds": list(marketplace_ids), "period": period},
    ).data
    return str((data or {}).get("reportScheduleId", ""))


def create_restricted_data_token(client: SpApiClient, paths: Sequence[str]) -> str:
    """A Restricted Data Token for GET on ``paths`` (report documents with buyer data)."""
    data = client.call(
        "createRestrictedDataToken",
        json_body={"restrictedResources": [{"method": "GET", "path": p} for p in paths]},
    ).data
    token = (data or {}).get("restrictedDataToken")
    if not token:
        raise Transient("createRestrictedDataToken answered without a token")
    return token


def get_report_document(
    client: SpApiClient, document_id: str, *, rdt: str | None = None, max_wait: float | None = None
) -> schemas.Document:
    data = client.call(
        "getReportDocument",
        path_params={"reportDocumentId": document_id},
        access_token=rdt,
        max_wait=max_wait,
    ).data
    return schemas.Document.model_validate(data or {})


# ---------------------------------------------------------------------------------------------- feeds
def create_feed_document(client: SpApiClient, content_type: str) -> schemas.Document:
    data = client.call("createFeedDocument", json_body={"contentType": content_type}).data
    return schemas.Document.model_validate(data or {})


def create_feed(
    client: SpApiClient, *, feed_type: str, marketplace_ids: Sequence[str], document_id: str
) -> str:
    data = client.call(
        "createFeed",
        json_body={
            "feedType": feed_type,
            "marketplaceIds": list(marketplace_ids),
            "inputFeedDocumentId": document_id,
        },
    ).data
    return str((data or {}).get("feedId", ""))


def get_feed(client: SpApiClient, feed_id: str) -> schemas.Feed:
    return schemas.Feed.model_validate(client.call("getFeed", path_params={"feedId": feed_id}).data or {})


def get_feed_document(client: SpApiClient, document_id: str) -> schemas.Document:
    data = client.call("getFeedDocument", path_params={"feedDocumentId": document_id}).data
    return schemas.Document.model_validate(data or {})


# ---------------------------------------------------------------------------------------------- listings
def patch_listings_item(
    client: SpApiClient, *, seller_id: str, sku: str, marketplace_ids: Sequence[str], body: dict
) -> dict:
    return (
        client.call(
            "patchListingsItem",
            path_params={"sellerId": seller_id, "sku": sku},
            params={"marketplaceIds": list(marketplace_ids)},
            json_body=body,
        ).data
        or {}
    )


def search_listings_items(
    client: SpApiClient,
    *,
    seller_id: str,
    marketplace_ids: Sequence[str],
    page_token: str | None = None,
    page_size: int = 20,
) -> schemas.ListingsSearchResponse:
    params = {
        "marketplaceIds": list(marketplace_ids),
        "includedData": ["summaries", "fulfillmentAvailability"],
        "pageSize": page_size,
        "pageToken": page_token,
    }
    data = client.call("searchListingsItems", path_params={"sellerId": seller_id}, params=params).data
    return schemas.ListingsSearchResponse.model_validate(data or {})


def get_order(client: SpApiClient, order_id: str) -> dict:
    """Orders API 2026-01-01 ``getOrder`` with the datasets ``searchOrders`` asks for: the raw order."""
    data = client.call(
        "getOrder", path_params={"orderId": order_id}, params={"includedData": list(ORDER_INCLUDED_DATA)}
    ).data
    order = (data or {}).get("order") if isinstance(data, dict) else None
    if not isinstance(order, dict):
        raise Transient(f"getOrder answered without the order {order_id}", body=str(data)[:2000])
    return order


# ---------------------------------------------------------------------------------------------- notifications
# Destinations and deleteSubscriptionById are grantless: call them with a client made with
# ``grantless_scope=NOTIFICATIONS_SCOPE``; the subscription operations with the seller's client.
ORDER_CHANGE = "ORDER_CHANGE"


def get_destinations(grantless: SpApiClient) -> list[dict]:
    data = grantless.call("getDestinations").data or {}
    return list(data.get("payload") or [])


def create_destination(grantless: SpApiClient, *, name: str, arn: str) -> dict:
    body = {"name": name, "resourceSpecification": {"sqs": {"arn": arn}}}
    return (grantless.call("createDestination", json_body=body).data or {}).get("payload") or {}


def delete_destination(grantless: SpApiClient, destination_id: str) -> None:
    grantless.call("deleteDestination", path_params={"destinationId": destination_id})


def get_subscription(client: SpApiClient, notification_type: str = ORDER_CHANGE) -> dict | None:
    """The seller's subscription to ``notification_type``, or None (404)."""
    try:
        data = client.call("getSubscription", path_params={"notificationType": notification_type}).data
    except Permanent as error:
        if error.status == 404:
            return None
        raise
    return (data or {}).get("payload") or None


def create_subscription(
    client: SpApiClient, *, destination_id: str, notification_type: str = ORDER_CHANGE
) -> dict:
    data = client.call(
        "createSubscription",
        path_params={"notificationType": notification_type},
        json_body={"payloadVersion": "1.0", "destinationId": destination_id},
    ).data
    return (data or {}).get("payload") or {}


def delete_subscription_by_id(
    grantless: SpApiClient, subscription_id: str, notification_type: str = ORDER_CHANGE
) -> None:
    grantless.call(
        "deleteSubscriptionById",
        path_params={"notificationType": notification_type, "subscriptionId": subscription_id},
    )
