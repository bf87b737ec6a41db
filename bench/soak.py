"""Soak under faults: two app servers, a worker and a client load; midway a SIGKILL and a database restart.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/soak.py [--seconds 180]
    make soak                                           # the long form (SOAK_SECONDS, default 180)

PostgreSQL and Redis only (the faults are those of a deployment with several processes). The run:

1. creates a throwaway database ``chuishao_soak_<pid>`` next to the one ``DATABASE_URL`` names (never
   that one), migrates it and loads the small test city, API keys and two webhook channels whose
   endpoint is a receiver in this process that counts every delivery it gets;
2. starts two ``chuishao serve --production`` processes and one ``chuishao worker`` (its own Redis
   queue), and client threads that, against either server, post reports (REST, each with an
   ``Idempotency-Key``, retried with the same key on a 503 or a broken connection), move cases
   through file / dispatch / accept / start (REST actions with ``expected_status``), and read cases;
3. at 15 % of the time takes a ``pg_dump -Fc`` under load; at 20 % SIGKILLs the second server's
   process group and the worker (a supervisor starts them again at once), then restarts PostgreSQL
   (``--fault restart``, the default: ``pg_ctlcluster … restart``, one restart, a few seconds for
   everyone on the machine) — or, with ``--fault outage``, takes only the soak's database away for
   OUTAGE_SECONDS (new connections refused, every open one terminated), which the app sees exactly as
   a restart (``OperationalError``, broken connections) without breaking other users of the server
   (the test suite's short form runs beside other tests);
4. stops the load, lets the worker deliver what is due, stops the processes, and checks:

   - every report that got a 2xx exists exactly once (found, duplicates);
   - every case's tracked columns equal the replay of its events' ``after`` values, and each event's
     ``before`` matches the replay so far (no lost or forked transition); ``audit verify`` is clean;
   - no notification was lost: fanning every event out again from the start (in a transaction that
     is rolled back) adds no inbox row and no delivery row; every delivery is ``delivered`` and the
     receiver got each one; how many it got twice (at least once: a worker killed mid-send leaves a
     row another worker sends again after its lease; the ``X-Chuishao-Delivery`` header de-duplicates);
   - the clients saw no 5xx but 503, and no 2xx whose body was not the JSON asked for;
   - the dump restores into a new database on which ``audit verify`` and the replay are clean too.

It prints the figures as JSON and as a Markdown table; ``--json PATH`` writes the JSON. It exits 1,
naming each invariant that broke (``verdict``, which the short form in tests/soak checks too), so that
CI fails with it: ``.ci/run`` runs a 40-second form with the PostgreSQL restart after the suites. The soak's
databases and its work directory (the processes' logs) are removed at the end (``--keep`` keeps them).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60
DRAIN_SECONDS = 90
CATEGORY = "S0102"
GRIDS = ["110901001001001", "110901001001002", "110901001002001", "110901001002002"]
# The case loop the clients drive: (action, the state it starts from, the key that may take it).
STEPS = {
    "reported": ("file", "street"),
    "filed": ("dispatch", "street"),
    "dispatched": ("accept", "dept"),
    "accepted": ("start", "dept"),
}
REPLAYED = (
    "status",
    "lead_org_id",
    "resume_status",
    "return_count",
    "rework_count",
    "extension_count",
    "reopen_count",
)


# --- the parts that run inside Django (``--setup`` and ``--check`` subprocesses) -------------------


def _paths() -> None:
    """The project, its tests (the small city) and bench/ (``_common``), whoever loaded this file."""
    for p in (str(ROOT / "src"), str(ROOT), str(ROOT / "bench")):
        if p not in sys.path:
            sys.path.insert(0, p)


def _django() -> None:
    _paths()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soak_settings")
    import django

    django.setup()


def setup_city(receiver_url: str) -> dict:
    """Migrate, load the small city, make the keys and the webhook channels; returns what clients need."""
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from chuishao.actors import SYSTEM
    from chuishao.notify.services import channel_create
    from chuishao.orgs.apikeys import apikey_create
    from tests.factories import build_small_city, grid_centre

    city = build_small_city()
    admin = city.people["admin"]
    for org in ("um-110901", "centre"):
        channel_create(actor=admin, organisation=city.orgs[org], kind="webhook", target=receiver_url)
    _, intake = apikey_create(actor=SYSTEM, name="soak-intake", scopes=["intake"])
    _, street = apikey_create(
        actor=SYSTEM, name="soak-street", scopes=["read", "write"], person=city.people["street-a"]
    )
    _, dept = apikey_create(
        actor=SYSTEM, name="soak-dept", scopes=["read", "write"], person=city.people["um-a"]
    )
    return {
        "keys": {"intake": intake, "street": street, "dept": dept},
        "lead": city.orgs["um-110901"].pk,
        "points": [grid_centre(g) for g in GRIDS],
    }


def _replay_problems() -> tuple[int, list[str]]:
    """Cases whose tracked columns differ from the replay of their events (and events out of step)."""
    from chuishao.cases.models import Case
    from chuishao.events.models import Event

    problems: list[str] = []
    events: dict[int, list] = collections.defaultdict(list)
    for case_id, before, after in (
        Event.objects.filter(case__isnull=False).order_by("id").values_list("case_id", "before", "after")
    ):
        events[case_id].append((before or {}, after or {}))
    cases = 0
    for case in Case.objects.only("id", "number", *REPLAYED):
        cases += 1
        state: dict = {}
        for before, after in events.get(case.pk, []):
            for key in REPLAYED:
                if key in before and key in state and before[key] != state[key]:
                    problems.append(
                        f"{case.number}: an event starts from {key}={before[key]!r}, "
                        f"the replay has {state[key]!r}"
                    )
                if key in after:
                    state[key] = after[key]
        if "status" not in state:
            problems.append(f"{case.number}: no event sets its status")
        for key, value in state.items():
            if getattr(case, key) != value:
                problems.append(f"{case.number}: {key} is {getattr(case, key)!r}, its events say {value!r}")
    return cases, problems


def _refanout_adds() -> tuple[int, int]:
    """Inbox and delivery rows a fan-out of every event from the start would add (rolled back)."""
    from django.db import transaction

    from chuishao.notify.models import Cursor, Delivery, Notification
    from chuishao.notify.services import fanout

    with transaction.atomic():
        before = Notification.objects.count(), Delivery.objects.count()
        Cursor.objects.filter(name="fanout").delete()
        fanout()
        after = Notification.objects.count(), Delivery.objects.count()
        transaction.set_rollback(True)
    return after[0] - before[0], after[1] - before[1]


def check(acked: dict[str, str], *, notifications: bool = True) -> dict:
    """The invariants, from inside the soak database. ``acked``: idempotency key → case number."""
    _django()
    from chuishao.cases.models import Case
    from chuishao.events.audit import audit_verify
    from chuishao.notify.models import Delivery

    tagged: collections.Counter[str] = collections.Counter()
    numbers: dict[str, str] = {}
    for number, description in Case.objects.filter(description__startswith="soak ").values_list(
        "number", "description"
    ):
        key = description.split()[1]
        tagged[key] += 1
        numbers[key] = number
    found = sum(1 for k in acked if tagged[k] >= 1)
    wrong = [k for k, n in acked.items() if tagged[k] == 1 and numbers[k] != n]
    cases, replay = _replay_problems()
    audit = audit_verify()
    out = {
        "cases": cases,
        "reports_found": found,
        "reports_missing": len(acked) - found,
        "duplicates": sum(n - 1 for n in tagged.values() if n > 1),
        "acknowledged_as_another_case": len(wrong),
        "replay_mismatches": len(replay),
        "replay_examples": replay[:5],
        "audit_ok": audit.ok,
        "audit_events": audit.events_checked,
        "audit_problems": [p.message for p in audit.problems[:5]],
    }
    if notifications:
        lost_inbox, lost_deliveries = _refanout_adds()
        states = collections.Counter(Delivery.objects.values_list("state", flat=True))
        out.update(
            {
                "notifications_lost_inbox": lost_inbox,
                "notifications_lost_deliveries": lost_deliveries,
                "delivery_states": dict(states),
                "delivery_ids": list(Delivery.objects.values_list("id", flat=True)),
            }
        )
    return out


# --- the driver ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def _admin(url: str):
    import psycopg

    return psycopg.connect(_with_db(url, "postgres"), autocommit=True)


def _drop(url: str, name: str) -> None:
    with contextlib.suppress(Exception), _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_args(url: str) -> list[str]:
    parts = urlsplit(url)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    return [*args, "-U", parts.username] if parts.username else args


OUTAGE_SECONDS = 5


def _outage(base: str, name: str) -> None:
    """The soak database refuses connections and loses every open one, for OUTAGE_SECONDS."""
    with _admin(base) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            time.sleep(OUTAGE_SECONDS)
        finally:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def _pg_restart_command() -> list[str] | None:
    override = os.environ.get("CHUISHAO_SOAK_PG_RESTART")
    if override:
        return override.split()
    versions = sorted(Path("/etc/postgresql").glob("*/main")) if Path("/etc/postgresql").is_dir() else []
    if not versions:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].parent.name, "main", "restart"]


def _drained(url: str) -> bool:
    """Every event fanned out and every delivery delivered (read with plain SQL: this is polled)."""
    import psycopg

    with psycopg.connect(url) as conn:
        top = conn.execute("SELECT coalesce(max(id), 0) FROM events_event").fetchone()[0]
        seen = conn.execute("SELECT seen_event_id FROM notify_cursor WHERE name = 'fanout'").fetchone()
        due = conn.execute("SELECT count(*) FROM notify_delivery WHERE state <> 'delivered'").fetchone()[0]
    return seen is not None and seen[0] >= top and due == 0


class Processes:
    """The app servers and the worker, each in its own process group."""

    def __init__(self, env: dict[str, str], logdir: Path) -> None:
        self.env, self.logdir = env, logdir
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports = [_free_port(), _free_port()]

    def start(self, name: str) -> None:
        if name == "worker":
            args = ["worker", "--workers", "2"]
        else:
            port = self.ports[int(name[-1])]
            args = ["serve", "--production", "--port", str(port), "--workers", "1", "--threads", "4"]
        with (self.logdir / f"{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(  # noqa: S603 — our own interpreter and command
                [sys.executable, "-m", "chuishao.cli", *args],
                env=self.env,
                cwd=self.logdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT if proc.args[3] == "worker" else signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def wait_healthy(self, name: str) -> None:
        port = self.ports[int(name[-1])]
        end = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < end:
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited: " + (self.logdir / f"{name}.log").read_text()[-2000:])
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not answer /healthz within {STARTUP_SECONDS} s")


class Load:
    """Client threads and what they saw."""

    def __init__(self, ports: list[int], city: dict, seed: int) -> None:
        self.ports, self.city = ports, city
        self.stop = threading.Event()
        self.give_up = threading.Event()  # after the grace period even retries stop
        self.lock = threading.Lock()
        self.counts: collections.Counter[str] = collections.Counter()
        self.acked: dict[str, str] = {}
        self.unanswered: list[str] = []  # reports never acknowledged (gave up at the end)
        self.states: dict[str, str] = {}  # case number → the status this client last saw
        self.bad: list[str] = []
        self.random = random.Random(seed)

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.counts[what] += n

    def request(self, method: str, path: str, key: str, body: dict | None = None, idem: str | None = None):
        """One request to a random server; (status, parsed JSON or None), or (None, None) if no answer."""
        port = self.random.choice(self.ports)
        headers = {"Authorization": f"Token {key}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if idem:
            headers["Idempotency-Key"] = idem
        self.count("requests_sent")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.count("connection_errors")
            return None, None
        finally:
            conn.close()
        status = response.status
        self.count(f"status_{status // 100}xx" if status != 503 else "status_503")
        if status >= 500 and status != 503:
            self.bad.append(f"{method} {path}: {status} {raw[:200]!r}")
        parsed = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                self.count("corrupt_answers")
                self.bad.append(f"{method} {path}: {status} not JSON: {raw[:200]!r}")
        if status == 503 and response.getheader("Retry-After") is None:
            self.count("503_without_retry_after")
        return status, parsed

    def _until_answered(self, *args, **kwargs):
        """Retry on 503 and broken connections (same idempotency key) until a definite answer."""
        while not self.give_up.is_set():
            status, body = self.request(*args, **kwargs)
            if status is not None and status != 503:
                return status, body
            self.count("retries")
            time.sleep(0.2 + self.random.random() * 0.3)
        return None, None

    def report(self) -> None:
        key = uuid.uuid4().hex
        lat, lng = self.random.choice(self.city["points"])
        body = {"category": CATEGORY, "description": f"soak {key} 楼下垃圾堆了三天", "lat": lat, "lng": lng}
        status, answer = self._until_answered(
            "POST", "/api/v1/cases/", self.city["keys"]["intake"], body, key
        )
        if status is None:
            self.unanswered.append(key)
            return
        if 200 <= status < 300:
            if not isinstance(answer, dict) or not str(answer.get("number", "")).strip():
                self.count("corrupt_answers")
                self.bad.append(f"report {key}: 2xx without a case number: {answer!r}")
                return
            with self.lock:
                self.acked[key] = answer["number"]
                self.states[answer["number"]] = answer.get("status", "reported")
        else:
            self.count("reports_refused")
            self.bad.append(f"report {key}: {status} {answer!r}")

    def act(self) -> None:
        with self.lock:
            movable = [n for n, s in self.states.items() if s in STEPS]
        if not movable:
            self.report()
            return
        number = self.random.choice(movable)
        status_seen = self.states[number]
        action, who = STEPS[status_seen]
        body: dict = {"expected_status": status_seen}
        if action == "dispatch":
            body["lead"] = self.city["lead"]
        path = f"/api/v1/cases/{number}/actions/{action}/"
        status, answer = self._until_answered("POST", path, self.city["keys"][who], body)
        if status is None:
            return
        if 200 <= status < 300 and isinstance(answer, dict) and answer.get("number") == number:
            self.count("actions_done")
            with self.lock:
                self.states[number] = answer.get("status", "?")
        elif status == 409:  # moved on meanwhile (an earlier try of this very action went through)
            self.count("actions_conflict")
            self.read(number)
        elif 200 <= status < 300:
            self.count("corrupt_answers")
            self.bad.append(f"{path}: 2xx for another case: {answer!r}")
        else:
            self.bad.append(f"{path}: {status} {answer!r}")

    def read(self, number: str | None = None) -> None:
        with self.lock:
            known = list(self.states)
        if not known:
            self.report()
            return
        number = number or self.random.choice(known)
        status, answer = self._until_answered("GET", f"/api/v1/cases/{number}/", self.city["keys"]["street"])
        if status == 200 and isinstance(answer, dict) and answer.get("number") == number:
            self.count("reads_ok")
            with self.lock:
                self.states[number] = answer.get("status", self.states[number])
        elif status == 404:
            # Dispatched cases leave the street's sight only if the street is not the dispatcher: never here.
            self.bad.append(f"read {number}: 404")
        elif status is not None:
            self.count("corrupt_answers" if status == 200 else "reads_refused")
            self.bad.append(f"read {number}: {status} {answer!r}")

    def client(self) -> None:
        while not self.stop.is_set():
            roll = self.random.random()
            (self.report if roll < 0.5 else self.act if roll < 0.8 else self.read)()


def _run_django(mode: str, env: dict[str, str], payload: dict) -> dict:
    """Run ``setup`` or ``check`` in a fresh interpreter pointed at the soak database."""
    with tempfile.NamedTemporaryFile("w+", suffix=".json", delete=False) as f:
        json.dump(payload, f)
    try:
        done = subprocess.run(  # noqa: S603 — our own interpreter and script
            [sys.executable, __file__, f"--{mode}", f.name],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"soak {mode} failed:\n{done.stderr[-4000:]}")
        return json.loads(Path(f.name).read_text())
    finally:
        os.unlink(f.name)


def main(
    seconds: float = 180,
    clients: int = 4,
    database_url: str | None = None,
    keep: bool = False,
    fault: str = "restart",
    log=print,
) -> dict:
    """Run the soak; returns the figures (see the module's docstring)."""
    import redis
    from huey import RedisHuey

    _paths()
    from _common import Receiver

    base = database_url or os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        raise SystemExit("the soak needs PostgreSQL: set DATABASE_URL=postgres://…")
    redis_url = (
        os.environ.get("CHUISHAO_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    )
    redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    restart = _pg_restart_command() if fault == "restart" else None
    if fault == "restart" and restart is None:
        raise SystemExit("no pg_ctlcluster cluster found: set CHUISHAO_SOAK_PG_RESTART or use --fault outage")

    name = f"chuishao_soak_{os.getpid()}"
    restored = name + "_restored"
    url = _with_db(base, name)
    queue_name = f"chuishao-soak-{uuid.uuid4().hex[:12]}"
    workdir = Path(tempfile.mkdtemp(prefix="chuishao-soak-"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "soak_settings",
        "CHUISHAO_SOAK_HUEY_NAME": queue_name,
        "CHUISHAO_REDIS_URL": redis_url,
        "CHUISHAO_VAR": str(workdir / "var"),
        "CHUISHAO_INTAKE_RATE_PER_KEY": "0",
        "CHUISHAO_HTTPS": "0",  # plain HTTP on loopback, knowingly (no TLS warning at each start)
        "CHUISHAO_SECRET_KEY": "soak-" + uuid.uuid4().hex * 2,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT / "src"), str(ROOT)]),
    }
    figures: dict = {"seconds": seconds, "clients": clients, "faults_injected": 0, "faults": []}
    started = time.monotonic()
    receiver = Receiver()
    procs = Processes(env, workdir)
    queue = RedisHuey(queue_name, url=redis_url)
    load: Load | None = None
    try:
        for db in (name, restored):
            _drop(base, db)
        with _admin(base) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        log(f"soak: {name}, setting up the city")
        city = _run_django("setup", env, {"receiver": receiver.url})
        for p in ("app0", "app1", "worker"):
            procs.start(p)
        procs.wait_healthy("app0")
        procs.wait_healthy("app1")
        figures["setup_s"] = round(time.monotonic() - started, 1)

        from django.conf import settings as dj_settings

        if not dj_settings.configured:  # run as a script: this process only enqueues jobs
            os.environ.setdefault("CHUISHAO_SOAK_HUEY_NAME", queue_name)
            _django()
        from chuishao.notify.tasks import notify_tick

        def tick() -> None:
            queue.storage.enqueue(dj_settings.HUEY.serialize_task(notify_tick.s()), 0)

        load = Load(procs.ports, city, seed=os.getpid())
        threads = [threading.Thread(target=load.client, daemon=True) for _ in range(clients)]
        log(f"soak: load from {clients} clients for {seconds:.0f} s")
        t0 = time.monotonic()
        for t in threads:
            t.start()
        dump = workdir / "under-load.dump"
        phase = "load"
        while time.monotonic() - t0 < seconds:
            elapsed = time.monotonic() - t0
            tick()
            if phase == "load" and elapsed >= 0.15 * seconds:
                subprocess.run(
                    ["pg_dump", *_pg_args(base), "-Fc", "--no-owner", "-f", str(dump), name], check=True
                )  # noqa: S603, S607
                figures["dump_taken_at_s"] = round(elapsed, 1)
                phase = "dumped"
            if phase == "dumped" and elapsed >= 0.2 * seconds:
                for victim in ("app1", "worker"):
                    procs.kill(victim)
                    figures["faults"].append(f"SIGKILL {victim} at {elapsed:.1f} s")
                for victim in ("app1", "worker"):
                    procs.start(victim)  # the supervisor's restart
                procs.wait_healthy("app1")
                t_fault = time.monotonic()
                if restart:
                    subprocess.run(restart, check=True, capture_output=True)  # noqa: S603
                    what = "PostgreSQL restart"
                elif fault == "outage":
                    _outage(base, name)
                    what = "database outage (connections refused and terminated)"
                if restart or fault == "outage":
                    figures["faults"].append(
                        f"{what} at {t_fault - t0:.1f} s (took {time.monotonic() - t_fault:.1f} s)"
                    )
                phase = "faulted"
            time.sleep(1)
        load.stop.set()
        # Reports under retry get a definite answer (or are counted unanswered) within a grace period.
        grace = time.monotonic() + 30
        for t in threads:
            t.join(timeout=max(0.1, grace - time.monotonic()))
        load.give_up.set()
        for t in threads:
            t.join(timeout=35)
        figures["load_seconds"] = round(time.monotonic() - t0, 1)

        # Let the worker fan out and deliver everything (the killed claims come back after their lease).
        drain_started = time.monotonic()
        end = drain_started + DRAIN_SECONDS
        while time.monotonic() < end:
            tick()
            time.sleep(2)
            if _drained(url):
                break
        figures["drained"] = _drained(url)
        figures["drain_s"] = round(time.monotonic() - drain_started, 1)
        procs.stop()
        result = _run_django("check", env, {"acked": load.acked})
        delivery_ids = set(result.pop("delivery_ids"))
        seen = dict(receiver.seen)
        figures.update(result)
        figures.update(
            {
                "faults_injected": len(figures["faults"]),
                "requests_sent": load.counts["requests_sent"],
                "reports_acknowledged": len(load.acked),
                "reports_unanswered": len(load.unanswered),
                "actions_done": load.counts["actions_done"],
                "reads_ok": load.counts["reads_ok"],
                "answers_503": load.counts["status_503"],
                "answers_503_without_retry_after": load.counts["503_without_retry_after"],
                "answers_5xx_other_than_503": load.counts["status_5xx"],
                "connection_errors": load.counts["connection_errors"],
                "retries": load.counts["retries"],
                "corrupt_answers": load.counts["corrupt_answers"],
                "unexpected_answers": load.bad[:10],
                "deliveries": len(delivery_ids),
                "deliveries_not_received": len(delivery_ids - set(seen)),
                "deliveries_received_twice": sum(1 for n in seen.values() if n > 1),
                "deliveries_unknown_received": len(set(seen) - delivery_ids),
            }
        )

        # The dump taken under load restores into a new database, and holds together.
        with _admin(base) as conn:
            conn.execute(f'CREATE DATABASE "{restored}"')
        subprocess.run(  # noqa: S603
            ["pg_restore", *_pg_args(base), "--no-owner", "--exit-on-error", "-d", restored, str(dump)],  # noqa: S607
            check=True,
        )
        back = _run_django(
            "check", {**env, "DATABASE_URL": _with_db(base, restored)}, {"acked": {}, "no_notify": True}
        )
        figures["restored"] = {
            k: back[k] for k in ("cases", "audit_ok", "audit_events", "replay_mismatches", "duplicates")
        }
    finally:
        if load is not None:
            load.stop.set()
            load.give_up.set()
        procs.stop()
        receiver.close()
        with contextlib.suppress(Exception):
            queue.flush()
        if not keep:
            for db in (name, restored):
                _drop(base, db)
            shutil.rmtree(workdir, ignore_errors=True)
    figures["elapsed_s"] = round(time.monotonic() - started, 1)
    return figures


def verdict(f: dict, *, fault: str = "restart", min_reports: int = 20) -> list[str]:
    """The invariants the run must keep, as the list of those it broke (empty: the soak passed)."""
    restored = f.get("restored") or {}
    checks = [
        # The faults happened and were seen; the load did run.
        (f["faults_injected"] == (2 if fault == "none" else 3), f"faults injected: {f['faults']}"),
        (fault == "none" or f["answers_503"] + f["connection_errors"] > 0, "no client saw the faults"),
        (f["reports_acknowledged"] > min_reports, f"only {f['reports_acknowledged']} reports acknowledged"),
        (f["actions_done"] > 0 and f["reads_ok"] > 0, "no case action or read went through"),
        # Reports: each acknowledged one is there exactly once, as the case its answer named.
        (
            f["reports_found"] == f["reports_acknowledged"],
            f"{f['reports_missing']} acknowledged reports missing",
        ),
        (f["duplicates"] == 0, f"{f['duplicates']} duplicate reports"),
        (
            f["acknowledged_as_another_case"] == 0,
            f"{f['acknowledged_as_another_case']} acknowledged as another case",
        ),
        # Cases: state = replay of the events; the chains verify.
        (f["replay_mismatches"] == 0, f"state differs from the events' replay: {f['replay_examples']}"),
        (f["audit_ok"], f"audit verify: {f['audit_problems']}"),
        # Notifications: none lost, each delivery received (at least once: only a row the killed worker
        # was sending may arrive twice).
        (f["drained"], "the worker did not deliver everything due"),
        (f["notifications_lost_inbox"] == 0, f"{f['notifications_lost_inbox']} inbox notifications lost"),
        (f["notifications_lost_deliveries"] == 0, f"{f['notifications_lost_deliveries']} deliveries lost"),
        (f["deliveries"] > 0, "no delivery made"),
        (f["deliveries_not_received"] == 0, f"{f['deliveries_not_received']} deliveries not received"),
        (
            f["deliveries_unknown_received"] == 0,
            f"{f['deliveries_unknown_received']} unknown deliveries received",
        ),
        (f["deliveries_received_twice"] <= 2, f"{f['deliveries_received_twice']} deliveries received twice"),
        # Clients: clean errors only.
        (f["answers_5xx_other_than_503"] == 0, f"5xx other than 503: {f['unexpected_answers']}"),
        (
            f["answers_503_without_retry_after"] == 0,
            f"{f['answers_503_without_retry_after']} 503 without Retry-After",
        ),
        (f["corrupt_answers"] == 0, f"{f['corrupt_answers']} corrupt answers: {f['unexpected_answers']}"),
        (f["unexpected_answers"] == [], f"unexpected answers: {f['unexpected_answers']}"),
        # The dump taken under load restores into a consistent database.
        (
            restored.get("audit_ok") is True
            and restored.get("replay_mismatches") == 0
            and restored.get("duplicates") == 0
            and 0 < restored.get("cases", 0) <= f["cases"],
            f"the dump taken under load restored badly: {restored}",
        ),
    ]
    return [problem for ok, problem in checks if not ok]


def markdown(f: dict) -> str:
    rows = [
        ("load (s) / clients", f"{f.get('load_seconds')} / {f.get('clients')}"),
        ("requests sent", f.get("requests_sent")),
        ("faults injected", f"{f.get('faults_injected')}: " + "; ".join(f.get("faults", []))),
        (
            "answers 503 (with Retry-After) / other 5xx",
            f"{f.get('answers_503')} / {f.get('answers_5xx_other_than_503')}",
        ),
        ("connection errors / retries", f"{f.get('connection_errors')} / {f.get('retries')}"),
        ("corrupt answers", f.get("corrupt_answers")),
        (
            "reports acknowledged / found / duplicates",
            f"{f.get('reports_acknowledged')} / {f.get('reports_found')} / {f.get('duplicates')}",
        ),
        ("reports never answered (gave up)", f.get("reports_unanswered")),
        ("case actions / reads", f"{f.get('actions_done')} / {f.get('reads_ok')}"),
        ("cases whose state ≠ replay of events", f.get("replay_mismatches")),
        ("audit verify", f"{'clean' if f.get('audit_ok') else 'BROKEN'} ({f.get('audit_events')} events)"),
        (
            "lost notifications (inbox / deliveries)",
            f"{f.get('notifications_lost_inbox')} / {f.get('notifications_lost_deliveries')}",
        ),
        (
            "deliveries / not received / received twice",
            f"{f.get('deliveries')} / {f.get('deliveries_not_received')} / "
            f"{f.get('deliveries_received_twice')}",
        ),
        ("dump under load, restored", json.dumps(f.get("restored"))),
        ("set-up / drain (s)", f"{f.get('setup_s')} / {f.get('drain_s')}"),
        ("elapsed (s)", f.get("elapsed_s")),
    ]
    return "\n".join(["| figure | value |", "|---|---|", *[f"| {a} | {b} |" for a, b in rows]])


def _child(mode: str, path: str) -> None:
    payload = json.loads(Path(path).read_text())
    if mode == "setup":
        out = setup_city(payload["receiver"])
    else:
        out = check(payload["acked"], notifications=not payload.get("no_notify"))
    Path(path).write_text(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] in ("--setup", "--check"):
        _child(sys.argv[1][2:], sys.argv[2])
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the soak databases")
    parser.add_argument(
        "--fault",
        choices=["restart", "outage", "none"],
        default="restart",
        help="restart PostgreSQL (default), take only the soak database away, or neither",
    )
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument(
        "--min-reports", type=int, default=20, help="fewer acknowledged reports fail the run (the load ran)"
    )
    args = parser.parse_args()
    result = main(args.seconds, args.clients, keep=args.keep, fault=args.fault)
    problems = verdict(result, fault=args.fault, min_reports=args.min_reports)
    result["problems"] = problems
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(markdown(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    if problems:  # CI runs this: a broken invariant fails the run
        print("soak FAILED:\n- " + "\n- ".join(problems), file=sys.stderr)
        sys.exit(1)
    print("soak passed: every invariant held")
