from __future__ import annotations

import pytest

from tests.factories import build_small_city


@pytest.fixture
def city(db):
    return build_small_city()
