"""The `stockroom sync` command and the per-account lease (database and Redis)."""

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from stockroom.sync.locks import DatabaseLease, LeaseLost, RedisLease
from stockroom.sync.models import SyncRun
from tests.conftest import channel_order
from tests.sync.concurrency import runs_that_worked

REPO = Path(__file__).resolve().parents[2]


def redis_url_or_skip() -> str:
    url = os.environ.get("STOCKROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no Redis at {url}")
    return url


# --- CLI ---------------------------------------------------------------------------------------------------


def test_cli_prints_a_line_per_account(fake_account, channel, make_item, link, capsys):
    account = fake_account("Shop A")
    channel(account).add_order(channel_order("CLI-1", lines=(("CH-C", 1),)))
    link(account, "CH-C", make_item(on_hand=3))

    call_command("sync")

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Shop A: synchronising ...",
        "Shop A: OK: 1 order(s) downloaded (1 new), 0 confirmation(s) sent, 1 stock update(s) sent, 0 error(s)",
    ]
    assert SyncRun.objects.get().trigger == "cli"


def test_cli_ends_by_pushing_an_earlier_account_whose_listing_a_later_accounts_sale_changed(
    fake_account, channel, make_item, link, capsys, settings
):
    settings.STOCKROOM_SYNC_HOOKS_ENABLED = False  # no worker
    first, second = fake_account("Shop A"), fake_account("Shop B")
    item = make_item(on_hand=3)
    link(first, "CH-A", item)
    link(second, "CH-B", item)
    channel(second).add_order(channel_order("CLI-2", lines=(("CH-B", 1),)))

    call_command("sync")

    assert capsys.readouterr().out.splitlines() == [
        "Shop A: synchronising ...",
        "Shop B: synchronising ...",
        "Shop A: OK: 0 order(s) downloaded (0 new), 0 confirmation(s) sent, 1 stock update(s) sent, 0 error(s)",
        "Shop B: OK: 1 order(s) downloaded (1 new), 0 confirmation(s) sent, 1 stock update(s) sent, 0 error(s)",
        "Shop A: OK: 1 stock update(s) sent after later accounts' orders, 0 error(s)",
    ]
    assert [(u.channel_sku, u.quantity) for u in channel(first).updates] == [("CH-A", 3), ("CH-A", 2)]
    assert [(u.channel_sku, u.quantity) for u in channel(second).updates] == [("CH-B", 2)]


def test_cli_json_and_non_zero_exit_when_an_account_failed(fake_account, make_account, channel, capsys):
    make_account("Broken", channel="nowhere")
    good = fake_account("Good")
    channel(good).add_order(channel_order("CLI-2"))

    with pytest.raises(SystemExit) as exit_:
        call_command("sync", "--json")

    assert exit_.value.code == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert [(r["account"], r["status"], r["orders_new"]) for r in data] == [
        ("Broken", "failed", 0),
        ("Good", "ok", 1),
    ]
    assert captured.err.strip() == "synchronisation failed for: Broken"


def test_cli_one_account_by_name_and_unknown_name(fake_account, channel, capsys):
    fake_account("Alpha")
    beta = fake_account("Beta")
    channel(beta).add_order(channel_order("CLI-3"))

    call_command("sync", "--account", "beta")
    assert [run.account.name for run in SyncRun.objects.all()] == ["Beta"]

    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no channel account named 'Gamma' \\(accounts: Alpha, Beta\\)"):
        call_command("sync", "--account", "Gamma")


# --- leases ------------------------------------------------------------------------------------------------


def test_database_lease_admits_one_holder_until_released_or_expired(fake_account):
    account = fake_account()
    first, second = DatabaseLease(account.pk, seconds=60), DatabaseLease(account.pk, seconds=60)

    assert first.acquire() is True
    assert second.acquire() is False
    first.extend()
    first.release()
    assert second.acquire() is True

    from stockroom.sync.models import AccountLease

    AccountLease.objects.filter(account=account).update(locked_until="2000-01-01T00:00:00Z")  # holder died
    assert first.acquire() is True
    with pytest.raises(LeaseLost):
        second.extend()


