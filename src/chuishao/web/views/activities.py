"""Party-building activities' pages: my activities (members), organising (create, sign-ups, the QR screen,
attendance, figures, close), the check-in page a phone opens from the QR code, and the reports.

Writes go through ``chuishao.activities.services``; a refusal comes back as a message (or a 400 with the
form's errors). An activity the person may not see is "not found"; organiser-only pages and actions are
"not found" too for those who do not organise it, so nothing about members-only activities leaks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chuishao import clock
from chuishao.activities import reports as rep
from chuishao.activities import services as svc
from chuishao.activities.errors import ActivityError, ActivityNotFound
from chuishao.activities.models import (
    Activity,
    Audience,
    AudienceFigure,
    Kind,
    Measure,
    MeetingKind,
    Participation,
    Presence,
)
from chuishao.geo.models import Jurisdiction
from chuishao.library.selectors import published_exemplars
from chuishao.orgs.models import Organisation
from chuishao.party.coverage import coverage_nodes
from chuishao.spreadsheets import export_record

MAX_ID = 2**31 - 1
DATETIME = {"input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]}


def _dt_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _person_name(user: Any) -> str:
    try:
        shown = user.profile.display_name
    except Exception:  # noqa: BLE001 — no profile row: the username
        shown = ""
    return shown or user.get_username()


def _activity(request: HttpRequest, pk: int) -> Activity:
    try:
        return svc.activity_get(request.user, pk)
    except ActivityNotFound as exc:
        raise Http404(exc.message) from exc


def _organised(request: HttpRequest, pk: int) -> Activity:
    activity = _activity(request, pk)
    if not svc.may_organise(request.user, activity.organiser):
        raise Http404
    return activity


# ------------------------------------------------------------------------------------------------ forms


class ActivityForm(forms.Form):
    organiser = forms.ChoiceField(label=gettext_lazy("Organised by"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices)
    meeting_kind = forms.ChoiceField(
        label=gettext_lazy("Which of 三会一课 (branch meetings only)"),
        choices=[("", "—"), *MeetingKind.choices],
        required=False,
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=svc.TITLE_LIMIT)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=svc.TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    starts_at = forms.DateTimeField(label=gettext_lazy("Starts"), widget=_dt_widget(), **DATETIME)
    ends_at = forms.DateTimeField(label=gettext_lazy("Ends"), widget=_dt_widget(), **DATETIME)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=svc.PLACE_LIMIT, required=False)
    online = forms.BooleanField(label=gettext_lazy("Online"), required=False)
    online_link = forms.CharField(label=gettext_lazy("Online link"), max_length=300, required=False)
    capacity = forms.IntegerField(
        label=gettext_lazy("Capacity (places; may stay empty online or for members only)"),
        required=False,
        min_value=1,
        max_value=svc.MAX_CAPACITY,
    )
    audience = forms.ChoiceField(label=gettext_lazy("Who may take part"), choices=Audience.choices)
    signup_opens_at = forms.DateTimeField(
        label=gettext_lazy("Sign-up opens (empty: now)"), widget=_dt_widget(), required=False, **DATETIME
    )
    signup_closes_at = forms.DateTimeField(
        label=gettext_lazy("Sign-up closes (empty: at the start)"),
        widget=_dt_widget(),
        required=False,
        **DATETIME,
    )
    checkin_lead_minutes = forms.IntegerField(
        label=gettext_lazy("Check-in opens minutes before the start"),
        initial=svc.DEFAULT_LEAD_MINUTES,
        min_value=0,
        max_value=svc.MAX_LEAD_MINUTES,
    )
    exemplars = forms.MultipleChoiceField(
        label=gettext_lazy("Exemplary cases presented"), required=False, widget=forms.SelectMultiple
    )

    def __init__(self, *args: Any, orgs: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.orgs = {str(o.pk): o for o in orgs}
        self.fields["organiser"].choices = [(str(o.pk), f"{o.name} ({o.get_kind_display()})") for o in orgs]
        from chuishao.library.models import Exemplar

        published = Exemplar.objects.filter(status="published").order_by("-published_at")[:200]
        self.fields["exemplars"].choices = [(str(e.pk), e.title) for e in published]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"activity_{name}")

    def clean(self) -> dict:
        data = super().clean()
        for key in ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at"):
            value = data.get(key)
            if value is not None and timezone.is_naive(value):
                data[key] = timezone.make_aware(value)
        return data


def _create_form(request: HttpRequest, orgs: list[Organisation], data: Any = None) -> ActivityForm:
    start = timezone.localtime(clock.now()).replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=7)
    initial = {
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "checkin_lead_minutes": svc.DEFAULT_LEAD_MINUTES,
    }
    return ActivityForm(data, orgs=orgs, initial=initial)


# ------------------------------------------------------------------------------------------------ members


@login_required
def my_page(request: HttpRequest) -> HttpResponse:
    mine = rep.my_activities(request.user)
    organises = bool(svc.organisations_for(request.user))
    return render(
        request,
        "web/activities/mine.html",
        {
            "mine": mine,
            "upcoming": [(a, mine.rows.get(a.pk)) for a in mine.upcoming],
            "organises": organises,
            "reads_reports": organises or bool(coverage_nodes(request.user)),
            "now": clock.now(),
        },
    )


def _back(request: HttpRequest, activity: Activity) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if nxt == "mine":
        return redirect("web:activities_mine")
    return redirect("web:activity", pk=activity.pk)


@login_required
@require_POST
def signup_view(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    try:
        svc.signup(actor=request.user, activity=activity)
    except ActivityError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You have a place at %(title)s.") % {"title": activity.title})
    return _back(request, activity)


@login_required
@require_POST
def signup_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    try:
        svc.signup_cancel(actor=request.user, activity=activity)
    except ActivityError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your sign-up is cancelled."))
    return _back(request, activity)


@login_required
@require_POST
def leave_view(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    try:
        svc.leave_request(actor=request.user, activity=activity, reason=request.POST.get("reason", ""))
    except ActivityError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your leave is recorded."))
    return _back(request, activity)


@login_required
def check_in_view(request: HttpRequest, pk: int) -> HttpResponse:
    """What the phone opens from the QR code: a button that checks the person in (GET never writes)."""
    token = request.POST.get("t") if request.method == "POST" else request.GET.get("t", "")
    activity = Activity.objects.filter(pk=min(pk, MAX_ID)).select_related("organiser").first()
    if activity is None:
        raise Http404
    # A members-only activity's title is not shown to others; their check-in is refused in words.
    context: dict[str, Any] = {
        "activity": activity,
        "visible": svc.may_see(request.user, activity),
        "token": token or "",
        "done": False,
        "error": "",
    }
    status = 200
    if request.method == "POST":
        try:
            svc.check_in(actor=request.user, activity=activity, token=token or "")
        except ActivityError as exc:
            context["error"], status = exc.message, 400
        else:
            context["done"] = True
    return render(request, "web/activities/check_in.html", context, status=status)


# ------------------------------------------------------------------------------------------------ detail


def _attendance(activity: Activity) -> list[dict]:
    rows = {
        p.person_id: p
        for p in Participation.objects.filter(activity=activity).select_related("person__profile")
    }
    expected = svc.expected_ids(activity)
    missing = expected - set(rows)
    people = {u.pk: u for u in get_user_model().objects.filter(pk__in=missing).select_related("profile")}
    out = []
    for person_id in sorted(expected | set(rows)):
        part = rows.get(person_id)
        user = part.person if part else people[person_id]
        if part and not part.holds_place and not part.presence and person_id not in expected:
            continue  # a cancelled sign-up
        out.append(
            {"person": user, "name": _person_name(user), "part": part, "expected": person_id in expected}
        )
    return sorted(out, key=lambda r: r["name"])


@login_required
def activity_page(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk)
    organises = svc.may_organise(request.user, activity.organiser)
    mine = Participation.objects.filter(activity=activity, person_id=request.user.pk).first()
    now = clock.now()
    opens, closes = svc.checkin_window(activity)
    context: dict[str, Any] = {
        "activity": activity,
        "organises": organises,
        "mine": mine,
        "expected_me": activity.members_only and request.user.pk in svc.expected_ids(activity),
        "before_start": now < activity.starts_at,
        "over": now > activity.ends_at,
        "checkin_opens": opens,
        "figures": list(AudienceFigure.objects.filter(activity=activity)),
        "exemplars": published_exemplars(activity.exemplars.values_list("pk", flat=True)),
    }
    if organises:
        rows = _attendance(activity)
        context.update(
            rows=rows,
            counts={
                "expected": sum(1 for r in rows if r["expected"] or (r["part"] and r["part"].holds_place)),
                "attended": sum(1 for r in rows if r["part"] and r["part"].presence == Presence.ATTENDED),
                "leave": sum(1 for r in rows if r["part"] and r["part"].presence == Presence.LEAVE),
                "absent": sum(1 for r in rows if r["part"] and r["part"].presence == Presence.ABSENT),
            },
            measures=Measure.choices,
            presences=[
                (Presence.ATTENDED, Presence.ATTENDED.label),
                (Presence.ABSENT, Presence.ABSENT.label),
                (Presence.LEAVE, Presence.LEAVE.label),
            ],
            checkin_open=opens <= now <= closes,
        )
    return render(request, "web/activities/activity.html", context)


@login_required
def qr_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser's screen: a QR code of the check-in URL with a fresh token, refreshed every minute."""
    activity = _organised(request, pk)
    token = svc.checkin_token(activity)
    url = request.build_absolute_uri(reverse("web:activity_check_in", args=[activity.pk])) + "?t=" + token
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2)
    attended = Participation.objects.filter(activity=activity, presence=Presence.ATTENDED).count()
    opens, closes = svc.checkin_window(activity)
    now = clock.now()
    return render(
        request,
        "web/activities/qr.html",
        {
            "activity": activity,
            "svg": svg,
            "url": url,
            "attended": attended,
            "expected": len(svc.expected_ids(activity)),
            "refresh": svc.TOKEN_ROTATE,
            "open": opens <= now <= closes,
            "opens": opens,
        },
    )


