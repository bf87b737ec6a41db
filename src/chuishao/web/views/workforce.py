"""Community workers (三岗十八级) and the admission register (社区减负).

The roster page shows a node's communities with each worker's post, grade, pay coefficient and next
step; the street and the district change grades there. The admission page is where work for the
communities is asked for and admitted, and where the register counts what each community received.
Every write goes through ``chuishao.workforce.services``; a refused or invalid change comes back as a
message or as the form with its error.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Role
from chuishao.orgs.scopes import grants_of, holds_role_over
from chuishao.spreadsheets import export_record, safe_text
from chuishao.web import workforce_forms as f
from chuishao.web.community_report import CATALOGUE, community_month, community_month_xlsx
from chuishao.workforce import selectors as sel
from chuishao.workforce import services as svc
from chuishao.workforce.errors import WorkforceError
from chuishao.workforce.models import Admission, AdmissionStatus, CommunityWorker, GradeChange, Post
from chuishao.workforce.scopes import (
    DECIDERS,
    REQUESTERS,
    ROSTER_READERS,
    ROSTER_WRITERS,
    nodes_q,
    requesting_orgs,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEVEL = {"city": 0, "district": 1, "street": 2, "community": 3}


def _home_node(actor: Any, roles: frozenset[str]) -> Jurisdiction | None:
    """The highest node where the actor holds one of ``roles``."""
    ids = [g.node_id for g in grants_of(actor) if g.role in roles and g.node_id and g.node_kind in LEVEL]
    nodes = sorted(Jurisdiction.objects.filter(pk__in=ids), key=lambda n: (LEVEL[n.kind], n.code))
    return nodes[0] if nodes else None


# ------------------------------------------------------------------------------------------- roster


def _roster_node(request: HttpRequest, code: str | None) -> Jurisdiction:
    if code is None:
        node = _home_node(request.user, ROSTER_READERS)
    else:
        node = Jurisdiction.objects.filter(code=code).exclude(kind="grid").first()
    if node is None or not sel.may_read_roster(request.user, node):
        raise Http404
    return node


def _communities_for_hire(actor: Any, node: Jurisdiction) -> Any:
    return (
        Jurisdiction.objects.filter(nodes_q(actor, ROSTER_WRITERS), kind="community")
        .filter(
            Q(pk=node.pk) | Q(**{f"{node.kind}_id": node.pk}) if node.kind != "community" else Q(pk=node.pk)
        )
        .order_by("code")
    )


@login_required
def roster_page(
    request: HttpRequest, code: str | None = None, forms: dict[str, Any] | None = None
) -> HttpResponse:
    if code is None and request.GET.get("n"):
        code = request.GET["n"]
        if "/" not in code:
            return redirect("web:workforce_roster", code)
    node = _roster_node(request, code)
    if request.GET.get("format") == "xlsx":
        export_record(actor=request.user, what="workers", fmt="xlsx", node=node.code)
        return _roster_xlsx(node)
    forms = forms or {}
    hire_communities = _communities_for_hire(request.user, node)
    context = {
        "node": node,
        "nodes": sel.roster_nodes(request.user)[:300],
        "report": sel.roster_report(node),
        "lines": sel.roster(node),
        "posts": Post.choices,
        "may_write": hire_communities.exists(),
        "writable": set(hire_communities.values_list("pk", flat=True)),
        "hire_form": forms.get("hire") or f.HireForm(communities=hire_communities),
        "change_form": forms.get("change") or f.ChangeForm(),
        "change_for": forms.get("change_for"),
        "title": _("Community workers"),
    }
    return render(request, "web/workforce/roster.html", context, status=400 if forms else 200)


def _roster_xlsx(node: Jurisdiction) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Report")
    sheet.append(
        [_("Community"), _("Head"), _("Deputy"), _("Other staff"), _("Headcount"), _("Mean pay coefficient"),
         _("Steps due"), _("Steps due within 90 days")]
    )  # fmt: skip
    for fig in sel.roster_report(node):
        sheet.append(
            [fig.community.name, fig.by_post["head"], fig.by_post["deputy"], fig.by_post["other"],
             fig.headcount, float(fig.mean_coefficient) if fig.mean_coefficient is not None else None,
             fig.steps_due, fig.steps_soon]
        )  # fmt: skip
    roster = book.create_sheet(_("Roster"))
    roster.append(
        [_("Community"), pgettext("a person", "Name"), _("Position title"),
         pgettext("community worker post", "Post"), _("Grade"), _("Pay coefficient"),
         _("On this grade since"), _("Next step")]
    )  # fmt: skip
    for line in sel.roster(node):
        w = line.worker
        roster.append(
            [w.community.name, safe_text(w.name), safe_text(w.position), str(Post(w.post).label), w.grade,
             float(line.coefficient) if line.coefficient is not None else None, w.grade_since,
             line.next_step]
        )  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="workers-{node.code}.xlsx"'
    return response


def _roster_url(node: Jurisdiction) -> str:
    return reverse("web:workforce_roster", args=[node.code])


@login_required
@require_POST
def roster_hire(request: HttpRequest, code: str) -> HttpResponse:
    node = _roster_node(request, code)
    form = f.HireForm(request.POST, communities=_communities_for_hire(request.user, node))
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.worker_hire(
                actor=request.user, community=d["community"], name=d["name"], position=d["position"],
                post=d["post"], grade=d["grade"], started_on=d["started_on"], grade_since=d["grade_since"],
            )  # fmt: skip
        except WorkforceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(name)s is on the roster.") % {"name": d["name"]})
            return redirect(_roster_url(node))
    return roster_page(request, code, {"hire": form})


@login_required
@require_POST
def worker_act(request: HttpRequest, code: str, pk: int, action: str) -> HttpResponse:
    """step · post · adjust · leave: one worker's change, from the roster page."""
    node = _roster_node(request, code)
    worker = (
        CommunityWorker.objects.filter(pk=pk)
        .filter(
            Q(community_id=node.pk) | Q(**{f"community__{node.kind}_id": node.pk})
            if node.kind != "community"
            else Q(community_id=node.pk)
        )
        .first()
    )
    if worker is None or action not in ("step", "post", "adjust", "leave"):
        raise Http404
    form = f.ChangeForm(request.POST)
    if not form.is_valid():
        return roster_page(request, code, {"change": form, "change_for": worker.pk})
    d = form.cleaned_data
    calls = {
        "step": lambda: svc.worker_step(actor=request.user, worker=worker, effective_on=d["effective_on"]),
        "post": lambda: svc.worker_change_post(
            actor=request.user, worker=worker, post=d["post"], grade=d["grade"], reason=d["reason"],
            effective_on=d["effective_on"],
        ),
        "adjust": lambda: svc.worker_adjust(
            actor=request.user, worker=worker, grade=d["grade"], reason=d["reason"],
            effective_on=d["effective_on"],
        ),
        "leave": lambda: svc.worker_leave(
            actor=request.user, worker=worker, reason=d["reason"], ended_on=d["effective_on"]
        ),
    }  # fmt: skip
    try:
        calls[action]()
    except WorkforceError as exc:
        messages.error(request, f"{worker.name}: {exc.message}")
    else:
        messages.success(request, _("%(name)s: change recorded.") % {"name": worker.name})
    return redirect(_roster_url(node) + f"#w{worker.pk}")