def test_a_busy_account_is_skipped_and_recorded(fake_account, channel):
    from stockroom.sync import engine

    account = fake_account()
    channel(account).add_order(channel_order("BUSY-1"))
    holder = DatabaseLease(account.pk)
    assert holder.acquire()

    run = engine.sync_account(account, trigger="schedule")

    assert (run.status, run.message, run.orders_in) == (
        "skipped",
        "another worker is synchronising this account",
        0,
    )
    assert engine.sync_account(account, trigger="stock-change", steps=("stock",)) is None
    holder.release()
    assert engine.sync_account(account, trigger="schedule").orders_new == 1


def test_a_scheduled_sync_waits_for_a_stock_push_to_let_go_of_the_account(fake_account, channel, monkeypatch):
    from stockroom.sync import engine

    # given an account held by a stock push, and an order waiting on the channel
    account = fake_account()
    channel(account).add_order(channel_order("WAIT-1"))
    holder = DatabaseLease(account.pk)
    assert holder.acquire()
    pauses = []

    def push_finishes(seconds):
        pauses.append(seconds)
        holder.release()

    monkeypatch.setattr(engine.runs, "_pause", push_finishes)

    # when every account is synchronised on schedule
    (run,) = engine.sync_all(trigger="schedule")

    # then the run waited for the push and downloaded the order, instead of skipping the account
    assert (run.status, run.orders_new) == ("ok", 1)
    assert pauses == [engine.LEASE_POLL_SECONDS]


def test_a_busy_account_is_skipped_after_the_wait(fake_account, channel, monkeypatch):
    from stockroom.sync import engine

    account = fake_account()
    holder = DatabaseLease(account.pk)
    assert holder.acquire()
    pauses = []
    monkeypatch.setattr(engine.runs, "_pause", pauses.append)

    run = engine.sync_account(account, trigger="schedule", lease_wait=2.0)

    assert run.status == "skipped"
    assert pauses == [engine.LEASE_POLL_SECONDS] * 4
    holder.release()


def test_redis_lease_admits_one_holder(fake_account, settings):
    settings.REDIS_URL = redis_url_or_skip()
    settings.STOCKROOM_LOCK_PREFIX = f"sr-sync-test-{uuid.uuid4().hex[:8]}"
    account = fake_account()
    first, second = RedisLease(account.pk, seconds=30), RedisLease(account.pk, seconds=30)

    assert first.acquire() is True
    assert second.acquire() is False
    first.extend()
    first.release()
    assert second.acquire() is True
    second.lock.redis.delete(second.lock.name)  # the lease ran out
    with pytest.raises(LeaseLost):
        second.extend()


# --- two worker processes ------------------------------------------------------------------------------------

WORKER = """
import django, os, sys
django.setup()
from stockroom.sync.engine import sync_all
for _ in range(int(sys.argv[1])):
    sync_all(trigger="schedule")
"""


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", ["database", "redis"])
def test_two_worker_processes_never_sync_one_account_at_once(backend, fake_account, tmp_path):
    env = {**os.environ, "DATABASE_URL": _database_url(), "STOCKROOM_HUEY_IMMEDIATE": "1"}
    env.pop("REDIS_URL", None)
    if backend == "redis":
        env["REDIS_URL"] = redis_url_or_skip()
        env["STOCKROOM_QUEUE_NAME"] = f"sr-sync-test-{uuid.uuid4().hex[:8]}"
    if connection.vendor == "postgresql" and db_password():
        env["PGPASSWORD"] = db_password()
    (tmp_path / "worker_settings.py").write_text(
        textwrap.dedent(
            """
            from stockroom.config.test_settings import *  # noqa
            STOCKROOM_CONNECTORS = {"fake": "tests.fake_channel.FakeConnector"}
            """
        )
    )
    env["DJANGO_SETTINGS_MODULE"] = "worker_settings"
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO)])
    accounts = [
        fake_account(f"Proc {n}", fake_orders=12, fake_delay=0.05, fake_sku=f"P-SKU-{n}") for n in range(2)
    ]

    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, "3"], env=env, cwd=REPO, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    errors = [worker.communicate(timeout=120)[1] for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], errors
    for account in accounts:
        assert account.orders.count() == 12
        runs = runs_that_worked(account)
        assert sum(run.orders_new for run in runs) == 12
        assert all(run.finished_at for run in runs)
    assert SyncRun.objects.count() == 12  # 2 processes x 3 passes x 2 accounts, each worked or skipped


def db_password() -> str:
    return django_settings.DATABASES["default"].get("PASSWORD") or ""
