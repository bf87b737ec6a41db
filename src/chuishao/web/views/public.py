"""Residents' pages: report a problem, see nearby reports, follow a case, rate it, my reports."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chuishao import clock
from chuishao.actors import FollowLinkActor
from chuishao.cases.errors import CaseError, CaseNotFound
from chuishao.cases.models import Case, CaseMedia, Source, Status
from chuishao.cases.presenting import expected_by
from chuishao.cases.selectors import case_duplicates_nearby, case_get_by_token, case_list, case_timeline
from chuishao.cases.services import case_rate, case_report
from chuishao.catalog.models import QuestionType
from chuishao.catalog.selectors import CatalogError, category_get, category_questions
from chuishao.gridwork.errors import GridworkError
from chuishao.gridwork.services import patrol_link_case
from chuishao.orgs.models import Role
from chuishao.orgs.scopes import roles_of
from chuishao.web.forms import RateForm, ReportForm
from chuishao.web.presenters import timeline
from chuishao.web.reads import categories_grouped, grid_features
from chuishao.web.views.common import action_message, media_response


def follow_url(case: Case) -> str:
    return reverse("web:follow", kwargs={"number": case.number, "token": case.follow_token})


PATROL_ROLES = frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF})


def _on_patrol(request: HttpRequest, asked: str | None) -> bool:
    """A grid worker (or community staff) reporting on the spot: the case starts verified (巡查上报)."""
    return asked == "1" and bool(roles_of(request.user) & PATROL_ROLES)


def _report_page(request: HttpRequest, form: ReportForm, error: str = "", status: int = 200) -> HttpResponse:
    context = {
        "patrol": _on_patrol(request, request.GET.get("patrol") or request.POST.get("patrol")),
        "form": form,
        "groups": categories_grouped(),
        "error": error,
        **_questions_context(form["category"].value() or "", request.POST),
    }
    return render(request, "web/report.html", context, status=status)


def _questions_context(code: str, given: Any) -> dict[str, Any]:
    """The category's extra questions, with what the reporter already answered (after an error)."""
    try:
        questions = category_questions(category_get(code)) if code else []
    except CatalogError:
        questions = []
    answered = {q.code: given.getlist(f"answer_{q.code}") for q in questions} if given else {}
    return {"questions": questions, "answered": answered, "multi": QuestionType.MULTI}


def _answers_posted(code: str, posted: Any) -> dict[str, Any]:
    """answer_<code> fields for the chosen category's questions; the service checks them."""
    try:
        questions = category_questions(category_get(code))
    except CatalogError:
        return {}
    return {
        q.code: posted.getlist(f"answer_{q.code}")
        if q.datatype == QuestionType.MULTI
        else posted.get(f"answer_{q.code}", "")
        for q in questions
    }


def report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _report_page(request, ReportForm())
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _report_page(request, form, _("Please correct the fields marked below."), status=400)
    d = form.cleaned_data
    patrol = _on_patrol(request, request.POST.get("patrol"))
    if patrol and not d["description"].strip():
        # On patrol the category says what it is; the worker may add words but need not.
        with contextlib.suppress(CatalogError):
            d["description"] = category_get(d["category"]).name
    try:
        case = case_report(
            actor=request.user,
            source=Source.GRID_PATROL if patrol else Source.RESIDENT_WEB,
            category=d["category"],
            description=d["description"],
            lat=d["lat"].strip() or None,
            lng=d["lng"].strip() or None,
            address=d["address"],
            reporter_name=d["reporter_name"],
            reporter_phone=d["reporter_phone"],
            anonymous=d["anonymous"],
            media=d["photos"],
            reporter_email=d["reporter_email"],
            answers=_answers_posted(d["category"], request.POST),
            keep_photo_location=d["keep_photo_location"],
        )
    except CaseError as exc:
        return _report_page(request, form, exc.message, status=400)
    if patrol:
        # A grid worker on patrol: the case joins the open patrol (nothing to join when none is open).
        with contextlib.suppress(GridworkError):
            patrol_link_case(actor=request.user, case=case)
        messages.success(request, _("Case %(number)s is filed from your patrol.") % {"number": case.number})
        return redirect("web:case_detail", pk=case.pk)
    return redirect(f"{follow_url(case)}?{urlencode({'new': 1})}")


