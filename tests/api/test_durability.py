"""A report acknowledged with 2xx survives a SIGKILL of the server a millisecond later.

A real server process (gunicorn, as ``chuishao serve --production`` runs it) serves the test
database; each report is sent over HTTP, and as soon as its answer arrives the whole server process
group (master and workers) is killed with SIGKILL. The case the answer named must be in the
database, with what was sent: the answer may only leave after the transaction that wrote the case
has committed. An implementation that answered first and wrote afterwards (a queue, a commit after
the response, ``on_commit`` work that creates the case) would lose the report here.

What this does not cover: the database server itself crashing, or the machine losing power — that is
the database's own durability (fsync, ``synchronous_commit``), not the application's.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.db import connection

from chuishao.actors import SYSTEM
from chuishao.cases.models import Case
from chuishao.events.models import Event
from chuishao.orgs.apikeys import apikey_create
from tests.factories import build_small_city, grid_centre

ROUNDS = 3
GRID = "110901001001001"
STARTUP_SECONDS = 30


def _database_url() -> str:
    """The test database (``test_…``), as the server process must reach it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kill_group(server: subprocess.Popen) -> None:
    """SIGKILL master and workers at once (they share the process group the server leads)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


@contextlib.contextmanager
def _server(port: int, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """``chuishao serve --production`` on ``port``; its process group is SIGKILLed on the way out."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CHUISHAO_VAR": str(tmp_path / "var"),
        "CHUISHAO_INTAKE_RATE_PER_KEY": "0",
        # Production refuses the demo's published key.
        "CHUISHAO_SECRET_KEY": "durability-test-" + "k" * 40,
    }
    env.pop("CHUISHAO_REDIS_URL", None)
    env.pop("REDIS_URL", None)  # background tasks go to a SQLite queue under tmp_path, not shared Redis
    args = ["serve", "--production", "--port", str(port), "--workers", "1", "--threads", "2"]
    log_path = tmp_path / "server.log"
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "chuishao.cli", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,  # its own process group: the kill takes master and workers at once
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(port):
            if server.poll() is not None:
                pytest.fail("the server exited:\n" + log_path.read_text(errors="replace")[-3000:])
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /healthz within {STARTUP_SECONDS} s")
            time.sleep(0.05)
        yield server
    finally:
        _kill_group(server)


def _post_report(port: int, fields: dict) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            "/open311/v2/requests.json",
            body=urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.django_db(transaction=True)
def test_an_acknowledged_report_survives_a_sigkill_right_after_the_answer(tmp_path):
    city = build_small_city()
    _, key = apikey_create(actor=SYSTEM, name="durability", scopes=["open311"])
    lat, lng = grid_centre(GRID)
    for round_ in range(ROUNDS):
        description = f"垃圾堆了三天 #{round_}"
        fields = {
            "api_key": key,
            "service_code": "S0102",
            "description": description,
            "lat": lat,
            "long": lng,
        }
        port = _free_port()
        with _server(port, tmp_path) as server:
            status, payload = _post_report(port, fields)
            time.sleep(0.001)
            os.killpg(server.pid, signal.SIGKILL)
            assert server.wait(timeout=10) == -signal.SIGKILL, "the server was not killed by the SIGKILL"

        assert 200 <= status < 300, payload
        number = json.loads(payload)[0]["service_request_id"]
        connection.close()  # read what a new connection sees, after the server is gone
        case = Case.objects.select_related("category", "grid").filter(number=number).first()
        assert case is not None, f"round {round_}: {number} was acknowledged but is not in the database"
        assert case.description == description
        assert case.category.full_code == "S0102"
        assert case.grid.code == GRID
        assert case.city_id == city.city.pk
        assert Event.objects.filter(case=case, verb="case.reported").count() == 1
    assert Case.objects.count() == ROUNDS
