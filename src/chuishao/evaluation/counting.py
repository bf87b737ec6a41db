"""The grouped counting queries behind the rollup: cases, whistles and grid workers per (unit, month).

``count_rows(kind, keys=…, city_id=…)`` runs one grouped query per source table for one unit kind
(cases; whistles or summonses; for grid workers one over the events of their three verbs plus the
grids' public-first cases) and returns ``{(unit_id, period): (city_id, {count: n})}``. With
``keys`` the queries are restricted to those units and months (the incremental refresh); without,
they count everything (the rebuild); missed reports (漏报) are matched per worker in Python (``missed_rows``).
Only counts named in ``definitions.COUNTS`` appear; the filters below are the
executable form of that table and of docs/evaluation.md.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, F, FloatField, Func, Max, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from chuishao.cases.models import PUBLIC_SOURCES, Case, WarnLevel, Whistle, WhistleSummons
from chuishao.cases.models import Status as S
from chuishao.evaluation.definitions import (
    JURISDICTION_KINDS,
    missed_window_hours,
    period_bounds,
    period_of,
)
from chuishao.events.models import Event
from chuishao.orgs.models import Membership, Role

Key = tuple[int, str]  # (unit_id, period)
Rows = dict[Key, tuple[int, dict[str, int]]]

CLOSED = (S.CLOSED, S.RATED)
PUBLIC = Q(source__in=[str(s) for s in PUBLIC_SOURCES])
NOT_PARKED = ~Q(status=S.PARKED)
RED = Q(warn_level=WarnLevel.RED)
ACCEPT_MET = Q(deadlines__accept__has_key="on_time")
HANDLE_MET = Q(deadlines__handle__has_key="on_time")
HANDLE_ON_TIME = Q(deadlines__handle__on_time=True)
OVERDUE_UNHANDLED = NOT_PARKED & Q(stage="handle") & RED
# Filed and escalated at least once: the case row keeps the moment of its first ``case.file`` and
# ``case.escalated`` event (written with the event, filled from the log by cases migration 0007).
FILED = Q(filed_at__isnull=False)
ESCALATED = Q(escalated_at__isnull=False)

# Each case count as a filter over Case.
CASE_FILTERS: dict[str, Q] = {
    "received": Q(),
    "public_first": PUBLIC,
    "filed": FILED,
    "public_first_filed": PUBLIC & FILED,
    "cancelled_filed": FILED & Q(status=S.CANCELLED),
    "self_handled": Q(status=S.SELF_HANDLED),
    "dispatched": Q(deadlines__has_key="accept"),
    "returned": Q(return_count__gt=0),
    "response_due": NOT_PARKED & Q(deadlines__has_key="accept") & (ACCEPT_MET | (Q(stage="accept") & RED)),
    "responded_on_time": NOT_PARKED & Q(deadlines__accept__on_time=True),
    "handled": NOT_PARKED & HANDLE_MET,
    "handled_on_time": NOT_PARKED & HANDLE_ON_TIME,
    "overdue_unhandled": OVERDUE_UNHANDLED,
    "closed": Q(status__in=CLOSED),
    "closed_on_time": Q(status__in=CLOSED) & HANDLE_ON_TIME,
    "reworked": Q(rework_count__gt=0) & ((NOT_PARKED & HANDLE_MET) | OVERDUE_UNHANDLED),
    "parked": Q(status=S.PARKED),
    "escalated": ESCALATED,
    "rated": ~Q(satisfaction=""),
    "satisfied": Q(satisfaction="satisfied"),
    "basically": Q(satisfaction="basically"),
    "unsatisfied": Q(satisfaction="unsatisfied"),
    "solved": Q(resolution="solved"),
    "partly": Q(resolution="partly"),
    "unsolved": Q(resolution="unsolved"),
    "unrated": Q(rating_expired=True),
}

# The case column (or expression) that names the unit a case counts for.
# A department is accountable for a case it accepted (首接负责制: first_receiver) even after the lead
# changes; before anyone accepted it, the current lead counts it.
CASE_UNIT = {
    "grid": F("grid_id"),
    "community": F("community_id"),
    "street": F("street_id"),
    "district": F("district_id"),
    "city": F("city_id"),
    "department": Coalesce("first_receiver_id", "lead_org_id"),
}
WHISTLE_UNIT = {"street": F("street_id"), "district": F("street__district_id"), "city": F("city_id")}


def _months_q(field: str, periods: Iterable[str]) -> Q:
    q = Q(pk__in=[])
    for period in sorted(set(periods)):
        start, end = period_bounds(period)
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return q


def _restrict(qs, keys: set[Key] | None, unit: str, month_field: str):
    if keys is None:
        return qs
    return qs.filter(**{f"{unit}__in": {u for u, _ in keys}}).filter(
        _months_q(month_field, {p for _, p in keys})
    )


def _collect(rows, unit: str, month: str, names: Iterable[str], out: Rows, keys: set[Key] | None) -> None:
    for row in rows:
        key = (row[unit], period_of(row[month]))
        if keys is not None and key not in keys:
            continue
        city, counts = out.get(key, (row["_city"], {}))
        for name in names:
            counts[name] = counts.get(name, 0) + (row[name] or 0)
        out[key] = (city, counts)


class Seconds(Func):
    """A moment as seconds since the epoch (a float), so that rows can be read bare: building an
    aware datetime for each of a million values costs more than the query that finds them."""

    output_field = FloatField()
    template = "date_part('epoch', %(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps moments as UTC text; the Julian day of 1970-01-01 00:00 UTC is 2440587.5.
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)


def bare_rows(qs) -> list[tuple]:
    """The rows of a ``values_list`` queryset as the driver gives them, without Django's converters.

    A ``TruncMonth`` comes back as the local month's first moment: a naive datetime on PostgreSQL,
    text on SQLite (``_period`` reads both)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _period(month, cache: dict) -> str:
    """ "YYYY-MM" of a bare ``TruncMonth`` value (see ``bare_rows``); ``cache`` holds the ones seen."""
    period = cache.get(month)
    if period is None:
        text = month[:7] if isinstance(month, str) else f"{month.year:04d}-{month.month:02d}"
        period = cache[month] = text
    return period


