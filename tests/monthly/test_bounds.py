"""每月一题 bounds: only the problem's city's organisations lead or assist it (the form and the service), a
city-wide problem is offered the city's own departments, the same problem is not taken on twice, the
chart stops at the last complete month, and the year's list costs the same queries for one problem or
many."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chuishao.actors import SYSTEM
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction
from chuishao.monthly import selectors as sel
from chuishao.monthly.errors import MonthlyConflict, MonthlyInvalid
from chuishao.monthly.models import MonthlyProblem
from chuishao.monthly.services import problem_take_on, task_add, task_done
from chuishao.orgs.services import organisation_upsert
from chuishao.web.views.monthly import _working_orgs
from tests.factories import build_small_city
from tests.monthly.planting import TAKEN_AGO, plant

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted():
    city = build_small_city()
    cats = plant(city)
    own = {
        "city-um": organisation_upsert(
            actor=SYSTEM,
            code="um-city",
            kind="department",
            name="市城管委",
            jurisdiction=city.city,
            dept_type="urban_management",
        ),
        "city-unit": organisation_upsert(
            actor=SYSTEM,
            code="power-city",
            kind="unit",
            name="市供电公司",
            jurisdiction=city.city,
            dept_type="power",
        ),
    }
    other = Jurisdiction.objects.create(kind="city", code="990000", name="别市", boundary={})
    other_district = Jurisdiction.objects.create(
        kind="district", code="990100", name="别区", parent=other, city=other, boundary={}
    )
    foreign = {
        "city-dept": organisation_upsert(
            actor=SYSTEM,
            code="um-990000",
            kind="department",
            name="别市城管委",
            jurisdiction=other,
            dept_type="urban_management",
        ),
        "city-unit": organisation_upsert(
            actor=SYSTEM,
            code="power-990000",
            kind="unit",
            name="别市供电公司",
            jurisdiction=other,
            dept_type="power",
        ),
        "district-dept": organisation_upsert(
            actor=SYSTEM,
            code="um-990100",
            kind="department",
            name="别区城管局",
            jurisdiction=other_district,
            dept_type="urban_management",
        ),
    }
    return city, cats, own, foreign


def as_(client, city, who):
    client.force_login(city.people[who])
    return client


def take(city, cats, who="city", **kw):
    values = {
        "title": "电动车楼道充电",
        "categories": [cats["ebike"]],
        "area": city.node("110901001"),
        "month": sel.add_months(sel.current_month(), -TAKEN_AGO),
        "lead": city.orgs["um-110901"],
        "assisting": [city.orgs["water-110901"]],
        "goal_percent": 30,
    } | kw
    return problem_take_on(actor=city.people[who], **values)


# ------------------------------------------------------------------------------------------ cities


def test_another_citys_organisations_never_lead_or_assist(planted):
    city, cats, own, foreign = planted
    for org in foreign.values():
        for kw in ({"lead": org}, {"assisting": [org]}):
            with pytest.raises(MonthlyInvalid):
                take(city, cats, **kw)
            with pytest.raises(MonthlyInvalid):
                take(city, cats, area=city.city, **kw)
    assert not MonthlyProblem.objects.exists()
    assert not Event.objects.filter(verb__startswith="monthly.").exists()
    # The city's own city-level organisations may.
    problem = take(city, cats, area=city.city, lead=own["city-um"], assisting=[own["city-unit"]])
    assert problem.city == city.city and list(problem.assisting.all()) == [own["city-unit"]]


def test_the_form_offers_only_the_areas_city_and_the_citys_own_departments(planted):
    city, cats, own, foreign = planted
    street = _working_orgs(city.node("110901001"))
    whole = _working_orgs(city.city)
    for offered in (street, whole):
        assert not set(offered) & set(foreign.values())
        assert own["city-unit"] in offered
    # A city-wide problem: the departments on the city node, and those of every district.
    assert own["city-um"] in whole
    assert {city.orgs["um-110901"], city.orgs["um-110902"]} <= set(whole)
    # A street's problem: its district's departments, not the other district's.
    assert city.orgs["um-110901"] in street and city.orgs["um-110902"] not in street


def test_another_citys_organisation_is_refused_over_http(client, planted):
    city, cats, own, foreign = planted
    key = f"{cats['ebike'].pk}-110901001"
    client = as_(client, city, "city")
    page = client.get(reverse("web:monthly_candidate", args=[key]))
    choices = {value for value, _label in page.context["form"].fields["lead"].choices}
    assert str(city.orgs["um-110901"].pk) in choices
    assert not choices & {str(o.pk) for o in foreign.values()}
    form = {
        "title": "电动车充电",
        "month": sel.current_month().strftime("%Y-%m"),
        "lead": str(city.orgs["um-110901"].pk),
        "assisting": [],
        "goal_percent": "30",
        "description": "",
    }
    for org in foreign.values():
        assert (
            client.post(reverse("web:monthly_take_on", args=[key]), form | {"lead": str(org.pk)}).status_code
            == 400
        )
        assert (
            client.post(
                reverse("web:monthly_take_on", args=[key]), form | {"assisting": [str(org.pk)]}
            ).status_code
            == 400
        )
    assert not MonthlyProblem.objects.exists()


# ------------------------------------------------------------------------------------------ twice


def test_the_same_problem_is_not_taken_on_twice(planted):
    city, cats, own, foreign = planted
    first = take(city, cats)
    with pytest.raises(MonthlyConflict):
        take(city, cats, title="又一个", lead=city.orgs["water-110901"], assisting=[])
    with pytest.raises(MonthlyConflict):
        take(city, cats, who="district-a")
    assert list(MonthlyProblem.objects.all()) == [first]
    assert Event.objects.filter(verb="monthly.problem_taken_on").count() == 1
    # Another month, area or set of categories is another problem.
    take(city, cats, month=sel.current_month())
    take(city, cats, area=city.node("110901"))
    take(city, cats, categories=[cats["ebike"], cats["trickle"]])
    assert MonthlyProblem.objects.count() == 4


def test_a_double_submit_takes_the_problem_on_once(client, planted):
    city, cats, own, foreign = planted
    key = f"{cats['ebike'].pk}-110901001"
    url = reverse("web:monthly_take_on", args=[key])
    form = {
        "title": "电动车充电",
        "month": sel.current_month().strftime("%Y-%m"),
        "lead": str(city.orgs["um-110901"].pk),
        "assisting": [],
        "goal_percent": "30",
        "description": "",
    }
    client = as_(client, city, "city")
    assert client.post(url, form).status_code == 302
    again = client.post(url, form)
    assert again.status_code == 400 and again.context["form"].non_field_errors()
    assert MonthlyProblem.objects.count() == 1


# ------------------------------------------------------------------------------------------ chart


def test_the_chart_stops_at_the_last_complete_month(client, planted):
    city, cats, own, foreign = planted
    last = sel.add_months(sel.current_month(), -1)
    running = take(city, cats, month=sel.current_month())
    series = sel.problem_series(running)
    assert series[0].month == sel.add_months(sel.current_month(), -12) and series[-1].month == last
    assert len(series) == 12
    html = as_(client, city, "city").get(reverse("web:monthly_problem", args=[running.pk])).content.decode()
    chart = json.loads(html.split('id="monthly-data" type="application/json">')[1].split("</script>")[0])
    # The running month is neither a point nor (yet) marked as the month taken on.
    assert chart["months"][-1] == last.strftime("%Y-%m") and chart["taken"] is None
    # Its cases are there (planted this month) but not drawn.
    assert (
        sel.problem_cases(running)
        .filter(created_at__gte=sel.month_bounds(sel.current_month(), sel.current_month())[0])
        .exists()
    )


# ------------------------------------------------------------------------------------------ the list


def _list_queries(client, year) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("web:monthly_problems") + f"?year={year}")
    assert page.status_code == 200
    return len(ctx.captured_queries), page.context["rows"]


def test_the_years_list_costs_the_same_queries_for_one_problem_or_many(client, planted):
    city, cats, own, foreign = planted
    month = sel.add_months(sel.current_month(), -TAKEN_AGO)
    first = take(city, cats)
    task_add(
        actor=city.people["city"], problem=first, text="排查", owner=city.orgs["um-110901"], due_on=month
    )
    client = as_(client, city, "city")
    one, _rows = _list_queries(client, month.year)
    others = [
        take(city, cats, area=city.node("110901")),
        take(city, cats, area=city.city, lead=own["city-um"], assisting=[]),
        take(city, cats, categories=[cats["ebike"], cats["trickle"]]),
    ]
    for n, problem in enumerate(others):
        for k in range(n + 1):
            task_add(
                actor=city.people["city"],
                problem=problem,
                text=f"任务{k}",
                owner=problem.lead,
                due_on=sel.current_month(),
            )
    done = task_add(
        actor=city.people["city"], problem=others[2], text="已完成", owner=others[2].lead, due_on=month
    )
    task_done(actor=city.people["um-a"], task=done, note="完成")
    many, rows = _list_queries(client, month.year)
    assert len(rows) == 4
    assert many == one
    # The figures and open-task counts are each problem's own.
    by_pk = {r["problem"].pk: r for r in rows}
    assert [by_pk[p.pk]["open_tasks"] for p in [first, *others]] == [1, 1, 2, 3]
    for problem in [first, *others]:
        fresh = MonthlyProblem.objects.select_related("area").get(pk=problem.pk)
        alone = sel.before_after(fresh, sel.problem_series(fresh), 3)
        assert by_pk[problem.pk]["cmp"] == alone


def test_many_problems_series_match_the_cases(planted):
    city, cats, own, foreign = planted
    problems = [
        take(city, cats),
        take(city, cats, area=city.node("110901")),
        take(city, cats, area=city.city, lead=own["city-um"], assisting=[]),
        take(city, cats, categories=[cats["trickle"], cats["burst"]]),
    ]
    problems = list(
        MonthlyProblem.objects.filter(pk__in=[p.pk for p in problems])
        .select_related("area")
        .prefetch_related("categories")
    )
    every = sel.problems_series(problems)
    for problem in problems:
        for point in every[problem.pk]:
            start, end = sel.month_bounds(point.month, point.month)
            expected = sel.problem_cases(problem).filter(created_at__gte=start, created_at__lt=end).count()
            assert point.volume == expected, (problem.area.code, point.month)
    assert sum(p.volume for p in every[problems[0].pk]) > 0
    assert sum(p.volume for p in every[problems[3].pk]) > 0
