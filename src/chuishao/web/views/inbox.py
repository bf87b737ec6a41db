"""The person's notification inbox and the evaluation tables (read from the worker's rollups)."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuishao import clock
from chuishao.dbrouting import replica_reads
from chuishao.evaluation.definitions import RATES, UNIT_KINDS, UNIT_LABELS
from chuishao.evaluation.exports import evaluation_export
from chuishao.evaluation.selectors import evaluation_city, indicators
from chuishao.notify.selectors import notifications_for
from chuishao.notify.services.inbox import notification_mark_read
from chuishao.orgs.scopes import works_cases

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
def notifications_page(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "web/notifications.html", {"page": page})


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isascii() and i.isdigit() and len(i) < 19] or None
    notification_mark_read(actor=request.user, ids=ids)
    return redirect("web:notifications")


@login_required
@replica_reads
def evaluation_page(request: HttpRequest) -> HttpResponse:
    """Three rates, composite, grade and rank per unit and month; the same rows as CSV or XLSX."""
    if not works_cases(request.user):
        raise Http404
    unit_kind = request.GET.get("unit", "street")
    if unit_kind not in UNIT_KINDS:
        unit_kind = "street"
    period = request.GET.get("period", "")
    if not re.fullmatch(r"(19|20)\d\d-(0[1-9]|1[0-2])", period, flags=re.ASCII):
        # Anything else is the current month: the period names the file and is recorded with the export
        # ("2026-05\r\nSet-Cookie: …" made the download header raise, a 500).
        period = f"{timezone.localtime(clock.now()):%Y-%m}"
    city = evaluation_city(request.user)
    city_id = city.pk if city is not None else None
    rows = (
        indicators(actor=request.user, unit_kind=unit_kind, period=period, city_id=city_id) if city_id else []
    )
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        data = evaluation_export(
            actor=request.user, rows=rows, fmt=fmt, unit_kind=unit_kind, period=period, city_id=city_id
        )
        response = HttpResponse(data, content_type=FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="evaluation-{unit_kind}-{period}.{fmt}"'
        return response
    rates = [(r.name, r.label) for r in RATES]
    table = [(row, [row.rates.get(name) for name, _label in rates]) for row in rows]
    return render(
        request,
        "web/evaluation.html",
        {
            "table": table,
            "rates": rates,
            "unit_kind": unit_kind,
            "unit_kinds": [(k, UNIT_LABELS.get(k, k)) for k in UNIT_KINDS],
            "period": period,
            "title": _("Evaluation"),
        },
    )
