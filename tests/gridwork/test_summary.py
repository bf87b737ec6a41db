"""The grid worker's day and month: patrols, hours, visits, reports, fixes on the spot and checks."""

from __future__ import annotations

import datetime as dt

from chuishao import clock
from chuishao.cases.services import case_act
from chuishao.gridwork import selectors as sel
from chuishao.gridwork import services as s
from tests.gridwork.conftest import GRID_A1, at

DAY = at(2026, 5, 11, 8)


def test_day_and_month(city, report):
    worker = city.people["grid-a"]
    # Yesterday: one patrol of two hours (counts in the month, not the day).
    with clock.frozen(DAY - dt.timedelta(days=1)):
        s.patrol_start(actor=worker)
    with clock.frozen(DAY - dt.timedelta(days=1) + dt.timedelta(hours=2)):
        s.patrol_end(actor=worker)
    # Today: a patrol from 8:00 to 9:30 with a report, a fix on the spot, a visit and a check.
    with clock.frozen(DAY):
        s.patrol_start(actor=worker)
    case = report(DAY + dt.timedelta(minutes=10), by="grid-a", source="grid_patrol")
    small = report(DAY + dt.timedelta(minutes=20), by="grid-a", source="grid_patrol", category="S0101")
    with clock.frozen(DAY + dt.timedelta(minutes=25)):
        case_act(case=small, action="self_handle", actor=worker, note="当场清理")
        s.visit_record(
            actor=worker, grid=GRID_A1, kind="household", household="1号楼101", discussed="邻里噪音",
            follow_up=True, follow_up_note="周五回访",
        )  # fmt: skip
    public = report(DAY + dt.timedelta(minutes=30))
    with clock.frozen(DAY + dt.timedelta(minutes=40)):
        case_act(case=public, action="verify", actor=worker)
    with clock.frozen(DAY + dt.timedelta(minutes=90)):
        s.patrol_end(actor=worker)
    with clock.frozen(DAY + dt.timedelta(hours=10)):
        day = sel.worker_day(actor=worker)
        month = sel.worker_month(actor=worker)
    assert (day.patrols, day.hours, day.visits, day.follow_ups) == (1, 1.5, 1, 1)
    assert (day.reported, day.self_handled, day.verified, day.checked) == (2, 1, 1, 0)
    assert day.grids_walked == 1
    assert (month.patrols, month.hours, month.reported) == (2, 3.5, 2)
    assert case.pk  # reported above


def test_an_open_patrol_counts_its_hours_so_far(city):
    worker = city.people["grid-a"]
    with clock.frozen(DAY):
        s.patrol_start(actor=worker)
    with clock.frozen(DAY + dt.timedelta(minutes=45)):
        assert sel.worker_day(actor=worker).hours == 0.8  # 0.75 h, one decimal
        assert sel.open_patrol(worker) is not None
        assert sel.open_patrol(city.people["grid-a2"]) is None
