"""Intake benchmark: reports over HTTP into a real server, next to the raw PostgreSQL insert rate.

Builds its own database — on PostgreSQL (``DATABASE_URL``, the benchmark's target) a fresh database
named ``<name>_bench_intake``, else a SQLite file under var/bench-intake/ — with a city of 96 grids,
street offices and district departments, the catalogue and the official calendar, and an Open311 API
key. Then, in the same run:

1. **raw**: single-row INSERT transactions per second with psycopg on one connection (and on
   ``--clients`` connections at once), into a plain logged table — the baseline;
2. **intake**: ``chuishao serve --production`` (gunicorn) is started, and a separate load process
   posts Open311 reports (form-encoded, random points in the city, several categories) from
   ``--clients`` keep-alive connections for ``--seconds`` seconds, after a short warm-up.

It prints requests per second, p50/p90/p99 latency, errors, and the ratio to the raw rate.
``--profile N`` also runs N reports in-process under cProfile and prints where the time goes.

    DATABASE_URL=postgres://… .venv/bin/python bench/intake.py [--seconds 20] [--clients 6]

``--quick`` (CI): 3 s of load from 2 connections on 1 worker × 2 threads, 1 s of raw inserts;
``--json PATH`` appends the result row for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuishao.settings")
sys.path.insert(0, str(ROOT / "bench"))
from _common import add_common_arguments, judged, row, write_json  # noqa: E402

# No per-key rate limit: the benchmark (server and --profile) posts far more than 600 reports a minute.
os.environ["CHUISHAO_INTAKE_RATE_PER_KEY"] = "0"

# The city spans this box; grids are 12 per community, 2 communities per street, 2 streets per district.
WEST, SOUTH, EAST, NORTH = 116.30, 39.90, 116.40, 39.96
CATEGORIES = ["S0102", "S0104", "S0201", "S0505", "S0507", "B0301", "B0402", "S0110"]


def _database() -> str:
    """Point Django at a fresh benchmark database before it is set up; returns a label for it."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        parts = urlsplit(url)
        bench_name = f"{parts.path.strip('/') or 'chuishao'}_bench_intake"
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{bench_name}"')
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{bench_name}"))
        return "PostgreSQL"
    if url and not url.startswith("sqlite"):
        raise SystemExit(f"DATABASE_URL must name PostgreSQL (or be unset for SQLite): {url.split(':')[0]}")
    # Never the SQLite file a DATABASE_URL may name: the benchmark fills its own file from scratch.
    os.environ.pop("DATABASE_URL", None)
    var = ROOT / "var" / "bench-intake"
    var.mkdir(parents=True, exist_ok=True)
    for old in var.glob("chuishao.sqlite3*"):
        old.unlink()
    os.environ["CHUISHAO_VAR"] = str(var)
    return "SQLite"


def _box(x0: float, y0: float, x1: float, y1: float) -> dict:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _split(x0: float, y0: float, x1: float, y1: float, nx: int, ny: int) -> list[tuple]:
    w, h = (x1 - x0) / nx, (y1 - y0) / ny
    return [
        (x0 + i * w, y0 + j * h, x0 + (i + 1) * w, y0 + (j + 1) * h) for j in range(ny) for i in range(nx)
    ]


def _city_geojson() -> dict:
    features = []

    def add(kind: str, code: str, name: str, box: tuple, parent: str | None) -> None:
        props = {"kind": kind, "code": code, "name": name, **({"parent": parent} if parent else {})}
        features.append({"type": "Feature", "properties": props, "geometry": _box(*box)})

    add("city", "110000", "基准市", (WEST, SOUTH, EAST, NORTH), None)
    for d, dbox in enumerate(_split(WEST, SOUTH, EAST, NORTH, 2, 1), start=1):
        dcode = f"1109{d:02d}"
        add("district", dcode, f"第{d}区", dbox, "110000")
        for s, sbox in enumerate(_split(*dbox, 1, 2), start=1):
            scode = f"{dcode}{s:03d}"
            add("street", scode, f"第{d}区第{s}街道", sbox, dcode)
            for c, cbox in enumerate(_split(*sbox, 2, 1), start=1):
                ccode = f"{scode}{c:03d}"
                add("community", ccode, f"{scode}社区{c}", cbox, scode)
                for g, gbox in enumerate(_split(*cbox, 4, 3), start=1):
                    add("grid", f"{ccode}{g:03d}", f"{ccode}网格{g}", gbox, ccode)
    return {"type": "FeatureCollection", "features": features}


