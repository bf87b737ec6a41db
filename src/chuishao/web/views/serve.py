"""Dual reporting pages (双报到): members find and claim tasks and see their record; communities keep the
three lists, confirm service and evaluate; units see their members and their reports; anyone finds a
service centre and a community's calendar.

A failed form re-renders its page with what was typed and the error next to the field; a refused
action comes back as a message. Every write goes through ``chuishao.engagement.services``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuishao import clock
from chuishao.cases.errors import CaseError
from chuishao.cases.selectors import case_get
from chuishao.engagement import selectors as sel
from chuishao.engagement import services as svc
from chuishao.engagement.errors import EngagementError, EngagementNotFound
from chuishao.engagement.models import (
    Claim,
    ClaimStatus,
    MemberEvaluation,
    Need,
    Registration,
    Resource,
)
from chuishao.engagement.reports import report_columns, report_xlsx, unit_report
from chuishao.engagement.scopes import is_manager
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation
from chuishao.spreadsheets import export_record
from chuishao.web import serve_forms as f

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEDGER_LINES = 30


def _year_of(raw: str | None) -> int:
    """A year from 2000 to 2100 as typed, else this year (plain ASCII digits only: int("²") fails)."""
    raw = raw or ""
    if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return timezone.localdate(clock.now()).year


def _year(request: HttpRequest) -> int:
    return _year_of(request.GET.get("year"))


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _done(request: HttpRequest, message: str, to: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(to)


def _refused(request: HttpRequest, exc: EngagementError, to: str) -> HttpResponse:
    messages.error(request, exc.message)
    return redirect(to)


# ------------------------------------------------------------------------------------------- members


@login_required
def member_page(request: HttpRequest, forms: dict[str, Any] | None = None) -> HttpResponse:
    """My registration, the tasks of my community, my places and service record, hours, points, rank."""
    forms = forms or {}
    reg = sel.member_registration(request.user)
    year = _year(request)
    context = {
        "registration": reg,
        "current": svc.registration_is_current(reg),
        "history": sel.registration_history(request.user)[:10],
        "tasks": sel.tasks_for_member(request.user),
        "mine": set(
            Claim.objects.filter(person_id=request.user.pk)
            .exclude(status=ClaimStatus.WITHDRAWN)
            .values_list("task_id", flat=True)
        ),
        "claims": sel.claims_of(request.user)[:50],
        "standing": sel.member_standing(request.user, year),
        "ledger": sel.ledger_of(request.user)[:30],
        "year": year,
        "register_form": forms.get("register")
        or f.RegisterForm(
            initial={"community": reg.node_id, "unit": reg.unit_id, "posts": list(reg.posts.all())}
            if reg
            else None
        ),
        "title": _("Serve where you live"),
    }
    return render(request, "web/serve/member.html", context, status=400 if forms else 200)


@login_required
@require_POST
def member_register(request: HttpRequest) -> HttpResponse:
    form = f.RegisterForm(request.POST)
    if form.is_valid():
        try:
            svc.registration_submit_member(
                actor=request.user,
                community=form.cleaned_data["community"],
                unit=form.cleaned_data["unit"],
                posts=list(form.cleaned_data["posts"]),
            )
        except EngagementError as exc:
            form.add_error(None, exc.message)
        else:
            return _done(
                request, _("Registered. The community will confirm your registration."), reverse("web:serve")
            )
    return member_page(request, {"register": form})


@login_required
@require_POST
def member_registration_end(request: HttpRequest, pk: int) -> HttpResponse:
    reg = get_object_or_404(Registration, pk=pk, person_id=request.user.pk)
    try:
        svc.registration_end(actor=request.user, registration=reg, reason=request.POST.get("reason", ""))
    except EngagementError as exc:
        return _refused(request, exc, reverse("web:serve"))
    return _done(request, _("Your registration has ended. Your service record stays."), reverse("web:serve"))


@login_required
@require_POST
def task_claim(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        svc.claim_task(actor=request.user, task=pk)
    except EngagementError as exc:
        return _refused(request, exc, reverse("web:serve"))
    return _done(request, _("The place is yours. Check in when you arrive."), reverse("web:serve"))


CLAIM_ACTIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "withdraw": (svc.claim_withdraw, "You gave the place back."),
    "check-in": (svc.claim_check_in, "Checked in. Check out when you leave."),
    "check-out": (svc.claim_check_out, "Checked out. The organiser will confirm your hours."),
}


@login_required
@require_POST
def claim_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in CLAIM_ACTIONS:
        raise Http404
    service, done = CLAIM_ACTIONS[action]
    params: dict[str, Any] = {}
    if action != "withdraw":
        params = {"lat": _float(request.POST.get("lat")), "lng": _float(request.POST.get("lng"))}
    if action == "check-out":
        params["note"] = request.POST.get("note", "")
    try:
        service(actor=request.user, claim=pk, **params)
    except EngagementError as exc:
        return _refused(request, exc, reverse("web:serve"))
    return _done(request, _(done), reverse("web:serve"))


@login_required
def wish_page(request: HttpRequest) -> HttpResponse:
    """A resident posts a small wish (微心愿) to their community; the community approves it."""
    form = f.WishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.need_post(
                actor=request.user,
                node=form.cleaned_data["community"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                kind="wish",
            )
        except EngagementError as exc:
            form.add_error(None, exc.message)
        else:
            return _done(
                request,
                _("Your wish was sent. The community will look at it soon."),
                reverse("web:serve_wish"),
            )
    mine = Need.objects.filter(posted_by_id=request.user.pk).select_related("node")[:20]
    return render(
        request,
        "web/serve/wish.html",
        {"form": form, "mine": mine, "title": _("A small wish")},
        status=400 if request.method == "POST" else 200,
    )


# --------------------------------------------------------------------------------------- communities


def _community(request: HttpRequest, code: str | None = None) -> Jurisdiction:
    if not is_manager(request.user):
        raise Http404
    node = sel.community_for(request.user, code or request.GET.get("c"))
    if node is None:
        raise Http404
    return node


@login_required
def community_page(
    request: HttpRequest, code: str | None = None, forms: dict[str, Any] | None = None
) -> HttpResponse:
    node = _community(request, code)
    forms = forms or {}
    year = _year(request)
    units = Organisation.objects.filter(pk__in=sel.registered_units(node).values("unit_id"))
    resources = sel.resources_for(node)
    members = list(sel.registered_members(request.user, node))
    grades = {
        e.person_id: e
        for e in MemberEvaluation.objects.filter(
            node=node, year=year, person_id__in=[m.person_id for m in members]
        )
    }
    context = {
        "node": node,
        "communities": sel.managed_communities(request.user).order_by("code")[:200],
        "year": year,
        "pending": sel.pending_registrations(request.user, node),
        "members": [(m, grades.get(m.person_id)) for m in members],
        "units": sel.registered_units(node),
        "needs": sel.needs_of(request.user, node),
        "resources": resources,
        "projects": sel.projects_of(request.user, node),
        "tasks": sel.tasks_of(request.user, node, since=clock.now() - dt.timedelta(days=14)),
        "to_confirm": sel.claims_to_confirm(request.user, node),
        "ledger": sel.ledger_of_community(request.user, node)[:LEDGER_LINES],
        "need_form": forms.get("need") or f.NeedForm(),
        "task_form": forms.get("task") or f.TaskForm(node=node),
        "project_form": forms.get("project") or f.ProjectForm(node=node, units=units, resources=resources),
        "evaluate_form": f.EvaluateForm(),
        "title": _("Community service"),
    }
    return render(request, "web/serve/community.html", context, status=400 if forms else 200)


def _community_url(node: Jurisdiction) -> str:
    return reverse("web:serve_community", args=[node.code])


@login_required
@require_POST
def community_post(request: HttpRequest, code: str, what: str) -> HttpResponse:
    """Post a need, a task or a project to the community's lists."""
    node = _community(request, code)
    if node.code != code:
        raise Http404
    if what == "need":
        form: Any = f.NeedForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            return _try(request, form, node, "need", lambda: svc.need_post(
                actor=request.user, node=node, title=d["title"], description=d["description"],
                post=d["post"], kind=d["kind"],
            ), _("The need is on the list."))  # fmt: skip
    elif what == "task":
        form = f.TaskForm(request.POST, node=node)
        if form.is_valid():
            d = form.cleaned_data
            return _try(request, form, node, "task", lambda: svc.task_create(
                actor=request.user, node=node, title=d["title"], post=d["post"], starts_at=d["starts_at"],
                ends_at=d["ends_at"], capacity=d["capacity"], place=d["place"], description=d["description"],
                need=d["need"], centre=d["centre"],
            ), _("The task is issued; registered members can claim it."))  # fmt: skip
    elif what == "project":
        units = Organisation.objects.filter(pk__in=sel.registered_units(node).values("unit_id"))
        form = f.ProjectForm(request.POST, node=node, units=units, resources=sel.resources_for(node))
        if form.is_valid():
            d = form.cleaned_data
            return _try(request, form, node, "project", lambda: svc.project_create(
                actor=request.user, node=node, title=d["title"], goal=d["goal"], owner=d["owner"],
                starts_on=d["starts_on"], ends_on=d["ends_on"], need=d["need"], resource=d["resource"],
            ), _("The project is on the list."))  # fmt: skip
    else:
        raise Http404
    return community_page(request, code, {what: form})