@login_required
def worker_page(request: HttpRequest, pk: int) -> HttpResponse:
    worker = get_object_or_404(CommunityWorker.objects.select_related("community"), pk=pk)
    if not sel.may_read_roster(request.user, worker.community):
        raise Http404
    tables = sel.Tables(worker.community.city_id)
    history = GradeChange.objects.filter(worker=worker).select_related("actor__profile")
    return render(
        request,
        "web/workforce/worker.html",
        {"worker": worker, "line": tables.line(worker), "history": history, "title": worker.name},
    )


# --------------------------------------------------------------------------------------- admissions


def _request_scopes(actor: Any) -> Any:
    q = nodes_q(actor, REQUESTERS - {Role.DEPARTMENT_STAFF})
    for org in requesting_orgs(actor):
        node = org.jurisdiction
        q |= Q(pk=node.pk)
        if node.kind in ("city", "district", "street"):
            q |= Q(**{f"{node.kind}_id": node.pk})
    return Jurisdiction.objects.filter(q, kind__in=["district", "street", "community"]).order_by("code")


def _register_nodes(actor: Any) -> list[Jurisdiction]:
    nodes = list(sel.roster_nodes(actor).exclude(kind="community")[:200])
    ids = {n.pk for n in nodes}
    for org in requesting_orgs(actor):
        if org.jurisdiction.kind != "grid" and org.jurisdiction_id not in ids:
            nodes.append(org.jurisdiction)
            ids.add(org.jurisdiction_id)
    if not nodes:
        nodes = list(sel.roster_nodes(actor)[:200])
    return sorted(nodes, key=lambda n: (LEVEL.get(n.kind, 9), n.code))


