"""Routing a case to its owner from the responsibility list, and a city's overrides of that list."""

from __future__ import annotations

import pytest

from chuishao.actors import SYSTEM
from chuishao.catalog.models import Responsibility
from chuishao.catalog.selectors import CatalogError, category_get, responsible_org_for
from chuishao.catalog.services import catalog_load_defaults, responsibility_set
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation

pytestmark = pytest.mark.django_db


def _square(x: float, y: float, size: float) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def _node(kind: str, code: str, parent: Jurisdiction | None, size: float) -> Jurisdiction:
    chain = parent.chain_ids() if parent is not None else {}
    return Jurisdiction.objects.create(
        kind=kind,
        code=code,
        name=code,
        parent=parent,
        city_id=chain.get("city"),
        district_id=chain.get("district"),
        street_id=chain.get("street"),
        community_id=chain.get("community"),
        boundary=_square(116.0, 39.0, size),
    )


def _org(code: str, dept_type: str, node: Jurisdiction, kind: str = "department") -> Organisation:
    return Organisation.objects.create(
        kind=kind, code=code, name=code, dept_type=dept_type, jurisdiction=node
    )


@pytest.fixture
def tree():
    """One city, two districts; a street, community and grid in the first district."""
    catalog_load_defaults(actor=SYSTEM)
    city = _node("city", "C", None, 1.0)
    district = _node("district", "D1", city, 0.5)
    other_district = _node("district", "D2", city, 0.5)
    street = _node("street", "S1", district, 0.1)
    community = _node("community", "M1", street, 0.05)
    grid = _node("grid", "G1", community, 0.01)
    street_office = _org("S1-office", "street_office", street, kind="street_office")
    return {
        "city": city,
        "district": district,
        "other_district": other_district,
        "street": street,
        "community": community,
        "chain": grid.chain_ids(),
        "street_office": street_office,
    }


def _route(tree, full_code, chain=None):
    chain = tree["chain"] if chain is None else chain
    return responsible_org_for(category=category_get(full_code), grid_chain=chain, city_id=tree["city"].pk)


def test_district_department_of_the_cases_own_district_is_found(tree, django_assert_max_num_queries):
    _org("D2-water", "water", tree["other_district"])
    water = _org("D1-water", "water", tree["district"])
    category = category_get("S0105")  # 水域不洁: a district water matter

    with django_assert_max_num_queries(2):
        org, why = responsible_org_for(category=category, grid_chain=tree["chain"], city_id=tree["city"].pk)

    assert org == water
    assert "district" in why
    assert "水务" in why


def test_street_level_owner_comes_before_the_district(tree):
    _org("D1-um", "urban_management", tree["district"])
    team = _org("S1-sle", "street_law_enforcement", tree["street"])

    org, why = _route(tree, "S0501")  # 无照经营游商: 街面秩序

    assert org == team
    assert "street" in why


def test_community_level_owner_comes_first(tree):
    _org("S1-office-2", "street_office", tree["street"])
    committee = _org("M1-committee", "community_committee", tree["community"], kind="community_committee")

    org, _why = _route(tree, "S2301")  # 邻里纠纷

    assert org == committee


def test_a_missing_local_owner_falls_through_to_the_district(tree):
    um = _org("D1-um", "urban_management", tree["district"])

    org, _why = _route(tree, "S0501")  # no street law-enforcement team in S1

    assert org == um


def test_a_utility_without_a_district_branch_falls_back_to_the_city_company(tree):
    power = _org("C-power", "power", tree["city"])

    org, why = _route(tree, "B0105")  # 电力井盖

    assert org == power
    assert "city" in why


def test_city_override_with_a_named_organisation_wins(tree):
    _org("D1-water", "water", tree["district"])
    contractor = _org("C-river-co", "water", tree["city"], kind="unit")
    category = category_get("S0105")

    responsibility_set(
        actor=SYSTEM,
        category=category,
        level="district",
        dept_type="water",
        organisation=contractor,
        city=tree["city"],
    )
    org, why = _route(tree, "S0105")

    assert org == contractor
    assert "C-river-co" in why
    event = Event.objects.get(verb="catalog.responsibility_set")
    assert event.city_id == tree["city"].pk
    assert event.after["organisation_id"] == contractor.pk
    assert "dept_type" not in event.before  # the city had no row of its own before


def test_city_override_of_the_type_applies_only_in_that_city(tree):
    landscaping = _org("D1-green", "landscaping", tree["district"])
    _org("D1-water", "water", tree["district"])
    other_city = _node("city", "C2", None, 1.0)
    category = category_get("S0105")

    responsibility_set(
        actor=SYSTEM, category=category, level="district", dept_type="landscaping", city=tree["city"]
    )

    assert _route(tree, "S0105")[0] == landscaping
    elsewhere = {**tree["chain"], "city": other_city.pk}
    org, _why = responsible_org_for(category=category, grid_chain=elsewhere, city_id=other_city.pk)
    assert org.dept_type == "water"
    assert Responsibility.objects.filter(
        category=category, level="district", city__isnull=True
    ).get().dept_type == ("water")


def test_setting_the_same_override_twice_keeps_one_row(tree):
    category = category_get("S0105")

    for dept_type in ("landscaping", "environment"):
        responsibility_set(
            actor=SYSTEM, category=category, level="district", dept_type=dept_type, city=tree["city"]
        )

    row = Responsibility.objects.get(category=category, level="district", city=tree["city"])
    assert row.dept_type == "environment"
    second = Event.objects.filter(verb="catalog.responsibility_set").order_by("seq").last()
    assert second.before["dept_type"] == "landscaping"


def test_no_owner_goes_to_the_territorial_street_office(tree):
    org, why = _route(tree, "S0105")  # no water department anywhere

    assert org == tree["street_office"]
    assert "属地兜底" in why


def test_outside_every_grid_the_city_centre_decides(tree):
    outside = {"city": tree["city"].pk, "district": None, "street": None, "community": None, "grid": None}

    org, why = _route(tree, "S0105", chain=outside)

    assert org is None
    assert "outside every grid" in why


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"level": "province", "dept_type": "water"}, "responsibility.bad_level"),
        ({"level": "district", "dept_type": "plumbers"}, "responsibility.bad_dept_type"),
    ],
)
def test_responsibility_set_rejects_unknown_levels_and_types(tree, kwargs, code):
    with pytest.raises(CatalogError) as excinfo:
        responsibility_set(actor=SYSTEM, category=category_get("S0105"), city=tree["city"], **kwargs)
    assert excinfo.value.code == code


def test_a_named_organisation_must_serve_the_city(tree):
    other_city = _node("city", "C2", None, 1.0)
    stranger = _org("C2-water", "water", other_city)

    with pytest.raises(CatalogError) as excinfo:
        responsibility_set(
            actor=SYSTEM,
            category=category_get("S0105"),
            level="district",
            dept_type="water",
            organisation=stranger,
            city=tree["city"],
        )
    assert excinfo.value.code == "responsibility.org_outside_city"
    assert not Event.objects.filter(verb="catalog.responsibility_set").exists()
