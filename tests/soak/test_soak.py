"""The soak under faults, short form: two app servers, a worker and a client load for 30 s; midway one
server and the worker are SIGKILLed and PostgreSQL is restarted (bench/soak.py, whose long form is
``make soak``). Afterwards the invariants hold:

- every report that got a 2xx exists exactly once, and is the case its answer named;
- every case's state equals the replay of its events, and ``audit verify`` is clean;
- no notification was lost (a fan-out from the start adds nothing; every delivery was received);
- the clients saw 503 (with Retry-After) or a broken connection, never another 5xx or a corrupt answer;
- a ``pg_dump`` taken under load restores into a database that verifies and replays clean.

PostgreSQL and Redis only. The soak makes and drops its own database (``chuishao_soak_<pid>``). A
restart of PostgreSQL would break the connections of the tests running beside this one (pytest-xdist),
so here the database fault is the soak database's outage (connections refused and every open one
terminated for a few seconds), which the app servers and the worker see as they see a restart;
``make soak`` restarts the server itself. Run alone (no xdist) as root with ``pg_ctlcluster``, or with
``CHUISHAO_SOAK_PG_RESTART`` naming the command, this test restarts the server too.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

BENCH = Path(__file__).resolve().parents[2] / "bench"
SECONDS, CLIENTS = 30, 3


def _soak():
    spec = importlib.util.spec_from_file_location("bench_soak", BENCH / "soak.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _server_url() -> str:
    db = connection.settings_dict
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/postgres"


def test_soak_under_faults_keeps_every_invariant():
    if connection.vendor != "postgresql":
        pytest.skip("the soak runs several app processes on PostgreSQL (DATABASE_URL=postgres://…)")
    import redis

    url = os.environ.get("CHUISHAO_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"the soak's worker reads a Redis queue; none answers at {url} ({exc})")
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("the soak's backup under load needs pg_dump and pg_restore on PATH")
    soak = _soak()
    alone = "PYTEST_XDIST_WORKER" not in os.environ
    restart = bool(os.environ.get("CHUISHAO_SOAK_PG_RESTART")) or (
        alone
        and os.geteuid() == 0
        and shutil.which("pg_ctlcluster") is not None
        and soak._pg_restart_command() is not None
    )
    fault = "restart" if restart else "outage"

    f = soak.main(SECONDS, CLIENTS, database_url=_server_url(), fault=fault, log=lambda *_: None)
    print(soak.markdown(f))  # the figures, shown with -s or when an assertion fails

    # Every invariant of the module's docstring (bench/soak.py's verdict, which fails `make soak` too).
    assert soak.verdict(f, fault=fault) == []


GOOD = {
    "faults_injected": 3,
    "faults": ["SIGKILL app1", "SIGKILL worker", "PostgreSQL restart"],
    "answers_503": 4,
    "connection_errors": 9,
    "reports_acknowledged": 40,
    "reports_found": 40,
    "reports_missing": 0,
    "duplicates": 0,
    "acknowledged_as_another_case": 0,
    "actions_done": 10,
    "reads_ok": 5,
    "replay_mismatches": 0,
    "replay_examples": [],
    "audit_ok": True,
    "audit_problems": [],
    "drained": True,
    "notifications_lost_inbox": 0,
    "notifications_lost_deliveries": 0,
    "deliveries": 12,
    "deliveries_not_received": 0,
    "deliveries_unknown_received": 0,
    "deliveries_received_twice": 1,
    "answers_5xx_other_than_503": 0,
    "answers_503_without_retry_after": 0,
    "corrupt_answers": 0,
    "unexpected_answers": [],
    "cases": 50,
    "restored": {"cases": 20, "audit_ok": True, "audit_events": 90, "replay_mismatches": 0, "duplicates": 0},
}


@pytest.mark.parametrize(
    ("broken", "named"),
    [
        ({"reports_found": 39, "reports_missing": 1}, "acknowledged reports missing"),
        ({"duplicates": 2}, "duplicate reports"),
        ({"replay_mismatches": 1, "replay_examples": ["C1: status"]}, "replay"),
        ({"audit_ok": False}, "audit verify"),
        ({"notifications_lost_deliveries": 1}, "deliveries lost"),
        ({"answers_5xx_other_than_503": 1, "unexpected_answers": ["500"]}, "5xx other than 503"),
        ({"answers_503_without_retry_after": 1}, "without Retry-After"),
        ({"faults_injected": 2}, "faults injected"),
        ({"restored": {"cases": 0, "audit_ok": True, "replay_mismatches": 0, "duplicates": 0}}, "restored"),
    ],
)
def test_the_verdict_names_each_broken_invariant(broken, named):
    """`make soak` (and CI's soak step) exits 1 exactly when the verdict is not empty."""
    soak = _soak()
    assert soak.verdict(GOOD) == []
    problems = soak.verdict(GOOD | broken)
    assert len(problems) >= 1 and any(named in p for p in problems), problems
