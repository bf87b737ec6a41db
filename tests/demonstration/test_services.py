"""Programmes, quotas and naming: rights, validation, the quota per region and a node named once."""

from __future__ import annotations

import pytest

from chuishao import clock
from chuishao.demonstration import services as svc
from chuishao.demonstration.errors import DemonstrationConflict, DemonstrationDenied, DemonstrationInvalid
from chuishao.demonstration.models import Unit
from chuishao.events.models import Event
from tests.demonstration.conftest import COMMUNITY_A1, COMMUNITY_A2, COMMUNITY_B1, STREET_A, TARGETS, at


def name(city, programme, code, actor="city", **kw):
    with clock.frozen(at(2025, 2, 1, 9)):
        return svc.unit_name(actor=city.people[actor], programme=programme, node=city.node(code), **kw)


def test_city_centre_starts_a_programme_with_its_targets_and_an_event(programme):
    assert programme.targets == {"response": 80.0, "resolution": 80.0, "satisfaction": 80.0, "coverage": 50.0}
    event = Event.objects.get(verb="demonstration.programme_created")
    assert event.chain == f"demonstration:{programme.pk}"
    assert event.after["level"] == "community" and event.after["quota"] == 1


@pytest.mark.parametrize("who", ["district-a", "street-a", "community-a", "resident", "um-a"])
def test_only_the_city_owners_start_a_city_programme(city, who):
    with pytest.raises(DemonstrationDenied):
        svc.programme_create(
            actor=city.people[who], owner_node=city.city, name="x", level="street", quota=2, targets=TARGETS
        )


def test_a_district_centre_runs_its_own_district_programme_only(city):
    mine = svc.programme_create(
        actor=city.people["district-a"],
        owner_node=city.node("110901"),
        name="河西区示范社区",
        level="community",
        quota=2,
        targets={"coverage": 60},
    )
    svc.unit_name(actor=city.people["district-a"], programme=mine, node=city.node(COMMUNITY_A1))
    with pytest.raises(DemonstrationInvalid, match="outside"):
        svc.unit_name(actor=city.people["district-a"], programme=mine, node=city.node(COMMUNITY_B1))
    with pytest.raises(DemonstrationDenied):
        svc.unit_name(actor=city.people["district-b"], programme=mine, node=city.node(COMMUNITY_A2))
    with pytest.raises(DemonstrationDenied):
        svc.programme_create(
            actor=city.people["district-a"],
            owner_node=city.node("110902"),
            name="x",
            level="community",
            quota=2,
            targets=TARGETS,
        )
    # The city's leader is an owner of every programme in the city.
    svc.unit_name(actor=city.people["leader"], programme=mine, node=city.node(COMMUNITY_A2))


@pytest.mark.parametrize(
    ("owner", "level", "quota", "targets", "match"),
    [
        ("110901001", "community", 2, TARGETS, "city or a district"),
        ("110901", "district", 2, TARGETS, "below it"),
        ("110000", "village", 2, TARGETS, "level"),
        ("110000", "street", 0, TARGETS, "quota"),
        ("110000", "street", 2, {}, "at least one"),
        ("110000", "street", 2, {"happiness": 90}, "no indicator"),
        ("110000", "street", 2, {"response": 120}, "between 0 and 100"),
        ("110000", "street", 2, {"response": "high"}, "not a number"),
    ],
)
def test_bad_programmes_are_refused_clearly(city, owner, level, quota, targets, match):
    with pytest.raises(DemonstrationInvalid, match=match):
        svc.programme_create(
            actor=city.people["admin"],
            owner_node=city.node(owner),
            name="示范",
            level=level,
            quota=quota,
            targets=targets,
        )


def test_naming_beyond_the_region_quota_is_refused_and_an_override_opens_a_place(city, programme):
    unit = name(city, programme, COMMUNITY_A1, note="党建引领示范")
    assert unit.region.code == STREET_A and unit.active
    # The other district's street is another region with its own place.
    name(city, programme, COMMUNITY_B1)
    with pytest.raises(DemonstrationConflict) as refused:
        name(city, programme, COMMUNITY_A2)
    assert "1" in refused.value.message and city.node(STREET_A).name in refused.value.message
    assert not Unit.objects.filter(node=city.node(COMMUNITY_A2)).exists()
    svc.quota_set(actor=city.people["city"], programme=programme, region=city.node(STREET_A), quota=2)
    assert svc.quota_of(programme, city.node(STREET_A)) == 2
    name(city, programme, COMMUNITY_A2)
    rows = {r.region.code: r for r in svc.regions_of(programme)}
    assert (rows[STREET_A].quota, rows[STREET_A].used, rows[STREET_A].free) == (2, 2, 0)
    assert (rows["110902001"].quota, rows["110902001"].used) == (1, 1)
    verbs = list(Event.objects.filter(chain=f"demonstration:{programme.pk}").values_list("verb", flat=True))
    assert verbs.count("demonstration.unit_named") == 3 and "demonstration.quota_set" in verbs


def test_a_quota_cannot_drop_below_the_units_a_region_holds(city, programme):
    name(city, programme, COMMUNITY_A1)
    with pytest.raises(DemonstrationConflict, match="cannot be lower"):
        svc.quota_set(actor=city.people["city"], programme=programme, region=city.node(STREET_A), quota=0)
    with pytest.raises(DemonstrationInvalid, match="not a region"):
        svc.quota_set(actor=city.people["city"], programme=programme, region=city.node("110901"), quota=3)
    with pytest.raises(DemonstrationDenied):
        svc.quota_set(actor=city.people["street-a"], programme=programme, region=city.node(STREET_A), quota=3)


def test_a_node_is_in_a_programme_once(city, programme):
    svc.quota_set(actor=city.people["city"], programme=programme, region=city.node(STREET_A), quota=5)
    name(city, programme, COMMUNITY_A1)
    with pytest.raises(DemonstrationConflict, match="already"):
        name(city, programme, COMMUNITY_A1)
    assert Unit.objects.filter(node=city.node(COMMUNITY_A1)).count() == 1


def test_units_are_of_the_programme_level(city, programme):
    with pytest.raises(DemonstrationInvalid, match="names"):
        name(city, programme, STREET_A)
    with pytest.raises(DemonstrationInvalid, match="names"):
        name(city, programme, COMMUNITY_A1 + "001")


def test_goals_may_be_stricter_or_new_but_never_looser(city, programme):
    with pytest.raises(DemonstrationInvalid, match="looser"):
        name(city, programme, COMMUNITY_A1, goals={"satisfaction": 70})
    unit = name(city, programme, COMMUNITY_A1, goals={"satisfaction": 92, "participation": 50})
    assert unit.targets() == {**TARGETS, "satisfaction": 92.0, "participation": 50.0}


@pytest.mark.parametrize("who", ["street-a", "community-a", "district-a", "resident"])
def test_only_owners_name_units(city, programme, who):
    with pytest.raises(DemonstrationDenied):
        name(city, programme, COMMUNITY_A1, actor=who)
    assert not Unit.objects.exists()
