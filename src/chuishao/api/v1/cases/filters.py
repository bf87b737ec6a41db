"""``GET /api/v1/cases/`` query: the filters, checked, applied to the caller's scoped cases.

The scope comes from ``cases.selectors.case_list`` (through ``cases_visible_to``); the filters only
narrow it. The pages are cursor pages in a stable order (newest first, then by id), so a case
reported while a client pages never shifts or repeats a row.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.pagination import CursorPagination

from chuishao.cases.models import Case, Source, Status, WarnLevel
from chuishao.cases.selectors import case_list
from chuishao.catalog.selectors import CatalogError, category_get

WARN_FILTERS = {
    "none": Q(warn_level=WarnLevel.NONE),
    "yellow": Q(warn_level=WarnLevel.YELLOW),
    "red": Q(warn_level=WarnLevel.RED),
    "escalated": Q(escalated_to__isnull=False),
}
NODE_FILTERS = ("grid", "community", "street", "district")


class CasePagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _comma_list(value: str, allowed: list[str], what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise serializers.ValidationError(
            f"Unknown {what} {', '.join(unknown)}; use {', '.join(allowed)}.", code="invalid_choice"
        )
    return items


@extend_schema_serializer(component_name="CaseListQuery")
class CaseListQuerySerializer(serializers.Serializer):
    status = serializers.CharField(
        required=False, help_text=f"One state or several, comma-separated: {', '.join(Status.values)}."
    )
    open = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="`true`: only cases not finished."
    )
    category = serializers.CharField(
        required=False,
        max_length=16,
        help_text="Category code; a major class (`S01`) includes its minor classes (`S0102`).",
    )
    source = serializers.CharField(
        required=False, help_text=f"One source or several, comma-separated: {', '.join(Source.values)}."
    )
    grid = serializers.CharField(required=False, max_length=40, help_text="Grid code.")
    community = serializers.CharField(required=False, max_length=40, help_text="Community code.")
    street = serializers.CharField(required=False, max_length=40, help_text="Street code.")
    district = serializers.CharField(required=False, max_length=40, help_text="District code.")
    warn = serializers.ChoiceField(
        choices=list(WARN_FILTERS),
        required=False,
        help_text="Deadline colour the sweep wrote (`none`, `yellow`, `red`), or `escalated` a level up.",
    )
    overdue = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="`true`: past the running deadline."
    )
    created_after = serializers.DateTimeField(required=False, help_text="ISO 8601, inclusive.")
    created_before = serializers.DateTimeField(required=False, help_text="ISO 8601, exclusive.")
    updated_after = serializers.DateTimeField(required=False, help_text="ISO 8601, inclusive.")
    q = serializers.CharField(
        required=False, max_length=100, help_text="Part of the case number (or of the description)."
    )

    def validate_status(self, value: str) -> list[str]:
        return _comma_list(value, list(Status.values), "state")

    def validate_source(self, value: str) -> list[str]:
        return _comma_list(value, list(Source.values), "source")

    def validate_category(self, value: str) -> int:
        try:
            return category_get(value).pk
        except CatalogError as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from exc


def cases_filtered(actor: Any, query: dict[str, Any]) -> QuerySet[Case]:
    """The actor's cases narrowed by the checked query (no order: the paginator sets it)."""
    qs = case_list(
        actor=actor,
        status=query.get("status") or None,
        category_id=query.get("category"),
        overdue=query.get("overdue"),
        open_only=bool(query.get("open")),
        text=query.get("q", ""),
    )
    for kind in NODE_FILTERS:
        if query.get(kind):
            qs = qs.filter(**{f"{kind}__code": query[kind]})
    if query.get("source"):
        qs = qs.filter(source__in=query["source"])
    if query.get("warn"):
        qs = qs.filter(WARN_FILTERS[query["warn"]])
    if query.get("created_after"):
        qs = qs.filter(created_at__gte=query["created_after"])
    if query.get("created_before"):
        qs = qs.filter(created_at__lt=query["created_before"])
    if query.get("updated_after"):
        qs = qs.filter(updated_at__gte=query["updated_after"])
    return qs
