"""Reading 每月一题: candidate problems mined from the cases, and a problem's monthly figures.

Mining (``mine``) ranks candidate problems — a minor category in an area (a street, or a district) —
over a period of months ending with a given month. Every figure is aggregated in the database with a
fixed number of grouped queries, whatever the number of cases:

- per-month counts of (category, area) over the period and the 12 months before it (one query);
- per (category, area) over the period: rated, satisfied, basically satisfied, declined as duplicates
  (``Case.duplicate_of`` set), and repeat reports — a case with another case of the same category in
  the same grid within ``repeat_days`` days before it (an ``EXISTS`` subquery) (one query);
- distinct organisations that handled its cases: lead organisations and organisations assigned to
  them (two ``DISTINCT`` queries).

The score (documented in docs/monthly.md)::

    score = volume × recurrence × (1 + 0.5·(organisations − 1)) × (1 + growth⁺) × (1 + repeat share)

with recurrence = months present / months of the period, growth⁺ = max(0, (last 3 months − the 3
before) / max(the 3 before, 1)) capped at 2, repeat share = (repeats + duplicates) / volume (≤ 1).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from chuishao import clock
from chuishao.cases.models import Case, CaseAssignment
from chuishao.catalog.models import Category
from chuishao.evaluation.definitions import partial_weights
from chuishao.geo.models import Jurisdiction
from chuishao.monthly.models import MonthlyProblem

AREA_LEVELS = ("street", "district")
DEFAULT_MONTHS = 12
DEFAULT_REPEAT_DAYS = 14
# A candidate must have at least this many reports and appear in at least two months.
MIN_VOLUME = 3
MIN_MONTHS = 2
GROWTH_CAP = 2.0


# ------------------------------------------------------------------------------------------ months


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def current_month() -> dt.date:
    return month_start(timezone.localdate(clock.now()))


def month_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware datetimes from the start of month ``first`` to the start of the month after ``last``."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(add_months(last, 1), dt.time.min, tzinfo=tz)
    return start, end


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out


def _month_key(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return month_start(value)


def satisfaction_rate(rated: int, satisfied: int, basically: int) -> float | None:
    """满意率 as the evaluation app counts it: (satisfied + w·basically) / rated, in per cent."""
    if not rated:
        return None
    w = partial_weights()["basically"]
    return round(100.0 * (satisfied + w * basically) / rated, 1)


# ------------------------------------------------------------------------------------------ mining


@dataclass
class Candidate:
    category: Category
    area: Jurisdiction
    months: list[dt.date]
    counts: list[int]
    volume: int = 0
    months_present: int = 0
    last3: int = 0
    prev3: int = 0
    year_ago3: int | None = None
    growth: float | None = None
    growth_yoy: float | None = None
    repeats: int = 0
    duplicates: int = 0
    organisations: int = 0
    rated: int = 0
    satisfaction: float | None = None
    score: float = 0.0
    rank: int = 0
    taken: list[Any] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The candidate's reference in links: '<category id>-<area code>'."""
        return f"{self.category.pk}-{self.area.code}"

    @property
    def recurrence(self) -> float:
        return self.months_present / len(self.months) if self.months else 0.0

    # The change in per cent for the page; none from nothing (the score still counts it as growth, capped).
    @property
    def growth_percent(self) -> float | None:
        return None if self.growth is None or not self.prev3 else round(100 * self.growth, 1)

    @property
    def growth_yoy_percent(self) -> float | None:
        return None if self.growth_yoy is None or not self.year_ago3 else round(100 * self.growth_yoy, 1)


def _growth(now: int, before: int) -> float | None:
    if before == 0:
        return None if now == 0 else float(now)
    return (now - before) / before


def score_of(c: Candidate) -> float:
    growth = min(GROWTH_CAP, max(0.0, c.growth or 0.0))
    repeat_share = min(1.0, (c.repeats + c.duplicates) / c.volume) if c.volume else 0.0
    cross = 1 + 0.5 * (max(1, c.organisations) - 1)
    return c.volume * c.recurrence * cross * (1 + growth) * (1 + repeat_share)