def _setup() -> str:
    """Migrate, load the city and its organisations; returns a new Open311 key."""
    import django

    django.setup()
    from django.core.management import call_command

    from chuishao.actors import SYSTEM
    from chuishao.catalog.calendar_io import CalendarImportError, calendar_load_official
    from chuishao.catalog.services import catalog_load_defaults
    from chuishao.geo.importer import geo_import
    from chuishao.geo.models import Jurisdiction
    from chuishao.orgs.apikeys import apikey_create
    from chuishao.orgs.services import organisation_upsert

    call_command("migrate", verbosity=0)
    catalog_load_defaults(actor=SYSTEM)
    this_year = time.localtime().tm_year
    for year in (this_year - 1, this_year, this_year + 1):  # the package may not know next year yet
        try:
            calendar_load_official(actor=SYSTEM, years=[year])
        except CalendarImportError:
            print(f"(chinesecalendar has no official calendar for {year}; not loaded)")
    geo_import(actor=SYSTEM, data=_city_geojson())
    for node in Jurisdiction.objects.filter(kind__in=["district", "street"]):
        if node.kind == "street":
            organisation_upsert(
                actor=SYSTEM,
                code=f"so-{node.code}",
                kind="street_office",
                name=f"{node.name}办事处",
                jurisdiction=node,
                dept_type="street_office",
            )
        else:
            for dept, name in [
                ("urban_management", "城管执法局"),
                ("water", "水务局"),
                ("landscaping", "园林绿化局"),
            ]:
                organisation_upsert(
                    actor=SYSTEM,
                    code=f"{dept}-{node.code}",
                    kind="department",
                    name=name,
                    jurisdiction=node,
                    dept_type=dept,
                )
    _, raw = apikey_create(actor=SYSTEM, name="bench", scopes=["open311"])
    from django.db import connections

    connections.close_all()
    return raw