def _try(request: HttpRequest, form: Any, node: Jurisdiction, what: str, call: Callable[[], Any], done: str):
    try:
        call()
    except EngagementError as exc:
        form.add_error(None, exc.message)
        return community_page(request, node.code, {what: form})
    return _done(request, done, _community_url(node))


@login_required
@require_POST
def community_act(request: HttpRequest, code: str, kind: str, pk: int, action: str) -> HttpResponse:
    """Decide a registration or a wish, close a need, cancel a task, confirm service, evaluate a member."""
    node = _community(request, code)
    back = _community_url(node) + (
        f"?year={_year_of(request.POST['year'])}" if request.POST.get("year") else ""
    )
    note = request.POST.get("note", "")
    try:
        if kind == "registration" and action in ("accept", "reject"):
            svc.registration_decide(actor=request.user, registration=pk, accept=action == "accept", note=note)
            done = _("Registration confirmed.") if action == "accept" else _("Registration not accepted.")
        elif kind == "need" and action in ("approve", "decline"):
            svc.need_decide(actor=request.user, need=pk, approve=action == "approve", note=note)
            done = _("The wish is on the needs list.") if action == "approve" else _("The wish was declined.")
        elif kind == "need" and action == "met":
            svc.need_close(actor=request.user, need=pk, note=note)
            done = _("The need is marked as met.")
        elif kind == "task" and action == "cancel":
            svc.task_cancel(actor=request.user, task=pk, reason=note)
            done = _("The task is cancelled; members who signed up are released.")
        elif kind == "claim" and action == "confirm":
            form = f.ConfirmForm(request.POST)
            if not form.is_valid():
                raise svc.EngagementInvalid(_("Hours must be a number, such as 1.5."))
            svc.claim_confirm(
                actor=request.user, claim=pk, hours=form.cleaned_data["hours"], note=form.cleaned_data["note"]
            )
            done = _("Service confirmed; points are in the ledger.")
        elif kind == "entry" and action == "correct":
            svc.points_correct(
                actor=request.user, entry=pk, points=request.POST.get("points", ""), reason=note
            )
            done = _("The correction is a new line in the ledger.")
        elif kind == "claim" and action == "not-served":
            svc.claim_not_served(actor=request.user, claim=pk, reason=note)
            done = _("Recorded as not served.")
        elif kind == "registration" and action == "evaluate":
            reg = Registration.objects.filter(pk=pk).select_related("node").first()
            if reg is None:
                raise EngagementNotFound(_("No such registration."))
            year = request.POST.get("year", "")
            svc.member_evaluate(
                actor=request.user,
                registration=reg,
                year=_year_of(year),
                grade=request.POST.get("grade", ""),
                note=note,
            )
            done = _("Evaluation saved.")
        else:
            raise Http404
    except EngagementError as exc:
        return _refused(request, exc, back)
    return _done(request, done, back)


