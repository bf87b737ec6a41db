"""Whistle pages (吹哨、报到): blowing from a case, the list, the report board of one whistle with its
forms, and a department's inbox of summonses.

Every POST parses one form, calls one service of ``cases.services.whistle`` and redirects back
(PRG); a refusal is shown as the service's own message. Which forms a page offers is asked of
``whistle_allowed_actions``, the same rules the services enforce.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case as Switch
from django.db.models import Count, F, Prefetch, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuishao import clock
from chuishao.cases.errors import CaseError
from chuishao.cases.models import (
    AssignmentRole,
    Case,
    SummonsState,
    Whistle,
    WhistleParty,
    WhistleStatus,
    WhistleSummons,
)
from chuishao.cases.selectors import case_get
from chuishao.cases.services import (
    summons_acknowledge,
    summons_check_in,
    summons_record_action,
    whistle_blow,
    whistle_cancel,
    whistle_confirm_done,
    whistle_join,
    whistle_rate,
    whistle_summon,
)
from chuishao.cases.whistle_selectors import (
    check_acknowledge,
    check_blow,
    streets_across,
    summonable_organisations,
    summons_inbox,
    whistle_allowed_actions,
    whistle_board,
    whistle_get,
    whistles_visible_to,
)
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction, Kind
from chuishao.orgs.models import Organisation
from chuishao.web.forms import (
    CheckInForm,
    JoinForm,
    SummonForm,
    WhistleBlowForm,
    WhistleCancelForm,
    WhistleNoteForm,
    WhistleRateForm,
)
from chuishao.web.presenters import VERDICT_WORDS, whistle_history
from chuishao.web.views.common import action_message, raise_http

PAGE_SIZE = 50
ON_SITE = (AssignmentRole.LEAD, AssignmentRole.ASSIST)


def _or_404(read: Any, **kwargs: Any) -> Any:
    try:
        return read(**kwargs)
    except CaseError as exc:
        raise_http(exc)
        raise


def _error_text(form: Any) -> str:
    parts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return " ".join(parts)


def _form_errors(request: HttpRequest, form: Any) -> None:
    messages.error(request, _error_text(form))


# --- blowing from the case page ------------------------------------------------------------------


def blow_form_for(actor: Any, case: Case, data: Any = None) -> tuple[WhistleBlowForm, list] | None:
    """The whistle form and the streets that will co-own the whistle, for an actor who may blow."""
    if not case.is_open:
        return None
    try:
        check_blow(actor=actor, cases=[case])
    except CaseError:
        return None
    across = streets_across(city_id=case.city_id, cases=[case])
    districts = {case.district_id} | {s.district_id for s in across}
    others = Jurisdiction.objects.filter(kind=Kind.STREET, city_id=case.city_id)
    others = others.exclude(pk__in=[case.street_id, *(s.pk for s in across)]).order_by("code")
    form = WhistleBlowForm(
        data,
        case=case,
        orgs=summonable_organisations(case.city_id, districts),
        streets=list(others),
        auto_id="id_whistle_%s",
    )
    return form, across


def case_whistles(actor: Any, case: Case) -> list[Whistle]:
    """The whistles on this case that the actor can see, the open one first."""
    rows = whistles_visible_to(actor).filter(cases=case)
    return list(rows.order_by(_open_first(), "-created_at"))


@login_required
@require_POST
def whistle_blow_page(request: HttpRequest, pk: int) -> HttpResponse:
    case = _or_404(case_get, actor=request.user, pk=pk)
    found = blow_form_for(request.user, case, request.POST)
    if found is None:
        try:  # the rule's own words when it is the actor's role; else the case is finished
            check_blow(actor=request.user, cases=[case])
        except CaseError as exc:
            messages.error(request, action_message(exc))
        else:
            messages.error(request, _("Case %(number)s is finished.") % {"number": case.number})
        return redirect("web:case_detail", pk=case.pk)
    form, _across = found
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("web:case_detail", pk=case.pk)
    try:
        whistle = whistle_blow(actor=request.user, cases=[case], **form.params())
    except CaseError as exc:
        messages.error(request, action_message(exc))
        return redirect("web:case_detail", pk=case.pk)
    text = _("Whistle %(number)s blown: the summoned departments must now report.") % {
        "number": whistle.number
    }
    if whistle.joint:
        text += " " + _("It is a joint whistle: the streets across the boundary co-own it.")
    messages.success(request, text)
    return redirect("web:whistle_detail", pk=whistle.pk)


# --- the list and the board ----------------------------------------------------------------------


def _open_first() -> Switch:
    return Switch(When(status=WhistleStatus.OPEN, then=Value(0)), default=Value(1))


@login_required
def whistle_list_page(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    late = Q(summonses__acknowledged_at__gt=F("summonses__acknowledge_due")) | Q(
        summonses__onsite_at__gt=F("summonses__onsite_due")
    )
    missing = ~Q(summonses__state=SummonsState.RELEASED) & (
        Q(summonses__acknowledged_at__isnull=True, summonses__acknowledge_due__lt=now)
        | Q(
            summonses__role__in=ON_SITE,
            summonses__onsite_at__isnull=True,
            summonses__onsite_due__lt=now,
        )
    )
    rows = (
        whistles_visible_to(request.user)
        .select_related("street")
        .prefetch_related("cases", Prefetch("parties", WhistleParty.objects.select_related("street")))
        .annotate(
            summoned=Count("summonses", distinct=True),
            late=Count("summonses", filter=late, distinct=True),
            missing=Count("summonses", filter=missing, distinct=True),
        )
        .order_by(_open_first(), "-created_at")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/whistle_list.html", {"page": page})


def _board_forms(actor: Any, whistle: Whistle, parties: list, rows: list[dict], allowed: dict) -> dict:
    forms: dict[str, Any] = {}
    if allowed["summon"]:
        taken = {r["organisation"].pk for r in rows}
        orgs = summonable_organisations(whistle.city_id, {p.district_id for p in parties})
        forms["summon"] = SummonForm(
            orgs=[o for o in orgs if o.pk not in taken],
            initial={"role": AssignmentRole.ASSIST if rows else AssignmentRole.LEAD},
            auto_id="id_summon_%s",
        )
    if allowed["join"]:
        streets = Jurisdiction.objects.filter(kind=Kind.STREET, city_id=whistle.city_id)
        streets = list(streets.exclude(pk__in=[p.street_id for p in parties]).order_by("code"))
        if streets:
            forms["join"] = JoinForm(streets=streets, auto_id="id_join_%s")
    if allowed["confirm_done"]:
        forms["done"] = WhistleNoteForm(auto_id="id_done_%s")
    if allowed["cancel"]:
        forms["cancel"] = WhistleCancelForm(auto_id="id_cancel_%s")
    for row in rows:
        can = allowed["summonses"].get(row["summons_id"], {})
        pk = row["summons_id"]
        row["can"] = can
        row["check_in_form"] = CheckInForm(auto_id=f"id_ci{pk}_%s") if can.get("check_in") else None
        row["record_form"] = WhistleNoteForm(auto_id=f"id_act{pk}_%s") if can.get("record_action") else None
        row["rate_form"] = WhistleRateForm(auto_id=f"id_rate{pk}_%s") if can.get("rate") else None
        row["acknowledge_word"] = VERDICT_WORDS.get(row["acknowledge"], row["acknowledge"])
        row["onsite_word"] = VERDICT_WORDS.get(row["onsite"], row["onsite"])
    return forms


@login_required
def whistle_page(request: HttpRequest, pk: int) -> HttpResponse:
    whistle = _or_404(whistle_get, actor=request.user, pk=pk)
    parties = list(whistle.parties.select_related("street", "district").order_by("-initiator", "pk"))
    cases = list(whistle.cases.select_related("category", "grid", "street").order_by("pk"))
    rows = whistle_board(whistle=whistle)
    allowed = whistle_allowed_actions(actor=request.user, whistle=whistle)
    forms = _board_forms(request.user, whistle, parties, rows, allowed)
    events = list(Event.objects.filter(chain=whistle.chain).order_by("seq"))
    places = dict(
        Organisation.objects.filter(pk__in=[r["organisation"].pk for r in rows]).values_list(
            "pk", "jurisdiction__name"
        )
    )
    pin = 0
    for r in rows:
        r["place"] = places.get(r["organisation"].pk, "")
        if r["summons"].onsite_lat is not None:
            pin += 1
            r["pin"] = pin
    orgs = {r["organisation"].pk: f"{r['organisation'].name} · {r['place']}" for r in rows}
    streets = {p.street_id: p.street.name for p in parties}
    map_data = {
        "whistle": [whistle.lat, whistle.lng] if whistle.lat is not None else None,
        "cases": [
            {"point": [c.lat, c.lng], "label": c.number, "grid": c.grid.boundary if c.grid_id else None}
            for c in cases
            if c.lat is not None
        ],
        "checkins": [
            {
                "point": [r["summons"].onsite_lat, r["summons"].onsite_lng],
                "pin": r["pin"],
                "label": f"{orgs[r['organisation'].pk]} · {r['distance_m']} m",
            }
            for r in rows
            if r.get("pin")
        ],
    }
    context = {
        "whistle": whistle,
        "parties": parties,
        "districts": list({p.district_id: p.district for p in parties}.values()),
        "cases": cases,
        "rows": rows,
        "forms": forms,
        "history": whistle_history(events, orgs, streets),
        "map_data": map_data,
    }
    return render(request, "web/whistle_detail.html", context)


WHISTLE_ACTIONS = {
    "summon": (SummonForm, whistle_summon),
    "join": (JoinForm, whistle_join),
    "done": (WhistleNoteForm, whistle_confirm_done),
    "cancel": (WhistleCancelForm, whistle_cancel),
}


def _whistle_form(action: str, whistle: Whistle, data: Any) -> Any:
    form_class = WHISTLE_ACTIONS[action][0]
    if form_class is SummonForm:
        districts = set(whistle.parties.values_list("district_id", flat=True))
        return SummonForm(data, orgs=summonable_organisations(whistle.city_id, districts))
    if form_class is JoinForm:
        streets = Jurisdiction.objects.filter(kind=Kind.STREET, city_id=whistle.city_id)
        return JoinForm(data, streets=list(streets))
    return form_class(data)


def _whistle_done_words(action: str, result: Any) -> str:
    if action == "summon":
        return _("%(org)s is summoned and must report.") % {"org": result.organisation.name}
    if action == "join":
        return _("%(street)s now co-owns the whistle.") % {"street": result.street.name}
    if action == "done":
        return _("Confirmed done: everyone summoned is released and can now be rated.")
    return _("The whistle is called off; everyone summoned is released.")


@login_required
@require_POST
def whistle_act_page(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in WHISTLE_ACTIONS:
        raise Http404(_("No such action."))
    whistle = _or_404(whistle_get, actor=request.user, pk=pk)
    form = _whistle_form(action, whistle, request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("web:whistle_detail", pk=whistle.pk)
    try:
        result = WHISTLE_ACTIONS[action][1](actor=request.user, whistle=whistle, **form.cleaned_data)
    except CaseError as exc:
        messages.error(request, action_message(exc))
    else:
        messages.success(request, _whistle_done_words(action, result))
    return redirect("web:whistle_detail", pk=whistle.pk)


# --- a department reports ------------------------------------------------------------------------


SUMMONS_ACTIONS = {
    "acknowledge": (None, summons_acknowledge),
    "check_in": (CheckInForm, summons_check_in),
    "record_action": (WhistleNoteForm, summons_record_action),
    "rate": (WhistleRateForm, whistle_rate),
}


def _summons_done_words(action: str, result: Any) -> str:
    if action == "acknowledge":
        return _("Acknowledged: %(org)s has reported to the whistle.") % {"org": result.organisation.name}
    if action == "check_in":
        if result.onsite_distance_m is None:
            return _("Checked in on site.")
        return _("Checked in on site, %(m)s m from the case.") % {"m": result.onsite_distance_m}
    if action == "record_action":
        return _("Recorded what %(org)s did.") % {"org": result.organisation.name}
    return _("Rated %(org)s: %(score)s of 100.") % {"org": result.organisation.name, "score": result.score}


def _inbox_row(actor: Any, pk: int, now: Any) -> WhistleSummons | None:
    row = summons_inbox(actor=actor).filter(pk=pk).first()
    if row is not None:
        _decorate(actor, row, now)
    return row


def _decorate(actor: Any, s: WhistleSummons, now: Any) -> None:
    s.overdue_now = s.next_due is not None and s.next_due < now
    try:
        check_acknowledge(actor=actor, summons=s)
    except CaseError:
        s.can_acknowledge = False
    else:
        s.can_acknowledge = True


@login_required
@require_POST
def summons_act_page(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in SUMMONS_ACTIONS:
        raise Http404(_("No such action."))
    whistle_id = WhistleSummons.objects.filter(pk=pk).values_list("whistle_id", flat=True).first()
    if whistle_id is None:
        raise Http404(_("No such summons."))
    whistle = _or_404(whistle_get, actor=request.user, pk=whistle_id)
    form_class, service = SUMMONS_ACTIONS[action]
    form = form_class(request.POST) if form_class else None
    error, done = "", ""
    if form is not None and not form.is_valid():
        error = _error_text(form)
    else:
        try:
            result = service(actor=request.user, summons=pk, **(form.cleaned_data if form else {}))
        except CaseError as exc:
            error = action_message(exc)
        else:
            done = _summons_done_words(action, result)
    if request.headers.get("HX-Request") and action == "acknowledge":
        # The inbox swaps the row in place: the new state and deadline, or why nothing changed.
        row = _inbox_row(request.user, pk, clock.now())
        return render(request, "web/_summons_row.html", {"s": row, "error": error, "done": done})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect("web:whistle_detail", pk=whistle.pk)


@login_required
def summons_inbox_page(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    rows = list(summons_inbox(actor=request.user)[:200])
    for s in rows:
        _decorate(request.user, s, now)
    return render(request, "web/summons_inbox.html", {"rows": rows, "now": now})
