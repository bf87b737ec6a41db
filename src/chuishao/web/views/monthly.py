"""每月一题 pages: the mining (ranked candidate problems and the themes of their reports), a candidate
with its themes and the form to take it on, a problem of the month (tasks, chart, before/after), and the
list of a year's problems (with a department's own problems and tasks).

Mining and taking on: the city centre, city leaders and administrators (the whole city), a district
centre or district leader (their district). A problem's page: those over its area and the staff of its
lead and assisting departments. Anyone else is answered "not found".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chuishao.catalog.models import Category
from chuishao.geo.models import Jurisdiction
from chuishao.monthly import selectors as sel
from chuishao.monthly import services as svc
from chuishao.monthly.errors import MonthlyError, MonthlyNotFound
from chuishao.monthly.models import MonthlyProblem, ProblemTask
from chuishao.monthly.scopes import miner_node_ids, mines_over, staff_org_ids
from chuishao.monthly.themes import themes_of
from chuishao.orgs.models import Organisation, OrgKind

MAX_ID = 2**31 - 1
THEME_REPORTS = 1500


# ------------------------------------------------------------------------------------------ helpers


def _scope(request: HttpRequest) -> Jurisdiction:
    """The node the person mines over: the one asked for (a city or district they reach), else their
    city, else their first district."""
    ids = miner_node_ids(request.user)
    asked = (request.GET.get("scope") or "").strip()[:20]
    if asked:
        node = Jurisdiction.objects.filter(code=asked, kind__in=["city", "district"]).first()
        if node is None or not mines_over(request.user, node):
            raise Http404(_("Nothing to mine there."))
        return node
    pk = min(ids["city"]) if ids["city"] else (min(ids["district"]) if ids["district"] else None)
    if pk is None:
        raise Http404(_("Nothing to mine there."))
    return Jurisdiction.objects.get(pk=pk)


def _params(request: HttpRequest) -> dict[str, Any]:
    try:
        months = int(request.GET.get("months") or sel.DEFAULT_MONTHS)
    except ValueError:
        months = sel.DEFAULT_MONTHS
    months = max(3, min(months, 36))
    end = sel.current_month()
    raw = (request.GET.get("end") or "").strip()
    if raw:
        year, _sep, month = raw.partition("-")
        if year.isdigit() and month.isdigit() and 2000 <= int(year) <= 2100 and 1 <= int(month) <= 12:
            end = min(dt.date(int(year), int(month), 1), end)
    level = request.GET.get("level") if request.GET.get("level") in sel.AREA_LEVELS else "street"
    return {"months": months, "end": end, "level": level}


def _split_key(key: str) -> tuple[int, str]:
    cat, _sep, area = key.partition("-")
    if not cat.isdigit() or not area or int(cat) > MAX_ID or len(area) > 20:
        raise Http404(_("No such candidate."))
    return int(cat), area


def _working_orgs(area: Jurisdiction) -> list[Organisation]:
    """Organisations that may lead or assist a problem in ``area``: only those of its city."""
    city_id = area.chain_ids()["city"]
    district_id = area.pk if area.kind == "district" else area.district_id
    q = Q(kind=OrgKind.UNIT, jurisdiction_id=city_id) & ~Q(dept_type="")
    if area.kind == "city":
        # The city's own departments hang on the city node itself (whose city_id is empty).
        q |= Q(
            Q(jurisdiction_id=area.pk) | Q(jurisdiction__city_id=area.pk),
            kind__in=[OrgKind.DEPARTMENT, OrgKind.DISPATCHED_AGENCY, OrgKind.STREET_OFFICE],
        )
    else:
        q |= Q(kind=OrgKind.DEPARTMENT, jurisdiction_id=district_id)
        q |= Q(
            kind__in=[OrgKind.DISPATCHED_AGENCY, OrgKind.STREET_OFFICE], jurisdiction__district_id=district_id
        )
        if area.kind == "street":
            q |= Q(kind=OrgKind.COMMUNITY_COMMITTEE, jurisdiction__street_id=area.pk)
    return list(Organisation.objects.filter(q).select_related("jurisdiction").order_by("kind", "code")[:300])


class TakeOnForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=svc.MAX_TITLE)
    month = forms.DateField(
        label=gettext_lazy("Month taken on"),
        input_formats=["%Y-%m"],
        # A text box rather than type=month, which not every browser offers.
        widget=forms.DateInput(attrs={"placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"}, format="%Y-%m"),
    )
    lead = forms.ChoiceField(label=gettext_lazy("Lead department"))
    assisting = forms.MultipleChoiceField(
        label=gettext_lazy("Assisting departments"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    goal_percent = forms.IntegerField(
        label=gettext_lazy("Goal: monthly volume down by (%)"), min_value=1, max_value=100
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=svc.MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, orgs: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(o.pk), o.name) for o in orgs]
        self.fields["lead"].choices = [("", "—"), *choices]
        self.fields["assisting"].choices = choices
        self.orgs = {str(o.pk): o for o in orgs}
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"take_{name}")


class TaskForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Task"), max_length=svc.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = forms.ChoiceField(label=gettext_lazy("Owner"))
    due_on = forms.DateField(label=gettext_lazy("Due on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, problem: MonthlyProblem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = [problem.lead, *problem.assisting.all()]
        self.fields["owner"].choices = [(str(o.pk), o.name) for o in owners]
        self.owners = {str(o.pk): o for o in owners}
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"task_{name}")


# ------------------------------------------------------------------------------------------ mining


@login_required
def mining_page(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    params = _params(request)
    ranking = sel.mine(scope=scope, end_month=params["end"], months=params["months"], level=params["level"])
    first = sel.add_months(params["end"], -(params["months"] - 1))
    reports = sel.candidate_cases(scope=scope, category=None, area=None, first=first, last=params["end"])
    texts = list(reports.order_by("-created_at").values_list("pk", "description")[:THEME_REPORTS])
    ids = miner_node_ids(request.user)
    scopes = list(
        Jurisdiction.objects.filter(
            Q(pk__in=ids["city"]) | Q(pk__in=ids["district"]) | Q(city_id__in=ids["city"], kind="district")
        ).order_by("code")
    )
    year = params["end"].year
    return render(
        request,
        "web/monthly/mining.html",
        {
            "scope": scope,
            "scopes": scopes,
            "params": params,
            "first": first,
            "ranking": ranking,
            "themes": themes_of(texts),
            "theme_reports": len(texts),
            "year": year,
            "problems": sel.problems_visible_to(request.user).filter(
                month__year=year, city_id=scope.city_id or scope.pk
            ),
        },
    )


@login_required
def candidate_page(request: HttpRequest, key: str) -> HttpResponse:
    scope = _scope(request)
    params = _params(request)
    category_id, area_code = _split_key(key)
    found = sel.mine(
        scope=scope,
        end_month=params["end"],
        months=params["months"],
        level=params["level"],
        category_id=category_id,
        area_code=area_code,
        limit=1,
    )
    if not found:
        raise Http404(_("No such candidate."))
    cand = found[0]
    first = sel.add_months(params["end"], -(params["months"] - 1))
    cases = sel.candidate_cases(
        scope=scope, category=cand.category, area=cand.area, first=first, last=params["end"]
    )
    texts = list(cases.order_by("-created_at").values_list("pk", "description")[:THEME_REPORTS])
    form = TakeOnForm(
        orgs=_working_orgs(cand.area),
        initial={
            "title": f"{cand.area.name}{cand.category.name}",
            "month": sel.current_month(),
            "goal_percent": 30,
        },
    )
    return render(
        request,
        "web/monthly/candidate.html",
        {
            "scope": scope,
            "params": params,
            "cand": cand,
            "rows": list(zip(cand.months, cand.counts, strict=True)),
            "themes": themes_of(texts),
            "form": form,
            "key": key,
        },
    )


@login_required
@require_POST
def take_on(request: HttpRequest, key: str) -> HttpResponse:
    scope = _scope(request)
    category_id, area_code = _split_key(key)
    area = Jurisdiction.objects.filter(code=area_code, kind__in=svc.AREA_KINDS).first()
    category = Category.objects.filter(pk=category_id, parent__isnull=False).first()
    if area is None or category is None or not mines_over(request.user, area):
        raise Http404(_("No such candidate."))
    form = TakeOnForm(request.POST, orgs=_working_orgs(area))
    if form.is_valid():
        d = form.cleaned_data
        try:
            problem = svc.problem_take_on(
                actor=request.user,
                title=d["title"],
                categories=[category],
                area=area,
                month=d["month"],
                lead=form.orgs[d["lead"]],
                assisting=[form.orgs[pk] for pk in d["assisting"]],
                goal_percent=d["goal_percent"],
                description=d["description"],
            )
        except MonthlyError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Taken on as the problem of the month."))
            return redirect("web:monthly_problem", pk=problem.pk)
    params = _params(request)
    found = sel.mine(
        scope=scope,
        category_id=category_id,
        area_code=area_code,
        limit=1,
        level=area.kind if area.kind in sel.AREA_LEVELS else "street",
    )
    if not found:
        raise Http404(_("No such candidate."))
    cand = found[0]
    return render(
        request,
        "web/monthly/candidate.html",
        {
            "scope": scope,
            "params": params,
            "cand": cand,
            "rows": list(zip(cand.months, cand.counts, strict=True)),
            "themes": [],
            "form": form,
            "key": key,
        },
        status=400,
    )


# ------------------------------------------------------------------------------------------ problems


def _problem(request: HttpRequest, pk: int) -> MonthlyProblem:
    if pk > MAX_ID:
        raise Http404
    try:
        return svc.problem_for(actor=request.user, pk=pk)
    except MonthlyNotFound as exc:
        raise Http404(exc.message) from exc


def _problem_context(
    request: HttpRequest, problem: MonthlyProblem, task_form: TaskForm | None = None
) -> dict:
    series = sel.problem_series(problem)
    comparisons = [sel.before_after(problem, series, span) for span in (3, 6)]
    orgs = staff_org_ids(request.user)
    may_manage = svc.may_manage_problem(request.user, problem)
    tasks = list(problem.tasks.select_related("owner", "done_by"))
    chart = {
        "months": [p.month.strftime("%Y-%m") for p in series],
        "volume": [p.volume for p in series],
        "satisfaction": [p.satisfaction for p in series],
        # No marker while the month taken on is still running (the chart ends with the last complete month).
        "taken": problem.month.strftime("%Y-%m") if series and problem.month <= series[-1].month else None,
        "words": {"volume": _("Reports"), "satisfaction": _("Satisfaction rate (%)"), "taken": _("Taken on")},
    }
    return {
        "problem": problem,
        "categories": list(problem.categories.all()),
        "assisting": list(problem.assisting.all()),
        "series": series,
        "comparisons": comparisons,
        "tasks": tasks,
        "my_orgs": orgs,
        "may_manage": may_manage,
        "task_form": task_form or (TaskForm(problem=problem) if may_manage else None),
        "chart": chart,
    }


@login_required
def problem_page(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem(request, pk)
    return render(request, "web/monthly/problem.html", _problem_context(request, problem))


@login_required
@require_POST
def task_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem(request, pk)
    form = TaskForm(request.POST, problem=problem)
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.task_add(
                actor=request.user,
                problem=problem,
                text=d["text"],
                owner=form.owners[d["owner"]],
                due_on=d["due_on"],
            )
        except MonthlyError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Task added."))
            return redirect(reverse("web:monthly_problem", args=[problem.pk]) + "#tasks")
    return render(request, "web/monthly/problem.html", _problem_context(request, problem, form), status=400)


@login_required
@require_POST
def task_done_view(request: HttpRequest, pk: int, task: int) -> HttpResponse:
    problem = _problem(request, pk)
    if task > MAX_ID or not ProblemTask.objects.filter(pk=task, problem=problem).exists():
        raise Http404(_("No such task."))
    try:
        svc.task_done(actor=request.user, task=task, note=request.POST.get("note", ""))
    except MonthlyError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("web:monthly_problem", args=[problem.pk]) + "#tasks")
    messages.success(request, _("Task marked done."))
    return redirect(reverse("web:monthly_problem", args=[problem.pk]) + "#tasks")


@login_required
def problem_list_page(request: HttpRequest) -> HttpResponse:
    """The year's problems with their status; for department staff, their own problems and open tasks."""
    try:
        year = int(request.GET.get("year") or sel.current_month().year)
    except ValueError:
        year = sel.current_month().year
    year = max(2000, min(year, 2100))
    visible = sel.problems_visible_to(request.user)
    ids = miner_node_ids(request.user)
    orgs = staff_org_ids(request.user)
    if not (ids["city"] or ids["district"] or orgs):
        raise Http404(_("No problems of the month for you."))
    problems = list(
        visible.filter(month__year=year)
        .annotate(open_tasks=Count("tasks", filter=Q(tasks__done_at__isnull=True)))
        .order_by("month", "pk")
    )
    # The monthly figures of every problem in one grouped query.
    series = sel.problems_series(problems)
    rows = [
        {"problem": p, "cmp": sel.before_after(p, series[p.pk], 3), "open_tasks": p.open_tasks}
        for p in problems
    ]
    my_tasks = (
        list(
            ProblemTask.objects.filter(owner_id__in=orgs, done_at__isnull=True)
            .select_related("problem", "owner")
            .order_by("due_on", "pk")[:100]
        )
        if orgs
        else []
    )
    return render(
        request,
        "web/monthly/problems.html",
        {"year": year, "rows": rows, "my_tasks": my_tasks, "miner": bool(ids["city"] or ids["district"])},
    )
