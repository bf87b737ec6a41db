"""Staff pages: the scoped case list, one case with its timeline and action forms, case photos."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuishao import clock
from chuishao.cases.errors import CaseError
from chuishao.cases.models import CaseMedia
from chuishao.cases.selectors import case_get, case_list, case_timeline, reporter_contact
from chuishao.cases.services import case_act
from chuishao.cases.services.engine import allowed_actions
from chuishao.cases.transitions import TABLE
from chuishao.orgs.models import Role
from chuishao.orgs.scopes import roles_of
from chuishao.web.forms import ACTION_FORMS, CaseFilterForm
from chuishao.web.presenters import ACTION_WORDS, deadline_state, timeline
from chuishao.web.reads import jurisdictions_by_code, major_categories, nodes_in_reach
from chuishao.web.views.common import action_message, media_response, raise_http

PAGE_SIZE = 50


@login_required
def case_list_page(request: HttpRequest) -> HttpResponse:
    form = CaseFilterForm(
        request.GET or None, categories=major_categories(), nodes=nodes_in_reach(request.user)
    )
    query = form.query() if request.GET else {}
    page = Paginator(case_list(actor=request.user, **query), PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    rows = [(case, deadline_state(case, now)) for case in page]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "web/case_list.html",
        {"form": form, "page": page, "rows": rows, "querystring": params.urlencode()},
    )


def _case_or_404(request: HttpRequest, pk: int):
    try:
        return case_get(actor=request.user, pk=pk)
    except CaseError as exc:
        raise_http(exc)
        raise


@login_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    forms = [
        {
            "action": action,
            "label": ACTION_WORDS[action],
            "form": ACTION_FORMS[action](case=case, actor=request.user, auto_id=f"id_{action}_%s"),
            "danger": TABLE[action].needs_reason,
        }
        for action in allowed_actions(actor=request.user, case=case)
    ]
    events = list(case_timeline(case=case))
    context = {
        "case": case,
        "contact": reporter_contact(actor=request.user, case=case),
        "deadline": deadline_state(case, clock.now()),
        "media": list(CaseMedia.objects.filter(case_id=case.pk).order_by("created_at")),
        # People without a staff role (a resident opening their own case) see offices, not names.
        "steps": timeline(events, case, public=not roles_of(request.user) - {Role.RESIDENT}),
        "nearby": jurisdictions_by_code(list(case.nearby_jurisdictions or [])),
        "action_forms": forms,
        "map_data": {
            "point": [case.lat, case.lng] if case.lat is not None else None,
            "grid": case.grid.boundary if case.grid_id else None,
        },
    }
    return render(request, "web/case_detail.html", context)


@login_required
@require_POST
def case_act_page(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = _case_or_404(request, pk)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404(_("No such action."))
    form = form_class(request.POST, request.FILES, case=case, actor=request.user)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect("web:case_detail", pk=case.pk)
    try:
        # The state the page showed: if someone acted meanwhile, the service refuses instead of acting.
        seen = request.POST.get("seen_status") or None
        case = case_act(case=case, action=action, actor=request.user, expected_status=seen, **form.params())
    except CaseError as exc:
        messages.error(request, action_message(exc))
    else:
        messages.success(
            request,
            _("Done: %(action)s. The case is now %(status)s.")
            % {"action": ACTION_WORDS[action], "status": case.get_status_display()},
        )
    return redirect("web:case_detail", pk=case.pk)


@login_required
def case_media(request: HttpRequest, pk: int) -> HttpResponse:
    media = get_object_or_404(CaseMedia, pk=pk)
    _case_or_404(request, media.case_id)
    return media_response(media)
