"""Mining on a planted history: the recurring, cross-department problem ranks first, with its figures
counted right; themes group its texts; the before/after comparison of a problem taken on is right."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chuishao.cases.models import Case
from chuishao.monthly import selectors as sel
from chuishao.monthly.models import MonthlyProblem
from chuishao.monthly.services import problem_take_on
from chuishao.monthly.themes import themes_of
from tests.factories import build_small_city
from tests.monthly.planting import AFTER, BEFORE, TAKEN_AGO, plant

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted():
    city = build_small_city()
    cats = plant(city)
    return city, cats


def test_the_planted_problem_ranks_first_with_its_figures(planted):
    city, cats = planted
    with CaptureQueriesContext(connection) as queries:
        ranking = sel.mine(scope=city.city)
    # A fixed number of grouped queries, whatever the number of cases.
    assert len(queries) <= 10
    top = ranking[0]
    assert (top.category, top.area.code) == (cats["ebike"], "110901001")
    cases = Case.objects.filter(category=cats["ebike"], street__code="110901001")
    first, _ = sel.month_bounds(top.months[0], top.months[-1])
    in_period = cases.filter(created_at__gte=first)
    assert top.volume == in_period.count()
    assert top.months_present == sum(1 for n in top.counts if n) >= 11
    # Last three months (the running one included) against the three before.
    assert top.last3 == sum(top.counts[-3:]) and top.prev3 == sum(top.counts[-6:-3])
    assert top.organisations == 2  # urban management and water led its cases in turn
    assert top.duplicates == in_period.filter(duplicate_of__isnull=False).count()
    rated = in_period.exclude(satisfaction="")
    assert top.rated == rated.count() > 0
    # The burst (one month) is not a candidate; the trickle ranks below.
    keys = [(c.category, c.area.code) for c in ranking]
    assert (cats["burst"], "110901001") not in keys
    if (cats["trickle"], "110901001") in keys:
        assert keys.index((cats["trickle"], "110901001")) > 0
    assert sel.score_of(top) == pytest.approx(top.score, abs=0.01)


def test_repeats_count_reports_in_the_same_grid_within_the_window(planted):
    city, cats = planted
    top = sel.mine(scope=city.city, category_id=cats["ebike"].pk, area_code="110901001")[0]
    first, end = sel.month_bounds(top.months[0], top.months[-1])
    rows = list(
        Case.objects.filter(category=cats["ebike"], street__code="110901001", created_at__lt=end).values(
            "pk", "grid_id", "created_at", "duplicate_of_id"
        )
    )
    expected = 0
    for r in rows:
        if r["created_at"] < first or r["duplicate_of_id"]:
            continue
        if any(
            o["grid_id"] == r["grid_id"]
            and o["pk"] != r["pk"]
            and r["created_at"] - sel.dt.timedelta(days=sel.DEFAULT_REPEAT_DAYS)
            <= o["created_at"]
            < r["created_at"]
            for o in rows
        ):
            expected += 1
    assert top.repeats == expected > 0


def test_a_district_centre_mines_its_district_only(planted):
    city, cats = planted
    east = sel.mine(scope=city.node("110902"))
    assert all(c.area.district_id == city.node("110902").pk for c in east)
    assert not any(c.category == cats["ebike"] for c in east)


def test_themes_group_the_planted_texts_deterministically(planted):
    city, cats = planted
    texts = list(Case.objects.filter(category=cats["ebike"]).order_by("pk").values_list("pk", "description"))
    themes = themes_of(texts)
    assert themes == themes_of(list(reversed(texts)))
    assert len(themes) >= 2
    # Grouped: fewer themes than reports, the largest holds several, each named by 3 words.
    assert len(themes) < len(texts) and themes[0].count >= 3
    assert all(len(t.name_terms) == 3 and t.examples for t in themes)
    by_id = dict(texts)
    for theme in themes:
        # Most reports of a theme have one of the words it is named by.
        having = sum(1 for pk in theme.ids if any(w in by_id[pk] for w in theme.name_terms))
        assert having * 2 >= theme.count, theme
    assert sum(t.count for t in themes) <= len(texts)


def test_themes_of_two_clear_groups():
    texts = [
        (1, "楼道里电动车充电，存在火灾隐患"),
        (2, "电动车在楼道充电，火灾隐患很大"),
        (3, "楼道电动车充电，晚上一直充"),
        (4, "广场舞音响声音太大，影响休息"),
        (5, "广场舞音响太吵，晚上无法休息"),
    ]
    themes = themes_of(texts)
    assert [sorted(t.ids) for t in themes] == [[1, 2, 3], [4, 5]]
    assert {"楼道", "充电"} & set(themes[0].name_terms)
    assert {"广场", "音响", "广场舞"} & set(themes[1].name_terms)
    assert themes_of([]) == [] and themes_of([(1, "的 了")]) == []


def test_before_and_after_a_problem_taken_on(planted):
    city, cats = planted
    month = sel.add_months(sel.current_month(), -TAKEN_AGO)
    problem = problem_take_on(
        actor=city.people["city"],
        title="电动车充电",
        categories=[cats["ebike"]],
        area=city.node("110901001"),
        month=month,
        lead=city.orgs["um-110901"],
        assisting=[city.orgs["water-110901"]],
        goal_percent=50,
    )
    series = sel.problem_series(problem)
    assert [p.month for p in series][0] == sel.add_months(month, -12)
    # The series stops at the last complete month: the running month would always read as a drop.
    assert series[-1].month == sel.add_months(sel.current_month(), -1)
    by_month = {p.month: p.volume for p in series}
    # Twelve months of history: the months before the plant have none.
    assert by_month[sel.add_months(month, -1)] == BEFORE
    three = sel.before_after(problem, series, 3)
    assert (three.before_mean, three.after_mean, three.after_months) == (BEFORE, AFTER, 3)
    assert three.change_percent == pytest.approx(100.0 * (AFTER - BEFORE) / BEFORE, abs=0.1)
    assert three.goal_met is True
    six = sel.before_after(problem, series, 6)
    # Six months before: only the planted ones count (7 months of 12 were planted before the month).
    assert six.before_mean == pytest.approx(sum(by_month[sel.add_months(month, -k)] for k in range(1, 7)) / 6)
    assert six.after_months == 3  # the running month is not complete
    satisfied = [p.satisfaction for p in series if p.rated]
    assert satisfied and all(0 <= s <= 100 for s in satisfied)
    # A stricter goal is missed.
    problem.goal_percent = 90
    assert sel.before_after(problem, series, 3).goal_met is False
    assert MonthlyProblem.objects.count() == 1


def test_a_change_from_nothing_is_no_percentage_on_the_page_but_still_rising_in_the_score():
    """27 reports after none is not "2700 %": the page says it is new; the score counts capped growth."""
    months = list(range(6))  # recurrence reads only how many
    c = sel.Candidate(
        category=None, area=None, months=months, counts=[], volume=27, months_present=3, last3=27
    )
    c.growth = sel._growth(c.last3, c.prev3)
    c.year_ago3, c.growth_yoy = 0, sel._growth(c.last3, 0)
    assert c.growth_percent is None and c.growth_yoy_percent is None
    flat = sel.Candidate(category=None, area=None, months=months, counts=[], volume=27, months_present=3)
    assert sel.score_of(c) == 3 * sel.score_of(flat)  # growth capped at 2: (1 + 2) times
    c.prev3, c.growth = 9, sel._growth(27, 9)
    assert c.growth_percent == 200.0
