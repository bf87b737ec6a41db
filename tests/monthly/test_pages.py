"""每月一题 pages over HTTP: who sees the mining (404 for others, a district centre its own district), the
ranking and themes, taking a candidate on (with bad input refused and nothing saved), a problem's page
with tasks, chart data and before/after, marking a task done, and the year's list."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from chuishao.monthly import selectors as sel
from chuishao.monthly.models import MonthlyProblem, ProblemTask
from chuishao.monthly.services import problem_take_on, task_add
from tests.factories import build_small_city
from tests.monthly.planting import AFTER, BEFORE, TAKEN_AGO, plant

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted():
    city = build_small_city()
    return city, plant(city)


def as_(client, city, who):
    client.force_login(city.people[who])
    return client


def test_mining_and_taking_on_over_http(client, planted):
    city, cats = planted
    for who in ("resident", "grid-a", "street-a", "community-a"):
        assert as_(client, city, who).get(reverse("web:monthly")).status_code == 404, who
    page = as_(client, city, "city").get(reverse("web:monthly"))
    assert page.status_code == 200
    html = page.content.decode()
    key = f"{cats['ebike'].pk}-110901001"
    # The planted problem is the first row of the ranking.
    assert html.index('data-testid="candidate"') == html.index(f'data-testid="candidate" data-key="{key}"')
    ranking = page.context["ranking"]
    assert ranking[0].key == key and ranking[0].rank == 1
    assert page.context["themes"] and 'data-testid="theme"' in html
    # A district centre mines its own district; the other district is not theirs.
    east = as_(client, city, "district-b").get(reverse("web:monthly"))
    assert east.status_code == 200 and east.context["scope"].code == "110902"
    assert all(c.area.district_id == city.node("110902").pk for c in east.context["ranking"])
    assert client.get(reverse("web:monthly") + "?scope=110901").status_code == 404
    assert client.get(reverse("web:monthly_candidate", args=[key]) + "?scope=110902").status_code == 404
    # The candidate page: figures, months, themes and the form.
    client = as_(client, city, "city")
    cand = client.get(reverse("web:monthly_candidate", args=[key]))
    assert cand.status_code == 200 and cand.context["cand"].volume == ranking[0].volume
    assert cand.context["themes"] and 'data-testid="take-on"' in cand.content.decode()
    for bad in ("abc", "1-", "99999999999-110901001", f"{cats['ebike'].pk}-999"):
        assert client.get(reverse("web:monthly_candidate", args=[bad])).status_code == 404
    url = reverse("web:monthly_take_on", args=[key])
    month = sel.add_months(sel.current_month(), -TAKEN_AGO)
    form = {
        "title": "电动车充电",
        "month": month.strftime("%Y-%m"),
        "lead": str(city.orgs["um-110901"].pk),
        "assisting": [str(city.orgs["water-110901"].pk)],
        "goal_percent": "30",
        "description": "",
    }
    for change in (
        {"lead": ""},
        {"goal_percent": "0"},
        {"month": "2099-01"},
        {"lead": str(city.orgs["centre"].pk)},
    ):
        refused = client.post(url, form | change)
        assert refused.status_code == 400, change
    assert not MonthlyProblem.objects.exists()
    assert as_(client, city, "district-b").post(url, form).status_code == 404
    done = as_(client, city, "city").post(url, form)
    problem = MonthlyProblem.objects.get()
    assert done.status_code == 302 and done.url == reverse("web:monthly_problem", args=[problem.pk])
    assert problem.month == month and problem.lead == city.orgs["um-110901"]
    assert list(problem.categories.all()) == [cats["ebike"]]
    # The ranking marks it as taken on.
    assert client.get(reverse("web:monthly")).context["ranking"][0].taken == [problem]


def test_problem_page_tasks_and_the_year(client, planted):
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
        goal_percent=30,
    )
    task = task_add(
        actor=city.people["city"], problem=problem, text="排查", owner=city.orgs["um-110901"], due_on=month
    )
    url = reverse("web:monthly_problem", args=[problem.pk])
    for who in ("district-b", "um-b", "resident", "street-a"):
        assert as_(client, city, who).get(url).status_code == 404, who
    page = as_(client, city, "water-a").get(url)
    assert page.status_code == 200
    html = page.content.decode()
    # The assisting department reads it, has no form for the lead's task and none to add tasks.
    assert 'data-testid="task-done"' not in html and 'data-testid="add-task"' not in html
    chart = json.loads(html.split('id="monthly-data" type="application/json">')[1].split("</script>")[0])
    assert (
        chart["taken"] == month.strftime("%Y-%m")
        and len(chart["months"]) == len(chart["volume"]) == 12 + TAKEN_AGO
    )
    # The chart ends with the last complete month, not the running one.
    assert chart["months"][-1] == sel.add_months(sel.current_month(), -1).strftime("%Y-%m")
    three = page.context["comparisons"][0]
    assert (three.before_mean, three.after_mean, three.goal_met) == (BEFORE, AFTER, True)
    assert 'data-testid="comparison" data-span="3"' in html and 'data-goal="met"' in html
    # The lead's staff mark its task done (a note is needed) and add tasks.
    client = as_(client, city, "um-a")
    html = client.get(url).content.decode()
    assert 'data-testid="task-done"' in html and 'data-testid="add-task"' in html
    done_url = reverse("web:monthly_task_done", args=[problem.pk, task.pk])
    client.post(done_url, {"note": ""})
    assert not ProblemTask.objects.get(pk=task.pk).done
    assert client.post(done_url, {"note": "排查完毕"}).status_code == 302
    assert ProblemTask.objects.get(pk=task.pk).done_note == "排查完毕"
    assert (
        client.post(reverse("web:monthly_task_done", args=[problem.pk, 999999]), {"note": "x"}).status_code
        == 404
    )
    add = reverse("web:monthly_task_add", args=[problem.pk])
    assert (
        client.post(
            add, {"text": "x", "owner": str(city.orgs["um-110902"].pk), "due_on": "2030-01-01"}
        ).status_code
        == 400
    )
    assert (
        client.post(
            add, {"text": "新增充电桩", "owner": str(city.orgs["water-110901"].pk), "due_on": str(month)}
        ).status_code
        == 302
    )
    assert problem.tasks.count() == 2
    # The year's list with the status; the department sees its open tasks.
    listing = as_(client, city, "water-a").get(reverse("web:monthly_problems") + f"?year={month.year}")
    assert listing.status_code == 200
    assert [r["problem"] for r in listing.context["rows"]] == [problem]
    assert [t.text for t in listing.context["my_tasks"]] == ["新增充电桩"]
    assert 'data-status="met"' in listing.content.decode()
    assert as_(client, city, "resident").get(reverse("web:monthly_problems")).status_code == 404
    assert as_(client, city, "district-b").get(reverse("web:monthly_problems")).context["rows"] == []