def case_rows(kind: str, *, keys: set[Key] | None = None, city_id: int | None = None) -> Rows:
    """Case counts per (unit, month of receipt) for a jurisdiction kind or departments."""
    qs = Case.objects.all() if city_id is None else Case.objects.filter(city_id=city_id)
    qs = qs.annotate(_unit=CASE_UNIT[kind]).filter(_unit__isnull=False)
    qs = _restrict(qs, keys, "_unit", "created_at")
    aggregates = {name: Count("pk", filter=q) for name, q in CASE_FILTERS.items()}
    rows = (
        qs.annotate(_month=TruncMonth("created_at"))
        .values("_unit", "_month")
        .annotate(_city=Max("city_id"), **aggregates)
        .order_by()
    )
    out: Rows = {}
    _collect(rows, "_unit", "_month", CASE_FILTERS, out, keys)
    return out


def case_rows_all(*, city_id: int | None = None) -> dict[str, Rows]:
    """``case_rows`` of every jurisdiction kind and of departments, in one pass over the cases.

    The rebuild's path: one grouped query by (grid, community, street, district, city, department,
    month) instead of one per kind, then summed up per kind here. The filters are the same, so each
    kind's rows equal ``case_rows(kind)``; the cost is one scan instead of six.
    """
    return case_counts(city_id=city_id).rows


PartKey = tuple[int, int, int, str]  # (street_id, district_id, city_id, period); 0 where the case has none


@dataclass
class CaseCounts:
    """Case counts per kind (``rows``) and per street part (``parts``) from one grouped pass."""

    rows: dict[str, Rows] = field(default_factory=dict)
    parts: dict[PartKey, dict[str, int]] = field(default_factory=dict)


CASE_COLUMNS = {kind: f"{kind}_id" for kind in JURISDICTION_KINDS} | {"department": "_dept"}
# PostgreSQL's memory for each sort or hash of the case pass (for this transaction only).
CASE_COUNT_MEMORY = "128MB"


