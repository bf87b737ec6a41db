"""The grid worker's workspace (phone-first): my grid on a map with its open cases, what waits for me
(public reports to verify on site, finished work to check), reporting on the spot, my patrol (start,
end, track) and visits, and my day and month."""

from __future__ import annotations

from collections import Counter

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.cases.models import PUBLIC_SOURCES, Status
from chuishao.cases.presenting import VERB_WORDS, deadline_colour, event_words
from chuishao.cases.selectors import PATROL_VERBS, case_list, patrol_work_since
from chuishao.gridwork import selectors as gridwork
from chuishao.web.gridwork_forms import VisitForm

LIMIT = 50


@login_required
def grid_page(request: HttpRequest) -> HttpResponse:
    # The grids I work: my grid-worker memberships and the unit grids of my beat.
    grids = gridwork.my_grids(request.user)
    if not grids:
        raise Http404
    code = request.GET.get("grid")
    grid = next((g for g in grids if g.code == code), None) if code else grids[0]
    if grid is None:
        raise Http404
    cases = case_list(actor=request.user, node_id=grid.pk, open_only=True)
    now = clock.now()
    open_cases = list(cases[:LIMIT])
    # Oldest first: the longest-waiting report to verify and work to check come first.
    to_verify = list(
        cases.filter(status=Status.REPORTED, source__in=PUBLIC_SOURCES).order_by("created_at")[:LIMIT]
    )
    to_check = list(cases.filter(status=Status.HANDLED).order_by("updated_at")[:LIMIT])
    points = [
        {
            "lat": c.lat,
            "lng": c.lng,
            "number": c.number,
            "url": reverse("web:case_detail", args=[c.pk]),
            "status": c.get_status_display(),
        }
        for c in open_cases
        if c.lat is not None
    ]
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    today = list(patrol_work_since(actor=request.user, since=midnight)[:LIMIT])
    tally = Counter(e.verb for e in today)
    day = gridwork.worker_day(actor=request.user)
    return render(
        request,
        "web/grid.html",
        {
            "today": [(e, event_words(e)) for e in today],
            "tally": [(str(VERB_WORDS[v]), tally[v]) for v in PATROL_VERBS if tally[v]],
            "grid": grid,
            "grids": grids,
            "to_verify": [(c, deadline_colour(c, now)) for c in to_verify],
            "to_check": [(c, deadline_colour(c, now)) for c in to_check],
            "open_rows": [(c, deadline_colour(c, now)) for c in open_cases],
            "open_count": cases.count(),
            "map_data": {"grid": grid.boundary, "cases": points},
            "patrol": gridwork.open_patrol(request.user),
            "day": day,
            "summary": _summary(day, gridwork.worker_month(actor=request.user)),
            "visit_form": VisitForm(grids=grids, initial={"grid": grid.pk}),
            "title": _("My grid"),
        },
    )


def _summary(day: gridwork.WorkSummary, month: gridwork.WorkSummary) -> list[tuple[str, str, object, object]]:
    """(key, label, today, this month) for each figure of the worker's day."""
    figures = [
        ("patrols", _("patrols")),
        ("hours", _("hours on patrol")),
        ("grids_walked", _("grids walked")),
        ("visits", _("visits")),
        ("follow_ups", _("follow-ups needed")),
        ("reported", _("reports")),
        ("verified", _("verified")),
        ("self_handled", _("fixed on the spot")),
        ("checked", _("checks")),
    ]
    return [(key, label, getattr(day, key), getattr(month, key)) for key, label in figures]