def calendar_page(request: HttpRequest, code: str) -> HttpResponse:
    """A community's calendar: its volunteer tasks and the activities at its service centres (public)."""
    node = get_object_or_404(Jurisdiction, code=code, kind="community")
    raw = request.GET.get("from", "")
    today = timezone.localdate(clock.now())
    try:
        start = dt.date.fromisoformat(raw) if raw else today
    except ValueError:
        start = today
    if not dt.date(2000, 1, 1) <= start <= dt.date(2100, 1, 1):
        start = today
    days = sel.calendar(node, start, 28)
    return render(
        request,
        "web/serve/calendar.html",
        {
            "node": node,
            "days": days,
            "start": start,
            "previous": start - dt.timedelta(days=28),
            "next": start + dt.timedelta(days=28),
            "needs": sel.open_wishes_public(node)[:20],
            "title": _("Community calendar"),
        },
    )


def centres_page(request: HttpRequest) -> HttpResponse:
    """The directory of party and community service centres (党群服务中心) with a map (public)."""
    rows = list(sel.centres())
    points = [
        {"lat": c.lat, "lng": c.lng, "name": c.name, "hours": c.opening_hours, "id": c.pk} for c in rows
    ]
    return render(
        request, "web/serve/centres.html", {"centres": rows, "points": points, "title": _("Service centres")}
    )


# ------------------------------------------------------------------------------------------------ units


def _unit(request: HttpRequest, pk: int | None) -> Organisation:
    units = sel.organised_units(request.user)
    unit = units.filter(pk=pk).first() if pk else units.first()
    if unit is None:
        raise Http404
    return unit


