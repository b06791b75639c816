"""Feeds API: documents, JSON_LISTINGS_FEED, fulfillment feeds (XML and flat file), removed feed types."""

import json
from datetime import datetime, timedelta

from lxml import etree

from tests.reference import sample as our_sample

from .conformance import check_official_schema
from .conftest import HTTP, SELLER, UK, place, sim_now

FEEDS = "/feeds/2021-06-30"


def _submit(api, feed_type, content: bytes, content_type: str) -> str:
    doc = api.post(f"{FEEDS}/documents", json={"contentType": content_type})
    assert doc.status_code == 201, doc.text
    up = HTTP.put(doc.json()["url"], content=content, headers={"Content-Type": content_type})
    assert up.status_code == 200, up.text
    resp = api.post(
        f"{FEEDS}/feeds",
        json={
            "feedType": feed_type,
            "marketplaceIds": [UK],
            "inputFeedDocumentId": doc.json()["feedDocumentId"],
        },
    )
    assert resp.status_code == 202, resp.text
    return resp.json()["feedId"]


def _finish(api, control, feed_id):
    assert api.get(f"{FEEDS}/feeds/{feed_id}").json()["processingStatus"] == "IN_QUEUE"
    control.advance_clock(31)
    assert api.get(f"{FEEDS}/feeds/{feed_id}").json()["processingStatus"] == "IN_PROGRESS"
    control.advance_clock(61)
    return api.get(f"{FEEDS}/feeds/{feed_id}").json()


def _result(api, feed) -> bytes:
    doc = api.get(f"{FEEDS}/documents/{feed['resultFeedDocumentId']}")
    assert doc.status_code == 200
    return HTTP.get(doc.json()["url"]).content


def _listings_feed(messages):
    return json.dumps(
        {"header": {"sellerId": SELLER, "version": "2.0", "issueLocale": "en_GB"}, "messages": messages}
    ).encode()


def _qty_message(mid, sku, qty, code="DEFAULT"):
    return {
        "messageId": mid,
        "sku": sku,
        "operationType": "PATCH",
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "merge",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": code, "quantity": qty}],
            }
        ],
    }


def test_json_listings_feed_processing_report(api, control, listing):
    control.create_listing(SELLER, "FBA-1", quantity=4, fulfillment_channel="AMAZON_EU")
    messages = [
        _qty_message(1, "SKU-1", 7),
        _qty_message(2, "NOPE", 1),
        _qty_message(3, "FBA-1", 9),
        {
            "messageId": 4,
            "sku": "SKU-1",
            "operationType": "PATCH",
            "productType": "PRODUCT",
        },  # no patches: schema error
    ]
    feed_id = _submit(api, "JSON_LISTINGS_FEED", _listings_feed(messages), "application/json; charset=UTF-8")
    feed = _finish(api, control, feed_id)
    assert feed["processingStatus"] == "DONE"
    report = json.loads(_result(api, feed))
    check_official_schema("schemas/feeds/listings-feed-processing-report-schema-v2.json", report)
    assert report["header"] == {"sellerId": SELLER, "version": "2.0", "feedId": feed_id}
    assert report["summary"] == {
        "errors": 3,
        "warnings": 0,
        "messagesProcessed": 4,
        "messagesAccepted": 1,
        "messagesInvalid": 3,
    }
    assert [(i["messageId"], i["code"]) for i in report["issues"]] == [
        (2, "4000003"),
        (3, "90000006"),
        (4, "4000001"),
    ]
    # accepted quantity shows after the listing delay, with the feed as its source
    assert control.get_listing(SELLER, "SKU-1")["pending_quantity"] == 7
    control.advance_clock(121)
    seen = control.get_listing(SELLER, "SKU-1")
    assert seen["quantity"] == 7
    assert seen["history"][-1]["source"] == f"feed:{feed_id}"
    assert control.get_listing(SELLER, "FBA-1")["quantity"] == 4
    # the control API shows the raw document
    (ours,) = control.feeds(SELLER)
    assert json.loads(ours["document"])["messages"][0]["sku"] == "SKU-1"
    assert ours["status"] == "DONE" and ours["feed_type"] == "JSON_LISTINGS_FEED"


