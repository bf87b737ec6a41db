"""At least once, never twice at once: real worker processes, one killed mid-batch (PostgreSQL only).

A worker (``chuishao notify-run``) is started against the test database and killed with SIGKILL
while it sends; two more are started together. Every delivery must reach the webhook receiver; a
delivery may arrive twice only because the killed worker sent it before dying, never because the
two live workers both claimed it (``SELECT … FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from django.db import connection

from chuishao.actors import SYSTEM
from chuishao.notify.models import Delivery, DeliveryState
from chuishao.notify.services import channel_create, fanout
from tests.factories import build_small_city
from tests.notify.conftest import SECRET
from tests.notify.helpers import append, make_whistle

DELIVERIES = 60


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(name: str, tmp_path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url(), "CHUISHAO_VAR": str(tmp_path / "var")}
    args = ["notify-run", "--batch", "5", "--lease", "3", "--interval", "0.2", "--worker", name]
    return subprocess.Popen(
        [sys.executable, "-m", "chuishao.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / f"worker-{name}.log").open("wb"),
    )


def _wait(condition, timeout: float, what: str, workers: list[subprocess.Popen], tmp_path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for w in workers:
            if w.poll() is not None and w.returncode != -signal.SIGKILL:
                logs = "".join(p.read_text(errors="replace")[-2000:] for p in tmp_path.glob("worker-*.log"))
                raise AssertionError(f"a worker exited ({w.returncode}): {logs}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_nothing_and_live_workers_never_send_twice(receiver, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: worker processes must share the test database, and SKIP LOCKED row "
            "claims are what is under test (SQLite serialises claims on its write lock instead)"
        )
    city = build_small_city()
    um = city.orgs["um-110901"]
    channel_create(actor=SYSTEM, organisation=um, kind="webhook", target=receiver.url, secret=SECRET)
    whistle = make_whistle(city)
    for _ in range(DELIVERIES):
        append("whistle.rated", whistle=whistle, after={"organisation_id": um.pk})
    fanout()
    ids = set(Delivery.objects.values_list("id", flat=True))
    assert len(ids) == DELIVERIES
    receiver.delay = 0.2

    workers: list[subprocess.Popen] = []
    try:
        first = _worker("A", tmp_path)
        workers.append(first)
        _wait(lambda: len(receiver.requests) >= 3, 60, "the first worker to send", workers, tmp_path)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        stranded = Delivery.objects.filter(state=DeliveryState.SENDING, claimed_by="A")
        assert stranded.exists(), "the killed worker should have left claimed rows behind"

        workers += [_worker("B", tmp_path), _worker("C", tmp_path)]
        _wait(
            lambda: Delivery.objects.filter(state=DeliveryState.DELIVERED).count() == DELIVERIES,
            120,
            "every delivery to be delivered",
            workers,
            tmp_path,
        )
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=10)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()

    with receiver.lock:
        received = [
            (r["at"], int(r["headers"]["X-Chuishao-Delivery"]), r["signature_ok"]) for r in receiver.requests
        ]
    assert all(ok for _, _, ok in received)
    # At least once: every delivery reached the endpoint.
    assert {d for _, d, _ in received} == ids
    # Never twice at once: after the kill, each delivery arrived at most once.
    after_kill = collections.Counter(d for at, d, _ in received if at > killed_at)
    assert max(after_kill.values()) == 1, after_kill.most_common(3)
    # A duplicate is always one the killed worker sent before dying.
    before_kill = {d for at, d, _ in received if at <= killed_at}
    duplicates = {d for d, n in collections.Counter(d for _, d, _ in received).items() if n > 1}
    assert duplicates <= before_kill
    # Both live workers took part, and the rows record who delivered them.
    claimed_by = set(Delivery.objects.values_list("claimed_by", flat=True))
    assert {"B", "C"} <= claimed_by <= {"A", "B", "C"}
