"""Keeping the rollup up to date: the incremental refresh from the event log, and the full rebuild.

``rollup_refresh`` reads the events written since its cursor, works out which (unit kind, unit,
month) rows those events' cases and whistles touch, and recomputes exactly those rows with the
grouped queries of ``evaluation.counting`` restricted to them. Recomputing a row is idempotent, so
the refresh re-reads recent events freely: its cursor only moves past an event once any
transaction that could still commit a lower id has had ``settle`` to finish (ids on PostgreSQL are
handed out before commit, so they can become visible out of order).

``rollup_rebuild`` recomputes every row (first run, after a change of definitions, in tests).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q

from chuishao import clock
from chuishao.cases.models import Case, Whistle, WhistleSummons
from chuishao.evaluation.counting import (
    CASE_COUNT_MEMORY,
    Key,
    PartScope,
    Rows,
    bare_rows,
    case_counts,
    count_rows,
    grid_workers,
    refresh_part_scope,
    sum_parts,
)
from chuishao.evaluation.definitions import (
    COUNT_NAMES,
    JURISDICTION_KINDS,
    UNIT_KINDS,
    missed_window_hours,
    period_of,
)
from chuishao.evaluation.models import Rollup, RollupCursor, RollupPart
from chuishao.events.models import Event
from chuishao.orgs.models import Membership, Role

CURSOR = "events"
SETTLE = dt.timedelta(seconds=60)
WORKER_VERBS = ("case.reported", "case.verify", "case.check")
WHISTLE_CHAIN = re.compile(r"^whistle:(\d+)$")
# The deadline sweep's verbs: they change a case's colour, escalation and rating expiry, which no
# grid-worker figure reads (those count reports, filings, verify/check deadlines and public cases by
# place, category and time: counting.WORKER_VERBS, counting.missed_rows). A case only these touched
# leaves its grid workers' rows alone; keep this in step with those counts.
NO_WORKER_EFFECT = frozenset({"case.warned", "case.escalated", "case.feedback_expired"})

FullKey = tuple[str, int, str]  # (unit_kind, unit_id, period)


@dataclass
class RefreshResult:
    events: int = 0
    keys: set[FullKey] = field(default_factory=set)
    written: int = 0
    deleted: int = 0
    position: int = 0
    # Another refresh held the cursor: this one did nothing.
    busy: bool = False
    # Seconds per step (reading the events, case counts, parts, then each unit kind).
    timings: dict[str, float] = field(default_factory=dict)


def _case_keys(
    case_ids: Iterable[int], extra_orgs: dict[int, set[int]], worker_cases: set[int] | None = None
) -> set[FullKey]:
    """Every row a change to these cases can alter: their places, department and grid workers (of
    the cases among ``worker_cases`` only, when given)."""
    keys: set[FullKey] = set()
    cases = list(
        Case.objects.filter(pk__in=list(case_ids)).values(
            "pk", "created_at", "grid_id", "community_id", "street_id", "district_id", "city_id",
            "first_receiver_id", "lead_org_id",
        )
    )  # fmt: skip
    if not cases:
        return keys
    period = {c["pk"]: period_of(c["created_at"]) for c in cases}
    for c in cases:
        p = period[c["pk"]]
        for kind in JURISDICTION_KINDS:
            if c[f"{kind}_id"] is not None:
                keys.add((kind, c[f"{kind}_id"], p))
        orgs = {c["first_receiver_id"] or c["lead_org_id"]} | extra_orgs.get(c["pk"], set())
        keys.update(("department", org, p) for org in orgs if org is not None)
    # Grid workers whose figures depend on these cases: who reported, verified or checked them, and
    # the workers of their grids (public-first cases count as missed there).
    if worker_cases is not None:
        cases = [c for c in cases if c["pk"] in worker_cases]
        period = {pk: p for pk, p in period.items() if pk in worker_cases}
        if not cases:
            return keys
    actors = Event.objects.filter(case_id__in=list(period), verb__in=WORKER_VERBS, actor_id__isnull=False)
    pairs = set(actors.values_list("case_id", "actor_id"))
    by_grid: dict[int, set[int]] = defaultdict(set)
    for c in cases:
        if c["grid_id"] is not None:
            by_grid[c["grid_id"]].add(c["pk"])
    members = Membership.objects.filter(role=Role.GRID_WORKER, active=True, node_id__in=list(by_grid))
    workers = grid_workers({a for _, a in pairs} | set(members.values_list("person_id", flat=True)))
    keys.update(("grid_worker", a, period[cid]) for cid, a in pairs if a in workers)
    # A worker's own report clears a public one up to the missed-report window away, which may lie in
    # the neighbouring month: both months' rows of the grid's workers change.
    window = dt.timedelta(hours=missed_window_hours())
    created = {c["pk"]: c["created_at"] for c in cases}
    near = {
        cid: {period[cid], period_of(created[cid] - window), period_of(created[cid] + window)}
        for cid in period
    }
    for person_id, person_grids in workers.items():
        for grid in person_grids:
            for cid in by_grid.get(grid, ()):
                keys.update(("grid_worker", person_id, p) for p in near[cid])
    return keys


def _whistle_keys(whistle_ids: Iterable[int]) -> set[FullKey]:
    keys: set[FullKey] = set()
    ids = list(whistle_ids)
    for w in Whistle.objects.filter(pk__in=ids).values(
        "created_at", "street_id", "street__district_id", "city_id"
    ):
        p = period_of(w["created_at"])
        keys.update({("street", w["street_id"], p), ("city", w["city_id"], p)})
        if w["street__district_id"] is not None:
            keys.add(("district", w["street__district_id"], p))
    for s in WhistleSummons.objects.filter(whistle_id__in=ids).values("organisation_id", "summoned_at"):
        keys.add(("department", s["organisation_id"], period_of(s["summoned_at"])))
    return keys


def keys_for_events(events: Iterable[dict]) -> set[FullKey]:
    """The rollup rows that the changes recorded by these events can have altered."""
    case_ids: set[int] = set()
    worker_cases: set[int] = set()
    whistle_ids: set[int] = set()
    extra_orgs: dict[int, set[int]] = defaultdict(set)
    for e in events:
        match = WHISTLE_CHAIN.match(e["chain"] or "")
        if match:
            whistle_ids.add(int(match.group(1)))
        if e["case_id"] is not None:
            case_ids.add(e["case_id"])
            if e.get("verb") not in NO_WORKER_EFFECT:
                worker_cases.add(e["case_id"])
            # A lead that changed before acceptance leaves a row to recount behind it.
            for side in (e["before"] or {}, e["after"] or {}):
                if isinstance(side, dict) and isinstance(side.get("lead_org_id"), int):
                    extra_orgs[e["case_id"]].add(side["lead_org_id"])
    return _case_keys(case_ids, extra_orgs, worker_cases) | _whistle_keys(whistle_ids)


# The rollup's columns as written: the key, the city, the moment, then every count.
ROLLUP_COLUMNS = ("period", "unit_kind", "unit_id", "city_id", "updated_at", *COUNT_NAMES)
# Above this many rows PostgreSQL gets them by COPY into a temporary table (the rebuild writes a
# row per grid and month: over a million at 100,000 grids); below, one prepared upsert per row.
COPY_FROM = 2000


def _upsert(values: list[list]) -> None:
    """Insert or update rollup rows given as value lists in ``ROLLUP_COLUMNS`` order.

    Django's ``bulk_create`` prepares every value through its field (39 a row): at a rebuild's
    hundreds of thousands of rows that took two thirds of the rebuild. The values here are plain
    ints and text already, and the moment is prepared once by the caller."""
    q = connection.ops.quote_name
    table = q(Rollup._meta.db_table)
    columns = ", ".join(q(c) for c in ROLLUP_COLUMNS)
    counted = ROLLUP_COLUMNS[3:4] + ROLLUP_COLUMNS[5:]  # the city and the counts: not the moment
    # A row whose counts did not change is left as it was (a rebuild over a built table changes few
    # of its rows): no new row version, no index entries, no WAL. ``updated_at`` is when the counts
    # last changed.
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    conflict = (
        f"ON CONFLICT ({q('period')}, {q('unit_kind')}, {q('unit_id')}) DO UPDATE SET "
        + ", ".join(f"{q(c)} = EXCLUDED.{q(c)}" for c in ROLLUP_COLUMNS[3:])
        + f" WHERE ({', '.join(f'{table}.{q(c)}' for c in counted)}) {distinct} "
        f"({', '.join(f'EXCLUDED.{q(c)}' for c in counted)})"
    )
    # Table and column names come from the model, never from input.
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(values) >= COPY_FROM:
            load = f"SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608
            cursor.execute(f"CREATE TEMPORARY TABLE rollup_load ON COMMIT DROP AS {load}")
            with cursor.cursor.copy(f"COPY rollup_load ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            # Rows whose counts did not change are dropped from the load first, by one hashed join:
            # an INSERT … ON CONFLICT over all of them probes and locks every existing row, changed
            # or not (11 s for a rebuild's 680,000 unchanged grid rows at a million cases).
            cursor.execute("ANALYZE rollup_load")
            cursor.execute(f"SET LOCAL work_mem = '{CASE_COUNT_MEMORY}'")  # the join hashes in memory
            same = " AND ".join(
                [f"r.{q(c)} = l.{q(c)}" for c in ROLLUP_COLUMNS[:3]]
                + [f"r.{q(c)} IS NOT DISTINCT FROM l.{q(c)}" for c in counted]
            )
            cursor.execute(f"DELETE FROM rollup_load AS l USING {table} AS r WHERE {same}")  # noqa: S608
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM rollup_load {conflict}")  # noqa: S608
            cursor.execute("DROP TABLE rollup_load")
        elif values:
            marks = ", ".join(["%s"] * len(ROLLUP_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks}) {conflict}", values)  # noqa: S608


def _write(kind: str, rows: Rows, keys: set[Key] | None, now: dt.datetime, city_id: int | None) -> tuple:
    """Upsert the computed rows of one kind; delete the rows among ``keys`` (the refresh) or of the
    kind (the rebuild, of the city when given) that now count nothing."""
    stamp = Rollup._meta.get_field("updated_at").get_db_prep_save(now, connection)
    values = [
        [p, kind, u, city, stamp, *(counts.get(name, 0) for name in COUNT_NAMES)]
        for (u, p), (city, counts) in rows.items()
        if any(counts.values())
    ]
    _upsert(values)
    kept = {(row[2], row[0]) for row in values}
    stale = Rollup.objects.filter(unit_kind=kind)
    if keys is None:
        if city_id is not None:
            stale = stale.filter(city_id=city_id)
        # Read bare: a rebuild's grid kind holds over a million rows at 10 M cases.
        held = bare_rows(stale.values_list("pk", "unit_id", "period"))
        gone = [pk for pk, u, p in held if (u, p) not in kept]
    else:
        empty = keys - kept
        gone = [
            pk
            for pk, u, p in stale.filter(unit_id__in={u for u, _ in empty}).values_list(
                "pk", "unit_id", "period"
            )
            if (u, p) in empty
        ]
    deleted = Rollup.objects.filter(pk__in=gone).delete()[0] if gone else 0
    return len(values), deleted


def _write_parts(parts: dict, scope: PartScope | None, city_id: int | None) -> None:
    """Replace the stored parts within ``scope`` (the refresh) or of the city or all (the rebuild)."""
    stale = RollupPart.objects.all()
    if scope is None:
        if city_id is not None:
            stale = stale.filter(city_id=city_id)
        stale.delete()
    else:
        by_period: dict[str, Q] = defaultdict(lambda: Q(pk__in=[]))
        for street, period in scope.streets:
            by_period[period] |= Q(street_id=street)
        for district, period in scope.districts:
            by_period[period] |= Q(street_id=0, district_id=district)
        for city, period in scope.cities:
            by_period[period] |= Q(street_id=0, district_id=0, city_id=city)
        where = Q(pk__in=[])
        for period, q in by_period.items():
            where |= Q(period=period) & q
        stale.filter(where).delete()
    RollupPart.objects.bulk_create(
        [
            RollupPart(street_id=s, district_id=d, city_id=c, period=p, counts=counts)
            for (s, d, c, p), counts in parts.items()
            if counts
        ],
        batch_size=1000,
        # A city's rebuild does not hold the cursor: a refresh may have written the same part since.
        update_conflicts=True,
        unique_fields=["period", "street_id", "district_id", "city_id"],
        update_fields=["counts"],
    )


def rollup_recompute(keys: set[FullKey], *, timings: dict[str, float] | None = None) -> tuple[int, int]:
    """Recompute exactly these rows: the case counts of every kind in one grouped pass restricted to
    the keys' units and months, district and city case counts summed from the street parts (once a
    rebuild has written them), then whistles and grid workers per kind."""
    timings = {} if timings is None else timings
    by_kind: dict[str, set[Key]] = defaultdict(set)
    for kind, unit, period in keys:
        by_kind[kind].add((unit, period))
    now = clock.now()
    written = deleted = 0
    cursor = RollupCursor.objects.filter(name=CURSOR).only("parts_ready").first()
    derive = bool(cursor and cursor.parts_ready)
    with _timed(timings, "cases"):
        cases = case_counts(keys=by_kind, derive=derive)
    if derive:
        with _timed(timings, "parts"):
            scope = refresh_part_scope(by_kind)
            _write_parts(cases.parts, scope, None)
            periods = {p for kind in ("district", "city") for _, p in by_kind.get(kind, ())}
            units = Q(district_id__in={u for u, _ in by_kind.get("district", ())}) | Q(
                city_id__in={u for u, _ in by_kind.get("city", ())}
            )
            stored = RollupPart.objects.filter(units, period__in=periods).values_list(
                "street_id", "district_id", "city_id", "period", "counts"
            )
            cases.rows |= sum_parts((((s, d, c, p), n) for s, d, c, p, n in stored), by_kind)
    for kind, kind_keys in by_kind.items():
        with _timed(timings, kind):
            rows = count_rows(kind, keys=kind_keys, cases=cases.rows.get(kind))
            w, d = _write(kind, rows, kind_keys, now, None)
        written, deleted = written + w, deleted + d
    return written, deleted


class _timed:
    """Adds the seconds a block took to ``timings[name]`` (the benchmark reports them)."""

    def __init__(self, timings: dict[str, float], name: str):
        self.timings, self.name = timings, name

    def __enter__(self):
        self.start = time.perf_counter()

    def __exit__(self, *exc):
        self.timings[self.name] = self.timings.get(self.name, 0.0) + time.perf_counter() - self.start


def rollup_refresh(*, batch: int = 100_000, page: int = 5000, settle: dt.timedelta = SETTLE) -> RefreshResult:
    """Read the events since the cursor (up to ``batch``, ``page`` at a time), then recompute once
    every row they touch; returns what it did.

    The keys of all the pages are collected before recomputing: events on the same cases (a sweep
    warning 10,000 cases writes them in a run) would otherwise recompute the same rows per page."""
    result = RefreshResult()
    RollupCursor.objects.get_or_create(name=CURSOR, defaults={"updated_at": clock.now()})
    with transaction.atomic():
        now = clock.now()
        cursor = _cursor_claim()
        if cursor is None:
            result.busy = True
            return result
        after, last = cursor.position, None
        with _timed(result.timings, "keys"):
            while result.events < batch:
                wanted = min(page, batch - result.events)
                events = list(
                    Event.objects.filter(id__gt=after)
                    .order_by("id")
                    .values("id", "verb", "chain", "case_id", "before", "after")[:wanted]
                )
                if not events:
                    break
                result.events += len(events)
                result.keys |= keys_for_events(events)
                after = last = events[-1]["id"]
                if len(events) < wanted:
                    break
        if result.keys:
            result.written, result.deleted = rollup_recompute(result.keys, timings=result.timings)
        # A mark (the highest id a run read) becomes the position once a later run, started at least
        # ``settle`` after it, has read everything above the old position up to the mark again.
        marks = list(cursor.marks)
        if last is not None:
            marks.append([now.isoformat(), last])
        read_up_to = last if result.events == batch else None
        _settle(cursor, marks, now, settle, read_up_to)
        result.position = cursor.position
    return result


def _cursor_claim() -> RollupCursor | None:
    """The cursor, locked for this transaction; ``None`` while another refresh holds it.

    Every worker's scheduler enqueues the refresh each minute, so with several workers the copies
    would queue on the cursor and each recompute the same recent rows after the other. The one that
    holds the cursor reads every event committed before it started; what commits later is the next
    run's. SQLite has one writer at a time anyway (its lock is taken when the transaction begins).
    """
    rows = RollupCursor.objects.filter(name=CURSOR)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return rows.first()


def _settle(
    cursor: RollupCursor, marks: list, now: dt.datetime, settle: dt.timedelta, read_up_to: int | None = None
) -> None:
    """Advance the cursor to the highest mark at least ``settle`` old (and not above what this run
    read when its batch was full), keep the younger marks, and save it."""

    def matured(mark: list) -> bool:
        old = dt.datetime.fromisoformat(mark[0]) <= now - settle
        return old and (read_up_to is None or mark[1] <= read_up_to)

    settled = [m[1] for m in marks if matured(m)]
    if settled:
        cursor.position = max(cursor.position, *settled)
    cursor.marks = [m for m in marks if not matured(m) and m[1] > cursor.position][-50:]
    cursor.updated_at = now
    cursor.save(update_fields=["position", "marks", "updated_at"])


def rollup_rebuild(*, city_id: int | None = None, settle: dt.timedelta = SETTLE) -> dict[str, int]:
    """Recompute every row (of one city, or all); returns the number of rows per unit kind."""
    written: dict[str, int] = {}
    with transaction.atomic():
        now = clock.now()
        if city_id is None:
            # The refresh takes over from here. Events older than ``settle`` have committed (as for
            # audit checkpoints), so the cursor skips them now; younger ones it re-reads once.
            cursor, _ = RollupCursor.objects.select_for_update().get_or_create(
                name=CURSOR, defaults={"updated_at": now}
            )
            last = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
            young = Event.objects.filter(created_at__gt=now - settle).order_by("id")
            first_young = young.values_list("id", flat=True).first()
            cursor.position = max(cursor.position, last if first_young is None else first_young - 1)
            _settle(cursor, [*cursor.marks, [now.isoformat(), last]], now, settle)
        counted = case_counts(city_id=city_id)  # every kind's case counts and the parts in one pass
        _write_parts(counted.parts, None, city_id)
        if city_id is None:
            cursor.parts_ready = True
            cursor.save(update_fields=["parts_ready"])
        cases = counted.rows
        for kind in UNIT_KINDS:
            rows = count_rows(kind, city_id=city_id, cases=cases.pop(kind, None))
            written[kind] = _write(kind, rows, None, now, city_id)[0]
    return written
