"""Reports API and the order report files."""

import csv
import gzip
import io

from lxml import etree

from stockroom.sandbox.amazon.reports import FLAT_ALL_ORDERS_COLUMNS
from tests.reference import sample as our_sample

from .conftest import HTTP, UK, place

REPORTS = "/reports/2021-06-30"


def _create(api, rtype, **extra):
    resp = api.post(f"{REPORTS}/reports", json={"reportType": rtype, "marketplaceIds": [UK], **extra})
    assert resp.status_code == 202, resp.text
    return resp.json()["reportId"]


def _done(api, control, report_id):
    control.advance_clock(61)
    report = api.get(f"{REPORTS}/reports/{report_id}").json()
    assert report["processingStatus"] == "DONE", report
    return report


def _download(api, report, token=None):
    doc = api.get(f"{REPORTS}/documents/{report['reportDocumentId']}", token=token)
    assert doc.status_code == 200, doc.text
    body = doc.json()
    data = HTTP.get(body["url"])
    assert data.status_code == 200
    return body, data


def test_report_lifecycle_and_all_orders_flat_file(api, control, listing):
    order = place(control, quantity=2)
    pending = place(control, status="Pending")
    report_id = _create(api, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL")
    first = api.get(f"{REPORTS}/reports/{report_id}").json()
    assert first["processingStatus"] == "IN_QUEUE"
    control.advance_clock(16)
    assert api.get(f"{REPORTS}/reports/{report_id}").json()["processingStatus"] == "IN_PROGRESS"
    report = _done(api, control, report_id)
    assert {"processingStartTime", "processingEndTime", "reportDocumentId"} <= set(report)
    body, data = _download(api, report)
    assert "compressionAlgorithm" not in body
    rows = list(csv.DictReader(io.StringIO(data.content.decode("utf-8")), delimiter="\t"))
    header = data.content.decode("utf-8").splitlines()[0].split("\t")
    # the simulator's own column list (test_tables.py checks it against the official one)
    assert header == FLAT_ALL_ORDERS_COLUMNS
    by_id = {r["amazon-order-id"]: r for r in rows}
    assert by_id[order["order_id"]]["order-status"] == "Unshipped"
    assert by_id[order["order_id"]]["item-price"] == "25.98"
    assert by_id[order["order_id"]]["fulfillment-channel"] == "Merchant"
    assert by_id[order["order_id"]]["sales-channel"] == "Amazon.co.uk"
    assert by_id[pending["order_id"]]["order-status"] == "Pending"
    assert by_id[pending["order_id"]]["item-price"] == ""  # no prices before payment, like Amazon's file


def test_shipping_report_needs_rdt_and_can_be_gzip(api, control, listing):
    control.configure(report_compression="GZIP")
    order = place(control)
    report = _done(api, control, _create(api, "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"))
    path = f"{REPORTS}/documents/{report['reportDocumentId']}"
    denied = api.get(path)
    assert denied.status_code == 403
    rdt = api.rdt("/reports/2021-06-30/documents/{reportDocumentId}")
    body, data = _download(api, report, token=rdt)
    assert body["compressionAlgorithm"] == "GZIP"
    text = gzip.decompress(data.content).decode("utf-8")
    lines = text.splitlines()
    assert lines[0].split("\t")[:6] == [
        "order-id",
        "order-item-id",
        "purchase-date",
        "payments-date",
        "buyer-email",
        "buyer-name",
    ]
    row = dict(zip(lines[0].split("\t"), lines[1].split("\t"), strict=True))
    assert row["order-id"] == order["order_id"]
    assert row["order-item-id"] == order["order_item_ids"][0]
    assert row["recipient-name"] == "Test Recipient"
    assert row["ship-address-1"] == "1 Example Street"
    assert row["ship-service-level"] == "Std UK Dom_1"


def test_japanese_flat_files_are_shift_jis(api, control):
    control.create_seller(
        "A1JPSELLER",
        region="FE",
        marketplaces=["A1VC38T7YXB528"],
        client_id="jp",
        client_secret="jps",
        refresh_token="Atzr|jp",
    )
    control.create_listing("A1JPSELLER", "JP-1", quantity=3, title="エコー ドット")
    control.place_order(
        "A1JPSELLER",
        marketplace_id="A1VC38T7YXB528",
        items=[{"sku": "JP-1", "quantity": 1, "unit_price": "5980"}],
        status="Unshipped",
        address={"city": "東京", "postal_code": "150-0002"},
    )
    from .conftest import get_token

    token = get_token(api.base_url, refresh="Atzr|jp", client_id="jp", secret="jps")
    resp = api.post(
        f"{REPORTS}/reports",
        json={
            "reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
            "marketplaceIds": ["A1VC38T7YXB528"],
        },
        token=token,
    )
    control.advance_clock(61)
    report = api.get(f"{REPORTS}/reports/{resp.json()['reportId']}", token=token).json()
    body, data = _download(api, report, token=token)
    assert "Shift_JIS" in data.headers["content-type"]
    text = data.content.decode("cp932")
    assert "エコー ドット" in text and "東京" in text
    assert "\t5980\t" in text


def test_xml_all_orders_report(api, control, listing):
    order = place(control)
    report = _done(api, control, _create(api, "GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"))
    _body, data = _download(api, report)
    assert data.content.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>")
    root = etree.fromstring(data.content)
    assert root.findtext("MessageType") == "AllOrdersReport"
    sample = etree.parse(
        str(our_sample("GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL.example.xml"))
    ).getroot()
    ours = root.find("Message/Order")
    theirs = sample.find("Message/Order")
    assert [c.tag for c in ours] == [c.tag for c in theirs]
    assert ours.findtext("AmazonOrderID") == order["order_id"]
    assert ours.findtext("OrderItem/SKU") == "SKU-1"


def test_scheduled_xml_order_report_and_schedule_replacement(api, control, listing):
    resp = api.post(
        f"{REPORTS}/schedules",
        json={"reportType": "GET_ORDER_REPORT_DATA_SHIPPING", "marketplaceIds": [UK], "period": "PT15M"},
    )
    assert resp.status_code == 201
    first_id = resp.json()["reportScheduleId"]
    order = place(control)
    control.advance_clock(901)  # the schedule fires
    control.advance_clock(61)  # and the report is processed
    reports = api.get(f"{REPORTS}/reports", params={"reportTypes": "GET_ORDER_REPORT_DATA_SHIPPING"}).json()[
        "reports"
    ]
    assert len(reports) == 1 and reports[0]["reportScheduleId"] == first_id
    assert reports[0]["processingStatus"] == "DONE"
    rdt = api.rdt("/reports/2021-06-30/documents/{reportDocumentId}")
    _body, data = _download(api, reports[0], token=rdt)
    root = etree.fromstring(data.content)
    assert root.findtext("MessageType") == "OrderReport"
    assert root.findtext("Message/OrderReport/AmazonOrderID") == order["order_id"]
    assert root.findtext("Message/OrderReport/Item/AmazonOrderItemCode") == order["order_item_ids"][0]
    assert root.findtext("Message/OrderReport/FulfillmentData/Address/AddressFieldOne") == "1 Example Street"
    # scheduling the flat shipping report replaces the XML one (one of the pair at a time)
    resp = api.post(
        f"{REPORTS}/schedules",
        json={
            "reportType": "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING",
            "marketplaceIds": [UK],
            "period": "PT1H",
        },
    )
    second_id = resp.json()["reportScheduleId"]
    got = api.get(
        f"{REPORTS}/schedules",
        params={"reportTypes": "GET_ORDER_REPORT_DATA_SHIPPING,GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"},
    ).json()
    assert [s["reportScheduleId"] for s in got["reportSchedules"]] == [second_id]
    assert got["reportSchedules"][0]["period"] == "PT1H"
    assert api.get(f"{REPORTS}/schedules/{first_id}").status_code == 404
    assert api.delete(f"{REPORTS}/schedules/{second_id}").status_code == 200
    assert api.get(
        f"{REPORTS}/schedules", params={"reportTypes": "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING"}
    ).json() == {"reportSchedules": []}


def test_report_without_data_is_cancelled(api, control, listing):
    report_id = _create(api, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL")
    control.advance_clock(61)
    report = api.get(f"{REPORTS}/reports/{report_id}").json()
    assert report["processingStatus"] == "CANCELLED"
    assert "reportDocumentId" not in report


def test_create_report_validation(api, control, listing):
    resp = api.post(
        f"{REPORTS}/reports", json={"reportType": "GET_ORDER_REPORT_DATA_SHIPPING", "marketplaceIds": [UK]}
    )
    assert resp.status_code == 400
    assert (
        resp.json()["errors"][0]["details"]
        == "Report type GET_ORDER_REPORT_DATA_SHIPPING can only be scheduled (createReportSchedule)."
    )
    resp = api.invalid(
        "POST",
        f"{REPORTS}/reports",
        json={"reportType": "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING", "marketplaceIds": []},
    )
    assert resp.status_code == 400
    resp = api.post(
        f"{REPORTS}/reports",
        json={"reportType": "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING", "marketplaceIds": ["ATVPDKIKX0DER"]},
    )
    assert resp.status_code == 400
    assert api.get(f"{REPORTS}/reports/123").status_code == 404


def test_get_reports_filters_and_pages(api, control, listing):
    place(control)
    ids = [_create(api, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL") for _ in range(3)]
    control.advance_clock(1)
    page = api.get(
        f"{REPORTS}/reports",
        params={"reportTypes": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", "pageSize": "2"},
    ).json()
    assert len(page["reports"]) == 2
    rest = api.get(f"{REPORTS}/reports", params={"nextToken": page["nextToken"]}).json()
    assert sorted(r["reportId"] for r in page["reports"] + rest["reports"]) == sorted(ids)
    assert "nextToken" not in rest
    assert api.get(f"{REPORTS}/reports").status_code == 400
    done = api.get(
        f"{REPORTS}/reports",
        params={
            "reportTypes": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
            "processingStatuses": "DONE",
        },
    ).json()
    assert done["reports"] == []


def test_cancel_report_in_queue(api, control, listing):
    report_id = _create(api, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL")
    assert api.delete(f"{REPORTS}/reports/{report_id}").status_code == 200
    assert api.get(f"{REPORTS}/reports/{report_id}").json()["processingStatus"] == "CANCELLED"
    assert api.delete(f"{REPORTS}/reports/{report_id}").status_code == 400


def test_document_urls_expire(api, control, listing):
    place(control)
    report = _done(api, control, _create(api, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"))
    url = api.get(f"{REPORTS}/documents/{report['reportDocumentId']}").json()["url"]
    assert HTTP.get(url).status_code == 200
    control.advance_clock(301)
    expired = HTTP.get(url)
    assert expired.status_code == 403
    assert b"<Code>AccessDenied</Code><Message>Request has expired</Message>" in expired.content
    forged = HTTP.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
    assert forged.status_code == 403
