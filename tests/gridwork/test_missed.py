"""漏报: a public-first case in a worker's grid counts against that worker unless they reported the same
problem too — their own grid-patrol case in the same grid and category within the window (24 hours by
default, either side), or the public case declined as a duplicate of their case."""

from __future__ import annotations

import datetime as dt

import pytest

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.services import case_act
from chuishao.evaluation.counting import count_rows
from chuishao.evaluation.models import Rollup
from chuishao.evaluation.services import rollup_rebuild, rollup_refresh
from chuishao.orgs.services import membership_grant
from tests.gridwork.conftest import GRID_A1, GRID_A2, at

PUBLIC_AT = at(2026, 5, 15, 12)


def missed(city, who="grid-a") -> int:
    rows = count_rows("grid_worker")
    return rows.get((city.people[who].pk, "2026-05"), (0, {}))[1].get("gw_missed", 0)


def test_a_public_case_nobody_else_reported_is_missed(city, report):
    report(PUBLIC_AT)
    assert missed(city) == 1
    assert missed(city, "grid-a2") == 0  # not her grid


@pytest.mark.parametrize("hours", [-23, -1, 1, 23.5])
def test_the_worker_reporting_it_within_the_window_clears_it(city, report, hours):
    report(PUBLIC_AT + dt.timedelta(hours=hours), by="grid-a", source="grid_patrol")
    report(PUBLIC_AT)
    assert missed(city) == 0


@pytest.mark.parametrize(
    "worker_report",
    [
        {"hours": 25},  # too late
        {"hours": -30},  # too early
        {"category": "S0101"},  # another problem
        {"grid": GRID_A2, "by": "grid-a2"},  # another grid (and another worker)
    ],
)
def test_the_worker_reporting_something_else_does_not(city, report, worker_report):
    hours = worker_report.pop("hours", 1)
    params = {"by": "grid-a", "source": "grid_patrol", **worker_report}
    report(PUBLIC_AT + dt.timedelta(hours=hours), **params)
    report(PUBLIC_AT)
    assert missed(city) == 1


def test_the_window_is_configurable(city, report, settings):
    report(PUBLIC_AT + dt.timedelta(hours=30), by="grid-a", source="grid_patrol")
    report(PUBLIC_AT)
    assert missed(city) == 1
    settings.CHUISHAO_EVAL_MISSED_WINDOW_HOURS = 36
    assert missed(city) == 0


def test_only_the_worker_who_reported_is_cleared(city, report):
    """Two workers share a grid; the one who reported it is not charged, the other is."""
    membership_grant(actor=SYSTEM, person=city.people["grid-a2"], role="grid_worker", node=city.node(GRID_A1))
    report(PUBLIC_AT - dt.timedelta(hours=2), by="grid-a", source="grid_patrol")
    report(PUBLIC_AT)
    assert missed(city) == 0
    assert missed(city, "grid-a2") == 1


def test_a_duplicate_of_the_workers_case_is_not_missed(city, report):
    own = report(PUBLIC_AT - dt.timedelta(days=3), by="grid-a", source="grid_patrol")  # outside the window
    public = report(PUBLIC_AT)
    assert missed(city) == 1
    with clock.frozen(PUBLIC_AT + dt.timedelta(minutes=30)):
        case_act(
            case=public, action="decline", actor=city.people["street-a"], reason="重复", duplicate_of=own
        )
    assert missed(city) == 0
    # A duplicate of a resident's case still counts.
    other = report(PUBLIC_AT - dt.timedelta(days=2), category="S0101")
    again = report(PUBLIC_AT, category="S0101")
    with clock.frozen(PUBLIC_AT + dt.timedelta(minutes=40)):
        case_act(
            case=again, action="decline", actor=city.people["street-a"], reason="重复", duplicate_of=other
        )
    assert missed(city) == 2  # ``other`` and ``again``


def test_the_rollup_follows_the_rule_incrementally(city, report):
    report(PUBLIC_AT)
    rollup_rebuild(settle=dt.timedelta(0))
    row = Rollup.objects.get(unit_kind="grid_worker", unit_id=city.people["grid-a"].pk, period="2026-05")
    assert row.gw_missed == 1
    # The worker's own report of the same problem an hour later clears it at the next refresh.
    report(PUBLIC_AT + dt.timedelta(hours=1), by="grid-a", source="grid_patrol")
    rollup_refresh(settle=dt.timedelta(0))
    row.refresh_from_db()
    assert (row.gw_missed, row.gw_reported) == (0, 1)


def test_the_rollup_follows_a_clearing_report_across_the_month_end(city, report):
    """The public case on 31 May late at night, the worker's own report after midnight: May's row changes
    at the next refresh though the new case belongs to June."""
    late = at(2026, 5, 31, 23)
    report(late)
    rollup_rebuild(settle=dt.timedelta(0))
    row = Rollup.objects.get(unit_kind="grid_worker", unit_id=city.people["grid-a"].pk, period="2026-05")
    assert row.gw_missed == 1
    report(late + dt.timedelta(hours=2), by="grid-a", source="grid_patrol")
    rollup_refresh(settle=dt.timedelta(0))
    may = Rollup.objects.filter(unit_kind="grid_worker", unit_id=city.people["grid-a"].pk, period="2026-05")
    assert list(may.values_list("gw_missed", flat=True)) in ([], [0])  # a row of zeros is not kept
