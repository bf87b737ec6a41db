from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import add_engagement, build_small_city


@pytest.fixture
def city(db):
    return add_engagement(build_small_city())


@pytest.fixture
def at():
    """A local datetime in Beijing time: ``at(2026, 11, 10, 12)``."""

    def make(*args: int) -> dt.datetime:
        return timezone.make_aware(dt.datetime(*args), timezone.get_fixed_timezone(480))

    return make
