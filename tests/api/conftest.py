"""API tests: the small city, API keys and a report helper."""

from __future__ import annotations

import pytest

from tests.factories import build_small_city, grid_centre


@pytest.fixture
def city(db):
    return build_small_city()


@pytest.fixture
def make_key(city):
    """Create an API key; returns the secret. ``make_key(scopes=["read"], person="street-a")``."""
    from chuishao.actors import SYSTEM
    from chuishao.orgs.apikeys import apikey_create

    count = 0

    def make(*, scopes=("open311",), person: str | None = None, name: str | None = None) -> str:
        nonlocal count
        count += 1
        _, raw = apikey_create(
            actor=SYSTEM,
            name=name or f"test key {count}",
            scopes=list(scopes),
            person=city.people[person] if person else None,
        )
        return raw

    return make


@pytest.fixture
def report(city):
    """Report a case as the resident in grid 110901001001001 (district A); returns a function for more."""
    from chuishao.cases.services import case_report

    def make(*, by: str = "resident", grid: str = "110901001001001", category: str = "S0102", **extra):
        lat, lng = grid_centre(grid)
        params = {
            "source": "resident_web",
            "description": "楼下垃圾堆了三天没人清",
            "lat": lat,
            "lng": lng,
            "reporter_name": "张三",
            "reporter_phone": "13812341234",
        }
        params.update(extra)
        return case_report(actor=city.people[by], category=category, **params)

    return make
