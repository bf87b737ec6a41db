"""Indicators read from the rollup only: composite, grades, ranking, trends and each actor's reach."""

from __future__ import annotations

import pytest
from django.utils import timezone

from chuishao.actors import SYSTEM
from chuishao.evaluation.definitions import composite_of, grade_of
from chuishao.evaluation.models import Rollup
from chuishao.evaluation.selectors import indicator_trend, indicators, totals
from chuishao.evaluation.services import rollup_rebuild


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "A"),
        (90, "A"),
        (89.99, "B"),
        (75, "B"),
        (60, "C"),
        (59.9, "D"),
        (40, "D"),
        (39.9, "E"),
        (None, None),
    ],
)
def test_grade_boundaries(score, grade):
    assert grade_of(score) == grade


def _row(city_id: int, unit_id: int, **counts) -> Rollup:
    return Rollup.objects.create(
        period="2026-03",
        unit_kind="street",
        unit_id=unit_id,
        city_id=city_id,
        updated_at=timezone.now(),
        **counts,
    )


def test_composite_weights_grades_and_ranking(city, settings):
    settings.CHUISHAO_RATE_WEIGHTS = {"response": 10, "resolution": 45, "satisfaction": 45}
    cid = city.city.pk
    a, b = city.node("110901001").pk, city.node("110902001").pk
    perfect = {"response_due": 10, "responded_on_time": 10, "rated": 10, "solved": 10, "satisfied": 10}
    _row(cid, a, **perfect)
    # response 50 %, resolution (8 + 0.5·2)/10 = 90 %, satisfaction (7 + 0.8·3)/10 = 94 %.
    mixed = {"response_due": 10, "responded_on_time": 5, "rated": 10, "solved": 8, "partly": 2}
    _row(cid, b, **mixed, satisfied=7, basically=3)
    # Two units that tie share a rank; a unit with nothing to judge is unranked.
    _row(cid, city.node("110901001001").pk, **mixed, satisfied=7, basically=3)
    _row(cid, city.node("110902001001").pk, received=3)

    rows = indicators(actor=SYSTEM, unit_kind="street", period="2026-03", city_id=cid)

    assert [r.rank for r in rows] == [1, 2, 2, None]
    assert rows[0].composite == pytest.approx(100.0) and rows[0].grade == "A"
    assert rows[1].composite == pytest.approx(0.10 * 50 + 0.45 * 90 + 0.45 * 94)
    assert rows[1].grade == "B"
    assert rows[3].composite is None and rows[3].grade is None
    # Weights are configuration: a documented local variant 30/35/35.
    settings.CHUISHAO_RATE_WEIGHTS = {"response": 30, "resolution": 35, "satisfaction": 35}
    (row,) = indicators(actor=SYSTEM, unit_kind="street", period="2026-03", city_id=cid, unit_ids={b})
    assert row.composite == pytest.approx(0.30 * 50 + 0.35 * 90 + 0.35 * 94)


def test_department_composite_folds_in_whistle_ratings(settings):
    settings.CHUISHAO_RATE_WEIGHTS = {"response": 10, "resolution": 45, "satisfaction": 45}
    rates = {"response": 100.0, "resolution": 100.0, "satisfaction": 100.0, "whistle_score": 40.0}
    assert composite_of("department", rates) == pytest.approx(2 / 3 * 100 + 1 / 3 * 40)
    settings.CHUISHAO_EVAL_WHISTLE_RATING_WEIGHT = 0.5
    assert composite_of("department", rates) == pytest.approx(70.0)
    assert composite_of("street", rates) == pytest.approx(100.0)


def test_read_is_a_few_queries_whatever_the_cases(scenario, django_assert_max_num_queries):
    story, _ = scenario
    rollup_rebuild()
    street_a = story.city.people["street-a"]
    with django_assert_max_num_queries(4):
        rows = indicators(actor=street_a, unit_kind="grid", period="2026-03", city_id=story.city.city.pk)
    assert rows
    with django_assert_max_num_queries(3):
        indicators(actor=SYSTEM, unit_kind="department", period="2026-03", city_id=story.city.city.pk)


def test_trend_and_totals(scenario):
    story, _ = scenario
    rollup_rebuild()
    street = story.city.node("110901001")
    trend = indicator_trend(
        actor=SYSTEM, unit_kind="street", unit_id=street.pk, periods=["2026-02", "2026-03", "2026-04"]
    )
    assert [r.period for r in trend] == ["2026-02", "2026-03", "2026-04"]
    assert trend[0].counts["received"] == 0 and trend[0].composite is None
    assert sum(r.counts["received"] for r in trend) == totals(trend)["received"] == 13


def _units(actor, kind, city):
    rows = []
    for period in ("2026-03", "2026-04"):
        rows += indicators(actor=actor, unit_kind=kind, period=period, city_id=city.city.pk)
    return {r.unit_id for r in rows}


def test_scoping(scenario):
    story, _ = scenario
    city = story.city
    rollup_rebuild()
    people, node, orgs = city.people, city.node, city.orgs
    street_a, street_b = node("110901001").pk, node("110902001").pk

    # A street dispatcher sees its own street and what lies below it, never the other street.
    assert _units(people["street-a"], "street", city) == {street_a}
    assert _units(people["street-b"], "street", city) == {street_b}
    grids_a = _units(people["street-a"], "grid", city)
    assert grids_a and all(
        node_of.street_id == street_a for node_of in city.nodes.values() if node_of.pk in grids_a
    )
    assert _units(people["street-a"], "district", city) == set()
    assert _units(people["street-a"], "department", city) == set()
    # A district centre sees its district's departments, not the other district's.
    assert orgs["um-110901"].pk in _units(people["district-a"], "department", city)
    assert orgs["um-110902"].pk not in _units(people["district-a"], "department", city)
    # Department staff see their own organisation only.
    assert _units(people["um-a"], "department", city) == {orgs["um-110901"].pk}
    assert _units(people["um-a"], "street", city) == set()
    # The city centre sees every street; a resident sees nothing.
    assert _units(people["city"], "street", city) == {street_a, street_b}
    assert _units(people["resident"], "street", city) == set()
    # Grid workers: a street sees its own workers; a worker sees themself.
    assert _units(people["street-b"], "grid_worker", city) == {people["grid-b"].pk}
    assert _units(people["grid-a"], "grid_worker", city) == {people["grid-a"].pk}
