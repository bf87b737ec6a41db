"""Deadline-sweep benchmark: one sweep over N open cases (1,000,000 by default), of which K are due.

Builds its own database — on PostgreSQL (``DATABASE_URL``, the benchmark's target) a fresh database
named ``<name>_bench_sweep``, else a SQLite file under var/bench-sweep/ — with a one-grid city, the catalogue
and the official calendar, then bulk-loads N open cases (COPY on PostgreSQL) whose next sweep moments
lie spread over the coming 30 days. It then times sweeps:

- with nothing due (the cost of looking), and
- with K cases due to turn yellow for K in ``--due`` (each writes its ``case.warned`` event),

so that the figures show the sweep's cost following the number of cases that change colour, not
the number of open cases. Median of ``--repeat`` runs; between runs the due cases are put back.

    DATABASE_URL=postgres://… .venv/bin/python bench/sweep.py [--cases 1000000] [--due 0,1000,10000]

``--quick`` (CI): 5,000 cases, 0 and 100 due, one repetition; ``--json PATH`` appends the result rows
for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuishao.settings")

sys.path.insert(0, str(ROOT / "bench"))
from _common import add_common_arguments, judged, row, write_json  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 16, 10, 0, tzinfo=SHANGHAI)  # a Monday morning


def _database(args) -> None:
    """Point Django at a fresh benchmark database before it is set up."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, _, name = url.rpartition("/")
        bench_name = f"{name or 'chuishao'}_bench_sweep"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{bench_name}"')
        os.environ["DATABASE_URL"] = f"{base}/{bench_name}"
    else:
        var = ROOT / "var" / "bench-sweep"
        var.mkdir(parents=True, exist_ok=True)
        for old in var.glob("chuishao.sqlite3*"):
            old.unlink()
        os.environ["CHUISHAO_VAR"] = str(var)


def _city():
    from chuishao.actors import SYSTEM
    from chuishao.catalog.calendar_io import calendar_load_official
    from chuishao.catalog.services import catalog_load_defaults
    from chuishao.geo.importer import geo_import
    from chuishao.geo.models import Jurisdiction

    def square(x0, y0, w, h):
        ring = [[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]
        return {"type": "Polygon", "coordinates": [ring]}

    shape = square(116.3, 39.9, 0.001, 0.001)
    features = [
        {
            "type": "Feature",
            "properties": {"kind": k, "code": c, "name": n, **({"parent": p} if p else {})},
            "geometry": shape,
        }
        for k, c, n, p in [
            ("city", "110000", "基准市", None),
            ("district", "110901", "基准区", "110000"),
            ("street", "110901001", "基准街道", "110901"),
            ("community", "110901001001", "基准社区", "110901001"),
            ("grid", "110901001001001", "基准网格", "110901001001"),
        ]
    ]
    geo_import(actor=SYSTEM, data={"type": "FeatureCollection", "features": features})
    catalog_load_defaults(actor=SYSTEM)
    calendar_load_official(actor=SYSTEM, years=[2026])
    return {j.kind: j.pk for j in Jurisdiction.objects.all()}


def _load_cases(n: int, nodes: dict[str, int]) -> None:
    """Bulk-load ``n`` open cases in the handling stage, their next sweep spread over 30 days."""
    from django.db import connection
    from tqdm import tqdm

    from chuishao.cases.models import Case
    from chuishao.catalog.models import Category

    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    defaults = {f.attname: f.get_default() for f in fields}
    span = 30 * 86400
    rows_per_chunk = 20_000

    def row(i: int) -> list:
        sweep_at = T0 + dt.timedelta(seconds=60 + (i * 7919) % span)
        values = dict(defaults)
        values.update(
            number=f"B{i:09d}",
            follow_token=f"t{i:020d}",
            city_id=nodes["city"],
            district_id=nodes["district"],
            street_id=nodes["street"],
            community_id=nodes["community"],
            grid_id=nodes["grid"],
            source="grid_patrol",
            nature="complaint",
            category_id=category.pk,
            description="基准案件",
            priority="normal",
            status="handling",
            stage="handle",
            yellow_at=sweep_at,
            sweep_at=sweep_at,
            deadline_at=sweep_at + dt.timedelta(hours=2),
            deadlines={},
            nearby_jurisdictions=[],
            created_at=T0 - dt.timedelta(days=1),
            updated_at=T0 - dt.timedelta(days=1),
        )
        return [values[f.attname] for f in fields]

    with tqdm(total=n, unit="case", desc="loading cases") as bar:
        if connection.vendor == "postgresql":
            import json

            with connection.cursor() as cursor:
                raw = cursor.cursor  # the psycopg cursor, for COPY
                with raw.copy(f"COPY cases_case ({', '.join(columns)}) FROM STDIN") as copy:
                    for i in range(n):
                        copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in row(i)])
                        if i % rows_per_chunk == 0:
                            bar.update(min(rows_per_chunk, n - bar.n))
            connection.commit() if not connection.get_autocommit() else None
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE cases_case")
        else:
            objs = []
            for i in range(n):
                objs.append(Case(**dict(zip([f.attname for f in fields], row(i), strict=True))))
                if len(objs) == rows_per_chunk:
                    Case.objects.bulk_create(objs, batch_size=2000)
                    bar.update(len(objs))
                    objs = []
            if objs:
                Case.objects.bulk_create(objs, batch_size=2000)
                bar.update(len(objs))
        bar.n = n
        bar.refresh()


