"""The side-by-side benchmark (bench/scenarios/sidebyside.py): its stream, its measures, and a run at size
tiny through the command a user types. No timing is asserted."""

from bench.scenarios import sidebyside
from bench.scenarios.propagation import Listing
from tests.bench.test_bench_smoke import run_tiny

SIZE = {"skus": 10, "scarce": 3, "seconds": 60, "every": 2.0}


def test_the_stream_is_the_same_for_every_client_and_has_scarce_skus():
    skus, start, sales = sidebyside.make_stream(SIZE)
    assert sidebyside.make_stream(SIZE) == (skus, start, sales)  # one fixed seed: the same stream
    assert sidebyside.make_stream(SIZE, seed=16) != (skus, start, sales)
    assert skus == [f"SBS-{n:04d}" for n in range(10)]
    assert [start[sku] for sku in skus[:3]] == [2, 2, 2]
    assert all(40 <= start[sku] <= 60 for sku in skus[3:])
    assert len(sales) == 30
    assert [sale.at for sale in sales] == sorted(sale.at for sale in sales)
    assert all(0 <= sale.at < 60 for sale in sales)
    assert {sale.account for sale in sales} <= set(sidebyside.ACCOUNTS)
    for sale in sales:
        assert 1 <= len(sale.lines) <= 3
        assert len({sku for sku, _ in sale.lines}) == len(sale.lines)
        assert all(units in (1, 2) for _, units in sale.lines)


class FakeShops:
    """What the simulators recorded, given: two SKUs on the four accounts."""

    def __init__(self) -> None:
        self.calls_made = {"amazon": (10, 0), "ebay": (2, 0), "shopify": (3, 0)}

    def sales(self):
        return [
            (100.0, "A-1", "SCARCE", 1, "Amazon A"),
            (101.0, "B-1", "SCARCE", 1, "Amazon B"),
            (102.0, "E-1", "SCARCE", 1, "eBay"),  # a third unit of two: oversold by one
            (103.0, "S-1", "PLENTY", 1, "Shopify"),
        ]

    def timelines(self, start):
        return {
            # Amazon A's listing came down to 1 at 110 (shows), to 0 at 130
            "Amazon A": {
                "SCARCE": Listing(2, [(110.0, 1), (130.0, 0)], []),
                "PLENTY": Listing(50, [(104.0, 49)], []),
            },
            "Amazon B": {"SCARCE": Listing(2, [(150.0, 0)], []), "PLENTY": Listing(50, [(108.0, 49)], [])},
            "eBay": {
                "SCARCE": Listing(2, [(120.0, 0)], [(120.0, 0)]),
                "PLENTY": Listing(50, [(106.0, 49)], []),
            },
            "Shopify": {"SCARCE": Listing(2, [(105.0, 0)], [(105.0, 0)]), "PLENTY": Listing(50, [], [])},
        }

    def calls(self):
        return {"amazon": (14, 1), "ebay": (7, 0), "shopify": (3, 0)}


def test_measure_counts_oversold_units_propagation_and_calls_from_the_simulators_records():
    outcome = sidebyside.Outcome()
    sidebyside.measure(FakeShops(), {"SCARCE": 2, "PLENTY": 50}, FakeShops().calls_made, outcome)
    assert (outcome.oversold, outcome.oversold_orders) == (1, 1)
    # A-1 (1 left): Amazon B shows 1 at 150, eBay 0 at 120, Shopify 0 at 105: the slowest is 50 s;
    # B-1 (0 left): Amazon A 0 at 130, eBay 120, Shopify 105: 29 s; E-1 (0 left, oversold): 150 - 102;
    # S-1 (49 left): Amazon A at 104, eBay at 106, Amazon B at 108: 5 s
    assert outcome.kinds == {"propagated": 4}
    assert outcome.visible == [50.0, 29.0, 48.0, 5.0]
    assert outcome.applied == outcome.visible  # no Amazon submission in the records: taken when shown
    assert outcome.never == []
    assert outcome.calls == {"amazon": 4, "ebay": 5, "shopify": 0}
    assert outcome.throttled == {"amazon": 1, "ebay": 0, "shopify": 0}


def test_the_scenario_runs_at_size_tiny_and_reports_every_client(tmp_path):
    report, _, _ = run_tiny(tmp_path, "--scenario", "sidebyside")
    [result] = report["results"]
    assert result["scenario"] == "sidebyside" and "error" not in result, result
    clients = ["Stockroom", "Linnworks-like", "Sellbrite-like", "Odoo/ERPNext-like"]
    assert [row["client"] for row in result["sidebyside"]] == clients
    _, _, sales = sidebyside.make_stream(sidebyside.SIZES["tiny"])
    metrics = {m["name"]: m for m in result["metrics"]}
    for row in result["sidebyside"]:
        # every client was given the whole stream: each order placed or refused
        assert row["orders_placed"] + row["orders_refused"] == len(sales)
        assert set(row["api_calls"]) == {"amazon", "ebay", "shopify"}
        name = row["client"]
        assert metrics[f"{name}: oversold units"]["value"] == row["oversold_units"] >= 0
        assert metrics[f"{name}: API calls"]["value"] == sum(row["api_calls"].values()) > 0
        assert isinstance(metrics[f"{name}: 429 answers"]["value"], int)
        if name != "Stockroom":
            # one sync after the stream's end at least: the drain of one interval
            assert row["full_syncs"] >= 1
            assert f"{name}: API calls / Stockroom's" in metrics
    assert metrics["Stockroom: oversold units"]["target"] == "0"


class Clock:
    def __init__(self) -> None:
        self.waited: list[float] = []

    def advance(self, seconds: float) -> None:
        self.waited.append(seconds)


def test_a_full_sync_step_waits_out_throttling_on_the_simulators_clock_then_gives_up():
    from stockroom.channels.contracts import RateLimited

    answers = [RateLimited("throttled"), RateLimited("throttled", retry_after=45.0), None]

    def step(calls: list) -> None:
        calls.append(1)
        answer = answers.pop(0)
        if answer is not None:
            raise answer

    calls, clock = [], Clock()
    assert sidebyside.patiently(clock, step, calls) == (2, True)
    assert calls == [1, 1, 1] and clock.waited == [30.0, 45.0]

    def throttled() -> None:
        raise RateLimited("throttled")

    clock = Clock()
    assert sidebyside.patiently(clock, throttled) == (5, False)
    assert clock.waited == [30.0] * 5
