"""Red property pages (红色物业): a complex's board with its four bodies and cross-appointed seats, the
open cases routed to it (with the joint meetings' decisions on each), its meetings, and the forms to
add or end a seat, record a meeting with decisions and mark a decision done.

The board's members, the complex's community staff and the levels above, and leaders over the
community read a board; anyone else is answered "not found". Writes go through
``chuishao.party.boards``; a refusal comes back as a message, a bad form re-renders with its errors.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chuishao import clock
from chuishao.orgs.models import Organisation, OrgKind
from chuishao.party import boards as svc
from chuishao.party.errors import PartyError, PartyNotFound
from chuishao.party.models import BoardBody, BoardSeat, MeetingDecision

DECISION_ROWS = 3
MAX_ID = 2**31 - 1


def _board(request: HttpRequest, code: str) -> Organisation:
    try:
        return svc.board_for_complex_code(actor=request.user, code=code)
    except PartyNotFound as exc:
        raise Http404(exc.message) from exc


def _owner_choices(board: Organisation) -> list[tuple[str, str]]:
    """Who a decision may give to: the board, the complex's bodies, the street office and the district's
    departments."""
    complex_ = board.attached_complex
    bodies = svc.body_orgs(complex_)
    community = complex_.community
    around = Organisation.objects.filter(
        Q(kind=OrgKind.STREET_OFFICE, jurisdiction_id=community.street_id)
        | Q(kind__in=[OrgKind.DEPARTMENT, OrgKind.DISPATCHED_AGENCY], jurisdiction_id=community.district_id)
        | Q(kind=OrgKind.DISPATCHED_AGENCY, jurisdiction_id=community.street_id)
    ).order_by("kind", "code")
    seen: dict[int, str] = {board.pk: board.name}
    for org in [o for orgs in bodies.values() for o in orgs] + list(around):
        seen.setdefault(org.pk, org.name)
    return [("", "—")] + [(str(pk), name) for pk, name in seen.items()]


class SeatForm(forms.Form):
    body = forms.ChoiceField(label=gettext_lazy("Sits for"), choices=BoardBody.choices)
    body_org = forms.ChoiceField(label=gettext_lazy("The body's organisation"), required=False)
    display_name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    position = forms.CharField(label=gettext_lazy("Position"), max_length=60)
    username = forms.CharField(
        label=gettext_lazy("Account (username, if the person signs in)"), max_length=150, required=False
    )
    cross_body = forms.ChoiceField(
        label=gettext_lazy("Also sits in (交叉任职)"), choices=[("", "—"), *BoardBody.choices], required=False
    )
    cross_position = forms.CharField(label=gettext_lazy("Position there"), max_length=60, required=False)

    def __init__(self, *args: Any, board: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.board = board
        orgs = svc.body_orgs(board.attached_complex)
        self.fields["body_org"].choices = [("", "—")] + [
            (str(o.pk), f"{BoardBody(body).label} · {o.name}") for body, items in orgs.items() for o in items
        ]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"seat_{name}")

    def clean_username(self) -> Any:
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        person = get_user_model().objects.filter(username=username, is_active=True).first()
        if person is None:
            raise forms.ValidationError(_("No account %(u)s.") % {"u": username})
        return person

    def clean_body_org(self) -> Organisation | None:
        raw = self.cleaned_data["body_org"]
        return Organisation.objects.filter(pk=int(raw)).first() if raw else None


class MeetingForm(forms.Form):
    held_at = forms.DateTimeField(
        label=gettext_lazy("Held at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=120)
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    attendees = forms.MultipleChoiceField(
        label=gettext_lazy("Seats present"), required=False, widget=forms.CheckboxSelectMultiple
    )
    guests = forms.CharField(
        label=gettext_lazy("Guests (departments' people and others)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    minutes = forms.CharField(
        label=gettext_lazy("Minutes"),
        max_length=16000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, board: Organisation, cases: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        seats = BoardSeat.objects.filter(board=board, ended_on__isnull=True).order_by("body", "pk")
        self.fields["attendees"].choices = [
            (str(s.pk), f"{s.display_name} · {s.get_body_display()} · {s.position}") for s in seats
        ]
        case_choices = [("", "—")] + [(str(c.pk), f"{c.number} · {c.category.name}") for c in cases]
        owners = _owner_choices(board)
        for n in range(1, DECISION_ROWS + 1):
            self.fields[f"decision_{n}_text"] = forms.CharField(
                label=_("Decision %(n)s") % {"n": n}, max_length=4000, required=False
            )
            self.fields[f"decision_{n}_case"] = forms.ChoiceField(
                label=gettext_lazy("Case"), choices=case_choices, required=False
            )
            self.fields[f"decision_{n}_owner"] = forms.ChoiceField(
                label=gettext_lazy("Who carries it out"), choices=owners, required=False
            )
            self.fields[f"decision_{n}_due"] = forms.DateField(
                label=gettext_lazy("By"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
        for name, field in self.fields.items():
            if name != "attendees":
                field.widget.attrs.setdefault("id", f"meeting_{name}")

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("held_at", "place", "agenda", "attendees", "guests", "minutes")]

    def decision_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"decision_{n}_{part}"] for part in ("text", "case", "owner", "due")]
            for n in range(1, DECISION_ROWS + 1)
        ]

    def clean(self) -> dict:
        data = super().clean()
        held = data.get("held_at")
        if held is not None and timezone.is_naive(held):
            data["held_at"] = timezone.make_aware(held)
        return data

    def decisions(self) -> list[svc.DecisionInput]:
        out = []
        for n in range(1, DECISION_ROWS + 1):
            text = (self.cleaned_data.get(f"decision_{n}_text") or "").strip()
            case = self.cleaned_data.get(f"decision_{n}_case") or None
            owner = self.cleaned_data.get(f"decision_{n}_owner") or None
            due = self.cleaned_data.get(f"decision_{n}_due")
            if not text:
                if case or owner or due:
                    raise PartyError(_("Decision %(n)s needs its text.") % {"n": n})
                continue
            out.append(
                svc.DecisionInput(
                    text=text,
                    case=int(case) if case else None,
                    owner=int(owner) if owner else None,
                    due_on=due,
                )
            )
        return out


def _render(request: HttpRequest, board: Organisation, *, seat_form=None, meeting_form=None, status=200):
    page = svc.board_page(actor=request.user, board=board)
    cases = [row.case for row in page.cases]
    context = {
        "page": page,
        "board": board,
        "complex": page.complex,
        "seat_form": seat_form or (SeatForm(board=board) if page.may_manage else None),
        "meeting_form": meeting_form
        or (
            MeetingForm(
                board=board,
                cases=cases,
                initial={"held_at": timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M")},
            )
            if page.may_meet
            else None
        ),
        "boards": list(svc.boards_visible_to(request.user)[:100]),
    }
    return render(request, "web/party/board.html", context, status=status)


@login_required
def board_list_page(request: HttpRequest) -> HttpResponse:
    """The boards the person sits on or oversees; one board goes straight to its page."""
    found = list(svc.boards_visible_to(request.user)[:500])
    if not found:
        raise Http404
    if len(found) == 1:
        return redirect("web:party_board", code=found[0].attached_complex.code)
    return render(request, "web/party/boards.html", {"boards": found})


@login_required
def board_page(request: HttpRequest, code: str) -> HttpResponse:
    return _render(request, _board(request, code))


@login_required
@require_POST
def seat_add(request: HttpRequest, code: str) -> HttpResponse:
    board = _board(request, code)
    form = SeatForm(request.POST, board=board)
    if not form.is_valid():
        return _render(request, board, seat_form=form, status=400)
    data = form.cleaned_data
    try:
        svc.board_seat_add(
            actor=request.user,
            board=board,
            body=data["body"],
            body_org=data["body_org"],
            display_name=data["display_name"],
            position=data["position"],
            person=data["username"],
            cross_body=data["cross_body"],
            cross_position=data["cross_position"],
        )
    except PartyError as exc:
        form.add_error(None, exc.message)
        return _render(request, board, seat_form=form, status=400)
    messages.success(request, _("%(name)s now sits on the board.") % {"name": data["display_name"]})
    return redirect(reverse("web:party_board", args=[code]) + "#bodies")


@login_required
@require_POST
def seat_end(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    board = _board(request, code)
    seat = BoardSeat.objects.filter(pk=min(pk, MAX_ID), board=board).first()
    if seat is None:
        raise Http404
    try:
        svc.board_seat_end(actor=request.user, seat=seat, reason=request.POST.get("reason", ""))
    except PartyError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The seat of %(name)s has ended.") % {"name": seat.display_name})
    return redirect(reverse("web:party_board", args=[code]) + "#bodies")


@login_required
@require_POST
def meeting_add(request: HttpRequest, code: str) -> HttpResponse:
    board = _board(request, code)
    cases = [row.case for row in svc.board_page(actor=request.user, board=board).cases]
    form = MeetingForm(request.POST, board=board, cases=cases)
    if not form.is_valid():
        return _render(request, board, meeting_form=form, status=400)
    data = form.cleaned_data
    try:
        svc.meeting_record(
            actor=request.user,
            board=board,
            held_at=data["held_at"],
            place=data["place"],
            agenda=data["agenda"],
            attendees=[int(s) for s in data["attendees"]],
            guests=data["guests"],
            minutes=data["minutes"],
            decisions=form.decisions(),
        )
    except PartyError as exc:
        form.add_error(None, exc.message)
        return _render(request, board, meeting_form=form, status=400)
    messages.success(request, _("The joint meeting is recorded."))
    return redirect(reverse("web:party_board", args=[code]) + "#meetings")


@login_required
@require_POST
def decision_done(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    board = _board(request, code)
    decision = MeetingDecision.objects.filter(pk=min(pk, MAX_ID), meeting__board=board).first()
    if decision is None:
        raise Http404
    try:
        svc.decision_done(actor=request.user, decision=decision, note=request.POST.get("note", ""))
    except PartyError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The decision is marked done."))
    return redirect(reverse("web:party_board", args=[code]) + "#meetings")
