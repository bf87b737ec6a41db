"""The small city with grid work: the clock is frozen at a Beijing moment chosen by each test."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chuishao import clock
from chuishao.cases.services import case_report
from tests.factories import build_small_city, grid_centre

TZ = ZoneInfo("Asia/Shanghai")
COMMUNITY_A = "110901001001"
GRID_A1 = "110901001001001"  # grid-a's grid
GRID_A2 = "110901001001002"  # grid-a2's grid
GRID_B1 = "110902001001001"  # grid-b's grid, district B
STREET_A = "110901001"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def city(db):
    return build_small_city()


@pytest.fixture
def report(city):
    """Report a case at a grid's centre as one of the small city's people, at a frozen time."""

    def make(
        when: dt.datetime, *, by: str = "resident", grid: str = GRID_A1, category: str = "S0102", **extra
    ):
        lat, lng = grid_centre(grid)
        params = {"source": "resident_web", "description": "路边垃圾堆积", "lat": lat, "lng": lng}
        params.update(extra)
        with clock.frozen(when):
            return case_report(actor=city.people[by], category=category, **params)

    return make
