"""Taking on a problem and its tasks: who may do each, what is refused, and the event each write appends."""

from __future__ import annotations

import datetime as dt

import pytest

from chuishao.catalog.models import Category
from chuishao.events.models import Event
from chuishao.monthly import selectors as sel
from chuishao.monthly.errors import MonthlyConflict, MonthlyDenied, MonthlyInvalid, MonthlyNotFound
from chuishao.monthly.models import MonthlyProblem, ProblemTask
from chuishao.monthly.scopes import nav_monthly
from chuishao.monthly.services import may_read_problem, problem_for, problem_take_on, task_add, task_done
from tests.factories import build_small_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return build_small_city()


@pytest.fixture
def ebike():
    return Category.objects.get(kind="event", name="电动车违规充电")


def take(city, ebike, who="city", **kw):
    values = {
        "title": "电动车楼道充电",
        "categories": [ebike],
        "area": city.node("110901001"),
        "lead": city.orgs["um-110901"],
        "assisting": [city.orgs["water-110901"]],
        "goal_percent": 30,
    } | kw
    return problem_take_on(actor=city.people[who], **values)


def test_take_on_by_the_city_or_the_district_over_the_area_with_an_event(city, ebike):
    for who in ("district-b", "street-a", "community-a", "grid-a", "um-a", "resident"):
        with pytest.raises(MonthlyDenied):
            take(city, ebike, who)
    assert not MonthlyProblem.objects.exists()
    problem = take(city, ebike, "city")
    assert problem.month == sel.current_month() and problem.city == city.city
    # The same problem is taken on once; the others take it on for earlier months.
    for back, who in enumerate(("leader", "admin", "district-a"), 1):
        month = sel.add_months(sel.current_month(), -back)
        assert take(city, ebike, who, month=month).month == month
    event = Event.objects.filter(verb="monthly.problem_taken_on").last()
    assert event.chain == f"monthly:{city.city.pk}" and event.after["lead"] == "um-110901"
    assert event.after["assisting"] == ["water-110901"]
    assert Event.objects.filter(verb="monthly.problem_taken_on").count() == 4


def test_take_on_refuses_bad_input_and_saves_nothing(city, ebike):
    now = sel.current_month()
    bad = [
        {"title": " "},
        {"title": "x" * 121},
        {"categories": []},
        {"categories": [ebike.parent]},
        {"goal_percent": 0},
        {"goal_percent": 101},
        {"goal_percent": "abc"},
        {"month": sel.add_months(now, 1)},
        {"month": sel.add_months(now, -30)},
        {"lead": city.orgs["centre"]},
        {"assisting": [city.orgs["centre"]]},
        {"area": city.node("110901001001")},
    ]
    for kw in bad:
        with pytest.raises(MonthlyInvalid):
            take(city, ebike, **kw)
    assert not MonthlyProblem.objects.exists()
    assert not Event.objects.filter(verb__startswith="monthly.").exists()
    # The lead is not listed again among the assistants; the month is its first day.
    problem = take(
        city, ebike, assisting=[city.orgs["um-110901"], city.orgs["water-110901"]], month=now.replace(day=1)
    )
    assert list(problem.assisting.all()) == [city.orgs["water-110901"]]


def test_tasks_go_to_the_lead_or_assistants_and_are_done_by_the_owners_staff(city, ebike):
    problem = take(city, ebike)
    due = sel.current_month() + dt.timedelta(days=20)
    with pytest.raises(MonthlyInvalid):
        task_add(
            actor=city.people["city"], problem=problem, text="排查", owner=city.orgs["um-110902"], due_on=due
        )
    with pytest.raises(MonthlyInvalid):
        task_add(
            actor=city.people["city"], problem=problem, text=" ", owner=city.orgs["um-110901"], due_on=due
        )
    with pytest.raises(MonthlyInvalid):
        task_add(
            actor=city.people["city"],
            problem=problem,
            text="排查",
            owner=city.orgs["um-110901"],
            due_on=sel.add_months(problem.month, -1),
        )
    # The assisting department reads the problem but does not add tasks; others do not see it at all.
    with pytest.raises(MonthlyDenied):
        task_add(
            actor=city.people["water-a"],
            problem=problem,
            text="排查",
            owner=city.orgs["water-110901"],
            due_on=due,
        )
    with pytest.raises(MonthlyNotFound):
        task_add(
            actor=city.people["um-b"], problem=problem, text="排查", owner=city.orgs["um-110901"], due_on=due
        )
    mine = task_add(
        actor=city.people["um-a"], problem=problem, text="楼道排查", owner=city.orgs["um-110901"], due_on=due
    )
    theirs = task_add(
        actor=city.people["city"],
        problem=problem,
        text="新增充电桩",
        owner=city.orgs["water-110901"],
        due_on=due,
    )
    assert Event.objects.filter(verb="monthly.task_added").count() == 2
    with pytest.raises(MonthlyDenied):
        task_done(actor=city.people["water-a"], task=mine, note="做完了")
    with pytest.raises(MonthlyDenied):
        task_done(actor=city.people["city"], task=mine, note="做完了")
    with pytest.raises(MonthlyNotFound):
        task_done(actor=city.people["um-b"], task=mine, note="做完了")
    with pytest.raises(MonthlyInvalid):
        task_done(actor=city.people["um-a"], task=mine, note="  ")
    done = task_done(actor=city.people["um-a"], task=mine, note="排查120栋楼")
    assert done.done and done.done_note == "排查120栋楼" and done.done_by == city.people["um-a"]
    with pytest.raises(MonthlyConflict):
        task_done(actor=city.people["um-a"], task=mine, note="again")
    task_done(actor=city.people["water-a"], task=theirs, note="新增充电桩30个")
    assert ProblemTask.objects.filter(done_at__isnull=False).count() == 2
    assert Event.objects.filter(verb="monthly.task_done").count() == 2
    with pytest.raises(MonthlyNotFound):
        task_done(actor=city.people["um-a"], task=999999, note="x")


def test_who_reads_a_problem(city, ebike):
    problem = take(city, ebike)
    for who in ("city", "leader", "admin", "district-a", "um-a", "water-a"):
        assert may_read_problem(city.people[who], problem), who
        assert problem_for(actor=city.people[who], pk=problem.pk) == problem
    for who in ("district-b", "um-b", "street-a", "resident", "grid-a"):
        assert not may_read_problem(city.people[who], problem), who
        with pytest.raises(MonthlyNotFound):
            problem_for(actor=city.people[who], pk=problem.pk)
    assert set(sel.problems_visible_to(city.people["water-a"])) == {problem}
    assert not sel.problems_visible_to(city.people["district-b"]).exists()
    assert set(sel.problems_visible_to(city.people["district-a"])) == {problem}


def test_the_header_link_goes_to_miners_and_department_staff(city):
    yes = ("city", "leader", "admin", "district-a", "um-a")
    no = ("street-a", "community-a", "grid-a", "resident")
    assert all(nav_monthly(city.people[w]) for w in yes)
    assert not any(nav_monthly(city.people[w]) for w in no)