def cases_in(area: Jurisdiction) -> QuerySet[Case]:
    """The cases located in ``area`` (a city, district, street or community)."""
    column = {
        "city": "city_id",
        "district": "district_id",
        "street": "street_id",
        "community": "community_id",
    }
    if area.kind not in column:
        return Case.objects.none()
    return Case.objects.filter(**{column[area.kind]: area.pk})


def _repeat_q(repeat_days: int) -> Exists:
    earlier = Case.objects.filter(
        category_id=OuterRef("category_id"),
        grid_id=OuterRef("grid_id"),
        created_at__lt=OuterRef("created_at"),
        created_at__gte=OuterRef("created_at") - dt.timedelta(days=repeat_days),
    ).exclude(pk=OuterRef("pk"))
    return Exists(earlier)


def mine(
    *,
    scope: Jurisdiction,
    end_month: dt.date | None = None,
    months: int = DEFAULT_MONTHS,
    level: str = "street",
    repeat_days: int = DEFAULT_REPEAT_DAYS,
    limit: int = 20,
    category_id: int | None = None,
    area_code: str | None = None,
) -> list[Candidate]:
    """The ``limit`` best candidate problems in ``scope`` over ``months`` months ending with ``end_month``.

    ``category_id``/``area_code`` narrow the result to one candidate (its page).
    """
    if level not in AREA_LEVELS:
        level = "street"
    months = max(3, min(int(months), 36))
    end = month_start(end_month or current_month())
    first = add_months(end, -(months - 1))
    window_first = add_months(first, -12)
    period = months_between(first, end)
    area_col = f"{level}_id"
    base = cases_in(scope).filter(**{f"{area_col}__isnull": False})
    if category_id is not None:
        base = base.filter(category_id=category_id)
    if area_code is not None:
        base = base.filter(**{f"{level}__code": area_code})
    w_start, w_end = month_bounds(window_first, end)
    p_start, p_end = month_bounds(first, end)

    # 1. Monthly counts over the period and the year before it.
    per_month: dict[tuple[int, int], dict[dt.date, int]] = defaultdict(dict)
    rows = (
        base.filter(created_at__gte=w_start, created_at__lt=w_end)
        .annotate(m=TruncMonth("created_at"))
        .values("category_id", area_col, "m")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        month = _month_key(row["m"])
        key = (row["category_id"], row[area_col])
        per_month[key][month] = per_month[key].get(month, 0) + row["n"]

    candidates: dict[tuple[int, int], Candidate] = {}
    for key, by_month in per_month.items():
        counts = [by_month.get(m, 0) for m in period]
        volume = sum(counts)
        present = sum(1 for n in counts if n)
        if category_id is None and (volume < MIN_VOLUME or present < MIN_MONTHS):
            continue
        c = Candidate(category=None, area=None, months=period, counts=counts)  # type: ignore[arg-type]
        c.volume, c.months_present = volume, present
        c.last3 = sum(counts[-3:])
        c.prev3 = sum(counts[-6:-3])
        c.growth = _growth(c.last3, c.prev3)
        candidates[key] = c
    if not candidates:
        return []

    # The year-on-year comparison only when the scope has cases as old as the months a year earlier.
    oldest = cases_in(scope).aggregate(first=Min("created_at"))["first"]
    year_ago = [add_months(m, -12) for m in period[-3:]]
    if oldest is not None and _month_key(oldest) <= year_ago[0]:
        for key, c in candidates.items():
            c.year_ago3 = sum(per_month[key].get(m, 0) for m in year_ago)
            c.growth_yoy = _growth(c.last3, c.year_ago3)

    # 2. Satisfaction, duplicates and repeat reports over the period.
    in_period = base.filter(created_at__gte=p_start, created_at__lt=p_end)
    figures = (
        in_period.annotate(is_repeat=_repeat_q(repeat_days))
        .values("category_id", area_col)
        .annotate(
            rated=Count("pk", filter=~Q(satisfaction="")),
            satisfied=Count("pk", filter=Q(satisfaction="satisfied")),
            basically=Count("pk", filter=Q(satisfaction="basically")),
            duplicates=Count("pk", filter=Q(duplicate_of__isnull=False)),
            repeats=Count("pk", filter=Q(is_repeat=True) & Q(duplicate_of__isnull=True)),
        )
        .order_by()
    )
    for row in figures:
        c = candidates.get((row["category_id"], row[area_col]))
        if c is None:
            continue
        c.rated, c.duplicates, c.repeats = row["rated"], row["duplicates"], row["repeats"]
        c.satisfaction = satisfaction_rate(row["rated"], row["satisfied"], row["basically"])

    # 3. Distinct organisations that led or were assigned to its cases.
    orgs: dict[tuple[int, int], set[int]] = defaultdict(set)
    for cat, area, org in (
        in_period.filter(lead_org__isnull=False)
        .values_list("category_id", area_col, "lead_org_id")
        .distinct()
        .order_by()
    ):
        orgs[(cat, area)].add(org)
    for cat, area, org in (
        CaseAssignment.objects.filter(case__in=in_period.values("pk"))
        .values_list("case__category_id", f"case__{area_col}", "organisation_id")
        .distinct()
        .order_by()
    ):
        orgs[(cat, area)].add(org)
    for key, c in candidates.items():
        c.organisations = len(orgs.get(key, ()))
        c.score = round(score_of(c), 2)

    ranked = sorted(candidates.items(), key=lambda kv: (-kv[1].score, -kv[1].volume, kv[0]))[:limit]
    cats = Category.objects.in_bulk([k[0] for k, _ in ranked])
    areas = Jurisdiction.objects.in_bulk([k[1] for k, _ in ranked])
    taken = defaultdict(list)
    for p in MonthlyProblem.objects.filter(area_id__in=[k[1] for k, _ in ranked]).prefetch_related(
        "categories"
    ):
        for cat in p.categories.all():
            taken[(cat.pk, p.area_id)].append(p)
    out = []
    for rank, (key, c) in enumerate(ranked, 1):
        c.category, c.area, c.rank = cats[key[0]], areas[key[1]], rank
        c.taken = taken.get(key, [])
        out.append(c)
    return out


def candidate_cases(
    *,
    scope: Jurisdiction,
    category: Category | None,
    area: Jurisdiction | None,
    first: dt.date,
    last: dt.date,
) -> QuerySet[Case]:
    """The cases of a candidate (or of the whole scope when ``category`` is None) in months first..last."""
    start, end = month_bounds(first, last)
    qs = cases_in(area if area is not None else scope).filter(created_at__gte=start, created_at__lt=end)
    if category is not None:
        qs = qs.filter(category=category)
    return qs


# ------------------------------------------------------------------------------------------ tracking


def problem_cases(problem: MonthlyProblem) -> QuerySet[Case]:
    return cases_in(problem.area).filter(category__in=problem.categories.all())


@dataclass
class MonthPoint:
    month: dt.date
    volume: int
    rated: int
    satisfaction: float | None


def last_complete_month() -> dt.date:
    """The month before the running one: the last month whose figures are final."""
    return add_months(current_month(), -1)


def problem_series(problem: MonthlyProblem, *, until: dt.date | None = None) -> list[MonthPoint]:
    """The problem's volume and satisfaction per month, from 12 months before it was taken on to the
    last complete month (the running month is left out: its volume is always low and reads as a drop)."""
    return problems_series([problem], until=until)[problem.pk]


_AREA_COLUMN = {"city": "city_id", "district": "district_id", "street": "street_id"}


def problems_series(
    problems: list[MonthlyProblem], *, until: dt.date | None = None
) -> dict[int, list[MonthPoint]]:
    """``problem_series`` of many problems with one grouped query over their cases (per category, area
    column and month), split among the problems in Python. Uses the problems' prefetched categories."""
    last = month_start(until or last_complete_month())
    out: dict[int, list[MonthPoint]] = {}
    plans = []
    for problem in problems:
        column = _AREA_COLUMN.get(problem.area.kind)
        cats = {c.pk for c in problem.categories.all()}
        first = add_months(problem.month, -12)
        months = months_between(first, last)
        out[problem.pk] = [MonthPoint(month=m, volume=0, rated=0, satisfaction=None) for m in months]
        if column and cats and months:
            plans.append((problem, column, cats, first))
    if not plans:
        return out
    where = Q(pk__in=[])
    for column in _AREA_COLUMN.values():
        ids = {p.area_id for p, col, _c, _f in plans if col == column}
        if ids:
            where |= Q(**{f"{column}__in": ids})
    first = min(f for *_rest, f in plans)
    start, end = month_bounds(first, last)
    rows = (
        Case.objects.filter(where, created_at__gte=start, created_at__lt=end)
        .filter(category_id__in=set().union(*(c for _p, _col, c, _f in plans)))
        .annotate(m=TruncMonth("created_at"))
        .values("m", "category_id", *_AREA_COLUMN.values())
        .annotate(
            n=Count("pk"),
            rated=Count("pk", filter=~Q(satisfaction="")),
            satisfied=Count("pk", filter=Q(satisfaction="satisfied")),
            basically=Count("pk", filter=Q(satisfaction="basically")),
        )
        .order_by()
    )
    counts: dict[int, dict[dt.date, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    rows = list(rows)
    for problem, column, cats, _first in plans:
        mine_ = counts[problem.pk]
        for row in rows:
            if row["category_id"] in cats and row[column] == problem.area_id:
                bucket = mine_[_month_key(row["m"])]
                for k in ("n", "rated", "satisfied", "basically"):
                    bucket[k] += row[k]
        for point in out[problem.pk]:
            b = mine_.get(point.month, {})
            point.volume = b.get("n", 0)
            point.rated = b.get("rated", 0)
            point.satisfaction = satisfaction_rate(
                b.get("rated", 0), b.get("satisfied", 0), b.get("basically", 0)
            )
    return out


@dataclass
class Comparison:
    span: int
    before_months: int
    after_months: int
    before_mean: float | None
    after_mean: float | None
    change_percent: float | None
    goal_met: bool | None


def before_after(problem: MonthlyProblem, series: list[MonthPoint], span: int) -> Comparison:
    """Mean monthly volume in the ``span`` months before the month taken on and in the ``span`` complete
    months after it (the month taken on itself is neither; the running month is not complete)."""
    current = current_month()
    by_month = {p.month: p.volume for p in series}
    before = [add_months(problem.month, -k) for k in range(span, 0, -1)]
    after = [add_months(problem.month, k) for k in range(1, span + 1)]
    after = [m for m in after if m < current]
    b_mean = sum(by_month.get(m, 0) for m in before) / span
    a_mean = sum(by_month.get(m, 0) for m in after) / len(after) if after else None
    change = None
    if a_mean is not None and b_mean:
        change = round(100.0 * (a_mean - b_mean) / b_mean, 1)
    goal_met = None if change is None else change <= -problem.goal_percent
    return Comparison(
        span=span,
        before_months=len(before),
        after_months=len(after),
        before_mean=round(b_mean, 2),
        after_mean=None if a_mean is None else round(a_mean, 2),
        change_percent=change,
        goal_met=goal_met,
    )


# ------------------------------------------------------------------------------------------ lists


def problems_visible_to(actor: Any) -> QuerySet[MonthlyProblem]:
    """The problems the actor reads: over their city or district as a miner, or led/assisted by their
    organisations as department staff."""
    from chuishao.monthly.scopes import miner_node_ids, staff_org_ids

    ids = miner_node_ids(actor)
    orgs = staff_org_ids(actor)
    q = Q(pk__in=[])
    if ids["city"]:
        q |= Q(city_id__in=ids["city"])
    if ids["district"]:
        q |= Q(area_id__in=ids["district"]) | Q(area__district_id__in=ids["district"])
    if orgs:
        q |= Q(lead_id__in=orgs) | Q(assisting__in=orgs)
    return (
        MonthlyProblem.objects.filter(pk__in=MonthlyProblem.objects.filter(q).values("pk"))
        .select_related("lead", "area", "city")
        .prefetch_related("categories", "assisting")
    )
