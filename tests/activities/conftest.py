from __future__ import annotations

import pytest

from tests.activities.city import activity_city


@pytest.fixture
def ac(db):
    return activity_city()
