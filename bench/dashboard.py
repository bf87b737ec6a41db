"""Dashboard benchmark: the three headline rates (response, resolution, satisfaction) of every street of
the city for one month, read from the rollup, next to the same figures counted live from the cases.

Runs against an already-loaded city — the database ``DATABASE_URL`` names (unset: the SQLite file
under var/ or ``CHUISHAO_VAR``); it creates nothing. First it lets the rollup catch up with any
events it has not read (``rollup_refresh``, as the worker would), then, ``--repeat`` times each:

- **rollup**: ``evaluation.selectors.indicators(unit_kind="street")`` — the selector the dashboard's
  street ranking calls — as a city-centre account (its grants read afresh each time);
- **live, the month** (the baseline): ``evaluation.counting.case_rows("street", keys=…)``, the grouped
  query over the cases, restricted to the city's streets and the month, and the rates from its counts;
- **live, all months**: the same grouped query without keys (every street, every month), as the
  rebuild runs it — once, not ``--repeat`` times: it is a side figure, not the baseline, and at 10 M
  cases each run takes half a minute.

Both live answers must give exactly the rates the rollup gives, street by street, or the benchmark
fails. Prints medians.

    DATABASE_URL=postgres://… .venv/bin/python bench/dashboard.py [--period 2026-10] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time

from _common import add_common_arguments, django_setup, judged, machine_line, median, row, write_json

HEADLINE = ("response", "resolution", "satisfaction")
TARGET_RATIO = 30.0
TARGET_MS = 100.0


BACKLOG_LIMIT = 20_000


def _catch_up() -> int:
    """Let the rollup read every event it has not read yet; returns how many it read (-N: a backlog of
    N events left alone, too long to catch up with here)."""
    import datetime as dt

    from chuishao.evaluation.models import RollupCursor
    from chuishao.evaluation.services import CURSOR, rollup_refresh
    from chuishao.events.models import Event

    position = RollupCursor.objects.filter(name=CURSOR).values_list("position", flat=True).first() or 0
    backlog = Event.objects.filter(id__gt=position).count()
    if backlog > BACKLOG_LIMIT:
        return -backlog
    read = 0
    while True:
        done = rollup_refresh(settle=dt.timedelta(0))
        if getattr(done, "busy", False):
            raise SystemExit("another rollup refresh holds the cursor: stop the workers on this database")
        read += done.events
        if not done.events:
            return read


def _city(code: str | None):
    from chuishao.geo.models import Jurisdiction

    cities = Jurisdiction.objects.filter(kind="city").order_by("code")
    city = cities.filter(code=code).first() if code else cities.first()
    if city is None:
        raise SystemExit("no city in this database: load one first (chuishao bench-data or chuishao demo)")
    return city


def _busiest_period(city_id: int) -> str:
    from django.db.models import Sum

    from chuishao.evaluation.models import Rollup

    top = (
        Rollup.objects.filter(city_id=city_id, unit_kind="street")
        .values("period")
        .annotate(n=Sum("received"))
        .order_by("-n", "-period")
        .first()
    )
    if top is None:
        raise SystemExit("the rollup holds no street rows: rebuild it (chuishao manage evaluation rebuild)")
    return top["period"]


def _actor(city_id: int):
    """A city-centre account of the city, as on the dashboard; else the system actor."""
    from chuishao.actors import SYSTEM
    from chuishao.orgs.models import Membership, Role

    member = (
        Membership.objects.filter(role=Role.CITY_CENTRE, active=True, node_id=city_id)
        .select_related("person")
        .order_by("pk")
        .first()
    )
    return (member.person, member.person.username) if member else (SYSTEM, "system")


def _rates(counts: dict[str, int]) -> tuple:
    from chuishao.evaluation.definitions import compute_rates

    rates = compute_rates(counts)
    return tuple(rates[name] for name in HEADLINE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--period", help="the month, YYYY-MM (default: the busiest month in the rollup)")
    parser.add_argument("--city", help="the city's code (default: the first city)")
    parser.add_argument("--repeat", type=int, default=5)
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else args.repeat

    database = django_setup()
    from django.db import connection

    from chuishao.cases.models import Case
    from chuishao.evaluation.counting import case_rows
    from chuishao.evaluation.selectors import indicators
    from chuishao.geo.models import Jurisdiction

    caught_up = _catch_up()
    city = _city(args.city)
    period = args.period or _busiest_period(city.pk)
    actor, actor_name = _actor(city.pk)
    streets = set(Jurisdiction.objects.filter(kind="street", city_id=city.pk).values_list("pk", flat=True))
    keys = {(s, period) for s in streets}
    cases = Case.objects.filter(city_id=city.pk).count()
    print(machine_line(database))
    if caught_up >= 0:
        caught = f"rollup caught up on {caught_up:,} unread events"
    else:
        caught = f"the rollup's cursor is {-caught_up:,} events behind: left alone, the comparison decides"
    print(
        f"city {city.name} ({city.code}): {cases:,} cases, {len(streets)} streets; month {period}; "
        f"actor {actor_name}; {caught}; median of {repeat}"
    )

    timings: dict[str, list[float]] = {"rollup": [], "live_month": [], "live_all": []}
    queries = 0
    for _ in range(repeat):
        actor.__dict__.pop("_chuishao_grants", None)  # a request reads its grants afresh
        before = len(connection.queries_log)
        connection.force_debug_cursor = True
        t = time.perf_counter()
        rows = indicators(actor=actor, unit_kind="street", period=period, city_id=city.pk)
        from_rollup = {r.unit_id: tuple(r.rates[name] for name in HEADLINE) for r in rows}
        timings["rollup"].append(time.perf_counter() - t)
        connection.force_debug_cursor = False
        queries = len(connection.queries_log) - before

        t = time.perf_counter()
        counted = case_rows("street", keys=keys, city_id=city.pk)
        live_month = {unit: _rates(counts) for (unit, _p), (_c, counts) in counted.items()}
        timings["live_month"].append(time.perf_counter() - t)

        if not timings["live_all"]:  # a side figure, once: at 10 M cases it takes half a minute
            t = time.perf_counter()
            counted_all = case_rows("street", city_id=city.pk)
            live_all = {
                unit: _rates(counts) for (unit, p), (_c, counts) in counted_all.items() if p == period
            }
            timings["live_all"].append(time.perf_counter() - t)

    # The same figures, street by street (a street without cases that month has no rates anywhere).
    nothing = (None, None, None)
    differ = [
        (s, from_rollup.get(s, nothing), live_month.get(s, nothing), live_all.get(s, nothing))
        for s in sorted(streets | set(from_rollup) | set(live_month))
        if not from_rollup.get(s, nothing) == live_month.get(s, nothing) == live_all.get(s, nothing)
    ]
    rated = sum(1 for rates in from_rollup.values() if any(v is not None for v in rates))

    rollup_s, month_s, all_s = (median(timings[k]) for k in ("rollup", "live_month", "live_all"))
    print(
        f"streets with figures: {len(from_rollup)} (with at least one rate: {rated}); "
        f"SQL statements per rollup read: {queries}"
    )
    print("| what | median ms | rollup is faster by |")
    print("|---|---|---|")
    print(f"| rollup: indicators(street, {period}) | {rollup_s * 1000:.1f} | |")
    print(
        f"| live GROUP BY over the month's cases (baseline) | {month_s * 1000:.1f} | "
        f"{month_s / rollup_s:,.0f}× |"
    )
    print(
        f"| live GROUP BY over all cases, every month (once) | {all_s * 1000:.1f} | "
        f"{all_s / rollup_s:,.0f}× |"
    )
    print(
        f"| targets ≥ {TARGET_RATIO:g}× and < {TARGET_MS:g} ms | "
        f"{'met' if month_s / rollup_s >= TARGET_RATIO and rollup_s * 1000 < TARGET_MS else 'missed'} | |"
    )
    if differ:
        print(f"the rollup and the live count disagree on {len(differ)} streets, e.g.:")
        for s, a, b, c in differ[:5]:
            print(f"  street {s}: rollup {a}, live month {b}, live all months {c}")
        return 1
    print(f"the rollup's rates equal the live ones for every street ({len(streets)}): yes")

    ratio = month_s / rollup_s
    write_json(
        args.json,
        [
            row(
                "dashboard: three rates per street per month, whole city",
                f"{rollup_s * 1000:.1f} ms ({ratio:,.0f}× the baseline)",
                baseline=f"live GROUP BY over the month's cases {month_s * 1000:.0f} ms "
                f"(over all cases, every month: {all_s * 1000:.0f} ms)",
                target=f"≥ {TARGET_RATIO:g}× faster, < {TARGET_MS:g} ms",
                met=judged(args.quick, ratio >= TARGET_RATIO and rollup_s * 1000 < TARGET_MS),
                rollup_ms=rollup_s * 1000,
                live_month_ms=month_s * 1000,
                live_all_ms=all_s * 1000,
                ratio=ratio,
                ratio_all=all_s / rollup_s,
                queries=queries,
                streets=len(streets),
                cases=cases,
                period=period,
                repeat=repeat,
                timings=timings,
            )
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
