"""Browser test infrastructure: a live Stockroom server, Debian's Chromium through Playwright.

How to use (for every browser journey, including the Amazon-account ones):

- Mark the module ``pytestmark = pytest.mark.browser``. Without /usr/bin/chromium the tests are
  skipped with the reason, except under ``CI=true`` where that is a failure. No browser is ever
  downloaded: Playwright launches ``/usr/bin/chromium`` through ``executable_path``.
- ``live_server`` (pytest-django) serves Stockroom on 127.0.0.1 in a thread of the test process,
  against the test database; every browser test gets ``transactional_db`` so the server thread
  sees what the test wrote (works the same on SQLite and PostgreSQL). Static files are served too.
- ``page``: a fresh browser context logged in as ``browser_user`` (an Administrator; override the
  ``browser_user`` fixture in a module to test as warehouse staff). Its ``dialogs`` attribute
  lists every JavaScript dialog that fired (they are dismissed); ``console_errors`` lists console
  errors (CSP violations appear there).
- ``anonymous_page``: the same, not logged in. ``url(path)`` builds a live-server URL.
- ``screen(page, "name")`` saves a screenshot to ``test-artifacts/screens/name.png``.
- On a failure the page's screenshot is saved to ``test-artifacts/screenshots/<test>.png``.

ORM calls from the test body run beside Playwright's event loop, so this module sets
``DJANGO_ALLOW_ASYNC_UNSAFE`` (the test thread is synchronous; only Playwright's loop is async).
"""

import itertools
import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client

from stockroom.sandbox.pytest_plugin import SimulatorOptions
from stockroom.web.permissions import ADMINISTRATOR

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BROWSER_PASSWORD = "browser password 1"
VIEWPORT = {"width": 1280, "height": 800}


def _chromium_missing() -> str:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and shutil.which(CHROMIUM) is None:
        return f"{CHROMIUM} is not installed (Debian package 'chromium')"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[dev]')"
    return ""


def pytest_collection_modifyitems(config, items):
    reason = _chromium_missing()
    for item in items:
        if item.get_closest_marker("browser") is None:
            continue
        item.add_marker(pytest.mark.django_db(transaction=True))
        if reason and os.environ.get("CI") != "true":  # under CI the ``browser`` fixture fails instead
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    reason = _chromium_missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and browser tests cannot run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def url(live_server):
    def make(path: str = "/") -> str:
        return live_server.url + path

    return make


@pytest.fixture
def browser_user(transactional_db, make_user):
    return make_user("browser", role=ADMINISTRATOR, password=BROWSER_PASSWORD)


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:150]


def _new_page(browser, request):
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.dialogs = []
    page.console_errors = []

    def on_dialog(dialog):
        page.dialogs.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    return context, page


def _finish(context, page, request):
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        target = ARTIFACTS / "screenshots" / f"{_safe_name(request.node.nodeid)}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(target), full_page=True)
        except Exception as error:  # the page may be gone; the test failure matters more
            print(f"could not save failure screenshot {target}: {error}")
    context.close()


@pytest.fixture
def anonymous_page(browser, live_server, request):
    context, page = _new_page(browser, request)
    yield page
    _finish(context, page, request)


@pytest.fixture
def page(browser, live_server, browser_user, request):
    """A page logged in as ``browser_user`` (session cookie made by Django's test client)."""
    client = Client()
    client.force_login(browser_user)
    context, page = _new_page(browser, request)
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    yield page
    _finish(context, page, request)


@pytest.fixture
def screen():
    def save(page, name: str) -> Path:
        target = ARTIFACTS / "screens" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)
        return target

    return save


# --- Amazon journeys: the SP-API simulator behind the live server ------------------------------------
#
# ``amazon_simulator`` (the simulators' pytest plugin, stockroom/sandbox/pytest_plugin.py) runs
# ``stockroom.sandbox.amazon`` in a subprocess for the session at time scale 60 (Amazon's two-minute
# order delay and listing propagation take seconds); ``amazon_sim`` is its control API, reset before
# each test. ``amazon_account(name)`` makes a simulated seller and a
# Stockroom account pointing at it (endpoint and token URL overrides), with stock updates on, a
# first-run order window of the last hour and the shipping method "Royal Mail 48" mapped.

UK_MARKETPLACE = "A1F83G8C2ARO7P"
SIM_TIME_SCALE = 60.0
_sim_sellers = itertools.count(1)


@pytest.fixture
def simulator_options():
    """``amazon_simulator`` and ``amazon_sim`` come from the simulators' pytest plugin."""
    return SimulatorOptions(seed=5, time_scale=SIM_TIME_SCALE)


@pytest.fixture
def amazon_seller(amazon_sim):
    def make(prefix: str = "JOURNEY") -> dict:
        return amazon_sim.create_seller(
            f"A{next(_sim_sellers):03d}{prefix}"[:14], region="EU", marketplaces=[UK_MARKETPLACE]
        )

    return make


@pytest.fixture
def amazon_account(amazon_simulator, amazon_seller):
    from stockroom.channels.models import ChannelAccount, ShippingMethodMapping

    def make(name: str, *, mapped: bool = True, **options) -> ChannelAccount:
        seller = amazon_seller()
        since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        account = ChannelAccount.objects.create(
            channel="amazon",
            name=name,
            external_account_id=seller["seller_id"],
            region="eu",
            marketplaces=["UK"],
            options={"inventory_update": True, "download_orders_since": since, **options},
            credentials={key: seller[key] for key in ("client_id", "client_secret", "refresh_token")},
            endpoint=amazon_simulator.base_url,
            token_url=amazon_simulator.token_url,
        )
        if mapped:
            ShippingMethodMapping.objects.create(
                account=account,
                shipping_method="Royal Mail 48",
                carrier_code="Royal Mail",
                ship_method="Tracked 48",
            )
        return account

    return make


@pytest.fixture
def sync_worker(monkeypatch):
    """A stand-in for the Huey worker: the Synchronise button's ``sync_account_task`` runs in a
    background thread of the test process (tasks are otherwise run in-process by the request), so
    the page shows the run while it is still going. Threads are joined when the test ends."""
    import threading

    from django.db import connections

    from stockroom.sync import tasks

    threads: list[threading.Thread] = []
    real = tasks.sync_account_task

    def run(*args, **kwargs):
        try:
            real.call_local(*args, **kwargs)
        finally:
            connections.close_all()

    def enqueue(*args, **kwargs):
        thread = threading.Thread(target=run, args=args, kwargs=kwargs, daemon=True)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(tasks, "sync_account_task", enqueue)
    yield threads
    for thread in threads:
        thread.join(timeout=120)
