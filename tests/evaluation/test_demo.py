"""The demo city (1,200 cases through the real services): rebuilt figures equal the direct count, and
refreshing from the event log gives the same rows. The demo is slow, so it loads once, in one test."""

from __future__ import annotations

import datetime as dt

from chuishao.cases.models import Case
from chuishao.demo.loader import load_demo
from chuishao.evaluation.models import Rollup
from chuishao.evaluation.services import rollup_rebuild, rollup_refresh
from tests.evaluation.direct import direct_counts, rollup_counts


def test_demo_city_rollup_equals_direct_count(db):
    made = load_demo(log=lambda _: None)["cases"]

    while rollup_refresh(batch=20000, settle=dt.timedelta(0)).events:
        pass
    refreshed = rollup_counts()
    rollup_rebuild()

    direct = direct_counts()
    assert rollup_counts() == direct
    assert refreshed == direct
    assert sum(r.received for r in Rollup.objects.filter(unit_kind="city")) == Case.objects.count() >= made
    assert Rollup.objects.filter(unit_kind="grid_worker").exists()
