"""The evaluation's definitions, as one table: every count kept per (unit, month) and every rate,
composite and grade derived from those counts at read time.

Everything here is data: the counting queries (``evaluation.counting``), the rollup columns
(``evaluation.models``), the selectors and the exports all read these tuples, and
``docs/evaluation.md`` explains the same table in prose. Rates are always sums over counts (never
averages of averages), so months and units add up.

The month a case counts in is the month it was **received** (``Case.created_at`` in the city's time
zone, ``settings.TIME_ZONE``) for every case count: a month's row is the cohort of cases received
that month, followed to their outcome, and it keeps changing while those cases move on. Whistle
counts use the whistle's own month (``Whistle.created_at``), summons counts the summons' month
(``WhistleSummons.summoned_at``, its rating included).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Units evaluated, and what ``Rollup.unit_id`` refers to for each.
UNIT_KINDS = ("grid", "community", "street", "district", "city", "department", "grid_worker")
JURISDICTION_KINDS = ("grid", "community", "street", "district", "city")
UNIT_LABELS = {
    "grid": _("grid"),
    "community": _("community"),
    "street": _("street"),
    "district": _("district"),
    "city": _("city"),
    "department": _("department"),
    "grid_worker": _("grid worker"),
}


@dataclass(frozen=True)
class Count:
    """One integer column of the rollup: which cases (or whistle rows) it counts."""

    name: str
    label: object
    definition: str


@dataclass(frozen=True)
class Rate:
    """A rate in per cent: 100 × numerator / denominator (None when the denominator is 0)."""

    name: str
    label: object
    numerator: tuple[tuple[str, float], ...]  # (count, weight) summed
    denominator: tuple[str, ...]  # counts summed
    higher_is_better: bool
    definition: str


# "Not parked": a parked case (挂账, status parked) leaves every on-time numerator and denominator.
COUNTS: tuple[Count, ...] = (
    Count("received", _("received"), "cases received in the month (created_at)"),
    Count("public_first", _("public-first"), "received cases whose source is a public one (PUBLIC_SOURCES)"),
    Count("filed", _("filed"), "received cases that were ever filed (filed_at: their first case.file event)"),
    Count("public_first_filed", _("public-first filed"), "filed cases with a public source"),
    Count("cancelled_filed", _("cancelled after filing"), "filed cases now cancelled (作废)"),
    Count("self_handled", _("self-handled"), "cases a grid worker handled on the spot"),
    Count("dispatched", _("dispatched"), "cases ever dispatched (an accept stage exists)"),
    Count("returned", _("returned"), "cases returned at least once (return_count > 0)"),
    Count(
        "response_due",
        _("to respond"),
        "not parked, dispatched, and the last accept stage met or red (overdue)",
    ),
    Count("responded_on_time", _("responded on time"), "not parked, last accept stage met on time"),
    Count("handled", _("handled"), "not parked, the last handle stage met (reported as done)"),
    Count("handled_on_time", _("handled on time"), "not parked, the last handle stage met on time"),
    Count(
        "overdue_unhandled",
        _("overdue, not handled"),
        "not parked, in the handle stage and turned red by the deadline sweep",
    ),
    Count("closed", _("closed"), "status closed or rated"),
    Count("closed_on_time", _("closed on time"), "closed and its last handle stage met on time"),
    Count("reworked", _("reworked"), "due cases sent back for rework at least once (per case)"),
    Count("parked", _("parked"), "status parked (挂账)"),
    Count(
        "escalated",
        _("escalated"),
        "cases escalated at least once (escalated_at: their first case.escalated event)",
    ),
    Count("rated", _("rated"), "cases with the reporter's verdict (satisfaction set)"),
    Count("satisfied", _("satisfied"), "satisfaction = satisfied"),
    Count("basically", _("basically satisfied"), "satisfaction = basically"),
    Count("unsatisfied", _("unsatisfied"), "satisfaction = unsatisfied"),
    Count("solved", _("solved"), "resolution = solved"),
    Count("partly", _("partly solved"), "resolution = partly"),
    Count("unsolved", _("unsolved"), "resolution = unsolved"),
    Count("unrated", _("unrated"), "the feedback window ended without a verdict (rating_expired)"),
    # Whistles: streets (and their district and city) by the whistle's month.
    Count("whistles", _("whistles blown"), "whistles the street blew in the month"),
    # Summonses: departments by the summons' month.
    Count("summonses", _("summonses"), "times the department was summoned by a whistle"),
    Count("summons_ack_on_time", _("acknowledged on time"), "acknowledged_at <= acknowledge_due"),
    Count("summons_onsite_due", _("summonses to attend"), "summonses that must come on site (not notify)"),
    Count("summons_onsite_on_time", _("on site on time"), "onsite_at <= onsite_due (not notify)"),
    Count("whistle_ratings", _("whistle ratings"), "the summoning street's ratings of the department"),
    Count(
        "whistle_rating_points",
        _("whistle rating points"),
        "sum over ratings of on_time_report + problem_solved + attitude − 3 (0–12 each)",
    ),
    # Grid workers: cases by the month they were received.
    Count("gw_reported", _("reports"), "cases whose case.reported event the worker wrote"),
    Count("gw_reported_filed", _("reports filed"), "of those, cases that were filed"),
    Count("gw_verified", _("verified"), "cases the worker verified (case.verify)"),
    Count("gw_verified_on_time", _("verified on time"), "of those, the verify stage met on time"),
    Count("gw_checked", _("checked"), "cases the worker checked (case.check)"),
    Count("gw_checked_on_time", _("checked on time"), "of those, the last check stage met on time"),
    Count(
        "gw_missed",
        _("reported first by the public"),
        "public-first cases in the worker's grids (漏报), except those the worker reported too: "
        "a grid-patrol case the worker reported in the same grid and category within "
        "missed_window_hours() either side, or a public case declined as a duplicate of the worker's case",
    ),
)
COUNT_NAMES = tuple(c.name for c in COUNTS)


def _r(name, label, num, den, higher, definition) -> Rate:
    return Rate(name, label, tuple(num), tuple(den), higher, definition)


RATES: tuple[Rate, ...] = (
    _r(
        "response",
        _("response rate"),
        [("responded_on_time", 1)],
        ["response_due"],
        True,
        "响应率: dispatched cases signed for within the accept limit / dispatched cases judged",
    ),
    _r(
        "resolution",
        _("resolution rate"),
        [("solved", 1), ("partly", "partly")],
        ["rated"],
        True,
        "解决率: (solved + w·partly) / rated, w = CHUISHAO_EVAL_PARTLY_WEIGHT (0.5)",
    ),
    _r(
        "satisfaction",
        _("satisfaction rate"),
        [("satisfied", 1), ("basically", "basically")],
        ["rated"],
        True,
        "满意率: (satisfied + w·basically) / rated, w = CHUISHAO_EVAL_BASICALLY_WEIGHT (0.8, our proposal)",
    ),
    _r("closure", _("closure rate"), [("closed", 1)], ["handled", "overdue_unhandled"], True, "结案率"),
    _r(
        "on_time_handling",
        _("on-time handling rate"),
        [("handled_on_time", 1)],
        ["handled", "overdue_unhandled"],
        True,
        "按时处置率: handled on time / due (due = handled + overdue unhandled)",
    ),
    _r(
        "on_time_closure",
        _("on-time closure rate"),
        [("closed_on_time", 1)],
        ["handled", "overdue_unhandled"],
        True,
        "按期结案率: closed on time / due",
    ),
    _r("rework", _("rework rate"), [("reworked", 1)], ["handled", "overdue_unhandled"], False, "返工率"),
    _r("return", _("return rate"), [("returned", 1)], ["dispatched"], False, "回退率: returned / dispatched"),
    _r(
        "public_first",
        _("public-first rate"),
        [("public_first_filed", 1)],
        ["filed"],
        False,
        "监督举报率: public-first filed / filed",
    ),
    _r("whistle", _("whistles per 100 filed"), [("whistles", 1)], ["filed"], False, "吹哨率"),
    _r(
        "summons_ack",
        _("on-time acknowledgement rate"),
        [("summons_ack_on_time", 1)],
        ["summonses"],
        True,
        "summonses acknowledged on time / summonses",
    ),
    _r(
        "summons_onsite",
        _("on-time arrival rate"),
        [("summons_onsite_on_time", 1)],
        ["summons_onsite_due"],
        True,
        "summonses on site on time / summonses to attend",
    ),
    _r(
        "whistle_score",
        _("whistle rating score"),
        [("whistle_rating_points", 1 / 12)],
        ["whistle_ratings"],
        True,
        "mean street rating of the department, 0–100",
    ),
    _r(
        "gw_valid_report",
        _("valid report rate"),
        [("gw_reported_filed", 1)],
        ["gw_reported"],
        True,
        "有效上报率",
    ),
    _r(
        "gw_missed",
        _("missed report rate"),
        [("gw_missed", 1)],
        ["gw_missed", "gw_reported"],
        False,
        "漏报率: public-first in own grids / (that + own reports) (our proposal)",
    ),
    _r(
        "gw_verify_on_time",
        _("on-time verification rate"),
        [("gw_verified_on_time", 1)],
        ["gw_verified"],
        True,
        "按时核实率",
    ),
    _r(
        "gw_check_on_time",
        _("on-time check rate"),
        [("gw_checked_on_time", 1)],
        ["gw_checked"],
        True,
        "按时核查率",
    ),
)
RATE_NAMES = tuple(r.name for r in RATES)

GRADES = ((90.0, "A"), (75.0, "B"), (60.0, "C"), (40.0, "D"))


def partial_weights() -> dict[str, float]:
    """The weights of a partly solved and a basically satisfied verdict (configurable)."""
    return {
        "partly": float(getattr(settings, "CHUISHAO_EVAL_PARTLY_WEIGHT", 0.5)),
        "basically": float(getattr(settings, "CHUISHAO_EVAL_BASICALLY_WEIGHT", 0.8)),
    }


def missed_window_hours() -> float:
    """Hours either side of a public-first case within which the grid worker's own report of the same
    problem (same grid, same category) clears the miss (CHUISHAO_EVAL_MISSED_WINDOW_HOURS, 24)."""
    return float(getattr(settings, "CHUISHAO_EVAL_MISSED_WINDOW_HOURS", 24))


def composite_weights() -> dict[str, float]:
    """Weights of the composite: response / resolution / satisfaction (CHUISHAO_RATE_WEIGHTS)."""
    raw = getattr(settings, "CHUISHAO_RATE_WEIGHTS", {"response": 10, "resolution": 45, "satisfaction": 45})
    return {k: float(v) for k, v in raw.items()}


def whistle_rating_weight() -> float:
    """Share of a department's composite taken by the streets' whistle ratings (1/3, unverified)."""
    return float(getattr(settings, "CHUISHAO_EVAL_WHISTLE_RATING_WEIGHT", 1 / 3))


def whistle_rate_band() -> tuple[float, float]:
    low, high = getattr(settings, "CHUISHAO_WHISTLE_RATE_BAND", (1.0, 10.0))
    return float(low), float(high)


def compute_rates(counts: dict[str, int]) -> dict[str, float | None]:
    """Every rate of ``RATES`` from one row of counts (per cent, None without a denominator)."""
    partial = partial_weights()
    out: dict[str, float | None] = {}
    for rate in RATES:
        den = sum(counts.get(n, 0) for n in rate.denominator)
        if not den:
            out[rate.name] = None
            continue
        num = 0.0
        for name, weight in rate.numerator:
            w = partial[weight] if isinstance(weight, str) else weight
            num += w * counts.get(name, 0)
        out[rate.name] = 100.0 * num / den
    return out


def composite_of(unit_kind: str, rates: dict[str, float | None]) -> float | None:
    """The weighted composite over the rates that exist; departments fold in whistle ratings."""
    weights = composite_weights()
    present = {k: w for k, w in weights.items() if rates.get(k) is not None and w > 0}
    base = sum(rates[k] * w for k, w in present.items()) / sum(present.values()) if present else None
    if unit_kind == "department" and rates.get("whistle_score") is not None:
        share = whistle_rating_weight()
        if base is None:
            return rates["whistle_score"]
        return (1 - share) * base + share * rates["whistle_score"]
    return base


def grade_of(score: float | None) -> str | None:
    if score is None:
        return None
    for floor, grade in GRADES:
        if score >= floor - 1e-9:
            return grade
    return "E"


def whistle_band_status(rate: float | None) -> str | None:
    """ "low" / "ok" / "high" against CHUISHAO_WHISTLE_RATE_BAND (per 100 filed)."""
    if rate is None:
        return None
    low, high = whistle_rate_band()
    if rate < low:
        return "low"
    return "high" if rate > high else "ok"


def period_of(at: dt.datetime) -> str:
    """The month ``at`` falls in, in the city's time zone: "YYYY-MM"."""
    return f"{timezone.localtime(at):%Y-%m}"


def period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a "YYYY-MM" month as aware datetimes in the current time zone."""
    year, month = (int(p) for p in period.split("-"))
    start = dt.datetime(year, month, 1)  # noqa: DTZ001 — made aware on the next line
    end = dt.datetime(year + month // 12, month % 12 + 1, 1)  # noqa: DTZ001
    tz = timezone.get_current_timezone()
    return timezone.make_aware(start, tz), timezone.make_aware(end, tz)
