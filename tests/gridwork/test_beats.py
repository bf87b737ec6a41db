"""Responsibility grids (beats): set up by community staff or above for their community, unit grids of
that community only, each unit grid in one active beat, given to a grid worker."""

from __future__ import annotations

import pytest

from chuishao import clock
from chuishao.events.models import Event
from chuishao.gridwork import services as s
from chuishao.gridwork.errors import GridworkDenied, GridworkInvalid
from chuishao.gridwork.models import ResponsibilityGrid
from chuishao.gridwork.scopes import worker_grid_ids
from tests.gridwork.conftest import COMMUNITY_A, GRID_A1, GRID_A2, GRID_B1, at

T0 = at(2026, 5, 11, 9)


def save(city, who="community-a", **kw):
    params = {"community": COMMUNITY_A, "code": "beat-1", "name": "责任网格一", "grids": [GRID_A1, GRID_A2]}
    params.update(kw)
    with clock.frozen(T0):
        return s.beat_save(actor=city.people[who], **params)


@pytest.mark.parametrize("who", ["community-a", "street-a", "district-a", "city", "admin"])
def test_community_staff_and_above_set_up_beats(city, who):
    beat = save(city, who, worker=city.people["grid-a"])
    assert set(beat.grids.values_list("code", flat=True)) == {GRID_A1, GRID_A2}
    assert beat.city_id == city.city.pk
    assert worker_grid_ids(city.people["grid-a"]) == {city.node(GRID_A1).pk, city.node(GRID_A2).pk}
    assert Event.objects.filter(verb="gridwork.beat_saved").count() == 1


@pytest.mark.parametrize("who", ["community-b", "street-b", "grid-a", "um-a", "resident", "leader"])
def test_others_may_not(city, who):
    with pytest.raises(GridworkDenied):
        save(city, who)
    assert not ResponsibilityGrid.objects.exists()


def test_beat_rules(city):
    with pytest.raises(GridworkInvalid, match="outside"):
        save(city, grids=[GRID_A1, GRID_B1])
    with pytest.raises(GridworkInvalid):
        save(city, grids=[])
    with pytest.raises(GridworkInvalid, match="not a grid worker"):
        save(city, worker=city.people["resident"])
    save(city)
    with pytest.raises(GridworkInvalid, match="already in the beat"):
        save(city, code="beat-2", grids=[GRID_A2])
    # An inactive beat frees its grids.
    save(city, active=False)
    assert save(city, code="beat-2", grids=[GRID_A2]).active


def test_assigning_a_beat(city):
    beat = save(city)
    with clock.frozen(T0):
        s.beat_assign(actor=city.people["community-a"], beat=beat, worker=city.people["grid-a2"])
        with pytest.raises(GridworkDenied):
            s.beat_assign(actor=city.people["community-b"], beat=beat, worker=city.people["grid-a"])
    beat.refresh_from_db()
    assert beat.worker == city.people["grid-a2"]
    assert city.node(GRID_A1).pk in worker_grid_ids(city.people["grid-a2"])


def test_a_beat_goes_only_to_a_grid_worker_of_the_community(city):
    with pytest.raises(GridworkInvalid, match="not a grid worker of"):
        save(city, worker=city.people["grid-b"])  # a grid worker of another district
    assert not ResponsibilityGrid.objects.exists()


def test_a_beat_reads_nothing_once_the_grid_worker_role_is_gone(city):
    from chuishao.actors import SYSTEM
    from chuishao.orgs.models import Membership
    from chuishao.orgs.services import membership_revoke

    save(city, code="beat-x", grids=[GRID_A2], worker=city.people["grid-a"])
    assert city.node(GRID_A2).pk in worker_grid_ids(city.people["grid-a"])
    for m in Membership.objects.filter(person=city.people["grid-a"], role="grid_worker", active=True):
        membership_revoke(actor=SYSTEM, membership=m, reason="调岗")
    worker = type(city.people["grid-a"]).objects.get(pk=city.people["grid-a"].pk)  # fresh grants
    assert worker_grid_ids(worker) == set()