def case_counts(
    *, city_id: int | None = None, keys: dict[str, set[Key]] | None = None, derive: bool = False
) -> CaseCounts:
    """Case counts of every jurisdiction kind, of departments and of street parts in one pass.

    Without ``keys``: every row (the rebuild). With ``keys`` ({kind: {(unit, period)}}, the refresh):
    the months of those keys, restricted to the cases of their units, and only the keyed rows are
    returned. With ``derive`` the district and city keys are not recounted (the caller sums their
    parts): the pass then covers their cases without a street only, and returns the parts of every
    keyed street and of the keyed districts' and cities' cases without a street
    (``refresh_part_scope``) — everything the parts of those keys need.
    """
    qs = Case.objects.all() if city_id is None else Case.objects.filter(city_id=city_id)
    qs = qs.annotate(_dept=CASE_UNIT["department"])
    if keys is not None:
        periods = {p for kind_keys in keys.values() for _, p in kind_keys}
        if not periods:
            return CaseCounts(rows={kind: {} for kind in keys if kind in CASE_COLUMNS})
        qs = qs.filter(_months_q("created_at", periods))
        units = Q(pk__in=[])
        for kind, column in CASE_COLUMNS.items():
            wanted = {u for u, _ in keys.get(kind, ())}
            if not wanted:
                continue
            if derive and kind in ("district", "city"):
                # Only the cases without a street: the others are in the parts of their street.
                units |= Q(street_id__isnull=True, **{f"{column}__in": wanted})
            else:
                units |= Q(**{f"{column}__in": wanted})
        qs = qs.filter(units)
    # The fine groups (a case's places, department and month) are counted once; each kind's rows and
    # the street parts are then sums over them, in the database: one row comes back per unit and
    # month (not per fine group, nearly one per case in a city of 100,000 grids).
    fine = {f"_{kind}": F(column) for kind, column in CASE_COLUMNS.items()}  # the department is ``_dept``
    qs = qs.annotate(**fine, _month=TruncMonth("created_at"))
    names = list(CASE_FILTERS)
    aggregates = {name: Count("pk", filter=CASE_FILTERS[name]) for name in names}
    inner, params = qs.values_list(*fine, "_month").annotate(**aggregates).order_by().query.sql_with_params()
    units = None
    if keys is not None:
        # The refresh sums only the keyed units' rows (a few thousand of the month's 100,000 grids);
        # district and city rows it derives from their parts.
        units = {
            kind: {u for u, _ in keys.get(kind, ())}
            for kind in CASE_COLUMNS
            if not (derive and kind in ("district", "city"))
        }
    sql = _sums_sql(inner, units)
    sums: dict[str, dict[Key, list]] = {kind: {} for kind in CASE_COLUMNS}
    parts: dict[PartKey, list[int]] = {}
    periods_of: dict = {}
    # Read the rows bare: Django's per-value converters (26 counts and a month a row) cost more than
    # the query itself at millions of cases. The month comes back as the local month's first moment
    # (a naive datetime on PostgreSQL, text on SQLite).
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Seven groupings of up to a row per case: in memory they are hashed, within the default
            # 4 MB each one spilled a sort to disk (13 s instead of 5 at a million cases).
            cursor.execute(f"SET LOCAL work_mem = '{CASE_COUNT_MEMORY}'")
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    for kind, unit, district, city, month, *values in fetched:
        period = _period(month, periods_of)
        if kind == "part":
            parts[(unit, district, city, period)] = values
        else:
            sums[kind][(unit, period)] = [city, values]
    out = CaseCounts()
    for kind, found in sums.items():
        wanted = None if keys is None else keys.get(kind)
        if keys is not None and (wanted is None or (derive and kind in ("district", "city"))):
            continue
        out.rows[kind] = {
            key: (city, dict(zip(names, counts, strict=True)))
            for key, (city, counts) in found.items()
            if wanted is None or key in wanted
        }
    scope = None if keys is None else refresh_part_scope(keys)
    out.parts = {
        part: {n: v for n, v in zip(names, counts, strict=True) if v}
        for part, counts in parts.items()
        if scope is None or in_part_scope(part, scope)
    }
    return out


