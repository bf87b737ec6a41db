"""Staff pages: the scoped case list, one case with its timeline and action forms, case photos."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chuishao import clock
from chuishao.cases.errors import CaseError, CaseInvalid
from chuishao.cases.models import CaseMedia, Status
from chuishao.cases.presenting import deadline_colour
from chuishao.cases.scopes import acting_grant
from chuishao.cases.selectors import case_get, case_list, case_timeline, cases_visible_to, reporter_contact
from chuishao.cases.services import case_act, case_chase, case_supervise
from chuishao.cases.services.engine import allowed_actions
from chuishao.cases.services.oversight import CHASERS, SUPERVISORS
from chuishao.cases.transitions import TABLE
from chuishao.engagement.services import task_from_case_allowed
from chuishao.orgs.scopes import works_cases
from chuishao.web.forms import ACTION_FORMS, CaseFilterForm, OversightForm
from chuishao.web.presenters import ACTION_WORDS, timeline
from chuishao.web.reads import jurisdictions_by_code, major_categories, nodes_in_reach
from chuishao.web.views.common import action_message, media_response, raise_http
from chuishao.web.views.whistles import blow_form_for, case_whistles

PAGE_SIZE = 50
# The list counts at most this many cases: past it the heading says "more than 1,000" and the pages
# stop at the 20th; the filters reach older cases. Counting a busy street's 30,000 cases for the
# heading took 2 s at 10 million cases (docs/benchmarks.md); counting 1,001 takes milliseconds.
COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` rows; ``capped`` says whether there are more."""

    def __init__(self, object_list, per_page, cap: int | None = None):
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def found(self) -> int:
        """Matching rows counted, up to ``cap + 1``."""
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.found, self.cap)

    @property
    def capped(self) -> bool:
        return self.found > self.cap


@login_required
def case_list_page(request: HttpRequest) -> HttpResponse:
    form = CaseFilterForm(
        request.GET or None, categories=major_categories(), nodes=nodes_in_reach(request.user)
    )
    query = form.query() if request.GET else {}
    cases = case_list(actor=request.user, **query).filter(form.extra_q() if request.GET else Q())
    page = CappedPaginator(cases.select_related("escalated_to"), PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    states = {value: str(label) for value, label in Status.choices}  # translated once, not once a row
    rows = [(case, deadline_colour(case, now), states.get(case.status, case.status)) for case in page]
    params = request.GET.copy()
    params.pop("page", None)
    as_map = params.pop("view", None) == ["map"]
    points = None
    if as_map:
        # The same query on the map, newest first, as far as a map can usefully show.
        points = [
            {
                "lat": lat,
                "lng": lng,
                "number": number,
                "url": reverse("web:case_detail", args=[pk]),
                "status": s,
            }
            for pk, number, lat, lng, s in cases.filter(lat__isnull=False).values_list(
                "pk", "number", "lat", "lng", "status"
            )[:MAP_LIMIT]
        ]
    return render(
        request,
        "web/case_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "querystring": params.urlencode(),
            "map_points": points,
            "map_limit": MAP_LIMIT,
            "bulk_actions": [(a, BULK_WORDS[a]) for a in BULK_ACTIONS],
        },
    )


# Actions safe to take on many cases at once: each still goes through its own service call, checks and
# event; a case the actor may not act on is refused on its own and the others go ahead.
BULK_ACTIONS = ("file", "dispatch_suggested", "accept", "start")
BULK_WORDS = {
    "file": gettext_lazy("file"),
    "dispatch_suggested": gettext_lazy("dispatch to the suggested organisation"),
    "accept": gettext_lazy("sign for the case"),
    "start": gettext_lazy("start work"),
}
MAP_LIMIT = 1000
BULK_LIMIT = 100


