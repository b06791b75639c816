"""Issue 10 item 10: a lease dies with its holder. A worker killed with ``kill -9`` while it holds an
account lets the next sync in within seconds, on SQLite, PostgreSQL and Redis; a live holder keeps it.

The holder is a real second process (``python -c``) speaking to the same database or Redis.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.db import connection

from stockroom.sync import engine
from stockroom.sync.locks import REDIS_LEASE_SECONDS, DatabaseLease, RedisLease, holder_is_gone
from stockroom.sync.models import AccountLease
from tests.conftest import channel_order
from tests.sync.test_cli_and_locks import REPO, _database_url, db_password, redis_url_or_skip

HOLDER = """
import django, socket, sys, time
if sys.argv[3] == "elsewhere":
    socket.gethostname = lambda: "another-host"
django.setup()
from stockroom.sync.locks import new_lease
lease = new_lease(int(sys.argv[1]))
print("held" if lease.acquire() else "busy", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _holder(account_id: int, *, redis_url: str = "", prefix: str = "", where: str = "here"):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "stockroom.config.test_settings",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["STOCKROOM_QUEUE_NAME"] = prefix
    if connection.vendor == "postgresql" and db_password():
        env["PGPASSWORD"] = db_password()
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(account_id), "120", where],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline().strip()
    assert line == "held", process.stderr.read() if process.poll() is not None else line
    return process


def _kill(process) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_killed_holder_on_this_host_lets_the_next_sync_in_at_once(fake_account, channel):
    account = fake_account()
    channel(account).add_order(channel_order("AFTER-KILL-1"))
    holder = _holder(account.pk)
    try:
        busy = engine.sync_account(account, trigger="schedule", lease_wait=0)
    finally:
        _kill(holder)

    run = engine.sync_account(account, trigger="schedule", lease_wait=0)

    assert (busy.status, busy.message) == ("skipped", "another worker is synchronising this account")
    assert (run.status, run.orders_new) == ("ok", 1)
    assert AccountLease.objects.get(account=account).owner == ""  # released by the run that took it


@pytest.mark.django_db(transaction=True)
def test_a_killed_holder_on_another_host_is_seen_through_its_postgresql_session(fake_account):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite is a local file: every holder is on this host")
    account = fake_account()
    holder = _holder(account.pk, where="elsewhere")
    try:
        alive = DatabaseLease(account.pk).acquire()
    finally:
        _kill(holder)
    deadline = time.monotonic() + 5  # the server notices the closed connection at once
    lease = DatabaseLease(account.pk)
    while not lease.acquire() and time.monotonic() < deadline:
        time.sleep(0.1)

    assert alive is False
    assert lease.owner == AccountLease.objects.get(account=account).owner
    lease.release()


@pytest.mark.django_db(transaction=True)
def test_a_killed_redis_holder_lets_go_when_its_heartbeat_stops(fake_account, settings):
    settings.REDIS_URL = redis_url_or_skip()
    settings.STOCKROOM_LOCK_PREFIX = prefix = f"sr-lease-test-{uuid.uuid4().hex[:8]}"
    account = fake_account()
    holder = _holder(account.pk, redis_url=settings.REDIS_URL, prefix=prefix)
    try:
        time.sleep(REDIS_LEASE_SECONDS * 1.2)  # longer than the timeout: the heartbeat keeps it held
        alive = RedisLease(account.pk).acquire()
    finally:
        _kill(holder)
    killed_at = time.monotonic()
    lease = RedisLease(account.pk)
    while not lease.acquire():
        assert time.monotonic() - killed_at < REDIS_LEASE_SECONDS + 2, "the lock outlived its holder"
        time.sleep(0.2)

    assert alive is False
    lease.release()


def test_holder_is_gone_reads_the_process_table():
    me = DatabaseLease(1).owner
    host, pid, started, thread, token = me.split("|")

    assert holder_is_gone(me) is False
    assert holder_is_gone("|".join([host, pid, str(int(started) + 1), thread, token])) is True  # id reused
    assert holder_is_gone("|".join([host, "999999999", started, thread, token])) is True
    assert holder_is_gone("|".join(["another-host", pid, started, thread, token])) is None
    assert holder_is_gone("old-host:123:456:abcd") is None  # an older release's owner: wait it out
