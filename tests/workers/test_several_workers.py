"""Several workers, one truth: three real ``chuishao worker`` processes on one PostgreSQL and one
Redis queue run the periodic jobs many times at once, and nothing is done twice.

Every worker's scheduler enqueues every periodic job, so with N workers each job runs N times a
minute, often at the same moment. The test does the same on purpose: it pushes each job many times
into the workers' queue at once, over a city with cases past their yellow and red points and
deliveries waiting for a webhook (a server in this process that counts what it receives), and then
checks what one worker alone would have left:

- the sweep's events are exactly those a single sweep computes (one warning per colour, one
  escalation per step), and every chain verifies (``audit verify``);
- every delivery reached the webhook exactly once;
- checkpoints follow each other without overlap;
- the rollup equals a full rebuild;
- no job failed in any worker (a lost race shows there as a database error).

PostgreSQL and Redis only: SQLite is one process's database, and the queue is Redis in production.
"""

from __future__ import annotations

import collections
import datetime as dt
import importlib.util
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from chuishao import clock
from chuishao.cases.models import Case
from chuishao.cases.services import case_act, case_report
from chuishao.cases.sweep import deadline_sweep
from chuishao.evaluation.definitions import COUNT_NAMES
from chuishao.evaluation.models import Rollup
from chuishao.evaluation.services import rollup_rebuild
from chuishao.events.audit import audit_verify
from chuishao.events.models import Checkpoint, Event
from chuishao.notify.models import Cursor, Delivery, DeliveryState
from chuishao.notify.services import channel_create
from tests.factories import build_small_city, grid_centre

ROOT = Path(__file__).resolve().parents[2]
WORKERS, THREADS = 3, 2
OVERDUE, YELLOW = 36, 18
GRIDS = ["110901001001001", "110901001001002", "110901001002001", "110901001002002"]
SWEEP_VERBS = ("case.warned", "case.escalated")
DEADLINE = 90  # seconds for the workers to finish each phase (CI shares two cores with other tests)


