"""Grid-work pages: the grid worker starts and ends a patrol, sends the points they pass and records
visits (their workspace is ``/grid/``); the chain of command reads visits and patrol coverage.

Every write goes through ``chuishao.gridwork.services``; a refused action comes back as a message, a
form with errors is shown again with what was typed. Pages outside the reader's scope are 404s.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuishao.geo.models import Jurisdiction
from chuishao.gridwork import selectors as sel
from chuishao.gridwork import services as svc
from chuishao.gridwork.errors import GridworkError, GridworkNotFound
from chuishao.web.gridwork_forms import PatrolEndForm, VisitForm

VISITS_PAGE = 100


def _back(request: HttpRequest) -> str:
    grid = request.POST.get("grid_code") or ""
    url = reverse("web:grid")
    return f"{url}?grid={grid}" if grid.isascii() and grid.isalnum() else url


@login_required
@require_POST
def patrol_start_view(request: HttpRequest) -> HttpResponse:
    try:
        svc.patrol_start(actor=request.user)
    except GridworkError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Patrol started. Report what you find; end the patrol when you finish."))
    return redirect(_back(request))


@login_required
@require_POST
def patrol_end_view(request: HttpRequest) -> HttpResponse:
    form = PatrolEndForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        patrol = svc.patrol_end(actor=request.user, note=note)
    except GridworkError as exc:
        messages.error(request, exc.message)
    else:
        minutes = int((patrol.ended_at - patrol.started_at).total_seconds() // 60)
        messages.success(
            request,
            _("Patrol ended: %(minutes)s minutes, %(metres)s metres.")
            % {"minutes": minutes, "metres": int(patrol.distance_m)},
        )
    return redirect(_back(request))


@login_required
@require_POST
def patrol_track_view(request: HttpRequest) -> JsonResponse:
    """Track points from the phone: {"points": [{lat, lng, at}, ...]} as JSON."""
    try:
        body: Any = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": _("Send the points as JSON.")}, status=400)
    points = body.get("points") if isinstance(body, dict) else None
    try:
        patrol = svc.patrol_track(actor=request.user, points=points)
    except GridworkError as exc:
        status = 404 if isinstance(exc, GridworkNotFound) else 400
        return JsonResponse({"error": exc.message, "code": exc.code}, status=status)
    return JsonResponse(
        {
            "patrol": patrol.pk,
            "points": len(patrol.track),
            "grids": sorted(g.code for g in patrol.grids.all()),
        }
    )


@login_required
def visit_new(request: HttpRequest) -> HttpResponse:
    """Record a household or unit visit; the form is on the grid page, errors come back here."""
    grids = sel.my_grids(request.user)
    if not grids:
        raise Http404
    form = VisitForm(request.POST or None, grids=grids)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            svc.visit_record(
                actor=request.user,
                grid=d["grid"],
                kind=d["kind"],
                household=d["household"],
                unit=d["unit"],
                person_name=d["person_name"],
                person_phone=d["person_phone"],
                discussed=d["discussed"],
                follow_up=d["follow_up"],
                follow_up_note=d["follow_up_note"],
            )
        except GridworkError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Visit recorded."))
            return redirect(f"{reverse('web:grid')}?grid={d['grid'].code}")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "web/gridwork/visit_form.html", {"form": form, "title": _("Record a visit")}, status=status
    )


def _node_from(request: HttpRequest, param: str = "node") -> Jurisdiction | None:
    code = request.GET.get(param) or ""
    if not code:
        return None
    node = Jurisdiction.objects.filter(code=code).first()
    if node is None:
        raise Http404
    return node


@login_required
def visits_page(request: HttpRequest) -> HttpResponse:
    """Visits of the grids the reader works or commands, newest first (personal data: scoped)."""
    if not sel.can_see_visits(request.user):
        raise Http404
    node = _node_from(request)
    follow = request.GET.get("follow_up") == "1"
    visits = sel.visit_list(actor=request.user, node=node, follow_up=True if follow else None)
    if node is not None and not visits.exists() and not _reaches(request.user, node):
        raise Http404
    return render(
        request,
        "web/gridwork/visits.html",
        {
            "visits": _masked_for(request.user, list(visits[:VISITS_PAGE])),
            "total": visits.count(),
            "node": node,
            "follow": follow,
            "title": _("Visits"),
        },
    )


def _masked_for(actor: Any, visits: list) -> list:
    """The visits with the person's name, phone and any contact typed into the notes masked where the
    reader reaches them only as a leader (who oversees, never calls back). The rows are not saved."""
    from chuishao.cases.selectors import mask_contacts, mask_phone
    from chuishao.gridwork.models import Visit
    from chuishao.gridwork.scopes import VISIT_CONTACT_ROLES, visit_scope_q

    full = visit_scope_q(actor, VISIT_CONTACT_ROLES)
    shown: set[int] = set()
    if full is not None:
        shown = set(Visit.objects.filter(full, pk__in=[v.pk for v in visits]).values_list("pk", flat=True))
    for v in visits:
        if v.pk not in shown:
            v.person_name = v.person_name[:1] + "*" * max(len(v.person_name) - 1, 0)
            v.person_phone = mask_phone(v.person_phone) if v.person_phone else ""
            v.discussed = mask_contacts(v.discussed)
            v.follow_up_note = mask_contacts(v.follow_up_note)
    return visits


def _reaches(actor: Any, node: Jurisdiction) -> bool:
    from chuishao.gridwork.scopes import reads_visits_of, worker_grid_ids

    if node.kind == "grid" and node.pk in worker_grid_ids(actor):
        return True
    return reads_visits_of(actor, node)


@login_required
def coverage_page(request: HttpRequest) -> HttpResponse:
    """Patrol coverage of a community or street: grids not walked for N days are red."""
    nodes = list(sel.coverage_nodes(request.user))
    if not nodes:
        raise Http404
    node = _node_from(request) or nodes[0]
    try:
        cov = sel.coverage(actor=request.user, node=node)
    except GridworkNotFound as exc:
        raise Http404(exc.message) from exc
    from chuishao.web.templatetags.web_tags import local

    features = [
        {
            "type": "Feature",
            "geometry": g.grid.boundary,
            "properties": {
                "code": g.grid.code,
                "name": local(g.grid),
                "stale": g.stale,
                "days": g.days_since,
                "last": g.last_patrolled_at.isoformat() if g.last_patrolled_at else None,
            },
        }
        for g in cov.grids
    ]
    words = {"never": _("never patrolled"), "days": _("days since the last patrol")}
    return render(
        request,
        "web/gridwork/coverage.html",
        {
            "cov": cov,
            "nodes": nodes,
            "map_data": {"grids": {"type": "FeatureCollection", "features": features}, "words": words},
            "title": _("Patrol coverage"),
        },
    )
