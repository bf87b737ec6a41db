"""Rollup benchmark: the incremental refresh after E new events (10,000 by default), next to the full
recompute of every row.

Runs against an already-loaded city — the database ``DATABASE_URL`` names (unset: the SQLite file
under var/ or ``CHUISHAO_VAR``) — and changes it: the benchmark database is disposable. Each of
``--repeat`` rounds:

1. lets the rollup and the deadline sweep catch up with whatever was pending (not timed);
2. makes E open cases — the most recent ones still in time — due to turn yellow now, and runs the real
   deadline sweep, which writes one ``case.warned`` event per case on the case's hash chain (the
   events service, in the same transaction as the change);
3. times ``rollup_refresh(settle=0)``, run until it has read every new event (one run reads them all,
   a page of 5,000 at a time, then recomputes once; a second run finds nothing), and counts the
   rollup rows it recomputed, wrote and deleted, and the seconds of each step.

``rollup_rebuild()`` (every row of every unit kind) is timed twice: before the rounds (which also
puts the refresh's cursor at the newest event, wherever the loader left it, and writes the street
parts the refresh sums district and city rows from) and after them, when the rebuilt table must hold
exactly what the refreshes left (a digest of every row's counts): the refresh is fast because it is
incremental, not because it skipped work. ``--loaded`` skips the first (a city bench-data has just
loaded ends with that rebuild: at a million cases each one takes a quarter of an hour). Prints medians.

    DATABASE_URL=postgres://… .venv/bin/python bench/rollup.py [--events 10000] [--repeat 3] [--loaded]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import time

from _common import add_common_arguments, django_setup, judged, machine_line, median, row, write_json

TARGET_RATIO = 20.0
ZERO = dt.timedelta(0)


def _refresh_all(steps: dict[str, float] | None = None) -> tuple[int, int, int, int, int]:
    """Refresh until every event is read; returns (runs, events, rows recomputed, written, deleted)
    and adds each step's seconds to ``steps``."""
    from chuishao.evaluation.services import rollup_refresh

    runs = events = keys = written = deleted = 0
    while True:
        done = rollup_refresh(settle=ZERO)
        if getattr(done, "busy", False):
            raise SystemExit("another rollup refresh holds the cursor: stop the workers on this database")
        runs += 1
        events, keys = events + done.events, keys + len(done.keys)
        written, deleted = written + done.written, deleted + done.deleted
        for step, seconds in getattr(done, "timings", {}).items():
            if steps is not None:
                steps[step] = steps.get(step, 0.0) + seconds
        if not done.events:
            return runs, events, keys, written, deleted


def _make_due(n: int, now: dt.datetime) -> tuple[int, list[int]]:
    """Put the ``n`` most recent open cases that run against a deadline one minute past their yellow
    point, their colour cleared (not recorded: the sweep's event that follows is what the refresh
    reads). Returns (cases made due, their ids)."""
    from chuishao.cases.models import Case, Status, WarnLevel
    from chuishao.cases.transitions import TERMINAL

    ids = list(
        Case.objects.exclude(status__in=[*TERMINAL, Status.PARKED])
        .filter(deadline_at__isnull=False)
        .order_by("-pk")
        .values_list("pk", flat=True)[:n]
    )
    minute_ago = now - dt.timedelta(minutes=1)
    Case.objects.filter(pk__in=ids).update(
        warn_level=WarnLevel.NONE,
        yellow_at=minute_ago,
        sweep_at=minute_ago,
        deadline_at=now + dt.timedelta(hours=1),
    )
    return len(ids), ids


def _append_events(n: int) -> tuple[int, int, float]:
    """Make the sweep write ``n`` new events (one ``case.warned`` per case; on a city with fewer open
    cases, several passes over them). Returns (events appended, distinct cases, sweep seconds)."""
    from chuishao import clock
    from chuishao.cases.sweep import deadline_sweep
    from chuishao.events.models import Event

    last = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    appended, cases, seconds = 0, set(), 0.0
    while appended < n:
        now = clock.now()
        due, ids = _make_due(n - appended, now)
        if not due:
            break
        t = time.perf_counter()
        deadline_sweep(now=now)
        seconds += time.perf_counter() - t
        cases.update(ids)
        before, appended = appended, Event.objects.filter(id__gt=last).count()
        if appended == before:
            break
    return appended, len(cases), seconds


