"""Coverage: per grid the last patrol and whether it is stale (not walked for the city's N days, N a
row), scoped to the chain of command; and the Panjin story — grid workers walk their grids every day."""

from __future__ import annotations

import datetime as dt

import pytest

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.gridwork import selectors as sel
from chuishao.gridwork import services as s
from chuishao.gridwork.errors import GridworkDenied, GridworkNotFound
from chuishao.gridwork.models import GridworkPolicy
from chuishao.orgs.services import membership_grant
from tests.gridwork.conftest import COMMUNITY_A, GRID_A1, GRID_A2, STREET_A, at

NOW = at(2026, 5, 20, 18)


def walk(city, who: str, day: dt.datetime, grids=None) -> None:
    with clock.frozen(day):
        s.patrol_start(actor=city.people[who], grids=grids)
    with clock.frozen(day + dt.timedelta(hours=1)):
        s.patrol_end(actor=city.people[who])


def stale(city, who="community-a", node=COMMUNITY_A) -> dict[str, bool]:
    cov = sel.coverage(actor=city.people[who], node=city.node(node), at=NOW)
    return {g.grid.code: g.stale for g in cov.grids}


def test_a_grid_never_walked_is_stale(city):
    assert stale(city) == {GRID_A1: True, GRID_A2: True}


def test_stale_after_the_citys_days(city):
    walk(city, "grid-a", NOW - dt.timedelta(days=2, hours=2))  # ended 2 days and an hour ago
    walk(city, "grid-a2", NOW - dt.timedelta(days=4))
    assert stale(city) == {GRID_A1: False, GRID_A2: True}  # the default: 3 days
    GridworkPolicy.objects.create(city=city.city, stale_days=2)
    assert stale(city) == {GRID_A1: True, GRID_A2: True}
    GridworkPolicy.objects.filter(city=city.city).update(stale_days=5)
    cov = sel.coverage(actor=city.people["community-a"], node=city.node(COMMUNITY_A), at=NOW)
    assert cov.stale_days == 5 and cov.stale_count == 0
    a1 = next(g for g in cov.grids if g.grid.code == GRID_A1)
    assert a1.days_since == 2 and a1.workers == ("grid-a",)


def test_an_open_patrol_covers_its_grids_now(city):
    with clock.frozen(NOW - dt.timedelta(minutes=10)):
        s.patrol_start(actor=city.people["grid-a"])
    assert stale(city)[GRID_A1] is False


def test_the_policy_is_set_by_the_city(city):
    with clock.frozen(NOW):
        s.policy_set(actor=city.people["city"], city=city.city, stale_days=7)
        with pytest.raises(GridworkDenied):
            s.policy_set(actor=city.people["street-a"], city=city.city, stale_days=1)
    assert s.stale_days_of(city.city.pk) == 7


@pytest.mark.parametrize("who", ["community-a", "street-a", "district-a", "city", "leader", "admin"])
def test_the_chain_of_command_sees_coverage(city, who):
    assert len(stale(city, who)) == 2


@pytest.mark.parametrize("who", ["community-b", "street-b", "district-b", "grid-a", "um-a", "resident"])
def test_others_do_not(city, who):
    with pytest.raises(GridworkNotFound):
        stale(city, who)


def test_coverage_of_a_grid_or_district_is_not_offered(city):
    with pytest.raises(GridworkNotFound):
        stale(city, "city", GRID_A1)


def test_panjin_every_grid_walked_every_day(city):
    """A street of Panjin: each grid worker walks their grid every day for a month → no stale grid;
    one grid left for five days → stale, and it is the only one."""
    for code in ("110901001002001", "110901001002002"):
        user = city.people.setdefault(f"w-{code}", _worker(city, code))
        city.people[f"w-{code}"] = user
    workers = {
        GRID_A1: "grid-a",
        GRID_A2: "grid-a2",
        "110901001002001": "w-110901001002001",
        "110901001002002": "w-110901001002002",
    }
    start = NOW - dt.timedelta(days=30)
    for day in range(30):
        morning = (start + dt.timedelta(days=day)).replace(hour=8)
        for who in workers.values():
            walk(city, who, morning)
    assert stale(city, "street-a", STREET_A) == dict.fromkeys(workers, False)
    # The next five days (the 20th to the 24th) one grid is skipped.
    for day in range(5):
        morning = (NOW + dt.timedelta(days=day)).replace(hour=8)
        for grid, who in workers.items():
            if grid != "110901001002002":
                walk(city, who, morning)
    later = NOW + dt.timedelta(days=4, hours=3)
    cov = sel.coverage(actor=city.people["street-a"], node=city.node(STREET_A), at=later)
    assert {g.grid.code for g in cov.grids if g.stale} == {"110901001002002"}
    assert next(g for g in cov.grids if g.stale).days_since == 5


def _worker(city, code):
    from django.contrib.auth.hashers import make_password

    from chuishao.orgs.services import person_create
    from tests.factories import PASSWORD

    user = person_create(actor=SYSTEM, username=f"w-{code}", password_hash=make_password(PASSWORD))
    membership_grant(actor=SYSTEM, person=user, role="grid_worker", node=city.node(code))
    return user


def test_a_patrol_left_open_for_days_does_not_keep_its_grids_green(city):
    with clock.frozen(NOW - dt.timedelta(days=5)):
        s.patrol_start(actor=city.people["grid-a"])
    cov = sel.coverage(actor=city.people["community-a"], node=city.node(COMMUNITY_A), at=NOW)
    a1 = next(g for g in cov.grids if g.grid.code == GRID_A1)
    assert a1.stale and a1.days_since == 5
    with clock.frozen(NOW):
        month = sel.worker_month(actor=city.people["grid-a"])
    assert month.hours == 24.0  # counted as the longest patrol, as ending it would
