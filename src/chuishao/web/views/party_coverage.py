"""Party organisation coverage pages: the report of a node (per street and community, the gaps, the
trend over twelve months, XLSX of the gaps) and a party organisation's people with add and end forms.

Community staff, street dispatchers, district and city centres, leaders and administrators read the
coverage of their node and everything under it; anything else is not found. Writes go through
``chuishao.party.members``; a refusal comes back as a message, a bad form re-renders with its errors.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chuishao.geo.models import Jurisdiction, Kind
from chuishao.orgs.models import PartyOrgLevel
from chuishao.party import members as svc
from chuishao.party.coverage import (
    MEASURE_LABELS,
    MEASURES,
    coverage_nodes,
    coverage_report,
    coverage_xlsx,
    may_read_coverage,
    today,
)
from chuishao.party.errors import PartyError, PartyNotFound
from chuishao.party.models import PartyMember, PartyRole
from chuishao.spreadsheets import export_record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DAY = re.compile(r"^20\d\d-\d\d-\d\d$")


def _node(request: HttpRequest, code: str | None) -> tuple[Jurisdiction, list[Jurisdiction]]:
    nodes = coverage_nodes(request.user)
    if not nodes:
        raise Http404
    if code is None:
        return nodes[0], nodes
    node = Jurisdiction.objects.filter(code=code).first()
    if node is None or not may_read_coverage(request.user, node):
        raise Http404
    return node, nodes


def _on(raw: str | None) -> dt.date:
    """The report's day from ``?on=YYYY-MM-DD``: today when absent, malformed or in the future."""
    if raw and DAY.match(raw):
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            return today()
        return min(day, today())
    return today()


@login_required
def coverage_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    node, nodes = _node(request, code or request.GET.get("node") or None)
    on = _on(request.GET.get("on"))
    report = coverage_report(node, on)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(coverage_xlsx(report), content_type=XLSX)
        export_record(actor=request.user, what="party_coverage", fmt="xlsx", node=node.code, on=str(on))
        response["Content-Disposition"] = f'attachment; filename="party-coverage-{node.code}-{on}.xlsx"'
        return response
    labels = {m: str(MEASURE_LABELS[m]) for m in MEASURES}
    chart = {
        "months": [p.month for p in report.trend],
        "series": [{"name": labels[m], "data": [p.rates[m] for p in report.trend]} for m in MEASURES],
    }
    # A community's or street's own party organisations with their secretaries (two queries).
    orgs = svc.party_orgs_in(node) if node.kind in (Kind.COMMUNITY, Kind.STREET) else []
    return render(
        request,
        "web/party/coverage.html",
        {
            "report": report,
            "node": node,
            "nodes": nodes,
            "chart": chart,
            "labels": labels,
            "orgs": [(o, svc.secretary_of(o), svc.org_place(o)) for o in orgs],
            "is_today": on == today(),
            "may_manage": svc.manages(request.user, node),
            "levels": PartyOrgLevel.choices,
            "today": today(),
            "parent": _parent_link(request, node),
            "title": _("Party organisation coverage"),
        },
    )


def _parent_link(request: HttpRequest, node: Jurisdiction) -> Jurisdiction | None:
    """The node one level up when the actor may read it (for a breadcrumb)."""
    parent = Jurisdiction.objects.filter(pk=node.parent_id).first() if node.parent_id else None
    return parent if parent is not None and may_read_coverage(request.user, parent) else None


# ------------------------------------------------------------------------------------------ organisation


class MemberForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=svc.NAME_LIMIT, required=False)
    username = forms.CharField(
        label=gettext_lazy("Account (user name, optional)"), max_length=150, required=False
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=PartyRole.choices, initial=PartyRole.MEMBER)
    since = forms.DateField(
        label=gettext_lazy("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        username = (data.get("username") or "").strip()
        data["person"] = None
        if username:
            person = get_user_model().objects.filter(username=username).first()
            if person is None:
                self.add_error("username", _("No account %(name)s.") % {"name": username})
            data["person"] = person
        elif not (data.get("name") or "").strip():
            self.add_error("name", _("Write the person's name or their account."))
        return data


class EndForm(forms.Form):
    until = forms.DateField(
        label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=svc.REASON_LIMIT, required=False)


def _org(request: HttpRequest, pk: int) -> Any:
    try:
        return svc.party_org_get(request.user, pk)
    except PartyNotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def party_org_page(request: HttpRequest, pk: int, form: MemberForm | None = None) -> HttpResponse:
    org = _org(request, pk)
    current, past = svc.party_org_members(org)
    kind, place = svc.org_place(org)
    node = org.jurisdiction
    coverage_node = node if node.kind != Kind.GRID else Jurisdiction.objects.get(pk=node.community_id)
    return render(
        request,
        "web/party/coverage_org.html",
        {
            "org": org,
            "place": place,
            "place_kind": kind,
            "current": current,
            "past": past[:50],
            "may_manage": svc.may_manage_org(request.user, org),
            "form": form or MemberForm(),
            "end_form": EndForm(),
            "coverage_node": coverage_node,
            "title": org.name,
        },
        status=400 if form is not None else 200,
    )


@login_required
@require_POST
def party_member_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    form = MemberForm(request.POST)
    if not form.is_valid():
        return party_org_page(request, pk, form=form)
    data = form.cleaned_data
    try:
        member = svc.party_member_add(
            actor=request.user,
            party_org=org,
            role=data["role"],
            name=data.get("name") or "",
            person=data["person"],
            since=data.get("since"),
        )
    except PartyError as exc:
        form.add_error(None, exc.message)
        return party_org_page(request, pk, form=form)
    messages.success(request, _("%(name)s added.") % {"name": member.name})
    return redirect(reverse("web:party_org", args=[org.pk]))


@login_required
@require_POST
def party_member_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = PartyMember.objects.filter(pk=pk).only("party_org_id").first()
    if member is None:
        raise Http404
    org = _org(request, member.party_org_id)
    to = reverse("web:party_org", args=[org.pk])
    form = EndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the end date as a date."))
        return redirect(to)
    try:
        ended = svc.party_member_end(
            actor=request.user,
            member=pk,
            until=form.cleaned_data.get("until"),
            reason=form.cleaned_data.get("reason") or "",
        )
    except PartyError as exc:
        messages.error(request, exc.message)
        return redirect(to)
    messages.success(request, _("%(name)s's term ended on %(d)s.") % {"name": ended.name, "d": ended.until})
    return redirect(to)


class FoundForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in svc.PLACE_KINDS])
    place = forms.CharField(max_length=60)
    name = forms.CharField(max_length=svc.ORG_NAME_LIMIT)
    level = forms.ChoiceField(choices=PartyOrgLevel.choices, initial=PartyOrgLevel.BRANCH)
    established_on = forms.DateField(required=False)


@login_required
@require_POST
def party_org_found_view(request: HttpRequest, code: str) -> HttpResponse:
    """Set up a party organisation for a gap listed on the coverage page of ``code``."""
    node, _nodes = _node(request, code)
    back = reverse("web:party_coverage_node", args=[node.code]) + "#gaps"
    form = FoundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the name, the level and the founding date."))
        return redirect(back)
    data = form.cleaned_data
    try:
        org = svc.party_org_found_at(
            actor=request.user,
            kind=data["kind"],
            place_code=data["place"],
            name=data["name"],
            level=data["level"],
            established_on=data.get("established_on"),
        )
    except PartyError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("%(name)s set up.") % {"name": org.name})
    return redirect(reverse("web:party_org", args=[org.pk]))


@login_required
@require_POST
def party_org_dissolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org(request, pk)
    to = reverse("web:party_org", args=[org.pk])
    form = EndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the end date as a date."))
        return redirect(to)
    try:
        svc.party_org_dissolve(
            actor=request.user,
            party_org=org,
            on=form.cleaned_data.get("until"),
            reason=form.cleaned_data.get("reason") or "",
        )
    except PartyError as exc:
        messages.error(request, exc.message)
        return redirect(to)
    messages.success(request, _("%(name)s dissolved.") % {"name": org.name})
    return redirect(to)
