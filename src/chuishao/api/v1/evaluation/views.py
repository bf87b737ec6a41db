"""Evaluation endpoints (考核): one month's indicators per unit, a unit's trend, and the export.

Everything is read from the rollup tables through ``evaluation.selectors`` and limited by
``visible_units`` to the units inside the caller's jurisdiction (a street sees itself and what lies
below it, department staff their organisation); ranks are city-wide. Callers holding no staff role
(residents, keys without a person) are refused. The export writes the same rows as the web page's.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from chuishao.api.v1.common import ERR_400, ERR_404, READ_ERRORS, ApiView, query
from chuishao.api.v1.evaluation import serializers as s
from chuishao.dbrouting import replica_reads
from chuishao.evaluation.exports import evaluation_export
from chuishao.evaluation.selectors import (
    IndicatorRow,
    evaluation_city,
    evaluation_roles,
    indicator_trend,
    indicators,
)
from chuishao.geo.models import Jurisdiction

TAGS = ["evaluation"]


def _city(actor: Any) -> Jurisdiction | None:
    """The caller's evaluation city; callers holding no staff role are refused here."""
    if not evaluation_roles(actor):
        raise exceptions.PermissionDenied(
            "The evaluation is for staff: the caller holds no role that it covers.", code="permission_denied"
        )
    return evaluation_city(actor)


def _row(r: IndicatorRow) -> dict[str, Any]:
    return {
        "unit_kind": r.unit_kind,
        "unit_id": r.unit_id,
        "unit_name": r.unit_name,
        "period": r.period,
        "counts": r.counts,
        "rates": r.rates,
        "composite": r.composite,
        "grade": r.grade,
        "rank": r.rank,
        "whistle_band": r.whistle_band,
    }


def _months(last: str, count: int) -> list[str]:
    year, month = (int(p) for p in last.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def _rows(request: Any, params: dict[str, Any]) -> tuple[Jurisdiction | None, str, list[IndicatorRow]]:
    city = _city(request.user)
    period = params.get("period") or s.current_period()
    if city is None:
        return None, period, []
    return (
        city,
        period,
        indicators(actor=request.user, unit_kind=params["unit"], period=period, city_id=city.pk),
    )


class IndicatorsView(ApiView):
    @extend_schema(
        operation_id="evaluation_indicators",
        summary="One month's indicators per unit",
        description=__doc__,
        tags=TAGS,
        parameters=[s.IndicatorsQuery],
        responses={200: s.IndicatorsSerializer, 400: ERR_400, **READ_ERRORS},
    )
    @replica_reads
    def get(self, request: Any) -> Response:
        params = query(s.IndicatorsQuery, request)
        city, period, rows = _rows(request, params)
        data = {
            "period": period,
            "unit_kind": params["unit"],
            "city": {"code": city.code, "name": city.name} if city else None,
            "rows": [_row(r) for r in rows],
        }
        return Response(s.IndicatorsSerializer(data).data)


class TrendView(ApiView):
    @extend_schema(
        operation_id="evaluation_trend",
        summary="A unit's indicators month by month",
        description="The last `months` months up to `period`, for a unit within the caller's reach "
        "(else 404).",
        tags=TAGS,
        parameters=[s.TrendQuery],
        responses={200: s.TrendSerializer, 400: ERR_400, 404: ERR_404, **READ_ERRORS},
    )
    @replica_reads
    def get(self, request: Any) -> Response:
        params = query(s.TrendQuery, request)
        _city(request.user)
        periods = _months(params.get("period") or s.current_period(), params["months"])
        rows = indicator_trend(
            actor=request.user, unit_kind=params["unit_kind"], unit_id=params["unit"], periods=periods
        )
        if not rows:
            raise exceptions.NotFound(
                f"No {params['unit_kind']} {params['unit']} within your reach.",
                code="evaluation.unit_not_found",
            )
        data = {
            "unit_kind": params["unit_kind"],
            "unit_id": params["unit"],
            "unit_name": rows[0].unit_name,
            "rows": [_row(r) for r in rows],
        }
        return Response(s.TrendSerializer(data).data)


class ExportView(ApiView):
    @extend_schema(
        operation_id="evaluation_export",
        summary="One month's indicators as a spreadsheet",
        description="The rows of `/api/v1/evaluation/indicators/` as CSV (UTF-8 with a BOM, so Excel reads "
        "Chinese) or XLSX, with the same columns as the web page's export; a download "
        "(`Content-Disposition: attachment`).",
        tags=TAGS,
        parameters=[s.ExportQuery],
        responses={
            **{
                (200, t.split(";")[0]): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")
                for t in s.FORMATS.values()
            },
            400: ERR_400,
            **READ_ERRORS,
        },
    )
    @replica_reads
    def get(self, request: Any) -> HttpResponse:
        params = query(s.ExportQuery, request)
        city_node, period, rows = _rows(request, params)
        fmt = params["format"]
        data = evaluation_export(
            actor=request.user,
            rows=rows,
            fmt=fmt,
            unit_kind=params["unit"],
            period=period,
            city_id=city_node.pk if city_node is not None else None,
        )
        response = HttpResponse(data, content_type=s.FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="evaluation-{params["unit"]}-{period}.{fmt}"'
        return response