@login_required
@require_POST
def case_bulk_page(request: HttpRequest) -> HttpResponse:
    """Take one safe action on the ticked cases; say which were done and why the others were not."""
    action = request.POST.get("bulk", "")
    back = reverse("web:case_list") + (f"?{request.POST['back']}" if request.POST.get("back") else "")
    ids = [int(i) for i in request.POST.getlist("ids") if i.isascii() and i.isdigit() and len(i) < 19][
        :BULK_LIMIT
    ]
    if action not in BULK_ACTIONS or not ids:
        messages.error(request, _("Tick one or more cases and choose what to do."))
        return redirect(back)
    done: list[str] = []
    refused: list[str] = []
    for case in cases_visible_to(request.user).filter(pk__in=ids).order_by("created_at"):
        try:
            if action == "dispatch_suggested":
                if case.suggested_org_id is None:
                    raise CaseInvalid(_("no suggested organisation"))
                case_act(case=case, action="dispatch", actor=request.user, lead=case.suggested_org_id)
            else:
                case_act(case=case, action=action, actor=request.user)
        except CaseError as exc:
            refused.append(f"{case.number}: {exc.message}")
        else:
            done.append(case.number)
    if done:
        messages.success(
            request,
            _("%(action)s: done for %(n)d case(s).") % {"action": BULK_WORDS[action], "n": len(done)},
        )
    for line in refused:
        messages.error(request, line)
    return redirect(back)


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
    blow = blow_form_for(request.user, case)
    whistles = case_whistles(request.user, case)
    context = {
        "case": case,
        "contact": reporter_contact(actor=request.user, case=case),
        "deadline": deadline_colour(case, clock.now()),
        "media": list(CaseMedia.objects.filter(case_id=case.pk).order_by("created_at")),
        # People without a staff role (a resident opening their own case) see offices, not names.
        "steps": timeline(events, case, public=not works_cases(request.user)),
        "nearby": jurisdictions_by_code(list(case.nearby_jurisdictions or [])),
        "action_forms": forms,
        "whistles": whistles,
        "open_whistle": next((w for w in whistles if w.status == "open"), None),
        "blow_form": blow[0] if blow else None,
        "blow_across": blow[1] if blow else [],
        "volunteer": task_from_case_allowed(request.user, case),
        "oversight_forms": [
            {"action": a, "label": OVERSIGHT_WORDS[a], "form": OversightForm(auto_id=f"id_{a}_%s")}
            for a in oversight_allowed(request.user, case)
        ],
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


# --- oversight by a higher level (督办, 催办): outside the transition table, so asked here ---------

OVERSIGHT = {"supervise": (SUPERVISORS, case_supervise), "chase": (CHASERS, case_chase)}
OVERSIGHT_WORDS = {
    "supervise": gettext_lazy("Put under supervision (督办)"),
    "chase": gettext_lazy("Urge the owner (催办)"),
}


def oversight_allowed(actor, case) -> list[str]:
    """Which of supervise and chase the service would accept now: the roles it names, reaching the
    case (``acting_grant``, as the service asks), on an open case; supervision only once."""
    if not case.is_open:
        return []
    return [
        action
        for action, (roles, _service) in OVERSIGHT.items()
        if acting_grant(actor, case, roles) is not None and not (action == "supervise" and case.supervised)
    ]


@login_required
@require_POST
def case_oversee_page(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = _case_or_404(request, pk)
    if action not in OVERSIGHT:
        raise Http404(_("No such action."))
    form = OversightForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what you expect of the owner."))
        return redirect("web:case_detail", pk=case.pk)
    try:
        case = OVERSIGHT[action][1](case=case, actor=request.user, note=form.cleaned_data["note"])
    except CaseError as exc:
        messages.error(request, action_message(exc))
    else:
        if action == "supervise":
            messages.success(request, _("The case is now under supervision; the owner is told."))
        else:
            messages.success(request, _("The owner is urged on (reminder %(n)s).") % {"n": case.chase_count})
    return redirect("web:case_detail", pk=case.pk)
