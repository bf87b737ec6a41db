"""Taking on a problem of the month (每月一题) and working on its tasks.

- ``problem_take_on``: a miner over the area (city centre, city leaders, administrators; a district
  centre or district leader within their district) names the problem: title, categories, area, the
  month taken on, the lead department and assisting ones, and the goal (a fall in monthly volume, %).
- ``task_add``: the same people, or the lead department's staff, give a task to the lead or an
  assisting organisation, with a due date.
- ``task_done``: the staff of the task's owner mark it done with a note.

Every write runs in one transaction and appends one event to the ``monthly:<city id>`` chain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import actor_user_id
from chuishao.catalog.models import Category
from chuishao.events.services import event_append
from chuishao.geo.models import Jurisdiction
from chuishao.monthly.errors import MonthlyConflict, MonthlyDenied, MonthlyInvalid, MonthlyNotFound
from chuishao.monthly.models import MonthlyProblem, ProblemTask
from chuishao.monthly.scopes import mines_over, staff_org_ids
from chuishao.monthly.selectors import add_months, current_month, month_start
from chuishao.orgs.models import Organisation, OrgKind
from chuishao.validation import clean_text

MAX_TITLE = 120
MAX_TEXT = 4000
MAX_CATEGORIES = 10
MAX_ASSISTING = 12
# Organisations that may lead or assist: they work cases.
WORKING_KINDS = frozenset(
    {
        OrgKind.DEPARTMENT,
        OrgKind.DISPATCHED_AGENCY,
        OrgKind.STREET_OFFICE,
        OrgKind.COMMUNITY_COMMITTEE,
        OrgKind.UNIT,
    }
)
AREA_KINDS = ("city", "district", "street")


def _text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    return clean_text(value, what, limit, error=MonthlyInvalid, required=required)


def _event(verb: str, *, actor: Any, problem: MonthlyProblem, after: dict, reason: str = "") -> None:
    event_append(
        verb=verb,
        actor=actor,
        chain=f"monthly:{problem.city_id}",
        city_id=problem.city_id,
        after={"problem": problem.pk, **after},
        reason=reason,
    )


def may_read_problem(actor: Any, problem: MonthlyProblem) -> bool:
    if mines_over(actor, problem.area):
        return True
    orgs = staff_org_ids(actor)
    return bool(orgs) and (problem.lead_id in orgs or problem.assisting.filter(pk__in=orgs).exists())


def may_manage_problem(actor: Any, problem: MonthlyProblem) -> bool:
    """Add tasks: the miners over the area and the lead department's staff."""
    return mines_over(actor, problem.area) or problem.lead_id in staff_org_ids(actor)


def problem_for(*, actor: Any, pk: int) -> MonthlyProblem:
    problem = MonthlyProblem.objects.select_related("lead", "area", "city").filter(pk=pk).first()
    if problem is None or not may_read_problem(actor, problem):
        raise MonthlyNotFound(_("No such problem of the month."))
    return problem


