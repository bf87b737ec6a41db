"""Helpers shared by the benchmarks: the ``--json`` result rows, Django set-up, medians and the
machine line.

Every benchmark prints its own human-readable table and, with ``--json PATH``, appends its result rows
to PATH (a JSON list, created if missing) for ``bench/run.py`` to print as one table. A row is::

    {"what": str, "figure": str, "baseline": str, "target": str, "met": true | false | null,
     "data": {...raw numbers...}}

``met`` is null where a row has no target, or where the run (``--quick``) is not judged.

``Receiver`` is the webhook endpoint of the runs that check deliveries (``bench/soak.py`` and
``tests/workers/test_several_workers.py``, which loads this file by its path).
"""

from __future__ import annotations

import collections
import json
import os
import platform
import statistics
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def row(
    what: str, figure: str, *, baseline: str = "—", target: str = "—", met: bool | None = None, **data: Any
) -> dict[str, Any]:
    """One result row (``data`` holds the raw numbers behind the figure)."""
    return {
        "what": what,
        "figure": figure,
        "baseline": baseline,
        "target": target,
        "met": None if met is None else bool(met),
        "data": data,
    }


def write_json(path: str | os.PathLike | None, rows: list[dict[str, Any]]) -> None:
    """Append ``rows`` to the JSON list in ``path`` (nothing without a path)."""
    if not path:
        return
    target = Path(path)
    existing: list = []
    if target.exists() and target.stat().st_size:
        existing = json.loads(target.read_text(encoding="utf-8"))
        if not isinstance(existing, list):
            raise SystemExit(f"{target} does not hold a JSON list")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(json.dumps([*existing, *rows], ensure_ascii=False, indent=1), encoding="utf-8")
    temporary.replace(target)


def add_common_arguments(parser) -> None:
    parser.add_argument("--json", metavar="PATH", help="append the result rows to this JSON list")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and few repetitions (CI: keeps it working)"
    )


def django_setup() -> str:
    """Set Django up on the database ``DATABASE_URL`` names (unset: SQLite under var/ or CHUISHAO_VAR);
    returns a label for it. Nothing is created or migrated: the benchmarks read a loaded city."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuishao.settings")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0].split()[0]
            cursor.execute("SHOW jit")
            jit = cursor.fetchone()[0]
        return f"PostgreSQL {version} ({connection.settings_dict['NAME']}, jit={jit})"
    return f"SQLite {connection.Database.sqlite_version} ({connection.settings_dict['NAME']})"


def machine_line(database: str = "") -> str:
    import django

    parts = [
        f"machine: {platform.machine()}, {os.cpu_count()} cores",
        f"python {platform.python_version()}",
        f"Django {django.get_version()}",
    ]
    if database:
        parts.append(database)
    return "; ".join(parts)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0…1) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def judged(quick: bool, met: bool) -> bool | None:
    """A target's verdict, or None for a quick run (its figures are not judged)."""
    return None if quick else met


class Receiver:
    """A webhook endpoint on loopback (``url``) that counts each delivery id it is sent (``seen``).

    Answers 200 to every POST and counts its ``X-Chuishao-Delivery`` header: a delivery received
    twice shows as a count of 2. Serves from a daemon thread until ``close()``."""

    def __init__(self) -> None:
        self.seen: collections.Counter[int] = collections.Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — the http.server API
                self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.seen[int(self.headers["X-Chuishao-Delivery"])] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