@require_GET
def report_nearby(request: HttpRequest) -> HttpResponse:
    """Open reports of the same category near the point: an htmx fragment suggesting duplicates."""
    cases: list[Case] = []
    try:
        category = category_get(request.GET.get("category", ""))
        lat, lng = float(request.GET["lat"]), float(request.GET["lng"])
    except (CatalogError, KeyError, ValueError):
        category = None
    if category is not None and -90 <= lat <= 90 and -180 <= lng <= 180:
        # Public: only what, how far along and which day — never numbers, addresses or descriptions.
        cases = list(case_duplicates_nearby(category=category, lat=lat, lng=lng, at=clock.now()))
    return render(request, "web/_nearby.html", {"cases": cases, "asked": category is not None})


@require_GET
def report_questions(request: HttpRequest) -> HttpResponse:
    """The chosen category's extra questions: an htmx fragment of the report form."""
    return render(request, "web/_questions.html", _questions_context(request.GET.get("category", ""), None))


@require_GET
def grids_geojson(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(grid_features())
    response["Cache-Control"] = "public, max-age=300"
    return response


def case_by_follow_link(number: str, token: str) -> Case:
    """The case a follow link names, or 404 (the privacy pages use it too)."""
    try:
        return case_get_by_token(number=number, token=token)
    except CaseNotFound as exc:
        raise Http404(exc.message) from exc


def follow(request: HttpRequest, number: str, token: str) -> HttpResponse:
    case = case_by_follow_link(number, token)
    context = {
        "case": case,
        "steps": timeline(list(case_timeline(case=case)), case, public=True),
        "media": list(CaseMedia.objects.filter(case_id=case.pk).order_by("created_at")),
        "rate_form": RateForm(case=case, actor=None) if case.status == Status.CLOSED else None,
        "expected_by": expected_by(case),
        "new": request.GET.get("new") == "1",
        "follow_link": request.build_absolute_uri(follow_url(case)),
    }
    return render(request, "web/follow.html", context)


@require_POST
def follow_rate(request: HttpRequest, number: str, token: str) -> HttpResponse:
    """The reporter rates a closed case: as themselves when signed in, else through the follow link."""
    case = case_by_follow_link(number, token)
    form = RateForm(request.POST, case=case, actor=None)
    if not form.is_valid():
        messages.error(request, _("Choose how satisfied you are and whether it was solved."))
        return redirect(follow_url(case))
    d = form.cleaned_data
    is_reporter = request.user.is_authenticated and case.reporter_id == request.user.pk
    comment = d["comment"]
    if not is_reporter:
        # The token was checked above; the event records that the rating came through the link.
        note = _("Rated through the follow link (token checked).")
        comment = f"{note} {comment}".strip()
    try:
        case_rate(
            case=case,
            actor=request.user if is_reporter else FollowLinkActor(case_id=case.pk),
            satisfaction=d["satisfaction"],
            resolution=d["resolution"],
            comment=comment,
        )
    except CaseError as exc:
        messages.error(request, action_message(exc))
    else:
        messages.success(request, _("Thank you: your rating is recorded."))
    return redirect(follow_url(case))


def follow_media(request: HttpRequest, number: str, token: str, pk: int) -> HttpResponse:
    case = case_by_follow_link(number, token)
    return media_response(get_object_or_404(CaseMedia, pk=pk, case_id=case.pk))


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    cases = case_list(actor=request.user).filter(reporter_id=request.user.pk)[:200]
    return render(request, "web/my_reports.html", {"cases": cases})
