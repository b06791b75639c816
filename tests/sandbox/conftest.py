"""Fixtures of the simulator's own tests: the shared Amazon simulator (stockroom/sandbox/pytest_plugin.py) at
time scale 60 with its clock frozen, so that tests move time only with ``advance_clock`` and never depend
on machine speed; a seller, its listing and an SP-API client whose requests and responses are checked
(conformance.py)."""

from __future__ import annotations

import httpx
import pytest

from stockroom.sandbox.amazon.process import SimulatorProcess
from stockroom.sandbox.pytest_plugin import SimulatorOptions

from .conformance import check_request, check_response

UK = "A1F83G8C2ARO7P"
DE = "A1PA6795UKMFR9"
SELLER = "A1SIMSELLER"
CLIENT_ID = "amzn1.application-oa2-client.sim"
CLIENT_SECRET = "sim-secret"
REFRESH = "Atzr|sim-refresh"
TIME_SCALE = 60.0


@pytest.fixture
def simulator_options() -> SimulatorOptions:
    # test_process_control.py checks the running clock (it unfreezes it)
    return SimulatorOptions(seed=1, time_scale=TIME_SCALE, frozen=True)


@pytest.fixture
def simulator(amazon_simulator) -> SimulatorProcess:
    return amazon_simulator


@pytest.fixture()
def seller(control) -> dict:
    return control.create_seller(
        SELLER,
        region="EU",
        marketplaces=[UK, DE],
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH,
        name="Sim Shop",
    )


HTTP = httpx.Client(timeout=30)  # one client: creating httpx clients is slow (TLS context)


def get_token(
    base_url: str, refresh: str = REFRESH, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET
) -> str:
    resp = HTTP.post(
        base_url + "/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


class Api:
    """httpx client for the SP-API routes; every response is checked against the official models."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token
        self.validate_requests = True
        self.client = httpx.Client(
            base_url=base_url,
            headers={"x-amz-access-token": token},
            timeout=30,
            event_hooks={"request": [self._req], "response": [self._resp]},
        )

    def _req(self, request: httpx.Request) -> None:
        if self.validate_requests:
            check_request(request)

    def _resp(self, response: httpx.Response) -> None:
        response.read()
        check_response(response)

    def request(self, method: str, path: str, *, token: str | None = None, **kw) -> httpx.Response:
        if token is not None:
            kw.setdefault("headers", {})["x-amz-access-token"] = token
        return self.client.request(method, path, **kw)

    def get(self, path: str, **kw) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw) -> httpx.Response:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw) -> httpx.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    def invalid(self, method: str, path: str, **kw) -> httpx.Response:
        """Send a request that deliberately violates the model (the response is still checked)."""
        self.validate_requests = False
        try:
            return self.request(method, path, **kw)
        finally:
            self.validate_requests = True

    def rdt(self, path: str, elements: list[str] | None = None) -> str:
        res = {"method": "GET", "path": path}
        if elements:
            res["dataElements"] = elements
        resp = self.post("/tokens/2021-03-01/restrictedDataToken", json={"restrictedResources": [res]})
        assert resp.status_code == 200, resp.text
        return resp.json()["restrictedDataToken"]


@pytest.fixture(scope="session")
def _api_session():
    client = Api("", "")
    yield client
    client.client.close()


@pytest.fixture()
def api(_api_session, simulator, seller) -> Api:
    _api_session.base_url = _api_session.client.base_url = simulator.base_url
    _api_session.token = get_token(simulator.base_url)
    _api_session.client.headers["x-amz-access-token"] = _api_session.token
    _api_session.validate_requests = True
    return _api_session


@pytest.fixture()
def listing(control, seller) -> dict:
    return control.create_listing(SELLER, "SKU-1", quantity=10, asin="B000SIM0001", title="Example Widget")


ADDRESS = {
    "name": "Test Recipient",
    "address_line1": "1 Example Street",
    "city": "Exampletown",
    "state_or_region": "Exampleshire",
    "postal_code": "EX1 1AA",
    "country_code": "GB",
    "phone": "+44 1632 960000",
}


def place(control, *, quantity: int = 1, sku: str = "SKU-1", status: str = "Unshipped", **extra) -> dict:
    return control.place_order(
        SELLER,
        marketplace_id=extra.pop("marketplace_id", UK),
        items=extra.pop("items", None) or [{"sku": sku, "quantity": quantity, "unit_price": "12.99"}],
        buyer_name="Test Buyer",
        address=ADDRESS,
        status=status,
        **extra,
    )


def sim_now(control) -> str:
    return control.clock()["now"]
