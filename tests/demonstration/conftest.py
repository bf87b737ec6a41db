from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chuishao import clock
from chuishao.demonstration import services as svc
from chuishao.evaluation.models import Rollup
from tests.factories import add_engagement, build_small_city

COMMUNITY_A1 = "110901001001"
COMMUNITY_A2 = "110901001002"
COMMUNITY_B1 = "110902001001"
STREET_A = "110901001"
# Lenient programme targets: response and the two others from the rollups, plus coverage.
TARGETS = {"response": 80, "resolution": 80, "satisfaction": 80, "coverage": 50}


def at(*args: int) -> dt.datetime:
    """A local datetime in Beijing time: ``at(2026, 1, 10, 12)``."""
    return timezone.make_aware(dt.datetime(*args), timezone.get_fixed_timezone(480))


@pytest.fixture
def city(db):
    return add_engagement(build_small_city())


def rollup(node, period: str, **counts) -> Rollup:
    """One month's rollup row for a node, as the evaluation's refresh would write it."""
    return Rollup.objects.create(
        period=period,
        unit_kind=node.kind,
        unit_id=node.pk,
        city_id=node.city_id or node.pk,
        updated_at=clock.now(),
        **counts,
    )


def good_rates(node, period: str = "2025-06") -> Rollup:
    """Response 95 %, resolution 95 %, satisfaction 90 % (20 rated)."""
    return rollup(
        node, period, response_due=20, responded_on_time=19, rated=20, solved=19, satisfied=18, unsolved=1,
        unsatisfied=2,
    )  # fmt: skip


@pytest.fixture
def programme(city):
    with clock.frozen(at(2025, 1, 5, 9)):
        return svc.programme_create(
            actor=city.people["city"],
            owner_node=city.city,
            name="2025 城市基层党建示范社区",
            level="community",
            quota=1,
            targets=TARGETS,
        )
