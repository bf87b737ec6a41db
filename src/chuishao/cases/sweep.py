"""The deadline sweep: yellow at 80 % of a deadline, red when it passes, escalation one level up at a
time, the end of the feedback window, and whistle summonses that missed their report deadlines.

Each case (and summons) carries ``sweep_at``, the next moment anything can happen to it; the sweep
reads only rows with ``sweep_at <= now`` through that column's index, so its cost grows with the
number of rows that change, not with the number of open cases. Rows are claimed in batches with
``SELECT … FOR UPDATE SKIP LOCKED`` (on PostgreSQL two sweeps never take the same row; SQLite has one
writer at a time anyway), every change appends its event in the same transaction, and a sweep that
dies part-way leaves the rest due for the next run.

Escalation follows the chain community → street → district → city, starting above the level that
owns the overdue stage: the community for verifying and checking, the dispatching centre (usually
the street) for dispatching, arbitration and the department's work. The first step is taken when the
deadline passes, each further one after ``CHUISHAO_ESCALATION_STEP`` more working time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.models import Case, Status, SummonsState, WarnLevel, WhistleSummons
from chuishao.cases.transitions import TERMINAL
from chuishao.catalog.calendar import work_calendar
from chuishao.events.services import case_events_append_many, event_append
from chuishao.geo.models import Jurisdiction

LADDER = ("community", "street", "district", "city")
# The level that owns each stage (None: the dispatching centre's level).
STAGE_OWNER = {"verify": "community", "check": "community"}
CASE_FIELDS = [
    "warn_level",
    "escalated_to",
    "escalation_count",
    "escalated_at",
    "sweep_at",
    "rating_expired",
    "updated_at",
    "chain_seq",
    "chain_hash",
]


@dataclass
class SweepResult:
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    feedback_expired: int = 0
    summons_overdue: int = 0
    cleared: int = 0
    examined: int = 0
    by_verb: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return self.yellow + self.red + self.escalated + self.feedback_expired + self.summons_overdue


def deadline_sweep(*, now: dt.datetime | None = None, batch: int | None = None) -> SweepResult:
    """Run one sweep over every case and summons due by ``now``; returns what changed."""
    now = now or clock.now()
    batch = batch or settings.CHUISHAO_SWEEP_BATCH
    result = SweepResult()
    # Every claimed row leaves with sweep_at after ``now`` or empty, so a short batch means done.
    while _sweep_cases(now, batch, result) == batch:
        pass
    while _sweep_summonses(now, batch, result) == batch:
        pass
    return result


def _claim(queryset, batch: int):
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return list(queryset.order_by("sweep_at", "pk")[:batch])


def _sweep_cases(now: dt.datetime, batch: int, result: SweepResult) -> int:
    with transaction.atomic():
        cases = _claim(
            Case.objects.select_related("category", "escalated_to").filter(sweep_at__lte=now), batch
        )
        nodes = _nodes_for(cases)
        events: list[tuple[Case, str, dict]] = []
        for case in cases:
            result.examined += 1
            _sweep_case(case, now, nodes, result, events)
            case.updated_at = now
        # One insert for the events and one batched statement for the rows.
        case_events_append_many(events, actor=SYSTEM, at=now)
        _save_many(cases)
    return len(cases)


def _save_many(cases: list[Case]) -> None:
    """Write the sweep's columns of every claimed case with one prepared UPDATE run for many rows
    (psycopg pipelines it; Django's ``bulk_update`` builds a CASE per column per row, which costs
    milliseconds per row in Python)."""
    if not cases:
        return
    fields = [Case._meta.get_field(name) for name in CASE_FIELDS]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    # Names come from the model, never from input.
    sql = f"UPDATE {connection.ops.quote_name(Case._meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608
    rows = [[f.get_db_prep_save(getattr(c, f.attname), connection) for f in fields] + [c.pk] for c in cases]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _sweep_case(
    case: Case, now: dt.datetime, nodes: dict[int, Jurisdiction], result: SweepResult, events: list
) -> None:
    if case.status == Status.CLOSED and not case.rated_at and not case.rating_expired:
        window_end = (case.closed_at or now) + dt.timedelta(days=settings.CHUISHAO_FEEDBACK_WINDOW_DAYS)
        if now < window_end:
            case.sweep_at = window_end
            return
        case.rating_expired, case.sweep_at = True, None
        events.append((case, "case.feedback_expired", {"rating_expired": True}))
        result.feedback_expired += 1
        return
    if case.status in TERMINAL or case.status == Status.PARKED or case.deadline_at is None:
        case.sweep_at = None  # nothing runs any more (a stale mark)
        result.cleared += 1
        return
    if now < case.deadline_at:
        if case.warn_level == WarnLevel.NONE and case.yellow_at and now >= case.yellow_at:
            case.warn_level = WarnLevel.YELLOW
            events.append((case, "case.warned", {"warn_level": WarnLevel.YELLOW, "stage": case.stage}))
            result.yellow += 1
        case.sweep_at = case.deadline_at
        return
    if case.warn_level != WarnLevel.RED:
        case.warn_level = WarnLevel.RED
        events.append((case, "case.warned", {"warn_level": WarnLevel.RED, "stage": case.stage}))
        result.red += 1
    _escalate(case, now, nodes, result, events)


def _escalate(
    case: Case, now: dt.datetime, nodes: dict[int, Jurisdiction], result: SweepResult, events: list
) -> None:
    """Take every escalation step that is due by ``now`` (a sweep that was down catches up)."""
    amount, time_type = settings.CHUISHAO_ESCALATION_STEP
    calendar = work_calendar(case.city_id)
    while True:
        target = _next_level(case, nodes)
        if target is None:
            case.sweep_at = None  # the top of the chain knows; nothing further to escalate to
            return
        step_due = case.deadline_at
        for _ in range(case.escalation_count):
            step_due = calendar.add(step_due, Decimal(amount), time_type).due
        if now < step_due:
            case.sweep_at = step_due
            return
        case.escalated_to = target
        case.escalation_count += 1
        if case.escalated_at is None:
            case.escalated_at = now
        events.append(
            (
                case,
                "case.escalated",
                {
                    "escalated_to_id": target.pk,
                    "level": target.kind,
                    "stage": case.stage,
                    "step": case.escalation_count,
                    "due": case.deadline_at,
                },
            )
        )
        result.escalated += 1


def _next_level(case: Case, nodes: dict[int, Jurisdiction]) -> Jurisdiction | None:
    if case.escalated_to is not None:
        current = case.escalated_to.kind
    else:
        current = STAGE_OWNER.get(case.stage)
        if current is None:
            owner = nodes.get(case.dispatcher_node_id) if case.dispatcher_node_id else None
            current = owner.kind if owner is not None else "street"
    if current not in LADDER:
        current = "community"
    for kind in LADDER[LADDER.index(current) + 1 :]:
        node_id = getattr(case, f"{kind}_id")
        if node_id is not None:
            return nodes.get(node_id)
    return None


def _nodes_for(cases: list[Case]) -> dict[int, Jurisdiction]:
    ids = set()
    for c in cases:
        ids.update(i for i in (c.street_id, c.district_id, c.city_id, c.dispatcher_node_id) if i)
    return {j.pk: j for j in Jurisdiction.objects.filter(pk__in=ids).only("pk", "kind", "code", "name")}


def _sweep_summonses(now: dt.datetime, batch: int, result: SweepResult) -> int:
    with transaction.atomic():
        rows = _claim(WhistleSummons.objects.select_related("whistle").filter(sweep_at__lte=now), batch)
        # Events lock their whistle's chain head: two sweeps taking heads in one order cannot deadlock.
        for summons in sorted(rows, key=lambda s: (s.whistle_id, s.pk)):
            result.examined += 1
            _sweep_summons(summons, now, result)
            summons.save(update_fields=["sweep_at", "overdue"])
    return len(rows)


def _sweep_summons(summons: WhistleSummons, now: dt.datetime, result: SweepResult) -> None:
    """Report each missed deadline of a summons once: acknowledging, then coming on site."""
    overdue = dict(summons.overdue or {})
    released = summons.state == SummonsState.RELEASED
    checks = [("acknowledge", summons.acknowledge_due, summons.acknowledged_at)]
    if summons.role != "notify":
        checks.append(("onsite", summons.onsite_due, summons.onsite_at))
    next_due = None
    for stage, due, done_at in checks:
        if done_at is not None or stage in overdue or released:
            continue
        if now >= due:
            overdue[stage] = now.isoformat()
            event_append(
                verb="whistle.summons_overdue",
                actor=SYSTEM,
                chain=summons.whistle.chain,
                city_id=summons.whistle.city_id,
                after={
                    "summons_id": summons.pk,
                    "organisation_id": summons.organisation_id,
                    "stage": stage,
                    "due": due,
                },
                at=now,
            )
            result.summons_overdue += 1
        else:
            next_due = due if next_due is None else min(next_due, due)
    summons.overdue = overdue
    summons.sweep_at = next_due
