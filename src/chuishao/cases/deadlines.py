"""Per-stage deadlines of a case, counted on the work calendar from the catalogue's limits.

Entering a stage also sets what the deadline sweep reads: the yellow point (``CHUISHAO_WARN_FRACTION``
of the stage's time, counted in working time for working types), the colour reset to none, and
``sweep_at`` — the next moment the sweep has anything to do for this case.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from chuishao.catalog.calendar import work_calendar
from chuishao.catalog.selectors import stage_deadline_for


def stage_due(*, case, stage: str, start: dt.datetime) -> tuple[dt.datetime, bool]:
    """When ``stage`` of ``case`` falls due if it starts at ``start``, and whether that is provisional."""
    amount, time_type = stage_deadline_for(category=case.category, stage=stage)
    deadline = work_calendar(case.city_id).add(start, amount, time_type)
    return deadline.due, deadline.provisional


def enter_stage(
    case, stage: str | None, *, start: dt.datetime, due: dt.datetime | None = None, provisional: bool = False
) -> None:
    """Make ``stage`` the case's running deadline (computed unless ``due`` is given); None clears it."""
    case.warn_level, case.escalated_to, case.escalation_count = "", None, 0
    if stage is None:
        case.stage, case.deadline_at, case.deadline_provisional = "", None, False
        case.yellow_at = case.sweep_at = None
        return
    amount, time_type = stage_deadline_for(category=case.category, stage=stage)
    calendar = work_calendar(case.city_id)
    if due is None:
        deadline = calendar.add(start, amount, time_type)
        due, provisional = deadline.due, deadline.provisional
    case.stage, case.deadline_at, case.deadline_provisional = stage, due, provisional
    case.yellow_at = calendar.fraction_point(start, due, settings.CHUISHAO_WARN_FRACTION, time_type)
    case.sweep_at = case.yellow_at
    deadlines = dict(case.deadlines or {})
    deadlines[stage] = {"due": due.isoformat(), "provisional": provisional, "met": None}
    case.deadlines = deadlines


def meet_stage(case, *, at: dt.datetime) -> None:
    """Record that the running stage finished at ``at`` (for on-time rates)."""
    if case.stage and case.stage in (case.deadlines or {}):
        deadlines = dict(case.deadlines)
        entry = dict(deadlines[case.stage])
        entry["met"] = at.isoformat()
        entry["on_time"] = case.deadline_at is None or at <= case.deadline_at
        deadlines[case.stage] = entry
        case.deadlines = deadlines
