"""The dashboard of a district or city centre and its leaders."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.dbrouting import replica_reads
from chuishao.evaluation.definitions import RATES, period_of
from chuishao.spreadsheets import export_record
from chuishao.web.dashboard import (
    HEADLINE_RATES,
    TREND_RATES,
    dashboard,
    dashboard_nodes,
    dashboard_xlsx,
    desk_url,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH = re.compile(r"^20\d\d-(0[1-9]|1[0-2])$")


@login_required
@replica_reads
def dashboard_page(request: HttpRequest) -> HttpResponse:
    nodes = dashboard_nodes(request.user)
    if not nodes:
        raise Http404
    code = request.GET.get("node")
    node = next((n for n in nodes if n.code == code), nodes[0]) if code else nodes[0]
    if code and node.code != code:
        raise Http404
    raw = request.GET.get("period", "")
    period = raw if MONTH.match(raw) else period_of(clock.now())
    board = dashboard(request.user, node, period)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(dashboard_xlsx(board), content_type=XLSX)
        export_record(actor=request.user, what="dashboard", fmt="xlsx", node=node.code, period=period)
        response["Content-Disposition"] = f'attachment; filename="dashboard-{node.code}-{period}.xlsx"'
        return response
    labels = {r.name: str(r.label) for r in RATES}
    grid_values = {
        row.unit_id: {
            "received": row.counts.get("received", 0),
            "resolution": row.rates.get("resolution"),
        }
        for row in board.grids
    }
    chart = {
        "months": [r.period for r in board.trend],
        "series": [
            {"name": labels[name], "data": [r.rates.get(name) for r in board.trend]} for name in TREND_RATES
        ],
        "received": [r.counts.get("received", 0) for r in board.trend],
        "receivedLabel": _("cases received"),
        "categories": [{"name": c.name, "value": n, "url": url} for c, n, url in board.categories],
        "grids": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": shape["geometry"],
                    "properties": {
                        "name": shape["name"],
                        "url": desk_url(shape["id"], month=period),
                        **grid_values.get(shape["id"], {"received": 0, "resolution": None}),
                    },
                }
                for shape in board.grid_shapes
            ],
        },
        "words": {"volume": _("cases received"), "resolution": labels["resolution"], "none": _("no figures")},
    }
    return render(
        request,
        "web/dashboard.html",
        {
            "board": board,
            "nodes": nodes,
            "chart": chart,
            "labels": labels,
            "headline_rates": HEADLINE_RATES,
            "desk_open": desk_url(board.node.pk, open_only="on"),
            "desk_month": desk_url(board.node.pk, month=period),
            "title": _("Dashboard"),
        },
    )