def _bench_common():
    """bench/_common.py, by its path (``bench`` on sys.path is the tests' own package tests/bench)."""
    spec = importlib.util.spec_from_file_location("bench_common", ROOT / "bench" / "_common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The webhook endpoint that counts each delivery id it receives (shared with bench/soak.py).
Receiver = _bench_common().Receiver


def _redis_url() -> str:
    return (
        os.environ.get("CHUISHAO_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    ).strip()


def _database_url() -> str:
    """The test database (pytest-django's, e.g. ``test_chuishao_ci_gw0``) as a URL for the workers."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{quote(db['NAME'], safe='')}"


def _city_with_due_work(receiver: Receiver) -> tuple[list[int], list[int]]:
    """A month ago: two webhook channels and cases dispatched to district A's urban management.

    The overdue ones are now red and due every escalation step. The yellow ones get a deadline a few
    hours ahead and a yellow point behind (the work calendar would put them wherever the wall clock
    falls), so the outcome does not depend on the hour the test runs."""
    with clock.frozen(timezone.now() - dt.timedelta(days=30)):
        city = build_small_city()
        admin, street = city.people["admin"], city.people["street-a"]
        for org in ("um-110901", "centre"):
            channel_create(actor=admin, organisation=city.orgs[org], kind="webhook", target=receiver.url)
        ids = []
        for i in range(OVERDUE + YELLOW):
            lat, lng = grid_centre(GRIDS[i % len(GRIDS)])
            case = case_report(
                actor=city.people["resident"],
                source="resident_web",
                category="S0102",
                description=f"楼下垃圾堆了三天没人清（{i}）",
                lat=lat,
                lng=lng,
            )
            case_act(case=case, action="file", actor=street)
            case_act(case=case, action="dispatch", actor=street, lead=city.orgs["um-110901"])
            ids.append(case.pk)
    now = timezone.now()
    yellow = ids[OVERDUE:]
    Case.objects.filter(pk__in=yellow).update(
        yellow_at=now - dt.timedelta(hours=1), deadline_at=now + dt.timedelta(hours=6), sweep_at=now
    )
    return ids[:OVERDUE], yellow


def _sweep_outcome(case_ids: list[int], since: int) -> collections.Counter:
    """Each sweep event after ``since`` as (case, verb, colour, step, level), counted."""
    rows = Event.objects.filter(id__gt=since, verb__in=SWEEP_VERBS, case_id__in=case_ids)
    return collections.Counter(
        (e.case_id, e.verb, e.after.get("warn_level"), e.after.get("step"), e.after.get("level"))
        for e in rows
    )


def _rollup_rows() -> set[tuple]:
    return set(Rollup.objects.values_list("period", "unit_kind", "unit_id", "city_id", *COUNT_NAMES))


def _wait(what: str, condition, timeout: float = DEADLINE) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"the workers did not finish in {timeout:.0f} s: {what}")
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_several_workers_do_each_job_once(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("several worker processes need PostgreSQL (DATABASE_URL); SQLite serves one process")
    import redis
    from huey import RedisHuey

    redis_url = _redis_url()
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"several workers share a Redis queue; none answers at {redis_url} ({exc})")

    from chuishao.api.tasks import idempotency_cleanup
    from chuishao.cases.tasks import deadline_sweep_task
    from chuishao.evaluation.tasks import rollup_refresh_task
    from chuishao.events.tasks import audit_checkpoint
    from chuishao.notify.tasks import notify_tick

    # Given a city with due cases and webhook channels, and what one sweep alone would do now.
    receiver = Receiver()
    overdue, yellow = _city_with_due_work(receiver)
    before = Event.objects.aggregate(top=Max("id"))["top"]
    with transaction.atomic():
        deadline_sweep()
        expected = _sweep_outcome(overdue + yellow, before)
        transaction.set_rollback(True)
    assert sum(expected.values()) >= 3 * OVERDUE + YELLOW  # red and two steps; yellow

    # A queue of this run's own, so that parallel runs on one Redis never share jobs.
    name = f"chuishao-test-{uuid.uuid4().hex[:12]}"
    queue = RedisHuey(name, url=redis_url)

    def enqueue(*tasks) -> None:
        for task in tasks:
            queue.storage.enqueue(settings.HUEY.serialize_task(task.s()), 0)

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.workers.worker_settings",
        "CHUISHAO_TEST_HUEY_NAME": name,
        "CHUISHAO_REDIS_URL": redis_url,
        "DATABASE_URL": _database_url(),
        "CHUISHAO_VAR": str(tmp_path / "var"),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
    }
    logs = [tmp_path / f"worker-{i}.log" for i in range(WORKERS)]
    workers = []
    try:
        # When three workers (two threads each) take every job many times at once …
        for log in logs:
            with log.open("wb") as out:
                workers.append(
                    subprocess.Popen(  # noqa: S603 — our own interpreter and command
                        [sys.executable, "-m", "chuishao.cli", "worker", "--workers", str(THREADS)],
                        cwd=tmp_path,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        _wait("the workers to start", lambda: all("consumer started" in log.read_text() for log in logs))
        time.sleep(0.5)
        # The settled month of history is sealed by whichever checkpoint comes first, the others
        # must find nothing left to seal; then every job, again and again.
        enqueue(*[audit_checkpoint] * WORKERS * THREADS)
        for _ in range(6):
            enqueue(deadline_sweep_task, notify_tick, audit_checkpoint, deadline_sweep_task, notify_tick)
        enqueue(idempotency_cleanup, idempotency_cleanup)

        def swept() -> bool:
            due = Case.objects.filter(sweep_at__lte=timezone.now())
            return queue.pending_count() == 0 and not due.exists()

        _wait("the sweeps", swept)
        # … then, with every sweep committed, fan out and deliver the rest and refresh the rollup.
        for _ in range(2):
            enqueue(*[notify_tick, rollup_refresh_task, audit_checkpoint] * WORKERS * THREADS)
            _wait("the deliveries", lambda: queue.pending_count() == 0)
            time.sleep(1)

        def delivered() -> bool:
            top = Event.objects.aggregate(top=Max("id"))["top"]
            fanned = Cursor.objects.filter(name="fanout", seen_event_id__gte=top).exists()
            due = Delivery.objects.exclude(state=DeliveryState.DELIVERED).exists()
            return fanned and not due

        _wait("the deliveries", delivered)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)  # a graceful stop: jobs under way finish
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        queue.flush()
        receiver.close()
    output = [log.read_text(errors="replace") for log in logs]

    # Then no job failed, and the work was shared between the workers.
    failures = [
        f"worker {i}: {line}"
        for i, text in enumerate(output)
        for line in text.splitlines()
        if "Unhandled exception" in line or line.startswith(("Traceback", "psycopg.", "django.db."))
    ]
    assert failures == []
    assert sum("Executing" in text for text in output) >= 2, output

    # The sweep did exactly what one sweep alone does: one warning per colour, one event per step.
    assert _sweep_outcome(overdue + yellow, before) == expected
    report = audit_verify()
    assert report.ok, report.problems[:5]

    # Each delivery reached the webhook exactly once, the sweep's warnings and escalations included.
    deliveries = dict(Delivery.objects.values_list("id", "state"))
    assert set(deliveries.values()) == {DeliveryState.DELIVERED}
    assert set(receiver.seen) == set(deliveries)
    assert [i for i, n in receiver.seen.items() if n > 1] == []
    sent_events = set(Delivery.objects.values_list("event_id", flat=True))
    sweep_events = set(Event.objects.filter(id__gt=before, verb__in=SWEEP_VERBS).values_list("id", flat=True))
    warned = Event.objects.filter(id__gt=before, verb="case.warned").values_list("id", flat=True)
    to_city = Event.objects.filter(id__gt=before, verb="case.escalated", after__level="city")
    assert set(warned) | set(to_city.values_list("id", flat=True)) <= sent_events & sweep_events
    assert len(deliveries) > len(sweep_events) > 0

    # Checkpoints follow each other: none seals an event another one sealed.
    ranges = list(Checkpoint.objects.order_by("id").values_list("first_event_id", "last_event_id"))
    assert ranges and ranges[0][0] == 1
    assert all(nxt[0] == prev[1] + 1 for prev, nxt in zip(ranges, ranges[1:], strict=False)), ranges

    # The rollup the workers kept equals a full rebuild.
    kept = _rollup_rows()
    rollup_rebuild()
    assert kept == _rollup_rows()
