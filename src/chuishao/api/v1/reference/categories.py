"""``GET /api/v1/categories/``: the category catalogue (GB/T 30428-style codes) as a tree of major and
minor classes, with the hint a resident sees, the filing and closing standards, and the extra
questions a report in the category answers (``answers`` of an intake, Open311 attributes).

Reference data for every authenticated caller, as the jurisdictions are.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from chuishao.api.v1.common import ERR_400, ERR_404, READ_ERRORS, ApiView, NamedChoiceField, query
from chuishao.catalog.models import Category, CategoryKind, CategoryQuestion, QuestionType
from chuishao.catalog.selectors import CatalogError, category_get, category_list, category_questions

TAGS = ["reference"]


@extend_schema_serializer(component_name="CategoryQuestionChoice")
class ChoiceSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="What an answer sends.")
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)


@extend_schema_serializer(component_name="CategoryQuestion")
class QuestionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The key of the answer in `answers` (Open311: `attribute[code]`).")
    label = serializers.CharField()
    label_en = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    datatype = NamedChoiceField(enum_name="QuestionDatatypeEnum", choices=QuestionType.choices)
    required = serializers.BooleanField()
    order = serializers.IntegerField()
    values = ChoiceSerializer(many=True, help_text="The choices of a list question; empty otherwise.")


@extend_schema_serializer(component_name="CategoryMinor")
class CategorySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Full code: `B0101` (component, 部件) or `S0102` (event, 事件).")
    kind = NamedChoiceField(enum_name="CategoryKindEnum", choices=CategoryKind.choices)
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    parent = serializers.CharField(allow_null=True, help_text="Full code of the major class; null for one.")
    hint = serializers.CharField(allow_blank=True, help_text="Plain words for residents.")
    filing_standard = serializers.CharField(allow_blank=True, help_text="When a report is filed (立案标准).")
    closing_standard = serializers.CharField(allow_blank=True, help_text="When a case is closed (结案标准).")
    active = serializers.BooleanField()
    questions = QuestionSerializer(many=True)


@extend_schema_serializer(component_name="CategoryMajor")
class CategoryTreeSerializer(CategorySerializer):
    children = CategorySerializer(many=True, help_text="Its minor classes (detail: empty for a minor).")


class CategoryQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CategoryKind.choices, required=False)


def _question(q: CategoryQuestion) -> dict[str, Any]:
    values = [v for v in (q.values or []) if isinstance(v, dict)]
    return {
        "code": q.code,
        "label": q.label,
        "label_en": q.label_en,
        "description": q.description,
        "datatype": q.datatype,
        "required": q.required,
        "order": q.order,
        "values": [
            {
                "key": str(v.get("key", "")),
                "name": str(v.get("name", "")),
                "name_en": str(v.get("name_en", "")),
            }
            for v in values
        ],
    }


def category_dict(c: Category, questions: list[CategoryQuestion]) -> dict[str, Any]:
    return {
        "code": c.full_code,
        "kind": c.kind,
        "name": c.name,
        "name_en": c.name_en,
        "parent": c.parent.full_code if c.parent_id else None,
        "hint": c.hint,
        "filing_standard": c.filing_standard,
        "closing_standard": c.closing_standard,
        "active": c.active,
        "questions": [_question(q) for q in questions],
    }


class CategoryListView(ApiView):
    @extend_schema(
        operation_id="categories_list",
        summary="The category catalogue as a tree",
        description=__doc__
        + "\n\nActive categories only; major classes in code order, each with its minors.",
        tags=TAGS,
        parameters=[CategoryQuery],
        responses={200: CategoryTreeSerializer(many=True), 400: ERR_400, **READ_ERRORS},
    )
    def get(self, request: Any) -> Response:
        params = query(CategoryQuery, request)
        ordered = Prefetch("questions", CategoryQuestion.objects.order_by("order", "code"))
        rows = list(category_list(kind=params.get("kind")).prefetch_related(ordered))
        majors: dict[int, dict[str, Any]] = {}
        for c in rows:
            if c.parent_id is None:
                majors[c.pk] = category_dict(c, list(c.questions.all())) | {"children": []}
        for c in rows:
            if c.parent_id in majors:
                majors[c.parent_id]["children"].append(category_dict(c, list(c.questions.all())))
        return Response(CategoryTreeSerializer(list(majors.values()), many=True).data)


class CategoryDetailView(ApiView):
    @extend_schema(
        operation_id="categories_detail",
        summary="One category with its questions",
        description="A major class lists its active minors in `children`; a minor names its `parent`.",
        tags=TAGS,
        responses={200: CategoryTreeSerializer, 404: ERR_404, **READ_ERRORS},
    )
    def get(self, request: Any, full_code: str) -> Response:
        try:
            category = category_get(full_code)
        except CatalogError as exc:
            raise exceptions.NotFound(exc.message, code=exc.code) from None
        children = []
        if category.parent_id is None:
            minors = category_list(kind=category.kind).filter(parent_id=category.pk)
            ordered = Prefetch("questions", CategoryQuestion.objects.order_by("order", "code"))
            children = [category_dict(c, list(c.questions.all())) for c in minors.prefetch_related(ordered)]
        data = category_dict(category, category_questions(category)) | {"children": children}
        return Response(CategoryTreeSerializer(data).data)