def _sums_sql(inner: str, units: dict[str, set[int]] | None = None) -> str:
    """SQL summing the fine groups of ``inner`` per kind and per street part: rows of (kind or
    "part", unit or street, district, city, month, counts…); the same on PostgreSQL and SQLite.
    With ``units``, only those units of each kind named there (none of a kind left out)."""
    # Every name here is ours (the kinds, the counts); nothing comes from input.
    q = connection.ops.quote_name
    month = q("_month")
    # SUM over integers: PostgreSQL sums bigints (what COUNT gives) as numeric, several times slower.
    sums = ", ".join(f"SUM(CAST({q(name)} AS INTEGER))" for name in CASE_FILTERS)
    selects = []
    for kind in CASE_COLUMNS:
        column = q("_" + kind)
        where = f"{column} IS NOT NULL"
        if units is not None:
            if not units.get(kind):
                continue
            where = f"{column} IN ({', '.join(str(int(u)) for u in sorted(units[kind]))})"
        selects.append(
            f"SELECT '{kind}', {column}, 0, MAX({q('_city')}), {month}, {sums} FROM fine "  # noqa: S608
            f"WHERE {where} GROUP BY {column}, {month}"
        )
    street, district = f"COALESCE({q('_street')}, 0)", f"COALESCE({q('_district')}, 0)"
    selects.append(
        f"SELECT 'part', {street}, {district}, {q('_city')}, {month}, {sums} FROM fine "  # noqa: S608
        f"GROUP BY {street}, {district}, {q('_city')}, {month}"
    )
    return f"WITH fine AS ({inner}) " + " UNION ALL ".join(selects)


@dataclass
class PartScope:
    """The parts a refresh recounts: those of keyed streets, and the street-less parts of keyed
    districts (and the district-less ones of keyed cities), per period."""

    streets: set[Key] = field(default_factory=set)
    districts: set[Key] = field(default_factory=set)
    cities: set[Key] = field(default_factory=set)


def refresh_part_scope(keys: dict[str, set[Key]]) -> PartScope:
    return PartScope(
        streets=set(keys.get("street", ())),
        districts=set(keys.get("district", ())),
        cities=set(keys.get("city", ())),
    )


def in_part_scope(part: PartKey, scope: PartScope) -> bool:
    street, district, city, period = part
    if street:
        return (street, period) in scope.streets
    if district:
        return (district, period) in scope.districts
    return (city, period) in scope.cities


def sum_parts(parts: Iterable[tuple[PartKey, dict[str, int]]], keys: dict[str, set[Key]]) -> dict[str, Rows]:
    """District and city case rows summed from their parts (only the keyed ones, every case count
    present: a count no part has is 0)."""
    out: dict[str, Rows] = {"district": {}, "city": {}}
    for (_street, district, city, period), counts in parts:
        for kind, unit in (("district", district), ("city", city)):
            key = (unit, period)
            if not unit or key not in keys.get(kind, ()):
                continue
            base_city, base = out[kind].get(key) or (city, dict.fromkeys(CASE_FILTERS, 0))
            for name, n in counts.items():
                base[name] += n
            out[kind][key] = (base_city, base)
    return out


def whistle_rows(kind: str, *, keys: set[Key] | None = None, city_id: int | None = None) -> Rows:
    """Whistles blown (streets and above) or summonses and their ratings (departments)."""
    out: Rows = {}
    if kind in WHISTLE_UNIT:
        qs = Whistle.objects.all() if city_id is None else Whistle.objects.filter(city_id=city_id)
        qs = _restrict(qs.annotate(_unit=WHISTLE_UNIT[kind]), keys, "_unit", "created_at")
        rows = (
            qs.annotate(_month=TruncMonth("created_at"))
            .values("_unit", "_month")
            .annotate(_city=Max("city_id"), whistles=Count("pk"))
            .order_by()
        )
        _collect(rows, "_unit", "_month", ["whistles"], out, keys)
    elif kind == "department":
        qs = WhistleSummons.objects.all()
        if city_id is not None:
            qs = qs.filter(whistle__city_id=city_id)
        qs = _restrict(qs.annotate(_unit=F("organisation_id")), keys, "_unit", "summoned_at")
        attends = ~Q(role="notify")
        points = F("rating__on_time_report") + F("rating__problem_solved") + F("rating__attitude") - 3
        rows = (
            qs.annotate(_month=TruncMonth("summoned_at"))
            .values("_unit", "_month")
            .annotate(
                _city=Max("whistle__city_id"),
                summonses=Count("pk"),
                summons_ack_on_time=Count("pk", filter=Q(acknowledged_at__lte=F("acknowledge_due"))),
                summons_onsite_due=Count("pk", filter=attends),
                summons_onsite_on_time=Count("pk", filter=attends & Q(onsite_at__lte=F("onsite_due"))),
                whistle_ratings=Count("rating"),
                whistle_rating_points=Coalesce(Sum(points), Value(0)),
            )
            .order_by()
        )
        names = [
            "summonses",
            "summons_ack_on_time",
            "summons_onsite_due",
            "summons_onsite_on_time",
            "whistle_ratings",
            "whistle_rating_points",
        ]
        _collect(rows, "_unit", "_month", names, out, keys)
    return out


