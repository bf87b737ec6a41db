"""Patrols: one open patrol per worker, only in one's own grids, track points routed into grids, the
end with its distance, and reports on patrol linked to it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from chuishao import clock
from chuishao.events.models import Event
from chuishao.gridwork import services as s
from chuishao.gridwork.errors import GridworkConflict, GridworkDenied, GridworkInvalid, GridworkNotFound
from chuishao.gridwork.models import Patrol, PatrolCase
from tests.factories import grid_centre
from tests.gridwork.conftest import COMMUNITY_A, GRID_A1, GRID_A2, GRID_B1, at

T0 = at(2026, 5, 11, 8)


def codes(patrol: Patrol) -> set[str]:
    return set(patrol.grids.values_list("code", flat=True))


def start(city, who="grid-a", when=T0, **kw) -> Patrol:
    with clock.frozen(when):
        return s.patrol_start(actor=city.people[who], **kw)


def test_a_worker_starts_a_patrol_of_their_own_grids(city):
    patrol = start(city)
    assert patrol.is_open and patrol.started_at == T0
    assert codes(patrol) == {GRID_A1}
    assert patrol.community.code == COMMUNITY_A and patrol.city_id == city.city.pk
    event = Event.objects.get(verb="gridwork.patrol_started")
    assert event.chain == f"gridwork:{patrol.community_id}" and event.actor_id == city.people["grid-a"].pk


def test_one_open_patrol_per_worker(city):
    start(city)
    with pytest.raises(GridworkConflict):
        start(city, when=T0 + dt.timedelta(minutes=5))
    # The database holds the rule too, whatever writes the row.
    first = Patrol.objects.get()
    second = Patrol(worker=first.worker, city=first.city, community=first.community, started_at=clock.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    # Another worker patrols at the same time.
    assert start(city, "grid-a2").is_open


@pytest.mark.parametrize("who", ["resident", "community-a", "street-a", "um-a"])
def test_only_grid_workers_patrol(city, who):
    with pytest.raises(GridworkDenied):
        start(city, who)


def test_a_grid_outside_ones_grids_is_refused(city):
    with pytest.raises(GridworkDenied, match="not one of your grids"):
        start(city, grids=[GRID_A2])
    with pytest.raises(GridworkNotFound):
        start(city, grids=["no-such-grid"])
    assert not Patrol.objects.exists()


def test_track_points_in_ones_own_grids_add_them(city):
    with clock.frozen(T0):
        s.beat_save(
            actor=city.people["community-a"],
            community=COMMUNITY_A,
            code="A1a-beat-1",
            name="一号责任网格",
            grids=[GRID_A1, GRID_A2],
            worker=city.people["grid-a"],
        )
    patrol = start(city, grids=[GRID_A1])
    assert codes(patrol) == {GRID_A1}
    a1, a2, b1 = grid_centre(GRID_A1), grid_centre(GRID_A2), grid_centre(GRID_B1)
    points = [
        {"lat": a1[0], "lng": a1[1], "at": (T0 + dt.timedelta(minutes=10)).isoformat()},
        {"lat": a2[0], "lng": a2[1], "at": (T0 + dt.timedelta(minutes=20)).isoformat()},
        {"lat": b1[0], "lng": b1[1], "at": (T0 + dt.timedelta(minutes=30)).isoformat()},  # not hers
    ]
    with clock.frozen(T0 + dt.timedelta(minutes=31)):
        patrol = s.patrol_track(actor=city.people["grid-a"], points=points)
    assert codes(patrol) == {GRID_A1, GRID_A2}
    assert len(patrol.track) == 3
    event = Event.objects.get(verb="gridwork.patrol_tracked")
    assert event.after["grids_added"] == [GRID_A2] and event.after["points"] == 3


@pytest.mark.parametrize(
    "points",
    [
        [],
        [{"lat": 91, "lng": 116.3}],
        [{"lat": "nan", "lng": 116.3}],
        [{"lat": "north", "lng": 116.3}],
        [{"lat": 39.9}],
        ["39.9,116.3"],
        [{"lat": 39.9, "lng": 116.3, "at": "yesterday"}],
        [{"lat": 39.9, "lng": 116.3, "at": (T0 - dt.timedelta(hours=2)).isoformat()}],  # before the start
        [{"lat": 10**400, "lng": 116.3}],  # too large for a float
    ],
)
def test_bad_track_points_are_refused_and_nothing_is_kept(city, points):
    start(city)
    with clock.frozen(T0 + dt.timedelta(minutes=5)), pytest.raises(GridworkInvalid):
        s.patrol_track(actor=city.people["grid-a"], points=points)
    assert Patrol.objects.get().track == []


def test_track_needs_ones_own_open_patrol(city):
    with clock.frozen(T0), pytest.raises(GridworkNotFound, match="no open patrol"):
        s.patrol_track(actor=city.people["grid-a"], points=[{"lat": 39.9005, "lng": 116.3005}])
    patrol = start(city)
    with clock.frozen(T0), pytest.raises(GridworkDenied, match="another worker"):
        s.patrol_track(
            actor=city.people["grid-a2"], patrol=patrol, points=[{"lat": 39.9005, "lng": 116.3005}]
        )


def test_ending_a_patrol_measures_the_track(city):
    patrol = start(city)
    lat, lng = grid_centre(GRID_A1)
    # Two points 0.0005° of latitude apart: about 55.6 m.
    points = [{"lat": lat - 0.00025, "lng": lng}, {"lat": lat + 0.00025, "lng": lng}]
    with clock.frozen(T0 + dt.timedelta(minutes=10)):
        s.patrol_track(actor=city.people["grid-a"], points=points)
    with clock.frozen(T0 + dt.timedelta(hours=2)):
        patrol = s.patrol_end(actor=city.people["grid-a"], note="一切正常")
    assert patrol.ended_at == T0 + dt.timedelta(hours=2) and not patrol.is_open
    assert patrol.distance_m == pytest.approx(55.6, abs=0.5)
    assert "一切正常" in patrol.note
    with clock.frozen(T0 + dt.timedelta(hours=3)), pytest.raises(GridworkNotFound):
        s.patrol_end(actor=city.people["grid-a"])
    with clock.frozen(T0 + dt.timedelta(hours=3)), pytest.raises(GridworkConflict, match="already ended"):
        s.patrol_end(actor=city.people["grid-a"], patrol=patrol)


def test_a_patrol_cannot_end_before_it_started_nor_in_the_future(city):
    start(city)
    with clock.frozen(T0 + dt.timedelta(hours=1)):
        with pytest.raises(GridworkInvalid, match="before it started"):
            s.patrol_end(actor=city.people["grid-a"], at=T0 - dt.timedelta(minutes=1))
        with pytest.raises(GridworkInvalid, match="future"):
            s.patrol_end(actor=city.people["grid-a"], at=T0 + dt.timedelta(hours=5))
        with pytest.raises(GridworkInvalid):
            s.patrol_end(actor=city.people["grid-a"], at="not a time")
        patrol = s.patrol_end(actor=city.people["grid-a"], at=(T0 + dt.timedelta(minutes=40)).isoformat())
    assert patrol.ended_at == T0 + dt.timedelta(minutes=40)


def test_another_workers_patrol_cannot_be_ended(city):
    patrol = start(city)
    with clock.frozen(T0 + dt.timedelta(hours=1)), pytest.raises(GridworkDenied):
        s.patrol_end(actor=city.people["grid-a2"], patrol=patrol)
    assert Patrol.objects.get().is_open


def test_reports_on_patrol_are_linked(city, report):
    patrol = start(city)
    on_patrol = report(T0 + dt.timedelta(minutes=5), by="grid-a", source="grid_patrol")
    with clock.frozen(T0 + dt.timedelta(minutes=6)):
        link = s.patrol_link_case(actor=city.people["grid-a"], case=on_patrol)
    assert link.patrol_id == patrol.pk
    # A resident's case, or another worker's, is not hers to link.
    public = report(T0 + dt.timedelta(minutes=7))
    with clock.frozen(T0 + dt.timedelta(minutes=8)), pytest.raises(GridworkDenied):
        s.patrol_link_case(actor=city.people["grid-a"], case=public)
    # A report sent without the link (another channel) is linked when the patrol ends.
    later = report(T0 + dt.timedelta(minutes=30), by="grid-a", source="grid_patrol", category="S0101")
    with clock.frozen(T0 + dt.timedelta(hours=1)):
        s.patrol_end(actor=city.people["grid-a"])
    assert set(PatrolCase.objects.values_list("case_id", flat=True)) == {on_patrol.pk, later.pk}
    # After the patrol there is nothing open to link to.
    after = report(T0 + dt.timedelta(hours=2), by="grid-a", source="grid_patrol")
    with clock.frozen(T0 + dt.timedelta(hours=2)):
        assert s.patrol_link_case(actor=city.people["grid-a"], case=after) is None
