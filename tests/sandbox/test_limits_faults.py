"""Rate limits, injected faults, stats, concurrency."""

import gzip
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.reference import sample as our_sample

from .conftest import HTTP, SELLER, UK, place


def test_token_bucket_burst_then_429(api, control):
    codes = [api.get("/sellers/v1/account").status_code for _ in range(16)]
    assert codes == [200] * 15 + [429]  # getAccount: burst 15
    throttled = api.get("/sellers/v1/account")
    expected = json.loads(our_sample("error.429.QuotaExceeded.response.json").read_text())
    assert throttled.json() == expected
    assert throttled.headers["x-amzn-RateLimit-Limit"] == "0.016"
    assert throttled.headers["x-amzn-RequestId"]
    control.advance_clock(62)  # rate 0.016/s: one token needs 62.5 s
    assert api.get("/sellers/v1/account").status_code == 429
    control.advance_clock(1)
    assert api.get("/sellers/v1/account").status_code == 200
    stats = control.stats()[SELLER]["getAccount"]
    assert stats == {"calls": 19, "throttled": 3, "faults": 0}


def test_with_rate_limits_off_nothing_is_throttled_and_the_header_says_so(api, control):
    control.configure(rate_limits_enabled=False)

    answers = [api.get("/sellers/v1/account") for _ in range(20)]

    assert [a.status_code for a in answers] == [200] * 20
    assert answers[-1].headers["x-amzn-RateLimit-Limit"] == "1000"
    assert control.stats()[SELLER]["getAccount"] == {"calls": 20, "throttled": 0, "faults": 0}


def test_buckets_are_per_operation(api, control):
    for _ in range(15):
        api.get("/sellers/v1/account")
    assert api.get("/sellers/v1/account").status_code == 429
    assert api.get("/sellers/v1/marketplaceParticipations").status_code == 200


def test_http_faults_for_the_next_n_calls(api, control):
    control.set_fault("getAccount", "http_503", count=2)
    first, second, third = (api.get("/sellers/v1/account") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert first.headers["content-type"].startswith("text/html")
    assert b"503 Service Temporarily Unavailable" in first.content
    assert first.headers["x-amzn-RequestId"]
    control.set_fault("*", "http_500", count=1)
    assert api.get("/sellers/v1/marketplaceParticipations").status_code == 500
    stats = control.stats()[SELLER]
    assert stats["getAccount"]["faults"] == 2
    assert stats["getMarketplaceParticipations"]["faults"] == 1


def test_an_injected_429_is_amazons_quota_answer_while_the_bucket_still_has_tokens(api, control):
    control.set_fault("getAccount", "http_429", count=1)

    throttled, after = api.get("/sellers/v1/account"), api.get("/sellers/v1/account")

    assert (throttled.status_code, after.status_code) == (429, 200)
    assert throttled.json() == json.loads(our_sample("error.429.QuotaExceeded.response.json").read_text())
    assert throttled.headers["x-amzn-RateLimit-Limit"] == "0.016"
    assert control.stats()[SELLER]["getAccount"] == {"calls": 2, "throttled": 0, "faults": 1}


def test_probabilistic_faults_are_deterministic_under_the_seed(api, control, simulator):
    def pattern():
        control.set_fault("getReport", "http_500", probability=0.5)
        return [api.get("/reports/2021-06-30/reports/1").status_code for _ in range(12)]

    first = pattern()
    assert set(first) == {404, 500}
    control.reset(seed=1)
    control.freeze_clock()
    control.create_seller(SELLER, marketplaces=[UK], client_id="c", client_secret="s", refresh_token="r")
    from .conftest import get_token

    api.client.headers["x-amz-access-token"] = get_token(
        simulator.base_url, refresh="r", client_id="c", secret="s"
    )
    assert pattern() == first


def test_slow_and_timeout_faults(api, control):
    control.set_fault("getAccount", "slow", count=1, delay_seconds=0.3)
    resp = api.get("/sellers/v1/account")
    assert resp.status_code == 200
    assert resp.elapsed.total_seconds() >= 0.3
    control.set_fault("getAccount", "timeout", count=1, delay_seconds=2)
    with pytest.raises(httpx.ReadTimeout):
        api.client.get("/sellers/v1/account", timeout=0.5)
    assert api.get("/sellers/v1/account").status_code == 200


def _report_url(api, control):
    place(control)
    rid = api.post(
        "/reports/2021-06-30/reports",
        json={"reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", "marketplaceIds": [UK]},
    ).json()["reportId"]
    control.advance_clock(61)
    doc_id = api.get(f"/reports/2021-06-30/reports/{rid}").json()["reportDocumentId"]
    return api.get(f"/reports/2021-06-30/documents/{doc_id}").json()


def test_truncated_document(api, control, listing):
    doc = _report_url(api, control)
    whole = HTTP.get(doc["url"]).content
    control.set_fault("downloadReportDocument", "truncated_document", count=1)
    cut = HTTP.get(doc["url"]).content
    assert whole.startswith(cut) and len(cut) == len(whole) // 2
    assert HTTP.get(doc["url"]).content == whole


def test_false_gzip_document(api, control, listing):
    control.configure(report_compression="GZIP")
    doc = _report_url(api, control)
    assert doc["compressionAlgorithm"] == "GZIP"
    control.set_fault("downloadReportDocument", "false_gzip", count=1)
    data = HTTP.get(doc["url"]).content
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(data)
    assert data.startswith(b"amazon-order-id\t")


def test_fatal_fault_on_create_report(api, control, listing):
    place(control)
    control.set_fault("createReport", "fatal", count=1)
    rid = api.post(
        "/reports/2021-06-30/reports",
        json={"reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", "marketplaceIds": [UK]},
    ).json()["reportId"]
    control.advance_clock(61)
    assert api.get(f"/reports/2021-06-30/reports/{rid}").json()["processingStatus"] == "FATAL"


def test_concurrent_confirmations_never_over_ship(api, control, listing):
    order = place(control, quantity=5)
    item = order["order_item_ids"][0]

    def confirm(n):
        body = {
            "marketplaceId": UK,
            "packageDetail": {
                "packageReferenceId": str(n + 1),
                "carrierCode": "DPD",
                "trackingNumber": f"T{n}",
                "shipDate": "2026-11-20T10:00:00Z",
                "orderItems": [{"orderItemId": item, "quantity": 1}],
            },
        }
        return api.client.post(
            f"/orders/v0/orders/{order['order_id']}/shipmentConfirmation", json=body
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(confirm, range(8)))
    assert sorted(codes) == [204] * 5 + [400] * 3
    seen = control.get_order(SELLER, order["order_id"])
    assert seen["status"] == "Shipped" and len(seen["shipments"]) == 5


def test_fault_validation(control):
    from stockroom.sandbox.amazon.process import SimulatorError

    with pytest.raises(SimulatorError) as exc:
        control.set_fault("noSuchOperation", "http_500")
    assert exc.value.status == 400