def _make_due(k: int) -> list[int]:
    """Put ``k`` cases 1 minute past their yellow point (and before their deadline) at T0."""
    from chuishao.cases.models import Case

    ids = list(Case.objects.order_by("sweep_at").values_list("pk", flat=True)[:k])
    Case.objects.filter(pk__in=ids).update(
        warn_level="",
        yellow_at=T0 - dt.timedelta(minutes=1),
        sweep_at=T0 - dt.timedelta(minutes=1),
        deadline_at=T0 + dt.timedelta(hours=1),
    )
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due", default="0,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    add_common_arguments(parser)
    args = parser.parse_args()
    if args.quick:
        args.cases, args.due, args.repeat = 5_000, "0,100", 1
    _database(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from chuishao import clock
    from chuishao.cases.models import Case
    from chuishao.cases.sweep import deadline_sweep

    call_command("migrate", verbosity=0)
    nodes = _city()
    started = time.perf_counter()
    _load_cases(args.cases, nodes)
    load_s = time.perf_counter() - started
    open_cases = Case.objects.count()

    print(f"\n{open_cases:,} open cases on {connection.vendor} (loaded in {load_s:.0f} s)")
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, median of {args.repeat}\n")
    print("| cases due (turning yellow) | sweep seconds (median) | changed | per changed case |")
    print("|---|---|---|---|")
    measured: list[tuple[int, float, int]] = []
    for k in [int(x) for x in args.due.split(",") if x.strip()]:
        times, changed = [], 0
        for _ in range(args.repeat):
            _make_due(k)
            with clock.frozen(T0):
                t = time.perf_counter()
                result = deadline_sweep()
                times.append(time.perf_counter() - t)
            changed = result.changed
        median = statistics.median(times)
        per = f"{median / changed * 1000:.2f} ms" if changed else "—"
        print(f"| {k:,} | {median:.3f} | {changed:,} | {per} |")
        measured.append((k, median, changed))
    _json_rows(args, open_cases, measured)


def _json_rows(args, open_cases: int, measured: list[tuple[int, float, int]]) -> None:
    """The sweep's rows for the table: the largest sweep against 5 s, and how its cost grows."""
    if not measured:
        return
    data = {"open_cases": open_cases, "repeat": args.repeat, "sweeps": [list(m) for m in measured]}
    k, seconds, _ = max(measured)
    idle = [s for due, s, _ in measured if due == 0]
    per = [(s / c, due) for due, s, c in measured if c]
    rows = [
        row(
            f"deadline sweep over {open_cases:,} open cases, {k:,} due",
            f"{seconds:.2f} s",
            target="< 5 s",
            met=judged(args.quick, seconds < 5),
            seconds=seconds,
            **data,
        )
    ]
    if idle and per:
        # Grows with changed cases: an idle sweep is one index probe, and the cost per changed case
        # stays level (the largest sweep's within 2× of the smallest's).
        grows = idle[0] < 0.05 and max(per)[0] <= 2 * min(per)[0]
        steps = [f"{due:,} due {p * 1000:.2f} ms/case" for p, due in sorted(per, key=lambda x: x[1])]
        rows.append(
            row(
                f"deadline sweep: growth over {open_cases:,} open cases",
                f"nothing due {idle[0] * 1000:.0f} ms; " + ", ".join(steps),
                target="grows with changed cases, not with open cases",
                met=judged(args.quick, grows),
                idle_seconds=idle[0],
                per_changed_ms={str(due): p * 1000 for p, due in per},
                **data,
            )
        )
    write_json(args.json, rows)


if __name__ == "__main__":
    main()