def _raw_rate(url: str, seconds: float, connections: int) -> float:
    """Single-row INSERT transactions per second over ``connections`` psycopg connections."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw")
        conn.execute(
            "CREATE TABLE bench_raw (id bigserial PRIMARY KEY, payload text NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
    counts = [0] * connections
    stop = time.perf_counter() + seconds

    def run(i: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            payload = "垃圾堆了三天没人清" * 8
            while time.perf_counter() < stop:
                with conn.transaction():
                    conn.execute("INSERT INTO bench_raw (payload) VALUES (%s)", (payload,))
                counts[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_raw")
    return sum(counts) / elapsed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM the server's process group (master and workers), SIGKILL it if it lingers."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def _serve(port: int, workers: int, threads: int) -> subprocess.Popen:
    log_path = ROOT / "var" / "bench-intake-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    args = [
        "serve",
        "--production",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "chuishao.cli", *args],
            env={
                **os.environ,
                "CHUISHAO_LOG_LEVEL": "ERROR",
                # Production mode refuses the demo key; the benchmark's server gets a throwaway one.
                "CHUISHAO_SECRET_KEY": os.environ.get("CHUISHAO_SECRET_KEY") or secrets.token_urlsafe(50),
            },
            stdout=subprocess.DEVNULL,  # the access log
            stderr=log,
            start_new_session=True,  # its own process group, stopped as a whole
        )
    deadline = time.monotonic() + 60
    while not _healthy(port):
        if server.poll() is not None or time.monotonic() > deadline:
            _stop(server)
            raise SystemExit(f"the server did not start; see {log_path}")
        time.sleep(0.1)
    return server


def _client(args: tuple) -> tuple[list[float], dict[int, int], int]:
    """One load thread per connection inside this process; returns latencies (s), statuses, errors."""
    port, key, warmup, seconds, clients, seed = args
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: dict[int, int] = {}
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter() + warmup
    stop = start + seconds

    def run(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            now = time.perf_counter()
            if now >= stop:
                break
            body = urlencode(
                {
                    "api_key": key,
                    "service_code": rng.choice(CATEGORIES),
                    "description": f"巡查发现问题，请尽快处理（{rng.randint(1, 10**9)}）",
                    "lat": rng.uniform(SOUTH + 0.0005, NORTH - 0.0005),
                    "long": rng.uniform(WEST + 0.0005, EAST - 0.0005),
                }
            )
            t0 = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    "/open311/v2/requests.json",
                    body=body,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            t1 = time.perf_counter()
            if t0 >= start:
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if 200 <= status < 300:
                        latencies[i].append(t1 - t0)
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [x for per in latencies for x in per], statuses, errors[0]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _profile(key: str, n: int) -> None:
    """Run ``n`` reports in-process through the Open311 view under cProfile; print the top of it."""
    import cProfile
    import pstats

    from django.test import Client

    client = Client()
    rng = random.Random(7)

    def post() -> None:
        response = client.post(
            "/open311/v2/requests.json",
            {
                "api_key": key,
                "service_code": rng.choice(CATEGORIES),
                "description": "巡查发现问题，请尽快处理",
                "lat": rng.uniform(SOUTH + 0.0005, NORTH - 0.0005),
                "long": rng.uniform(WEST + 0.0005, EAST - 0.0005),
            },
        )
        assert response.status_code < 300, response.content

    post()  # warm the routing index and caches
    from django.db import connection

    captured: list[tuple[float, str]] = []

    def capture(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            captured.append((time.perf_counter() - t, " ".join(sql.split())))

    with connection.execute_wrapper(capture):
        post()
    t0 = time.perf_counter()
    for _ in range(n):
        post()
    wall = (time.perf_counter() - t0) / n
    print(
        f"\nin process, one thread, no profiler: {wall * 1000:.1f} ms per report "
        f"({1 / wall:,.0f} reports/s); {len(captured)} SQL statements in one report "
        f"({sum(t for t, _ in captured) * 1000:.1f} ms waiting on them):"
    )
    for t, sql in captured:
        print(f"  {t * 1000:5.2f} ms  {sql[:140]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        post()
    profiler.disable()
    stats = pstats.Stats(profiler)
    print(f"\nprofile of {n} in-process reports (cumulative time, top 40):")
    stats.sort_stats("cumulative").print_stats(40)
    print(f"profile of {n} in-process reports (own time, top 20):")
    stats.sort_stats("tottime").print_stats(20)
    print("where the intake service's own time goes (case_report's callees):")
    stats.sort_stats("cumulative").print_callees(r"services/intake.py:\d+\(case_report\)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=6, help="concurrent keep-alive connections")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--raw-seconds", type=float, default=5.0)
    parser.add_argument("--profile", type=int, default=0, help="also profile N in-process reports")
    add_common_arguments(parser)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup, args.raw_seconds = 3.0, 0.5, 1.0
        args.clients, args.workers, args.threads = 2, 1, 2

    backend = _database()
    t0 = time.perf_counter()
    key = _setup()
    print(f"city of 96 grids loaded on {backend} in {time.perf_counter() - t0:.1f} s")

    raw_one = raw_many = None
    if backend == "PostgreSQL":
        url = os.environ["DATABASE_URL"]
        raw_one = _raw_rate(url, args.raw_seconds, 1)
        raw_many = _raw_rate(url, args.raw_seconds, args.clients)

    port = _free_port()
    server = _serve(port, args.workers, args.threads)
    try:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(1) as pool:  # the load comes from a separate process
            latencies, statuses, errors = pool.apply(
                _client, ((port, key, args.warmup, args.seconds, args.clients, 1),)
            )
    finally:
        _stop(server)

    rate = len(latencies) / args.seconds
    p50, p90, p99 = (_percentile(latencies, q) * 1000 for q in (0.5, 0.9, 0.99))
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"gunicorn {args.workers} workers × {args.threads} threads; {args.clients} client connections"
    )
    print("| what | figure |")
    print("|---|---|")
    print(f"| intake over HTTP (Open311 POST), {backend} | {rate:,.0f} req/s |")
    print(f"| latency p50 / p90 / p99 | {p50:.1f} / {p90:.1f} / {p99:.1f} ms |")
    print(f"| errors (non-2xx or failed) | {errors} of {errors + len(latencies)} {json.dumps(statuses)} |")
    if raw_one is not None:
        print(f"| raw psycopg single-row INSERT transactions, 1 connection | {raw_one:,.0f} tx/s |")
        many = f"{args.clients} connections"
        print(f"| raw psycopg single-row INSERT transactions, {many} | {raw_many:,.0f} tx/s |")
        print(f"| intake / raw (1 connection) | {rate / raw_one:.1%} (target ≥ 25 %) |")
        print(f"| intake / raw ({args.clients} connections) | {rate / raw_many:.1%} |")
    print(f"| p99 target < 50 ms | {'met' if p99 < 50 else 'missed'} |")
    ratio = rate / raw_one if raw_one else None
    of_raw = f" ({ratio:.1%} of raw)" if ratio is not None else ""
    write_json(
        args.json,
        [
            row(
                f"intake over HTTP (gunicorn, {backend}), {args.clients} connections",
                f"{rate:,.0f} req/s, p99 {p99:.0f} ms{of_raw}",
                baseline=f"raw psycopg single-row INSERT {raw_one:,.0f} tx/s (1 connection)"
                if raw_one
                else "none on SQLite",
                target="≥ 25 % of raw, p99 < 50 ms",
                met=judged(args.quick, (ratio is None or ratio >= 0.25) and p99 < 50 and not errors),
                rate=rate,
                p50_ms=p50,
                p90_ms=p90,
                p99_ms=p99,
                raw_one=raw_one,
                raw_many=raw_many,
                ratio=ratio,
                errors=errors,
                requests=len(latencies),
                clients=args.clients,
                workers=args.workers,
                threads=args.threads,
                seconds=args.seconds,
                backend=backend,
            )
        ],
    )
    if args.profile:
        _profile(key, args.profile)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