def test_a_feed_quantity_shows_at_processing_end_plus_the_delay_whenever_the_next_request_comes(
    api, control, listing
):
    feed_id = _submit(
        api, "JSON_LISTINGS_FEED", _listings_feed([_qty_message(1, "SKU-1", 7)]), "application/json"
    )
    submitted = datetime.fromisoformat(sim_now(control))
    # queue (30 s) + processing (60 s) + propagation (120 s) in one jump: no request in between
    control.advance_clock(30 + 60 + 120)
    seen = control.get_listing(SELLER, "SKU-1")
    assert (seen["quantity"], seen["pending_quantity"], seen["pending_updates"]) == (7, None, [])
    feed = api.get(f"{FEEDS}/feeds/{feed_id}").json()
    end = datetime.fromisoformat(feed["processingEndTime"])
    assert end == submitted + timedelta(seconds=90)
    assert seen["history"][-1] == {
        "at": (end + timedelta(seconds=120)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quantity": 7,
        "previous": 10,
        "source": f"feed:{feed_id}",
    }


def test_synthetic_sample_feed_is_accepted(api, control, seller):
    sample = json.loads(our_sample("JSON_LISTINGS_FEED.inventory-only.example.json").read_text())
    sample["header"]["sellerId"] = SELLER
    for msg in sample["messages"]:
        control.create_listing(SELLER, msg["sku"], quantity=1)
    feed = _finish(
        api, control, _submit(api, "JSON_LISTINGS_FEED", json.dumps(sample).encode(), "application/json")
    )
    report = json.loads(_result(api, feed))
    assert report["summary"]["messagesAccepted"] == 2 and report["issues"] == []


def test_invalid_json_feed_is_fatal(api, control, listing):
    feed = _finish(api, control, _submit(api, "JSON_LISTINGS_FEED", b"{not json", "application/json"))
    assert feed["processingStatus"] == "FATAL"
    report = json.loads(_result(api, feed))
    assert report["summary"]["messagesProcessed"] == 0
    assert report["issues"][0]["severity"] == "ERROR"
    wrong_seller = _listings_feed([_qty_message(1, "SKU-1", 1)]).replace(SELLER.encode(), b"A9OTHER")
    feed = _finish(api, control, _submit(api, "JSON_LISTINGS_FEED", wrong_seller, "application/json"))
    assert feed["processingStatus"] == "FATAL"


def test_removed_feed_type_ends_fatal(api, control, listing):
    feed = _finish(
        api, control, _submit(api, "POST_INVENTORY_AVAILABILITY_DATA", b"<AmazonEnvelope/>", "text/xml")
    )
    assert feed["processingStatus"] == "FATAL"
    assert "resultFeedDocumentId" not in feed
    unknown = api.post(
        f"{FEEDS}/feeds",
        json={"feedType": "POST_SOMETHING", "marketplaceIds": [UK], "inputFeedDocumentId": "x"},
    )
    assert unknown.status_code == 400


def _fulfillment_xml(order, second_order_id):
    sample = our_sample("POST_ORDER_FULFILLMENT_DATA.example.xml").read_bytes()
    return (
        sample.replace(b"026-0000001-0000001", order["order_id"].encode())
        .replace(b"00000000000001", order["order_item_ids"][0].encode())
        .replace(b"026-0000002-0000002", second_order_id.encode())
        .replace(b"A1EXAMPLESELLER", SELLER.encode())
    )


def test_xml_fulfillment_feed_confirms_shipments(api, control, listing):
    first = place(control, quantity=1)
    second = place(control, quantity=2)
    content = _fulfillment_xml(first, "202-9999999-9999999")
    feed_id = _submit(api, "POST_ORDER_FULFILLMENT_DATA", content, "text/xml; charset=UTF-8")
    feed = _finish(api, control, feed_id)
    assert feed["processingStatus"] == "DONE"
    root = etree.fromstring(_result(api, feed))
    assert root.findtext("MessageType") == "ProcessingReport"
    rep = root.find("Message/ProcessingReport")
    assert rep.findtext("DocumentTransactionID") == feed_id
    assert rep.findtext("StatusCode") == "Complete"
    summary = {c.tag: c.text for c in rep.find("ProcessingSummary")}
    assert summary == {
        "MessagesProcessed": "2",
        "MessagesSuccessful": "1",
        "MessagesWithError": "1",
        "MessagesWithWarning": "0",
    }
    (result,) = rep.findall("Result")
    assert result.findtext("MessageID") == "2"
    assert result.findtext("ResultMessageCode") == "18028"
    assert result.findtext("AdditionalInfo/AmazonOrderID") == "202-9999999-9999999"
    seen = control.get_order(SELLER, first["order_id"])
    assert seen["status"] == "Shipped"
    (shipment,) = seen["shipments"]
    assert (shipment["carrier_code"], shipment["tracking_number"], shipment["shipping_method"]) == (
        "Royal Mail",
        "XX000000000GB",
        "Tracked 48",
    )
    assert shipment["via"] == f"feed:POST_ORDER_FULFILLMENT_DATA:{feed_id}"
    assert shipment["ship_date"] == "2026-11-20T15:04:05Z"
    # a message without Item elements ships the whole order
    content = _fulfillment_xml(first, second["order_id"])
    feed = _finish(api, control, _submit(api, "POST_ORDER_FULFILLMENT_DATA", content, "text/xml"))
    root = etree.fromstring(_result(api, feed))
    results = root.findall("Message/ProcessingReport/Result")
    assert [r.findtext("MessageID") for r in results] == ["1"]  # first order is already shipped
    assert "exceeds the unshipped quantity" in results[0].findtext("ResultDescription")
    shipped = control.get_order(SELLER, second["order_id"])
    assert shipped["status"] == "Shipped"
    assert shipped["shipments"][0]["carrier_name"] == "Example Local Courier"
    assert shipped["shipments"][0]["items"] == [{"order_item_id": second["order_item_ids"][0], "quantity": 2}]


def test_flat_file_fulfillment_feed(api, control, listing):
    first = place(control, quantity=1)
    second = place(control, quantity=2)
    sample = our_sample("POST_FLAT_FILE_FULFILLMENT_DATA.example.tsv").read_text()
    text = (
        sample.replace("026-0000001-0000001", first["order_id"])
        .replace("00000000000001", first["order_item_ids"][0])
        .replace("026-0000002-0000002", second["order_id"])
        .replace("00000000000002", second["order_item_ids"][0])
    )
    text += f"{second['order_id']}\t{second['order_item_ids'][0]}\t1\t2026-11-20\tRoyal Mayl\t\tT9\t\n"
    feed = _finish(
        api,
        control,
        _submit(
            api, "POST_FLAT_FILE_FULFILLMENT_DATA", text.encode(), "text/tab-separated-values; charset=UTF-8"
        ),
    )
    assert feed["processingStatus"] == "DONE"
    report = _result(api, feed).decode()
    assert "Number of records processed\t\t3" in report
    assert "Number of records successful\t\t2" in report
    assert f"3\t{second['order_id']}\t{second['order_item_ids'][0]}\t18123\tError\t" in report
    assert control.get_order(SELLER, first["order_id"])["status"] == "Shipped"
    other = control.get_order(SELLER, second["order_id"])
    assert other["status"] == "Shipped"
    assert other["shipments"][0]["carrier_code"] == "Other"
    assert other["shipments"][0]["carrier_name"] == "Example Local Courier"


def test_upload_must_use_the_declared_content_type(api, control, listing):
    doc = api.post(f"{FEEDS}/documents", json={"contentType": "application/json; charset=UTF-8"}).json()
    bad = HTTP.put(doc["url"], content=b"{}", headers={"Content-Type": "text/plain"})
    assert bad.status_code == 403
    assert b"SignatureDoesNotMatch" in bad.content
    control.advance_clock(301)
    late = HTTP.put(doc["url"], content=b"{}", headers={"Content-Type": "application/json; charset=UTF-8"})
    assert late.status_code == 403
    assert b"Request has expired" in late.content


def test_get_feeds_and_cancel(api, control, listing):
    ids = [
        _submit(api, "JSON_LISTINGS_FEED", _listings_feed([_qty_message(1, "SKU-1", n)]), "application/json")
        for n in (1, 2)
    ]
    got = api.get(
        f"{FEEDS}/feeds", params={"feedTypes": "JSON_LISTINGS_FEED", "processingStatuses": "IN_QUEUE"}
    ).json()
    assert sorted(f["feedId"] for f in got["feeds"]) == sorted(ids)
    assert api.delete(f"{FEEDS}/feeds/{ids[0]}").status_code == 200
    assert api.get(f"{FEEDS}/feeds/{ids[0]}").json()["processingStatus"] == "CANCELLED"
    assert api.get(f"{FEEDS}/feeds").status_code == 400
    assert api.get(f"{FEEDS}/feeds/1").status_code == 404


def test_result_document_faults(api, control, listing):
    feed = _finish(
        api,
        control,
        _submit(api, "JSON_LISTINGS_FEED", _listings_feed([_qty_message(1, "SKU-1", 1)]), "application/json"),
    )
    url = api.get(f"{FEEDS}/documents/{feed['resultFeedDocumentId']}").json()["url"]
    whole = HTTP.get(url).content
    control.set_fault("downloadFeedDocument", "http_503", count=1)
    control.set_fault("downloadFeedDocument", "truncated_document", count=1)
    assert HTTP.get(url).status_code == 503
    cut = HTTP.get(url).content
    assert cut == whole[: len(whole) // 2]
    assert HTTP.get(url).content == whole
    assert control.stats()[SELLER]["downloadFeedDocument"]["faults"] == 2
