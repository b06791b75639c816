"""The simulators' common base (stockroom/sandbox/common) serves a channel that is not Amazon as it is."""

import pytest

from stockroom.sandbox.common.clock import SimClock
from stockroom.sandbox.common.errors import ControlError, StateFileError
from stockroom.sandbox.common.store import BaseStore


class ToyStore(BaseStore):
    """A made-up channel: parcels that arrive after a delay, one rate-limited operation."""

    FAULT_KINDS = BaseStore.FAULT_KINDS | {"lost_parcel"}
    SPECIAL_FAULT_KINDS = frozenset({"lost_parcel"})

    def new_state(self, seed: int) -> dict:
        return super().new_state(seed) | {"parcels": {}, "arrived": []}

    def send(self, parcel: str, delay: float) -> None:
        self.s["parcels"][parcel] = {"due": self.now() + delay}
        self._schedule(self.now() + delay, "parcel", parcel)

    def apply_event(self, kind: str, key: str, due: float, now: float) -> None:
        self.s["arrived"].append((kind, key, due - self.s["parcels"][key]["due"]))
        del self.s["parcels"][key]

    def rebuild_events(self) -> None:
        for parcel, data in self.s["parcels"].items():
            self._schedule(data["due"], "parcel", parcel)

    def check_state(self, path: str, state: dict) -> None:
        if "parcels" not in state:
            raise StateFileError(f"{path}: not a toy state")

    def fault_operations(self) -> set[str]:
        return {"sendParcel"}

    def rate_limit(self, operation: str) -> tuple[float, int]:
        return 0.5, 2  # one request every 2 simulated seconds, bursts of 2


def _store() -> ToyStore:
    store = ToyStore(seed=3, clock=SimClock(1.0, start=1_800_000_000.0))
    store.clock.freeze()  # after reset(), which sets the clock running again
    return store


def test_events_apply_in_due_order_on_the_simulated_clock():
    store = _store()
    store.send("late", 10)
    store.send("early", 5)
    store.clock.advance(7)
    store.tick()
    assert store.s["arrived"] == [("parcel", "early", 0.0)]
    store.clock.advance(3)
    store.tick()
    assert store.s["arrived"] == [("parcel", "early", 0.0), ("parcel", "late", 0.0)]


def test_a_saved_state_reloads_with_its_pending_events_and_refuses_a_foreign_file(tmp_path):
    store = _store()
    store.send("p1", 30)
    path = str(tmp_path / "toy.json")
    store.save(path)
    again = _store()
    again.load(path)
    again.clock.advance(31)
    again.tick()
    assert again.s["arrived"] == [("parcel", "p1", 0.0)]
    (tmp_path / "other.json").write_text('{"state": {"seed": 1}}')
    with pytest.raises(StateFileError, match="not a toy state"):
        again.load(str(tmp_path / "other.json"))


def test_token_buckets_refill_on_the_simulated_clock_per_account():
    store = _store()
    assert [store.take_token("A", "sendParcel") for _ in range(3)] == [True, True, False]
    assert store.take_token("B", "sendParcel") is True
    store.clock.advance(2)
    assert [store.take_token("A", "sendParcel") for _ in range(2)] == [True, False]
    store.settings["rate_limits_enabled"] = False
    assert store.take_token("A", "sendParcel") is True


def test_faults_are_drawn_by_count_and_special_kinds_only_where_asked():
    store = _store()
    store.add_fault({"operation": "sendParcel", "kind": "http_503", "count": 2})
    store.add_fault({"operation": "*", "kind": "lost_parcel"})
    assert [store.take_fault("sendParcel", "A")["kind"] for _ in range(2)] == ["http_503", "http_503"]
    assert store.take_fault("sendParcel", "A") is None  # lost_parcel only where asked for
    assert store.take_fault("sendParcel", "A", kinds=("lost_parcel",))["kind"] == "lost_parcel"
    with pytest.raises(ControlError, match="unknown operation 'placeOrder'"):
        store.add_fault({"operation": "placeOrder", "kind": "http_500"})
    with pytest.raises(ControlError, match="kind must be one of"):
        store.add_fault({"operation": "sendParcel", "kind": "fatal"})


def test_a_reset_clock_is_the_wall_clock_again_however_long_it_stood_frozen(monkeypatch):
    from stockroom.sandbox.common import clock as clock_module

    wall = {"time": 1_800_000_000.0, "monotonic": 50.0}
    monkeypatch.setattr(clock_module.time, "time", lambda: wall["time"])
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: wall["monotonic"])
    clock = SimClock(1.0)
    clock.freeze()
    clock.advance(30)
    wall["time"] += 13.0
    wall["monotonic"] += 13.0
    assert clock.now() == 1_800_000_030.0  # frozen: only advance() moved it

    clock.reset_offset()

    assert clock.now() == 1_800_000_013.0  # the wall clock, not 13 s behind it
    wall["monotonic"] += 2.0
    assert clock.now() == 1_800_000_015.0
