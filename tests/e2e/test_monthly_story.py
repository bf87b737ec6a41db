"""每月一题 in a real browser: the city centre finds the planted e-bike problem first in the mining with
its themes, opens it and takes it on (led by urban management, water assisting) as the problem of a month
four months ago; the urban-management staff mark their task done; the problem's chart and before/after
show the drop, in zh-Hans and in English.

Runs in Debian's headless Chromium (``-m e2e``); screenshots go to /tmp/shots/ (CHUISHAO_SHOTS).
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_mine_take_on_do_the_task_and_see_the_drop(live_server, browser_page):
    from chuishao.monthly import selectors as sel
    from chuishao.monthly.models import MonthlyProblem, ProblemTask
    from chuishao.monthly.services import task_add
    from tests.factories import build_small_city
    from tests.monthly.planting import TAKEN_AGO, plant

    city = build_small_city()
    cats = plant(city)
    base = live_server.url
    key = f"{cats['ebike'].pk}-110901001"

    centre = browser_page()
    sign_in(centre, base, "city")
    centre.goto(f"{base}/monthly/")
    centre.wait_for_selector("[data-testid=ranking]")
    first = centre.query_selector("[data-testid=candidate]")
    assert first.get_attribute("data-key") == key
    assert centre.query_selector_all("[data-testid=theme]")
    shot(centre, "monthly-01-mining")

    first.query_selector("a").click()
    centre.wait_for_selector("[data-testid=take-on]")
    assert int(centre.get_attribute("[data-testid=candidate-facts]", "data-organisations")) == 2
    assert centre.query_selector_all("#themes [data-testid=theme]")
    month = sel.add_months(sel.current_month(), -TAKEN_AGO)
    centre.fill("#take_title", "街道1电动车楼道充电、飞线充电")
    centre.fill("#take_month", month.strftime("%Y-%m"))
    centre.select_option("#take_lead", str(city.orgs["um-110901"].pk))
    centre.select_option("#take_assisting", [str(city.orgs["water-110901"].pk)])
    centre.fill("#take_goal_percent", "30")
    shot(centre, "monthly-02-take-on")
    centre.focus("[data-testid=take-on] button[type=submit]")
    centre.keyboard.press("Enter")
    centre.wait_for_selector(".msg.success")
    problem = MonthlyProblem.objects.get()
    assert centre.inner_text("[data-testid=month]") == month.strftime("%Y-%m")

    # The centre gives the lead a task from the page.
    centre.click("#tasks details summary")
    centre.fill("#task_text", "逐楼排查楼道充电隐患")
    centre.select_option("#task_owner", str(city.orgs["um-110901"].pk))
    centre.fill("#task_due_on", str(month.replace(day=20)))
    centre.click("[data-testid=add-task] button[type=submit]")
    centre.wait_for_selector(".msg.success")
    task = ProblemTask.objects.get()
    task_add(
        actor=city.people["city"],
        problem=problem,
        text="新增充电桩",
        owner=city.orgs["water-110901"],
        due_on=month,
    )

    # Urban management's staff see their open task in the department view and mark it done.
    dept = browser_page()
    sign_in(dept, base, "um-a")
    dept.goto(f"{base}/monthly/problems/?year={month.year}")
    dept.wait_for_selector("[data-testid=my-tasks]")
    assert "逐楼排查" in dept.inner_text("[data-testid=my-tasks]")
    assert "新增充电桩" not in dept.inner_text("[data-testid=my-tasks]")
    dept.click("[data-testid=my-task] a")
    dept.wait_for_selector(f"[data-task='{task.pk}'] [data-testid=task-done]")
    dept.fill(f"[data-task='{task.pk}'] input[name=note]", "排查楼栋86栋，劝离楼道电动车120辆")
    dept.click(f"[data-task='{task.pk}'] button[type=submit]")
    dept.wait_for_selector(".msg.success")
    assert dept.get_attribute(f"[data-task='{task.pk}']", "data-done") == "1"
    task.refresh_from_db()
    assert task.done and task.done_by == city.people["um-a"]

    # The chart with the month taken on, and the drop: before/after over three months, goal met.
    dept.wait_for_selector("#monthly-chart[data-ready='1'] canvas")
    row = dept.query_selector("[data-testid=comparison][data-span='3']")
    assert float(row.get_attribute("data-change")) < -30 and row.get_attribute("data-goal") == "met"
    shot(dept, "monthly-03-problem")

    # The same page in English.
    dept.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    dept.reload()
    dept.wait_for_selector("#monthly-chart[data-ready='1']")
    assert dept.get_attribute("html", "lang").startswith("en")
    assert "Tasks" in dept.inner_text("#tasks h2")
    shot(dept, "monthly-04-problem-en")