def grid_workers(person_ids: Iterable[int] | None = None) -> dict[int, set[int]]:
    """Grid workers (people with an active grid_worker membership) and the grids they serve."""
    qs = Membership.objects.filter(role=Role.GRID_WORKER, active=True, node__isnull=False)
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    workers: dict[int, set[int]] = defaultdict(set)
    for person_id, node_id in qs.values_list("person_id", "node_id"):
        workers[person_id].add(node_id)
    return dict(workers)


# Grid-worker counts from the events they wrote: (verb, count of cases, count of those on time).
WORKER_VERBS = (
    ("case.reported", "gw_reported", "gw_reported_filed", Q(case__filed_at__isnull=False)),
    ("case.verify", "gw_verified", "gw_verified_on_time", Q(case__deadlines__verify__on_time=True)),
    ("case.check", "gw_checked", "gw_checked_on_time", Q(case__deadlines__check__on_time=True)),
)


def grid_worker_rows(*, keys: set[Key] | None = None, city_id: int | None = None) -> Rows:
    workers = grid_workers(None if keys is None else {u for u, _ in keys})
    out: Rows = {}
    if not workers:
        return out
    # The three verbs in one pass over the events (the largest table: one scan, not three).
    verbs = [verb for verb, *_ in WORKER_VERBS]
    qs = Event.objects.filter(verb__in=verbs, actor_id__in=list(workers), case_id__isnull=False)
    if city_id is not None:
        qs = qs.filter(case__city_id=city_id)
    qs = _restrict(qs, keys, "actor_id", "case__created_at")
    aggregates = {}
    for verb, total, good, q in WORKER_VERBS:
        aggregates[total] = Count("case_id", distinct=True, filter=Q(verb=verb))
        aggregates[good] = Count("case_id", distinct=True, filter=Q(verb=verb) & q)
    rows = (
        qs.annotate(_month=TruncMonth("case__created_at"))
        .values_list("actor_id", "_month")
        .annotate(_city=Max("case__city_id"), **aggregates)
        .order_by()
    )
    names = list(aggregates)
    periods: dict = {}
    for actor_id, month, city, *values in bare_rows(rows):
        key = (actor_id, _period(month, periods))
        if keys is not None and key not in keys:
            continue
        out[key] = (city, {name: value for name, value in zip(names, values, strict=True) if value})
    for key, (city, counts) in missed_rows(workers, keys=keys, city_id=city_id).items():
        base_city, base = out.get(key, (city, {}))
        out[key] = (base_city, base | counts)
    return out


# Above this many grids the queries below do not name them (an IN list of 100,000 ids costs more to
# send and plan than reading the other grids' rows and skipping them here).
NAMED_GRIDS = 5000