@login_required
def admissions_page(request: HttpRequest, form: Any = None) -> HttpResponse:
    actor = request.user
    nodes = _register_nodes(actor)
    scopes = _request_scopes(actor)
    items = list(sel.admissions_for(actor)[:200])
    if not nodes and not items and not scopes.exists():
        raise Http404
    node = next((n for n in nodes if n.code == request.GET.get("node")), nodes[0] if nodes else None)
    status = request.GET.get("status", "")
    if status in AdmissionStatus.values:
        items = [i for i in items if i.status == status]
    decidable = {
        i.pk
        for i in items
        if i.status == AdmissionStatus.REQUESTED and holds_role_over(actor, i.scope, DECIDERS)
    }
    context = {
        "items": items,
        "status": status,
        "statuses": AdmissionStatus.choices,
        "decidable": decidable,
        "node": node,
        "nodes": nodes,
        "register": sel.register(node) if node is not None else None,
        "form": form or (f.AdmissionForm(scopes=scopes, orgs=_orgs_qs(actor)) if scopes.exists() else None),
        "title": _("Admission register"),
    }
    return render(request, "web/workforce/admissions.html", context, status=400 if form else 200)


def _orgs_qs(actor: Any) -> Any:
    from chuishao.orgs.models import Organisation

    return Organisation.objects.filter(pk__in=[o.pk for o in requesting_orgs(actor)])


@login_required
@require_POST
def admission_new(request: HttpRequest) -> HttpResponse:
    scopes = _request_scopes(request.user)
    if not scopes.exists():
        raise Http404
    form = f.AdmissionForm(request.POST, scopes=scopes, orgs=_orgs_qs(request.user))
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.admission_request(
                actor=request.user, scope=d["scope"], kind=d["kind"], title=d["title"], basis=d["basis"],
                starts_on=d["starts_on"], ends_on=d["ends_on"], frequency=d["frequency"],
                description=d["description"], org=d.get("org"),
            )  # fmt: skip
        except WorkforceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The request is on the register, awaiting admission."))
            return redirect("web:admissions")
    return admissions_page(request, form)


@login_required
@require_POST
def admission_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    item = Admission.objects.filter(pk=pk).first()
    if item is None or not sel.admissions_for(request.user).filter(pk=pk).exists():
        raise Http404
    note = request.POST.get("note", "")
    try:
        if action == "admit":
            svc.admission_decide(actor=request.user, item=item, admit=True, note=note)
        elif action == "refuse":
            svc.admission_decide(actor=request.user, item=item, admit=False, note=note)
        elif action == "withdraw":
            svc.admission_withdraw(actor=request.user, item=item, reason=note)
        else:
            raise Http404
    except WorkforceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Recorded."))
    return redirect(reverse("web:admissions") + f"#a{pk}")


# ------------------------------------------------------------------------------ generated reports


def _month_of(raw: str | None) -> dt.date:
    """``YYYY-MM`` as typed, else the month before this one (the month a monthly report is filed for)."""
    try:
        year, month = (int(p) for p in (raw or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    except ValueError:
        pass
    first = svc.today().replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def _report_communities(actor: Any) -> Any:
    return sel.roster_nodes(actor).filter(kind="community")


@login_required
def reports_page(request: HttpRequest) -> HttpResponse:
    """The catalogue of generated reports, each with the hand-kept form it replaces."""
    communities = _report_communities(request.user)
    if not sel.roster_nodes(request.user).exists():
        raise Http404
    entries = []
    for entry in CATALOGUE:
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            url = ""
        entries.append((entry, url))
    return render(
        request,
        "web/workforce/reports.html",
        {
            "entries": entries,
            "communities": communities[:300],
            "month": _month_of(request.GET.get("month")),
            "title": _("Generated reports"),
        },
    )


@login_required
def community_report_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    if code is None:
        code = request.GET.get("c") or ""
        if "/" in code:
            raise Http404
        if not code:
            first = _report_communities(request.user).first()
            if first is None:
                raise Http404
            code = first.code
        return redirect(
            reverse("web:report_community_node", args=[code]) + f"?month={request.GET.get('month', '')}"
        )
    node = Jurisdiction.objects.filter(code=code, kind="community").first()
    if node is None or not sel.may_read_roster(request.user, node):
        raise Http404
    month = _month_of(request.GET.get("month"))
    sections = community_month(node, month)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(community_month_xlsx(node, month, sections), content_type=XLSX)
        export_record(
            actor=request.user, what="community_month", fmt="xlsx", node=node.code, month=f"{month:%Y-%m}"
        )
        response["Content-Disposition"] = f'attachment; filename="community-{node.code}-{month:%Y-%m}.xlsx"'
        return response
    return render(
        request,
        "web/workforce/community_report.html",
        {"node": node, "month": month, "sections": sections, "title": _("Community monthly statistics")},
    )
