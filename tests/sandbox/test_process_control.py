"""The launcher, CLI, persistence, running clock and the /_sim/ control API."""

import subprocess
import sys
import time

import pytest

from stockroom.sandbox.amazon.cli import build_parser, listening_socket, main
from stockroom.sandbox.amazon.process import SimulatorError, SimulatorProcess

from .conftest import HTTP, SELLER, UK, place


def test_cli_options_and_help():
    args = build_parser().parse_args(
        ["--port", "9000", "--state", "s.json", "--seed", "7", "--time-scale", "30"]
    )
    assert (args.port, args.host, args.state, args.seed, args.time_scale) == (
        9000,
        "127.0.0.1",
        "s.json",
        7,
        30.0,
    )
    out = subprocess.run(
        [sys.executable, "-m", "stockroom.sandbox.amazon", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--time-scale" in out.stdout and "--state FILE" in out.stdout
    assert main(["--time-scale", "0"]) == 2


def test_state_file_survives_a_restart(tmp_path):
    state = str(tmp_path / "sim.json")
    with SimulatorProcess(seed=3, time_scale=600, state_file=state) as sim:
        ctl = sim.control()
        ctl.create_seller("A1PERSIST", marketplaces=[UK])
        ctl.create_listing("A1PERSIST", "P-1", quantity=4)
        order = ctl.place_order(
            "A1PERSIST", marketplace_id=UK, items=[{"sku": "P-1", "quantity": 1, "unit_price": "1.00"}]
        )
        time.sleep(1.0)  # at time scale 600 the simulated clock runs ~10 minutes ahead of real time
        before = ctl.clock()["now"]
        ctl.close()
    with SimulatorProcess(seed=3, time_scale=600, state_file=state) as sim:
        ctl = sim.control()
        assert ctl.get_order("A1PERSIST", order["order_id"])["items"][0]["sku"] == "P-1"
        assert ctl.get_listing("A1PERSIST", "P-1")["quantity"] == 3
        assert ctl.clock()["now"] >= before  # the simulated clock continues, it does not jump back
        ctl.close()


def test_running_clock_follows_the_time_scale(control):
    from datetime import datetime

    def sim_time() -> float:
        return datetime.fromisoformat(
            HTTP.get(control.base_url + "/_sim/clock").json()["now"].replace("Z", "+00:00")
        ).timestamp()

    control.freeze_clock(False)
    t0 = time.monotonic()
    first = sim_time()
    t1 = time.monotonic()
    time.sleep(1.0)
    t2 = time.monotonic()
    second = sim_time()
    t3 = time.monotonic()
    # the simulated clock moved 60x the real time between the two reads (whole seconds: +-1 s rounding)
    assert 60 * (t2 - t1) - 1 <= second - first <= 60 * (t3 - t0) + 1
    assert control.clock()["frozen"] is False and control.clock()["time_scale"] == 60.0


def test_control_sellers_and_validation(control, seller):
    (listed,) = control.sellers()
    assert listed["seller_id"] == SELLER and listed["marketplaces"] == [UK, "A1PA6795UKMFR9"]
    with pytest.raises(SimulatorError) as exc:
        control.create_seller(SELLER)
    assert exc.value.status == 409
    with pytest.raises(SimulatorError) as exc:
        control.create_seller("A2BAD", region="NA", marketplaces=[UK])
    assert exc.value.status == 400
    with pytest.raises(SimulatorError) as exc:
        control.create_listing(SELLER, "X", fulfillment_channel="AMAZON_MOON")
    assert exc.value.status == 400


def test_orders_lower_stock_and_cannot_oversell(control, listing):
    with pytest.raises(SimulatorError) as exc:
        place(control, quantity=11)
    assert exc.value.status == 409
    order = place(control, quantity=10)
    assert control.get_listing(SELLER, "SKU-1")["quantity"] == 0
    assert order["order_id"] in [o["order_id"] for o in control.orders(SELLER)]
    assert order["status"] == "Unshipped" and len(order["order_item_ids"]) == 1


def test_bulk_orders(control, listing):
    control.set_listing_quantity(SELLER, "SKU-1", 1000)
    specs = [
        {
            "marketplace_id": UK,
            "items": [{"sku": "SKU-1", "quantity": 1, "unit_price": "3.50"}],
            "status": "Unshipped",
        }
    ] * 250
    placed = control.place_orders(SELLER, specs)
    assert len(placed) == 250 and len({p["order_id"] for p in placed}) == 250
    assert control.get_listing(SELLER, "SKU-1")["quantity"] == 750


def test_search_pages_through_bulk_orders(api, control, listing):
    control.set_listing_quantity(SELLER, "SKU-1", 1000)
    control.place_orders(
        SELLER,
        [{"marketplace_id": UK, "items": [{"sku": "SKU-1", "quantity": 1}], "status": "Unshipped"}] * 230,
    )
    control.advance_clock(150)
    seen, token, pages = [], None, 0
    while True:
        params = {"paginationToken": token} if token else {"createdAfter": "2020-01-01T00:00:00Z"}
        body = api.get("/orders/2026-01-01/orders", params=params).json()
        seen += [o["orderId"] for o in body["orders"]]
        pages += 1
        token = body.get("pagination", {}).get("nextToken")
        if not token:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 230


def test_buyer_info_operation(api, control, listing):
    order = place(control)
    path = f"/orders/v0/orders/{order['order_id']}/buyerInfo"
    assert api.get(path).status_code == 403
    got = api.get(path, token=api.rdt(path)).json()["payload"]
    assert got["BuyerName"] == "Test Buyer" and got["AmazonOrderId"] == order["order_id"]


def test_stats_count_calls_per_seller(api, control):
    api.get("/sellers/v1/account")
    api.get("/sellers/v1/account")
    assert control.stats()[SELLER]["getAccount"] == {"calls": 2, "throttled": 0, "faults": 0}
    control.reset()
    assert control.stats() == {}


def test_place_orders_already_shipped_or_cancelled(api, control, listing):
    shipped = place(control, status="SHIPPED", quantity=2)
    assert shipped["status"] == "Shipped"
    assert shipped["shipments"][0]["via"] == "control:place"
    assert shipped["shipments"][0]["items"] == [
        {"order_item_id": shipped["order_item_ids"][0], "quantity": 2}
    ]
    cancelled = place(control, status="Canceled")
    assert cancelled["status"] == "Canceled" and cancelled["cancellation"]["by"] == "buyer"
    assert control.get_listing(SELLER, "SKU-1")["quantity"] == 8  # 2 shipped, the cancelled one restored
    got = api.get(f"/orders/v0/orders/{shipped['order_id']}").json()["payload"]
    assert got["OrderStatus"] == "Shipped" and got["NumberOfItemsShipped"] == 2
    with pytest.raises(SimulatorError):
        place(control, status="Delivered")


def test_the_server_socket_sends_small_responses_at_once():
    # Nagle's algorithm off (inherited by accepted connections): with it on, every response on a
    # kept-alive connection waited 40 ms for the client's delayed ACK
    import socket

    sock = listening_socket("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        sock.listen()
        client = socket.create_connection(sock.getsockname())
        accepted, _ = sock.accept()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        accepted.close()
        client.close()
    finally:
        sock.close()