def _digest() -> tuple[int, str]:
    """(rows, digest) of every rollup row's key and counts, read in order in chunks."""
    from chuishao.evaluation.definitions import COUNT_NAMES
    from chuishao.evaluation.models import Rollup

    digest = hashlib.sha256()
    rows = 0
    columns = ("period", "unit_kind", "unit_id", "city_id", *COUNT_NAMES)
    for values in (
        Rollup.objects.order_by("period", "unit_kind", "unit_id")
        .values_list(*columns)
        .iterator(chunk_size=20_000)
    ):
        digest.update(repr(values).encode())
        rows += 1
    return rows, digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000, help="new events per round")
    parser.add_argument("--repeat", type=int, default=3, help="refresh rounds")
    parser.add_argument(
        "--loaded",
        action="store_true",
        help="the city was just loaded (chuishao bench-data ends with a rebuild, which sets the cursor and "
        "writes the street parts): skip the first timed rebuild; the one after the rounds is the figure",
    )
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    events_wanted = 200 if args.quick else args.events
    rounds = 1 if args.quick else args.repeat

    database = django_setup()
    from chuishao.cases.models import Case
    from chuishao.cases.sweep import deadline_sweep
    from chuishao.evaluation.models import Rollup
    from chuishao.events.models import Event

    cases = Case.objects.count()
    print(machine_line(database))
    print(f"{cases:,} cases, {Event.objects.count():,} events, {Rollup.objects.count():,} rollup rows")

    from chuishao.evaluation.services import rollup_rebuild

    # The first full recompute (timed) also sets the refresh's cursor at the newest event: a bulk-loaded
    # city may leave it far behind (its event ids need not follow time), and the refresh would re-read
    # everything in batches.
    rebuild_s: list[float] = []
    if not args.loaded:
        t = time.perf_counter()
        rollup_rebuild(settle=ZERO)
        rebuild_s.append(time.perf_counter() - t)
        print(f"rollup_rebuild before the rounds: {rebuild_s[0]:.1f} s")

    refresh_s: list[float] = []
    details: list[dict] = []
    for r in range(rounds):
        swept_before = deadline_sweep().changed  # whatever was already due
        caught = _refresh_all()[1]
        appended, distinct, sweep_s = _append_events(events_wanted)
        steps: dict[str, float] = {}
        t = time.perf_counter()
        runs, read, keys, written, deleted = _refresh_all(steps)
        refresh_s.append(time.perf_counter() - t)
        details.append(
            {
                "events": appended,
                "cases": distinct,
                "read": read,
                "runs": runs,
                "rows_recomputed": keys,
                "rows_written": written,
                "rows_deleted": deleted,
                "seconds": refresh_s[-1],
                "sweep_seconds": sweep_s,
                "steps": steps,
            }
        )
        print(
            f"round {r + 1}: caught up first ({swept_before:,} sweep changes, {caught:,} events); "
            f"the sweep wrote {appended:,} case.warned events on {distinct:,} cases in "
            f"{sweep_s:.1f} s; refresh: {refresh_s[-1]:.2f} s, {runs} runs read {read:,} events, "
            f"recomputed {keys:,} rows (wrote {written:,}, deleted {deleted:,}); steps: "
            + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in steps.items())
        )
        if read < appended:
            raise SystemExit(f"the refresh read {read} of the {appended} new events")

    rows_before, digest_before = _digest()
    t = time.perf_counter()
    rebuilt = rollup_rebuild(settle=ZERO)
    rebuild_s.append(time.perf_counter() - t)
    rows_after, digest_after = _digest()
    same = (rows_before, digest_before) == (rows_after, digest_after)

    refresh, rebuild = median(refresh_s), median(rebuild_s)
    events = median([d["events"] for d in details])
    ratio = rebuild / refresh
    print(f"\nmedian of {rounds} refresh rounds and of {len(rebuild_s)} rebuild(s)")
    print("| what | seconds | rows | ratio |")
    print("|---|---|---|---|")
    print(
        f"| rollup_refresh after {events:,.0f} new events | {refresh:.2f} | "
        f"{median([d['rows_recomputed'] for d in details]):,.0f} recomputed | {ratio:,.1f}× faster |"
    )
    print(
        f"| rollup_rebuild (full recompute) | {rebuild:.2f} | {sum(rebuilt.values()):,} written "
        f"({', '.join(f'{k} {v:,}' for k, v in rebuilt.items())}) | |"
    )
    print(f"| target ≥ {TARGET_RATIO:g}× | {'met' if ratio >= TARGET_RATIO else 'missed'} | | |")
    print(f"refreshed table equals the rebuilt one ({rows_after:,} rows): {'yes' if same else 'NO'}")
    write_json(
        args.json,
        [
            row(
                f"rollup refresh after {events:,.0f} new events",
                f"{refresh:.2f} s ({ratio:,.1f}× faster)",
                baseline=f"full recompute (rollup_rebuild) {rebuild:.2f} s",
                target=f"≥ {TARGET_RATIO:g}× faster",
                met=judged(args.quick, ratio >= TARGET_RATIO and same),
                refresh_s=refresh,
                rebuild_s=rebuild,
                ratio=ratio,
                rounds=details,
                rebuild_rows=rebuilt,
                rollup_rows=rows_after,
                refresh_equals_rebuild=same,
                cases=cases,
            )
        ],
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