# ------------------------------------------------------------------------------------------------ organise


@login_required
def organise_page(request: HttpRequest) -> HttpResponse:
    orgs = svc.organisations_for(request.user)
    if not orgs:
        raise Http404
    form = _create_form(request, orgs)
    status = 200
    if request.method == "POST":
        form = _create_form(request, orgs, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                activity = svc.activity_create(
                    actor=request.user,
                    organiser=form.orgs[data["organiser"]],
                    kind=data["kind"],
                    meeting_kind=data["meeting_kind"],
                    title=data["title"],
                    description=data["description"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    place=data["place"],
                    online=data["online"],
                    online_link=data["online_link"],
                    capacity=data["capacity"],
                    audience=data["audience"],
                    signup_opens_at=data["signup_opens_at"],
                    signup_closes_at=data["signup_closes_at"],
                    checkin_lead_minutes=data["checkin_lead_minutes"],
                    exemplars=[int(x) for x in data["exemplars"]],
                )
            except ActivityError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The activity is planned."))
                return redirect("web:activity", pk=activity.pk)
        status = 400
    activities = list(
        Activity.objects.filter(organiser__in=orgs).select_related("organiser").order_by("-starts_at")[:200]
    )
    return render(
        request,
        "web/activities/organise.html",
        {"form": form, "activities": activities, "orgs": orgs, "now": clock.now()},
        status=status,
    )


def _organiser_action(request: HttpRequest, pk: int, anchor: str, call, ok: str) -> HttpResponse:
    activity = _organised(request, pk)
    try:
        call(activity)
    except ActivityError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ok)
    return redirect(reverse("web:activity", args=[activity.pk]) + anchor)


@login_required
@require_POST
def mark_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        person = int(request.POST.get("person", ""))
    except ValueError:
        person = None
    if person is not None and not 0 < person <= svc.MAX_ID:
        person = -1  # out of range: the service answers "no such person" (no overflow in the database)
    return _organiser_action(
        request,
        pk,
        "#attendance",
        lambda a: svc.attendance_mark(
            actor=request.user,
            activity=a,
            person=person,
            presence=request.POST.get("presence", ""),
            reason=request.POST.get("reason", ""),
        ),
        _("Attendance recorded."),
    )


@login_required
@require_POST
def close_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _organiser_action(
        request, pk, "#attendance", lambda a: svc.activity_close(actor=request.user, activity=a), _("Closed.")
    )


@login_required
@require_POST
def cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _organiser_action(
        request,
        pk,
        "",
        lambda a: svc.activity_cancel(actor=request.user, activity=a, reason=request.POST.get("reason", "")),
        _("The activity is cancelled."),
    )


@login_required
@require_POST
def figure_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _organiser_action(
        request,
        pk,
        "#figures",
        lambda a: svc.figure_record(
            actor=request.user,
            activity=a,
            measure=request.POST.get("measure", ""),
            count=request.POST.get("count", ""),
            source=request.POST.get("source", ""),
        ),
        _("The figure is recorded."),
    )


# ------------------------------------------------------------------------------------------------ reports


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    start, end = rep.default_period()
    try:
        if request.GET.get("from"):
            start = dt.date.fromisoformat(request.GET["from"])
        if request.GET.get("to"):
            end = dt.date.fromisoformat(request.GET["to"])
    except ValueError:
        raise Http404 from None
    if end < start or (end - start).days > 3 * 366:
        raise Http404
    return start, end


def _report_response(request: HttpRequest, report: rep.Report, here: str, name: str) -> HttpResponse:
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            rep.report_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="activities-{name}-{report.start}-{report.end}.xlsx"'
        )
        export_record(
            actor=request.user, what="activities", fmt="xlsx", of=name, start=report.start, end=report.end
        )
        return response
    return render(
        request,
        "web/activities/report.html",
        {"report": report, "here": here, "kinds": Kind.choices, "kind_values": Kind.values},
    )


@login_required
def reports_page(request: HttpRequest) -> HttpResponse:
    orgs = svc.organisations_for(request.user)
    nodes = [n for n in coverage_nodes(request.user) if n.kind in ("city", "district", "street", "community")]
    if not orgs and not nodes:
        raise Http404
    return render(request, "web/activities/reports.html", {"orgs": orgs, "nodes": nodes})


@login_required
def org_report_page(request: HttpRequest, pk: int) -> HttpResponse:
    org = Organisation.objects.filter(pk=min(pk, MAX_ID)).select_related("jurisdiction").first()
    if org is None:
        raise Http404
    start, end = _period(request)
    report = rep.org_report(request.user, org, start, end)
    if report is None:
        raise Http404
    return _report_response(request, report, reverse("web:activities_report_org", args=[org.pk]), org.code)


@login_required
def node_report_page(request: HttpRequest, code: str) -> HttpResponse:
    node = Jurisdiction.objects.filter(code=code[:40]).first()
    if node is None:
        raise Http404
    start, end = _period(request)
    report = rep.node_report(request.user, node, start, end)
    if report is None:
        raise Http404
    return _report_response(
        request, report, reverse("web:activities_report_node", args=[node.code]), node.code
    )
