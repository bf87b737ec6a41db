"""``GET /api/v1/jurisdictions/``: the jurisdiction tree (city → district → street → community → grid)
as GeoJSON, for maps and for clients that route reports themselves.

Boundaries are reference data, not personal data: every authenticated caller (a session, or a key
with the ``read`` scope) reads every node; nothing here is scoped to the caller's roles. They are not
open to anonymous callers, like the rest of the API, so that the server's cost stays with known
clients (Open311's ``services`` remain the public entry point).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import exceptions, generics, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from chuishao.api.v1.common import ERR_400, ERR_404, READ_ERRORS, ApiView, NamedChoiceField, query
from chuishao.geo.models import Jurisdiction, Kind
from chuishao.geo.selectors import jurisdiction_children, jurisdiction_get_by_code

TAGS = ["reference"]


@extend_schema_serializer(component_name="JurisdictionProperties")
class PropertiesSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    kind = NamedChoiceField(enum_name="JurisdictionKindEnum", choices=Kind.choices)
    parent = serializers.CharField(allow_null=True, help_text="Code of the node above; null for a city.")
    area_m2 = serializers.FloatField()


@extend_schema_serializer(component_name="JurisdictionGeometry")
class GeometrySerializer(serializers.Serializer):
    type = serializers.CharField(help_text="`Polygon` or `MultiPolygon` (WGS84, longitude first).")
    coordinates = serializers.ListField(child=serializers.JSONField())


@extend_schema_serializer(component_name="JurisdictionFeature")
class FeatureSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Always `Feature`.")
    id = serializers.CharField(help_text="The node's code.")
    properties = PropertiesSerializer()
    geometry = GeometrySerializer(allow_null=True, help_text="The boundary; null with `geometry=0`.")


class JurisdictionQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices, required=False, help_text="Only nodes of this kind.")
    parent = serializers.CharField(
        required=False, max_length=32, help_text="Only the direct children of the node with this code."
    )
    geometry = serializers.BooleanField(
        required=False, default=True, help_text="`0` leaves the boundaries out (null geometry)."
    )


class DetailQuery(serializers.Serializer):
    geometry = serializers.BooleanField(
        required=False, default=True, help_text="`0` leaves the boundary out."
    )


class FeaturePages(CursorPagination):
    """Cursor pages in code order, as a FeatureCollection with the links beside the features."""

    ordering = ("code",)
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 2000

    def decode_cursor(self, request: Any) -> Any:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({"cursor": [str(exc.detail)]}, code="invalid") from exc

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "type": "FeatureCollection",
                "features": data,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["type", "features", "next", "previous"],
            "properties": {
                "type": {"type": "string", "description": "Always `FeatureCollection`."},
                "features": schema,
                "next": {**link, "description": "The next page; null on the last."},
                "previous": {**link, "description": "The page before; null on the first."},
            },
        }


def feature(node: Jurisdiction, *, geometry: bool) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": node.code,
        "properties": {
            "code": node.code,
            "name": node.name,
            "name_en": node.name_en,
            "kind": node.kind,
            "parent": node.parent.code if node.parent_id else None,
            "area_m2": node.area_m2,
        },
        "geometry": node.boundary if geometry else None,
    }


class JurisdictionListView(ApiView, generics.GenericAPIView):
    pagination_class = FeaturePages
    serializer_class = FeatureSerializer

    @extend_schema(
        operation_id="jurisdictions_list",
        summary="Jurisdictions as a GeoJSON FeatureCollection",
        description=__doc__,
        tags=TAGS,
        parameters=[JurisdictionQuery],
        responses={200: FeatureSerializer(many=True), 400: ERR_400, **READ_ERRORS},
    )
    def get(self, request: Any) -> Response:
        params = query(JurisdictionQuery, request)
        if "parent" in params:
            try:
                parent = jurisdiction_get_by_code(code=params["parent"])
            except Jurisdiction.DoesNotExist:
                raise exceptions.ValidationError(
                    {"parent": [f"No jurisdiction {params['parent']}."]}, code="not_found"
                ) from None
            nodes = jurisdiction_children(parent=parent, kind=params.get("kind"))
        else:
            nodes = Jurisdiction.objects.all()
            if "kind" in params:
                nodes = nodes.filter(kind=params["kind"])
        if not params["geometry"]:
            nodes = nodes.defer("boundary")
        page = self.paginate_queryset(nodes.select_related("parent"))
        data = [feature(node, geometry=params["geometry"]) for node in page]
        return self.get_paginated_response(FeatureSerializer(data, many=True).data)


class JurisdictionDetailView(ApiView):
    @extend_schema(
        operation_id="jurisdictions_detail",
        summary="One jurisdiction as a GeoJSON Feature",
        tags=TAGS,
        parameters=[DetailQuery],
        responses={200: FeatureSerializer, 400: ERR_400, 404: ERR_404, **READ_ERRORS},
    )
    def get(self, request: Any, code: str) -> Response:
        params = query(DetailQuery, request)
        try:
            node = jurisdiction_get_by_code(code=code)
        except Jurisdiction.DoesNotExist:
            raise exceptions.NotFound(f"No jurisdiction {code}.", code="jurisdiction.not_found") from None
        return Response(FeatureSerializer(feature(node, geometry=params["geometry"])).data)
