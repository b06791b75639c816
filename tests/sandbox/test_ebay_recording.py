"""The eBay simulator's record of what it serves (``--record FILE``) and the end-of-session check of every
recorded exchange against eBay's OAS (tests/conftest.py ``simulators``; the checks themselves need the
official contracts and are conformance tests)."""

from __future__ import annotations

import json

import httpx
import pytest

from stockroom.connectors.ebay.client import USER_AGENT
from stockroom.sandbox.common.record import read_records
from stockroom.sandbox.ebay import tables
from stockroom.sandbox.ebay.process import EbaySimulatorProcess

from .ebay_conformance import check_recordings
from .test_ebay_simulator import access_token

ITEM = {
    "availability": {"shipToLocationAvailability": {"quantity": 4}},
    "condition": "NEW",
    "product": {"title": "Red mug"},
}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A simulator of its own recording to a file: a Stockroom-like call, a good call and a bad one of a
    test, a refused token. Returns the file."""
    path = tmp_path_factory.mktemp("record") / "ebay.jsonl"
    with EbaySimulatorProcess(record_file=str(path)) as simulator, simulator.control() as sim:
        seller = sim.create_seller("rec_seller")
        token = access_token(simulator, seller)
        items = tables.INVENTORY_BASE + "/inventory_item"
        with httpx.Client(base_url=simulator.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
            api.put(
                f"{items}/MUG", json=ITEM, headers={"Content-Language": "en-GB", "User-Agent": USER_AGENT}
            )
            api.get(f"{items}/MUG")
            api.put(f"{items}/BAD", json={"condition": 7})  # refused: no Content-Language
            api.get(f"{items}/MUG", headers={"Authorization": "Bearer nope"})
    return path


def test_each_sell_call_is_recorded_with_its_request_and_answer(recorded):
    entries = read_records(str(recorded))
    assert [(e["operation"], e["method"], e["path"], e["status"]) for e in entries] == [
        ("createOrReplaceInventoryItem", "PUT", "/sell/inventory/v1/inventory_item/MUG", 204),
        ("getInventoryItem", "GET", "/sell/inventory/v1/inventory_item/MUG", 200),
        ("createOrReplaceInventoryItem", "PUT", "/sell/inventory/v1/inventory_item/BAD", 400),
        ("getInventoryItem", "GET", "/sell/inventory/v1/inventory_item/MUG", 401),
    ]
    first, second, bad, refused = entries
    assert json.loads(first["request_body"]) == ITEM
    assert first["request_headers"]["content-language"] == "en-GB"
    assert "content-language" not in bad["request_headers"]
    assert first["request_headers"]["user-agent"] == USER_AGENT
    assert json.loads(second["response_body"])["sku"] == "MUG"
    assert second["response_headers"]["content-language"] == "en-US"
    assert json.loads(refused["response_body"])["errors"][0]["errorId"] == 1001
    assert bad["request_body"] == '{"condition":7}'


def test_the_simulator_records_nothing_without_the_option():
    assert "--record" not in EbaySimulatorProcess().command(1)
    assert EbaySimulatorProcess(record_file="x.jsonl").command(1)[-2:] == ["--record", "x.jsonl"]


@pytest.mark.conformance
def test_conforming_exchanges_and_a_tests_refused_bad_request_pass_the_check(recorded):
    assert check_recordings([recorded]) == (4, [])


@pytest.mark.conformance
def test_a_nonconforming_answer_or_request_of_stockroom_is_named(recorded, tmp_path):
    first, second, bad, _ = read_records(str(recorded))
    answer = json.loads(second["response_body"])
    second["response_body"] = json.dumps({**answer, "colour": "red"})
    bad["request_headers"]["user-agent"] = USER_AGENT  # Stockroom sent the bad body: its request is checked
    path = tmp_path / "tampered.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in (first, second, bad)), encoding="utf-8")
    checked, violations = check_recordings([path])
    assert checked == 3
    assert len(violations) == 2
    assert violations[0].startswith(
        "getInventoryItem GET /sell/inventory/v1/inventory_item/MUG (a test) -> 200: "
    )
    assert "'colour' was unexpected" in violations[0]
    assert violations[1].startswith(
        "createOrReplaceInventoryItem PUT /sell/inventory/v1/inventory_item/BAD (Stockroom) -> 400: "
    )
    assert "7 is not of type 'string'" in violations[1]


def test_the_plugin_records_only_with_a_record_dir_and_only_simulators_that_can(tmp_path):
    from stockroom.sandbox.amazon.process import SimulatorProcess as AmazonProcess
    from stockroom.sandbox.pytest_plugin import Simulators

    running = Simulators(tmp_path)
    try:
        ebay = running.get("ebay", time_scale=60)
        assert ebay.record_file == str(tmp_path / "ebay-60-1.jsonl")
        assert running.recordings() == {"ebay": [tmp_path / "ebay-60-1.jsonl"]}
        assert (tmp_path / "ebay-60-1.jsonl").read_text() == ""  # nothing served yet
        assert not getattr(AmazonProcess, "records_exchanges", False)
    finally:
        running.stop_all()
    assert Simulators().recordings() == {}
