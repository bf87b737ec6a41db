"""Case desk benchmark: the filtered case list page (``/cases/``) as a street dispatcher, p50/p95 latency
and the number of SQL statements per request.

Runs against an already-loaded city — the database ``DATABASE_URL`` names (unset: the SQLite file
under var/ or ``CHUISHAO_VAR``); it creates nothing but the login session. It signs in a street
dispatcher (the one whose street received most cases, by the rollup), then GETs the case list
in-process through Django's test client (the whole stack but the socket: middleware, session, form,
scoped query, paginator, template) ``--requests`` times, rotating through realistic filter
combinations (state, category, open only, overdue, colour, source, month, number/text search; pages 1
and 2). Prints p50/p95 over all requests and per combination, and the most statements one request ran.

With ``--explain`` (PostgreSQL), the slowest statement of each combination is run again under
``EXPLAIN (ANALYZE, BUFFERS)`` and its plan printed, to see where the time goes.

    DATABASE_URL=postgres://… .venv/bin/python bench/desk.py [--requests 200] [--explain]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict

from _common import add_common_arguments, django_setup, judged, machine_line, percentile, row, write_json

TARGET_P95_MS = 150.0
# The page's statements: session, user, categories, grants, nodes in reach, count, page, unread
# notifications. "Bounded" means no statement per listed row: the most one request may run.
MAX_STATEMENTS = 10


def _dispatcher():
    """A street dispatcher, of the street with most cases received (by the rollup) if it can tell."""
    from django.db.models import Sum

    from chuishao.evaluation.models import Rollup
    from chuishao.orgs.models import Membership, Role

    members = Membership.objects.filter(role=Role.STREET_DISPATCHER, active=True, node__kind="street")
    busiest = (
        Rollup.objects.filter(unit_kind="street", unit_id__in=members.values("node_id"))
        .values("unit_id")
        .annotate(n=Sum("received"))
        .order_by("-n")
        .first()
    )
    if busiest:
        members = members.filter(node_id=busiest["unit_id"])
    member = members.select_related("person", "node").order_by("pk").first()
    if member is None:
        raise SystemExit("no street dispatcher in this database: load a city with staff accounts first")
    return member.person, member.node


def _combinations(street) -> list[tuple[str, dict[str, str]]]:
    """Filter combinations a dispatcher uses, with values taken from the street's own cases."""
    from chuishao.cases.models import Case
    from chuishao.catalog.models import Category
    from chuishao.evaluation.definitions import period_of

    newest = Case.objects.filter(street_id=street.pk).order_by("-created_at").first()
    if newest is None:
        raise SystemExit(f"street {street.name} has no cases")
    major = newest.category.parent_id or newest.category_id
    second = Category.objects.filter(parent__isnull=True).exclude(pk=major).order_by("pk").first()
    month = period_of(newest.created_at)
    digits = newest.number[-4:]
    words = (newest.description or "").strip()[:2] or "垃圾"
    combos = [
        ("no filter", {}),
        ("no filter, page 2", {"page": "2"}),
        ("open only", {"open_only": "on"}),
        ("open only, page 2", {"open_only": "on", "page": "2"}),
        ("state handling", {"status": "handling"}),
        ("state closed, page 2", {"status": "closed", "page": "2"}),
        ("category", {"category": str(major)}),
        ("category, open only", {"category": str(second.pk if second else major), "open_only": "on"}),
        ("overdue, open only", {"overdue": "yes", "open_only": "on"}),
        ("red", {"warn": "red"}),
        ("yellow, open only", {"warn": "yellow", "open_only": "on"}),
        ("escalated", {"warn": "escalated"}),
        ("source hotline", {"source": "hotline"}),
        ("month", {"month": month}),
        ("month and category, page 2", {"month": month, "category": str(major), "page": "2"}),
        ("number search", {"q": digits}),
        ("text search", {"q": words}),
    ]
    return combos