def missed_rows(
    workers: dict[int, set[int]], *, keys: set[Key] | None = None, city_id: int | None = None
) -> Rows:
    """漏报: public-first cases in each worker's grids, by the case's month, except those the worker
    reported too: a case whose ``case.reported`` event the worker wrote, from a staff source (grid
    patrol), in the same grid and category, received within ``missed_window_hours()`` either side of
    the public case; or a public case declined as a duplicate of a case the worker reported.

    Three queries: the public cases (with their month, truncated by the database), the reporters of
    the cases they duplicate, and the workers' own reports over the whole span; the matching is done
    here so that each worker is judged on their own reports."""
    out: Rows = {}
    grids_of_worker = {p: g for p, g in workers.items() if g}
    if not grids_of_worker:
        return out
    workers_of: dict[int, set[int]] = defaultdict(set)
    for person_id, person_grids in grids_of_worker.items():
        for grid in person_grids:
            workers_of[grid].add(person_id)
    named = len(workers_of) <= NAMED_GRIDS
    qs = Case.objects.filter(PUBLIC, grid_id__isnull=False)
    if named:
        qs = qs.filter(grid_id__in=list(workers_of))
    if city_id is not None:
        qs = qs.filter(city_id=city_id)
    if keys is not None:
        qs = qs.filter(_months_q("created_at", {p for _, p in keys}))
    # Read bare, the moments as seconds: half a million public cases at a million, each one's
    # datetimes built by the driver and converted by Django took three quarters of this pass.
    public = [
        row
        for row in bare_rows(
            qs.annotate(_at=Seconds("created_at"), _month=TruncMonth("created_at")).values_list(
                "grid_id", "category_id", "_at", "duplicate_of_id", "city_id", "_month"
            )
        )
        if row[0] in workers_of
    ]
    if not public:
        return out
    dup_ids = {row[3] for row in public if row[3] is not None}
    dup_reporters: dict[int, set[int]] = defaultdict(set)
    for case_id, actor_id in Event.objects.filter(
        verb="case.reported", case_id__in=dup_ids, actor_id__isnull=False
    ).values_list("case_id", "actor_id"):
        dup_reporters[case_id].add(actor_id)
    window = missed_window_hours() * 3600.0
    # The span of the workers' reports to read, a second wider either way than the public cases'
    # (the seconds are floats): the window test below, on the same seconds, decides.
    first, last = (
        dt.datetime.fromtimestamp(at, dt.UTC) for at in (min(r[2] for r in public), max(r[2] for r in public))
    )
    own = Event.objects.filter(
        verb="case.reported",
        actor_id__in=list(grids_of_worker),
        case__created_at__gte=first - dt.timedelta(seconds=window + 1),
        case__created_at__lte=last + dt.timedelta(seconds=window + 1),
    ).exclude(case__source__in=[str(s) for s in PUBLIC_SOURCES])
    if named:
        own = own.filter(case__grid_id__in=list(workers_of))
    reports: dict[tuple[int, int, int], list[float]] = defaultdict(list)
    for actor_id, grid_id, category_id, at in bare_rows(
        own.annotate(_at=Seconds("case__created_at")).values_list(
            "actor_id", "case__grid_id", "case__category_id", "_at"
        )
    ):
        reports[(actor_id, grid_id, category_id)].append(at)
    for times in reports.values():
        times.sort()
    periods: dict = {}
    for grid_id, category_id, at, dup_id, case_city, month in public:
        period = _period(month, periods)
        for person_id in workers_of[grid_id]:
            key = (person_id, period)
            if keys is not None and key not in keys:
                continue
            if dup_id is not None and person_id in dup_reporters.get(dup_id, ()):
                continue
            times = reports.get((person_id, grid_id, category_id))
            if times:
                i = bisect_left(times, at - window)
                if i < len(times) and times[i] <= at + window:
                    continue
            city, counts = out.get(key, (case_city, {}))
            counts["gw_missed"] = counts.get("gw_missed", 0) + 1
            out[key] = (city, counts)
    return out


def count_rows(
    kind: str, *, keys: set[Key] | None = None, city_id: int | None = None, cases: Rows | None = None
) -> Rows:
    """Every count of one unit kind per (unit, month), merged from its sources.

    ``cases``: this kind's case rows when already counted (``case_rows_all``, the rebuild)."""
    if kind == "grid_worker":
        return grid_worker_rows(keys=keys, city_id=city_id)
    out = cases if cases is not None else case_rows(kind, keys=keys, city_id=city_id)
    if kind in JURISDICTION_KINDS or kind == "department":
        for key, (city, counts) in whistle_rows(kind, keys=keys, city_id=city_id).items():
            base_city, base = out.get(key, (city, {}))
            out[key] = (base_city, base | counts)
    return out
