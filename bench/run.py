"""``make bench``: load the synthetic city, run every benchmark, print one table of figures and baselines.

    make bench                       # PostgreSQL when DATABASE_URL names one, else SQLite under var/
    make bench BENCH_ARGS=--quick    # small sizes: keeps the benchmarks working (CI), figures not judged
    .venv/bin/python bench/run.py --grids 100000 --cases 1000000 [--reuse] [--only desk,dashboard]

Steps: ``chuishao bench-data`` fills a fresh database (PostgreSQL: ``<name>_bench_city`` next to the one
DATABASE_URL names; SQLite: var/bench-city/) unless ``--reuse`` finds it loaded; then each benchmark
runs in its own process and appends its rows to a JSON file; the table is printed at the end and
written to var/bench/results.md. The routing, sweep and intake benchmarks build their own data (an
in-memory index, a database of open cases, a served city); the dashboard, desk and rollup ones read
the loaded city (the rollup one last: it appends events). A benchmark that fails makes the run fail;
a missed target does not (it is a figure to report).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHUISHAO = str(Path(PYTHON).with_name("chuishao"))

# (name, reads the loaded city)
BENCHMARKS = [
    ("routing", False),
    ("sweep", False),
    ("intake", False),
    ("dashboard", True),
    ("desk", True),
    ("rollup", True),
]
FULL = {"grids": 100_000, "cases": 1_000_000}
QUICK = {"grids": 300, "cases": 3_000}


def _city_env(reuse: bool) -> tuple[dict[str, str], bool]:
    """The environment that points at the bench city's database, and whether it is already loaded."""
    env = dict(os.environ)
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, _, name = url.rpartition("/")
        bench = f"{(name or 'chuishao').split('?')[0]}_bench_city"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench]).fetchone()
            if exists and not reuse:
                conn.execute(f'DROP DATABASE "{bench}" WITH (FORCE)')
            if not exists or not reuse:
                conn.execute(f'CREATE DATABASE "{bench}"')
        env["DATABASE_URL"] = f"{base}/{bench}"
        loaded = bool(exists) and reuse
    else:
        var = ROOT / "var" / "bench-city"
        loaded = reuse and (var / "chuishao.sqlite3").exists()
        if not loaded:
            for old in var.glob("chuishao.sqlite3*"):
                old.unlink()
        var.mkdir(parents=True, exist_ok=True)
        env["CHUISHAO_VAR"] = str(var)
    return env, loaded


def _table(rows: list[dict]) -> str:
    def mark(met):
        return "—" if met is None else ("✔" if met else "✘")

    lines = ["| what | figure | baseline in the same run | target | met |", "|---|---|---|---|---|"]
    lines += [
        f"| {r['what']} | {r['figure']} | {r['baseline']} | {r['target']} | {mark(r['met'])} |" for r in rows
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (CI): keeps every benchmark working"
    )
    parser.add_argument("--grids", type=int)
    parser.add_argument("--cases", type=int)
    parser.add_argument("--reuse", action="store_true", help="keep an already-loaded bench city")
    parser.add_argument("--only", help="comma-separated benchmark names (default: all)")
    args = parser.parse_args()
    size = dict(QUICK if args.quick else FULL)
    size.update({k: v for k, v in (("grids", args.grids), ("cases", args.cases)) if v is not None})
    only = set(args.only.split(",")) if args.only else {name for name, _ in BENCHMARKS}
    unknown = only - {name for name, _ in BENCHMARKS}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / "results.json"
    results.unlink(missing_ok=True)
    started = time.monotonic()
    timings: dict[str, float] = {}
    failed: list[str] = []

    city_env, loaded = _city_env(args.reuse)
    fresh = False  # loaded in this run: its rollup was rebuilt a moment ago
    if any(reads for name, reads in BENCHMARKS if name in only):
        if loaded:
            print("== bench city: reusing the loaded one", flush=True)
        else:
            print(f"== bench city: {size['grids']:,} grids, {size['cases']:,} cases", flush=True)
            t = time.monotonic()
            done = subprocess.run(
                [CHUISHAO, "bench-data", "--grids", str(size["grids"]), "--cases", str(size["cases"]),
                 "--json", str(out_dir / "bench-data.json"), *(["--no-progress"] if args.quick else [])],
                env=city_env, cwd=ROOT, check=False,
            )  # fmt: skip
            timings["bench-data"] = time.monotonic() - t
            fresh = done.returncode == 0
            if done.returncode:
                print("bench-data failed: the benchmarks that read the city are skipped", flush=True)
                failed.append("bench-data")
                only -= {name for name, reads in BENCHMARKS if reads}

    for name, reads in BENCHMARKS:
        if name not in only:
            continue
        print(f"\n== {name}", flush=True)
        t = time.monotonic()
        command = [PYTHON, str(ROOT / "bench" / f"{name}.py"), "--json", str(results)]
        if args.quick:
            command.append("--quick")
        if name == "rollup" and fresh:
            command.append("--loaded")  # bench-data ended with the rebuild the first round would repeat
        done = subprocess.run(command, env=city_env if reads else dict(os.environ), cwd=ROOT, check=False)
        timings[name] = time.monotonic() - t
        if done.returncode:
            failed.append(name)

    rows = json.loads(results.read_text(encoding="utf-8")) if results.exists() else []
    vendor = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    loaded_line = ""
    if (out_dir / "bench-data.json").exists():
        data = json.loads((out_dir / "bench-data.json").read_text(encoding="utf-8"))
        loaded_line = (
            f"Bench city: {data['grids']:,} grids, {data['cases']:,} cases, {data['events']:,} events, "
            f"{data['rollup_rows']:,} rollup rows, loaded in {data['seconds']['total']:.0f} s.\n"
        )
    report = (
        f"# make bench{' --quick (figures not judged)' if args.quick else ''}\n\n"
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {vendor}; "
        f"python {platform.python_version()}; "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end.\n{loaded_line}\n"
        f"{_table(rows)}\n\n"
        + "Wall time: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
        + f"; total {time.monotonic() - started:.0f} s.\n"
    )
    if args.quick:
        report = report.replace("| ✔ |", "| — |").replace("| ✘ |", "| — |")
    (out_dir / "results.md").write_text(report, encoding="utf-8")
    print("\n" + report)
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