@transaction.atomic
def problem_take_on(
    *,
    actor: Any,
    title: str,
    categories: Iterable[Category],
    area: Jurisdiction,
    month: dt.date | None = None,
    lead: Organisation,
    assisting: Iterable[Organisation] = (),
    goal_percent: int = 30,
    description: str = "",
) -> MonthlyProblem:
    """Take on a problem of the month; the month defaults to the running one."""
    if area is None or area.kind not in AREA_KINDS:
        raise MonthlyInvalid(_("A problem covers the city, a district or a street."))
    if not mines_over(actor, area):
        raise MonthlyDenied(
            _("Only the city centre, leaders, or the district centre over %(area)s may take on its problems.")
            % {"area": area.name}
        )
    title = _text(title, _("title"), MAX_TITLE)
    description = _text(description, _("description"), MAX_TEXT, required=False)
    categories = list(dict.fromkeys(categories))
    if not categories:
        raise MonthlyInvalid(_("Choose at least one category."))
    if len(categories) > MAX_CATEGORIES:
        raise MonthlyInvalid(_("At most %(n)s categories.") % {"n": MAX_CATEGORIES})
    if any(c.parent_id is None for c in categories):
        raise MonthlyInvalid(_("Choose minor categories, not major classes."))
    month = month_start(month or current_month())
    if month > current_month() or month < add_months(current_month(), -24):
        raise MonthlyInvalid(_("The month taken on is the running month or one of the last two years."))
    try:
        goal = int(goal_percent)
    except (TypeError, ValueError):
        raise MonthlyInvalid(_("The goal is a whole number of per cent.")) from None
    if not 1 <= goal <= 100:
        raise MonthlyInvalid(_("The goal is a fall of 1 to 100 per cent."))
    if lead is None or lead.kind not in WORKING_KINDS:
        raise MonthlyInvalid(_("The lead must be a department or another organisation that works cases."))
    assisting = [o for o in dict.fromkeys(assisting) if o.pk != lead.pk]
    if len(assisting) > MAX_ASSISTING:
        raise MonthlyInvalid(_("At most %(n)s assisting organisations.") % {"n": MAX_ASSISTING})
    if any(o.kind not in WORKING_KINDS for o in assisting):
        raise MonthlyInvalid(_("Assisting organisations must work cases."))
    city_id = area.chain_ids()["city"]
    # Lock the city row: two submissions of the same problem run one after the other, and the second
    # sees the first (a double click or a second tab).
    city = Jurisdiction.objects.select_for_update().get(pk=city_id)
    for org in [lead, *assisting]:
        if org.jurisdiction.chain_ids()["city"] != city.pk:
            raise MonthlyInvalid(_("%(org)s is not an organisation of this city.") % {"org": org.name})
    wanted = {c.pk for c in categories}
    for same in MonthlyProblem.objects.filter(city=city, area=area, month=month).prefetch_related(
        "categories"
    ):
        if {c.pk for c in same.categories.all()} == wanted:
            raise MonthlyConflict(
                _("This problem is already taken on for %(month)s: %(title)s.")
                % {"month": month.strftime("%Y-%m"), "title": same.title}
            )
    problem = MonthlyProblem.objects.create(
        city=city,
        title=title,
        area=area,
        month=month,
        lead=lead,
        goal_percent=goal,
        description=description,
        created_by_id=actor_user_id(actor),
        created_at=clock.now(),
    )
    problem.categories.set(categories)
    problem.assisting.set(assisting)
    _event(
        "monthly.problem_taken_on",
        actor=actor,
        problem=problem,
        after={
            "title": title,
            "area": area.code,
            "categories": [c.pk for c in categories],
            "month": month.isoformat(),
            "lead": lead.code,
            "assisting": [o.code for o in assisting],
            "goal_percent": goal,
        },
    )
    return problem


@transaction.atomic
def task_add(
    *, actor: Any, problem: MonthlyProblem, text: str, owner: Organisation, due_on: dt.date
) -> ProblemTask:
    problem = MonthlyProblem.objects.select_for_update().select_related("area").get(pk=problem.pk)
    if not may_read_problem(actor, problem):
        raise MonthlyNotFound(_("No such problem of the month."))
    if not may_manage_problem(actor, problem):
        raise MonthlyDenied(_("Only the lead department or the centre that took the problem on adds tasks."))
    text = _text(text, _("task"), MAX_TEXT)
    if owner is None or (owner.pk != problem.lead_id and not problem.assisting.filter(pk=owner.pk).exists()):
        raise MonthlyInvalid(_("A task goes to the lead or an assisting organisation."))
    if not isinstance(due_on, dt.date):
        raise MonthlyInvalid(_("Give the due date."))
    if due_on < problem.month:
        raise MonthlyInvalid(_("A task is due after the problem was taken on."))
    task = ProblemTask.objects.create(
        problem=problem, text=text, owner=owner, due_on=due_on, created_at=clock.now()
    )
    _event(
        "monthly.task_added",
        actor=actor,
        problem=problem,
        after={"task": task.pk, "owner": owner.code, "due_on": due_on.isoformat()},
    )
    return task


@transaction.atomic
def task_done(*, actor: Any, task: ProblemTask | int, note: str) -> ProblemTask:
    pk = task.pk if isinstance(task, ProblemTask) else task
    found = ProblemTask.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise MonthlyNotFound(_("No such task."))
    problem = MonthlyProblem.objects.select_related("area").get(pk=found.problem_id)
    if not may_read_problem(actor, problem):
        raise MonthlyNotFound(_("No such task."))
    if found.owner_id not in staff_org_ids(actor):
        raise MonthlyDenied(_("Only the staff of the task's owner mark it done."))
    if found.done_at is not None:
        raise MonthlyConflict(_("The task is already done."))
    note = _text(note, _("note"), MAX_TEXT)
    found.done_at = clock.now()
    found.done_note = note
    found.done_by_id = actor_user_id(actor)
    found.save(update_fields=["done_at", "done_note", "done_by"])
    _event(
        "monthly.task_done",
        actor=actor,
        problem=problem,
        after={
            "task": found.pk,
            "owner": found.owner_id,
            "done_on": timezone.localdate(found.done_at).isoformat(),
        },
        reason=note,
    )
    return found
