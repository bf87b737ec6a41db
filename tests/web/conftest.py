from __future__ import annotations

import pytest

from tests.factories import build_small_city, grid_centre

GRID_A = "110901001001001"
GRID_B = "110902001001001"


@pytest.fixture
def city(db):
    return build_small_city()


@pytest.fixture
def report(city):
    """Report a case through the intake service (as resident, in grid A1a-g1 by default)."""
    from chuishao.cases.services import case_report

    def make(*, by: str = "resident", grid: str = GRID_A, category: str = "S0102", **extra):
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


@pytest.fixture
def login(client, city):
    """Sign the test client in as one of the small city's people (or anyone made since, by username).

    ``force_login`` skips the Argon2 check (about half a second of a loaded CI core per sign-in);
    signing in through the page itself is what tests/web/test_accounts.py and tests/accounts prove.
    """
    from django.contrib.auth import get_user_model

    def as_(username: str):
        person = get_user_model().objects.get(username=username)
        assert person.is_active and person.has_usable_password()
        client.force_login(person)
        return client

    return as_
