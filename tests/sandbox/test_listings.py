"""Listings Items API: get, patch (fulfillment_availability), search."""

import json

from tests.reference import sample as our_sample

from .conftest import SELLER, UK

ITEM = f"/listings/2021-08-01/items/{SELLER}/SKU-1"
MP = {"marketplaceIds": UK}


def _patch(api, quantity, *, op="merge", code="DEFAULT", sku="SKU-1", **params):
    body = {
        "productType": "PRODUCT",
        "patches": [
            {
                "op": op,
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": code, "quantity": quantity}],
            }
        ],
    }
    return api.patch(f"/listings/2021-08-01/items/{SELLER}/{sku}", params={**MP, **params}, json=body)


def test_get_listings_item(api, listing):
    resp = api.get(
        ITEM, params={**MP, "includedData": "summaries,attributes,fulfillmentAvailability,issues,offers"}
    )
    assert resp.status_code == 200
    item = resp.json()
    assert item["sku"] == "SKU-1"
    assert item["summaries"][0]["asin"] == "B000SIM0001"
    assert item["summaries"][0]["status"] == ["BUYABLE", "DISCOVERABLE"]
    assert item["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "DEFAULT", "quantity": 10}]
    assert item["attributes"]["fulfillment_availability"] == [
        {"fulfillment_channel_code": "DEFAULT", "quantity": 10}
    ]
    assert item["issues"] == []
    default = api.get(ITEM, params=MP).json()
    assert set(default) == {"sku", "summaries"}
    missing = api.get(f"/listings/2021-08-01/items/{SELLER}/NOPE", params=MP)
    assert missing.status_code == 404
    assert missing.json() == {
        "errors": [{"code": "NOT_FOUND", "message": f"SKU 'NOPE' not found in marketplace {UK}"}]
    }
    other_seller = api.get("/listings/2021-08-01/items/A2OTHER/SKU-1", params=MP)
    assert other_seller.status_code == 403
    no_mp = api.invalid("GET", ITEM)
    assert no_mp.status_code == 400
    assert no_mp.json()["errors"][0]["code"] == "BAD_REQUEST"


def test_patch_quantity_appears_after_a_delay(api, control, listing):
    sample = json.loads(our_sample("patchListingsItem.inventory-only.request.json").read_text())
    resp = api.patch(ITEM, params=MP, json=sample)
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ACCEPTED" and body["issues"] == [] and body["sku"] == "SKU-1"
    assert len(body["submissionId"]) == 32
    seen = control.get_listing(SELLER, "SKU-1")
    assert seen["quantity"] == 10 and seen["pending_quantity"] == 7
    assert (
        api.get(ITEM, params={**MP, "includedData": "fulfillmentAvailability"}).json()[
            "fulfillmentAvailability"
        ][0]["quantity"]
        == 10
    )
    control.advance_clock(121)
    assert (
        api.get(ITEM, params={**MP, "includedData": "fulfillmentAvailability"}).json()[
            "fulfillmentAvailability"
        ][0]["quantity"]
        == 7
    )
    seen = control.get_listing(SELLER, "SKU-1")
    assert seen["quantity"] == 7 and seen["pending_quantity"] is None
    assert seen["history"][-1] == {
        "at": seen["history"][-1]["at"],
        "quantity": 7,
        "previous": 10,
        "source": f"patch:{body['submissionId']}",
    }


def test_replace_and_delete(api, control, listing):
    assert _patch(api, 3, op="replace").json()["status"] == "ACCEPTED"
    control.advance_clock(121)
    assert control.get_listing(SELLER, "SKU-1")["quantity"] == 3
    body = {
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "delete",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT"}],
            }
        ],
    }
    assert api.patch(ITEM, params=MP, json=body).json()["status"] == "ACCEPTED"
    control.advance_clock(121)
    assert control.get_listing(SELLER, "SKU-1")["quantity"] == 0


def test_invalid_patches_answer_200_invalid(api, control, listing):
    resp = _patch(api, -1)
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "INVALID"
    assert body["issues"] == [
        {
            "code": "90000007",
            "message": "'quantity' must be an integer greater than or equal to 0.",
            "severity": "ERROR",
            "categories": ["INVALID_ATTRIBUTE"],
            "attributeNames": ["fulfillment_availability"],
            "marketplaceIds": [UK],
        }
    ]
    assert _patch(api, 5, code="AMAZON_EU").json()["status"] == "INVALID"
    assert _patch(api, 5, sku="NOPE").json()["issues"][0]["code"] == "4000003"
    assert control.get_listing(SELLER, "SKU-1")["pending_updates"] == []


def test_fba_listing_keeps_channels_apart(api, control, seller):
    control.create_listing(SELLER, "FBA-1", quantity=4, fulfillment_channel="AMAZON_EU")
    got = api.get(
        f"/listings/2021-08-01/items/{SELLER}/FBA-1", params={**MP, "includedData": "fulfillmentAvailability"}
    ).json()
    assert got["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "AMAZON_EU", "quantity": 4}]
    resp = _patch(api, 9, sku="FBA-1")
    assert resp.json()["status"] == "INVALID"
    assert "its 'DEFAULT' quantity cannot be set" in resp.json()["issues"][0]["message"]
    assert control.get_listing(SELLER, "FBA-1")["quantity"] == 4


def test_validation_preview_changes_nothing(api, control, listing):
    resp = _patch(api, 2, mode="VALIDATION_PREVIEW")
    assert resp.json()["status"] == "VALID"
    control.advance_clock(121)
    assert control.get_listing(SELLER, "SKU-1")["quantity"] == 10


def test_malformed_patch_body_is_400(api, listing):
    resp = api.invalid("PATCH", ITEM, params=MP, json={"patches": []})
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["code"] == "BAD_REQUEST"
    assert "productType is required." in resp.json()["errors"][0]["details"]


def test_search_listings_items(api, control, listing):
    control.create_listing(SELLER, "SKU-2", quantity=1, asin="B000SIM0002")
    control.create_listing(SELLER, "SKU-3", quantity=2, asin="B000SIM0003")
    resp = api.get(
        f"/listings/2021-08-01/items/{SELLER}",
        params={**MP, "sortBy": "sku", "sortOrder": "ASC", "pageSize": "2"},
    )
    body = resp.json()
    assert body["numberOfResults"] == 3
    assert [i["sku"] for i in body["items"]] == ["SKU-1", "SKU-2"]
    nxt = api.get(
        f"/listings/2021-08-01/items/{SELLER}", params={**MP, "pageToken": body["pagination"]["nextToken"]}
    ).json()
    assert [i["sku"] for i in nxt["items"]] == ["SKU-3"]
    by_asin = api.get(
        f"/listings/2021-08-01/items/{SELLER}",
        params={
            **MP,
            "identifiers": "B000SIM0002",
            "identifiersType": "ASIN",
            "includedData": "fulfillmentAvailability",
        },
    ).json()
    assert [i["sku"] for i in by_asin["items"]] == ["SKU-2"]
    assert by_asin["items"][0]["fulfillmentAvailability"][0]["quantity"] == 1
    bad = api.get(f"/listings/2021-08-01/items/{SELLER}", params={**MP, "pageSize": "21"})
    assert bad.status_code == 400