def _explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return [line for (line,) in cursor.fetchall()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest statements")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    total = 20 if args.quick else args.requests

    database = django_setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from chuishao.cases.models import Case

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user, street = _dispatcher()
    combos = _combinations(street)
    url = reverse("web:case_list")
    client = Client(raise_request_exception=True)
    client.force_login(user)
    cases = Case.objects.count()
    in_street = Case.objects.filter(street_id=street.pk).count()
    print(machine_line(database))
    print(
        f"{cases:,} cases; dispatcher {user.username} of {street.name} ({in_street:,} cases there); "
        f"{total} requests over {len(combos)} filter combinations"
    )

    for _name, params in combos:  # warm-up: templates, translations, connection
        client.get(url, params)

    latencies: list[float] = []
    by_combo: dict[str, list[float]] = defaultdict(list)
    statements: dict[str, set[int]] = defaultdict(set)
    slowest: dict[str, tuple[float, str]] = {}
    for i in range(total):
        name, params = combos[i % len(combos)]
        with CaptureQueriesContext(connection) as captured:
            t = time.perf_counter()
            response = client.get(url, params)
            elapsed = time.perf_counter() - t
        if response.status_code != 200:
            raise SystemExit(f"{name}: HTTP {response.status_code}")
        latencies.append(elapsed)
        by_combo[name].append(elapsed)
        statements[name].add(len(captured.captured_queries))
        top = max(captured.captured_queries, key=lambda q: float(q["time"]))
        if name not in slowest or float(top["time"]) > slowest[name][0]:
            slowest[name] = (float(top["time"]), top["sql"])

    p50, p95 = (percentile(latencies, q) * 1000 for q in (0.5, 0.95))
    counts = sorted({n for per in statements.values() for n in per})
    most = max(counts)
    print("| filter | requests | p50 ms | p95 ms | SQL statements | slowest statement ms |")
    print("|---|---|---|---|---|---|")
    for name, _params in combos:
        values = by_combo.get(name)
        if not values:
            continue
        print(
            f"| {name} | {len(values)} | {percentile(values, 0.5) * 1000:.1f} | "
            f"{percentile(values, 0.95) * 1000:.1f} | {', '.join(map(str, sorted(statements[name])))} | "
            f"{slowest[name][0] * 1000:.1f} |"
        )
    print(f"| all | {len(latencies)} | {p50:.1f} | {p95:.1f} | {most} at most | |")
    bounded = most <= MAX_STATEMENTS
    print(
        f"target p95 < {TARGET_P95_MS:g} ms: {'met' if p95 < TARGET_P95_MS else 'missed'}; "
        f"statements per request: {counts[0]}–{most} "
        f"(at most {MAX_STATEMENTS}: {'met' if bounded else 'missed'})"
    )

    if args.explain and connection.vendor == "postgresql":
        for name, (seconds, sql) in sorted(slowest.items(), key=lambda kv: -kv[1][0]):
            print(f"\n--- {name}: slowest statement {seconds * 1000:.1f} ms\n{sql}")
            for line in _explain(sql):
                print(f"    {line}")

    write_json(
        args.json,
        [
            row(
                "case desk list page, filtered (in-process client, street dispatcher)",
                f"p95 {p95:.0f} ms, p50 {p50:.0f} ms; ≤ {most} SQL statements per request",
                target=f"p95 < {TARGET_P95_MS:g} ms, ≤ {MAX_STATEMENTS} SQL statements",
                met=judged(args.quick, p95 < TARGET_P95_MS and bounded),
                p50_ms=p50,
                p95_ms=p95,
                statements_max=most,
                statements=counts,
                requests=len(latencies),
                cases=cases,
                street_cases=in_street,
                per_filter={
                    name: {
                        "p50_ms": percentile(v, 0.5) * 1000,
                        "p95_ms": percentile(v, 0.95) * 1000,
                        "slowest_sql_ms": slowest[name][0] * 1000,
                    }
                    for name, v in by_combo.items()
                },
            )
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
