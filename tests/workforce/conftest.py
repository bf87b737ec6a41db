from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chuishao import clock
from tests.factories import build_small_city


@pytest.fixture
def city(db):
    return build_small_city()


@pytest.fixture
def on():
    """Freeze the clock at noon Beijing time on a date: ``with on(2026, 11, 10): …``."""

    def make(*args: int):
        return clock.frozen(timezone.make_aware(dt.datetime(*args, 12), timezone.get_fixed_timezone(480)))

    return make