@login_required
def unit_page(
    request: HttpRequest, pk: int | None = None, forms: dict[str, Any] | None = None
) -> HttpResponse:
    """The unit's registrations, its members (registered or not), its resources."""
    unit = _unit(request, pk)
    forms = forms or {}
    year = _year(request)
    report = unit_report(actor=request.user, unit=unit, year=year)
    registrations = list(sel.unit_registrations(request.user, unit))
    nodes = sel.unit_offer_nodes(unit)
    context = {
        "unit": unit,
        "units": sel.organised_units(request.user),
        "year": year,
        "report": report,
        "registrations": registrations,
        "resources": Resource.objects.filter(unit=unit, active=True).select_related("node", "post"),
        "register_form": forms.get("register") or f.UnitRegisterForm(unit=unit),
        "resource_form": forms.get("resource") or f.ResourceForm(nodes=nodes),
        "roster_form": forms.get("roster") or f.RosterForm(),
        "title": _("Our unit"),
    }
    return render(request, "web/serve/unit.html", context, status=400 if forms else 200)


@login_required
@require_POST
def unit_post(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    unit = _unit(request, pk)
    back = reverse("web:serve_unit", args=[unit.pk])
    form: Any
    try:
        if what == "register":
            form = f.UnitRegisterForm(request.POST, unit=unit)
            if form.is_valid():
                svc.registration_submit_unit(
                    actor=request.user,
                    unit=unit,
                    node=form.cleaned_data["node"],
                    posts=list(form.cleaned_data["posts"]),
                )
                return _done(request, _("Registered. The street or community will confirm it."), back)
        elif what == "resource":
            form = f.ResourceForm(request.POST, nodes=sel.unit_offer_nodes(unit))
            if form.is_valid():
                d = form.cleaned_data
                svc.resource_publish(
                    actor=request.user, unit=unit, node=d["node"], title=d["title"], capacity=d["capacity"],
                    description=d["description"], post=d["post"],
                )  # fmt: skip
                return _done(request, _("The resource is on the list."), back)
        elif what == "roster":
            form = f.RosterForm(request.POST)
            if form.is_valid():
                person = (
                    get_user_model().objects.filter(username=form.cleaned_data["username"].strip()).first()
                )
                if person is None:
                    form.add_error("username", _("No account with this name."))
                else:
                    svc.roster_add(actor=request.user, unit=unit, person=person)
                    return _done(request, _("Added to the unit's members."), back)
        else:
            raise Http404
    except EngagementError as exc:
        form.add_error(None, exc.message)
    return unit_page(request, unit.pk, {what: form})


@login_required
def unit_report_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The report to the unit: quarterly or yearly, printable (PDF through the browser) or XLSX."""
    unit = _unit(request, pk)
    year = _year(request)
    raw_quarter = request.GET.get("quarter", "")
    quarter = int(raw_quarter) if raw_quarter in ("1", "2", "3", "4") else None
    report = unit_report(actor=request.user, unit=unit, year=year, quarter=quarter)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(report_xlsx(report), content_type=XLSX)
        export_record(
            actor=request.user, what="service_report", fmt="xlsx", unit=unit.code, year=year, quarter=quarter
        )
        name = f"service-{unit.code}-{year}{f'-Q{quarter}' if quarter else ''}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(
        request,
        "web/serve/report.html",
        {
            "unit": unit,
            "report": report,
            "columns": report_columns(),
            "year": year,
            "quarter": quarter,
            "generated": clock.now(),
            "title": _("Service report"),
        },
    )


# ----------------------------------------------------------------------------------- cases → volunteers


@login_required
def case_volunteer_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The grid worker or community turns a light case into a volunteer task for registered members."""
    try:
        case = case_get(actor=request.user, pk=pk)
    except CaseError as exc:
        raise Http404 from exc
    form = f.VolunteerForm(request.POST or None, initial={"title": case.category.name, "place": case.address})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            svc.task_from_case(
                actor=request.user, case=case.pk, title=d["title"], post=d["post"], starts_at=d["starts_at"],
                ends_at=d["ends_at"], capacity=d["capacity"], place=d["place"],
            )  # fmt: skip
        except EngagementError as exc:
            form.add_error(None, exc.message)
        else:
            return _done(
                request,
                _("A volunteer task was issued to the community's registered members."),
                reverse("web:case_detail", args=[case.pk]),
            )
    return render(
        request,
        "web/serve/case_volunteer.html",
        {"case": case, "form": form, "title": _("Ask volunteers")},
        status=400 if request.method == "POST" else 200,
    )
