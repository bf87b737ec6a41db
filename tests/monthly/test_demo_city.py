"""每月一题 on the demo city: the planted problems are the top recurring ones, the e-bike problem was
taken on with its tasks done and its volume falls after that month. (How long loading takes is a figure
for the benchmarks, not an assertion here: on a shared CI machine it flaked.)"""

from __future__ import annotations

import pytest

from chuishao import clock
from chuishao.demo.monthly import load_monthly
from chuishao.geo.models import Jurisdiction
from chuishao.monthly import selectors as sel
from chuishao.monthly.models import MonthlyProblem
from tests.factories import demo_geography_and_people


@pytest.mark.django_db
def test_the_demo_problems_come_first_and_the_taken_one_falls():
    demo_geography_and_people()
    made = load_monthly(now=clock.now(), log=lambda _: None)
    assert made["cases"] > 200
    city = Jurisdiction.objects.get(kind="city")
    top = sel.mine(scope=city, limit=5)
    names = [c.category.name for c in top[:3]]
    assert set(names) == {"电动车违规充电", "邻里纠纷", "小区停车"}, [(c.category.name, c.score) for c in top]
    assert all(c.organisations >= 3 and c.months_present >= 10 for c in top[:3])
    parking = next(c for c in top if c.category.name == "小区停车")
    assert parking.growth > 0.3
    problem = MonthlyProblem.objects.get()
    assert problem.tasks.filter(done_at__isnull=False).count() == 3
    series = sel.problem_series(problem)
    cmp = sel.before_after(problem, series, 3)
    assert cmp.change_percent is not None and cmp.change_percent < -50 and cmp.goal_met
