"""``POST /api/v1/cases/``: a report from a key, a signed-in person or anyone, as ``case_report``.

Who may report, and with which ``source``:

- anyone without credentials: ``resident_web`` only, limited per address;
- a signed-in person (session): ``resident_web`` (the default; they become the reporter), or
  ``hotline`` / ``grid_patrol`` when their role allows it (the service checks role and place);
- an API key with the ``intake`` or ``write`` scope: ``other_system`` (the default); a key that acts
  for a person may also use the person's sources. Keys are limited per key.

A report with an ``Idempotency-Key`` header is created once however often it is sent.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from chuishao.actors import ApiClientActor
from chuishao.api.auth import client_address, key_scopes
from chuishao.api.limits import rate_check
from chuishao.api.v1.cases.serializers import CaseReceiptSerializer
from chuishao.cases.media import MAX_MEDIA
from chuishao.cases.models import Case, CaseMedia, Nature, Priority, Source
from chuishao.cases.presenting import expected_by
from chuishao.cases.services import case_report
from chuishao.catalog.selectors import CatalogError, category_get
from chuishao.geo.models import Jurisdiction, Kind
from chuishao.geo.selectors import jurisdiction_get_by_code
from chuishao.orgs.models import ApiKey, ApiScope

INTAKE_SOURCES = [Source.RESIDENT_WEB, Source.HOTLINE, Source.GRID_PATROL, Source.OTHER_SYSTEM]


class IntakeScope(BasePermission):
    """Anyone may report; a caller with a key needs its ``intake`` or ``write`` scope."""

    message = "The API key needs the intake (or write) scope to report cases."

    def has_permission(self, request: Any, view: Any) -> bool:
        scopes = key_scopes(request)
        return scopes is None or bool(scopes & {ApiScope.INTAKE, ApiScope.WRITE})


@extend_schema_serializer(component_name="CaseIntake")
class IntakeSerializer(serializers.Serializer):
    category = serializers.CharField(
        max_length=16, help_text="Full category code of a minor class, e.g. `S0102`; see /api/v1/categories/."
    )
    description = serializers.CharField(max_length=4000, help_text="What is wrong, in the reporter's words.")
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    address = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="Needed without a point."
    )
    city = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=40,
        help_text="Code of the city: only for a place outside every grid when several cities are served.",
    )
    nature = serializers.ChoiceField(choices=Nature.choices, default=Nature.COMPLAINT)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    source = serializers.ChoiceField(
        choices=Source.choices,
        required=False,
        help_text="Default: `other_system` for keys, `resident_web` otherwise; `hotline` and `grid_patrol` "
        "need a staff role that covers the place; `open311` is for the Open311 endpoint only.",
    )
    reporter_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    reporter_phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    reporter_email = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    anonymous = serializers.BooleanField(
        required=False, default=False, help_text="Keep the reporter's name from everyone but the reporter."
    )
    answers = serializers.DictField(
        required=False,
        default=dict,
        help_text="Answers to the category's extra questions: `{question code: value}` "
        "(a list of keys for a multivaluelist).",
    )
    keep_photo_location = serializers.BooleanField(
        required=False, default=False, help_text="Keep the GPS position stored in the photos."
    )

    def validate_category(self, value: str) -> Any:
        try:
            return category_get(value)
        except CatalogError as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from exc

    def validate_city(self, value: str) -> Jurisdiction | None:
        if not value:
            return None
        try:
            node = jurisdiction_get_by_code(code=value)
        except Jurisdiction.DoesNotExist:
            node = None
        if node is None or node.kind != Kind.CITY:
            raise serializers.ValidationError(f"No city with code {value}.", code="city.unknown")
        return node

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_lat, has_lng = attrs.get("lat") is not None, attrs.get("lng") is not None
        if has_lat != has_lng:
            raise serializers.ValidationError(
                {"lng" if has_lat else "lat": "Give both latitude and longitude, or neither."},
                code="location.incomplete",
            )
        if not has_lat and not attrs.get("address", "").strip():
            raise serializers.ValidationError(
                {"address": "Give the place: a point (lat and lng) or an address."}, code="location.missing"
            )
        return attrs


class JsonAnswersField(serializers.DictField):
    """In a multipart body the answers come as one JSON text."""

    def get_value(self, dictionary: Any) -> Any:
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            return dictionary.get(self.field_name)
        return super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> dict:
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else {}
            except ValueError:
                self.fail("not_a_dict", input_type="text that is not JSON")
        return super().to_internal_value(data)


@extend_schema_serializer(component_name="CaseIntakeWithPhotos")
class IntakeMultipartSerializer(IntakeSerializer):
    answers = JsonAnswersField(
        required=False, default=dict, help_text='The answers object as JSON text, e.g. `{"depth": 20}`.'
    )
    media = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        max_length=MAX_MEDIA,
        help_text=f"Up to {MAX_MEDIA} photos (JPEG, PNG, WebP or GIF, 5 MB each); repeat the part.",
    )


def intake_rate_check(request: Any) -> None:
    """Keys count per key; people per person; everyone else per address."""
    key = request.auth if isinstance(request.auth, ApiKey) else None
    if key is not None:
        bucket, limit = f"intake:key:{key.pk}", settings.CHUISHAO_INTAKE_RATE_PER_KEY
    elif request.user.is_authenticated:
        bucket, limit = f"intake:user:{request.user.pk}", settings.CHUISHAO_INTAKE_RATE_PER_ADDRESS
    else:
        bucket, limit = f"intake:addr:{client_address(request)}", settings.CHUISHAO_INTAKE_RATE_PER_ADDRESS
    wait = rate_check(bucket, limit)
    if wait is not None:
        raise exceptions.Throttled(wait=wait, detail=f"Too many reports; try again in {wait} seconds.")


def _source(request: Any, asked: str | None) -> str:
    actor = request.user
    by_key = isinstance(request.auth, ApiKey)
    if not actor.is_authenticated:
        allowed, default = {Source.RESIDENT_WEB}, Source.RESIDENT_WEB
    elif isinstance(actor, ApiClientActor):
        allowed, default = {Source.OTHER_SYSTEM}, Source.OTHER_SYSTEM
    elif by_key:
        allowed, default = set(INTAKE_SOURCES), Source.OTHER_SYSTEM
    else:
        allowed, default = set(INTAKE_SOURCES) - {Source.OTHER_SYSTEM}, Source.RESIDENT_WEB
    source = asked or default
    if source not in allowed:
        raise exceptions.PermissionDenied(
            f"This caller may not report with source {source}.", code="source.not_allowed"
        )
    return source


def _node(node: Any) -> dict[str, str] | None:
    return {"code": node.code, "name": node.name} if node is not None else None


def receipt(case: Case, request: Any, media_ids: list[int]) -> dict[str, Any]:
    follow = reverse("web:follow", kwargs={"number": case.number, "token": case.follow_token})
    return {
        "number": case.number,
        "url": request.build_absolute_uri(reverse("v1:case-detail", kwargs={"number": case.number})),
        "follow_url": request.build_absolute_uri(follow),
        "status": case.status,
        "status_label": case.get_status_display(),
        "source": case.source,
        "category": {
            "code": case.category.full_code,
            "name": case.category.name,
            "name_en": case.category.name_en,
        },
        "grid": _node(case.grid),
        "community": _node(case.community),
        "street": _node(case.street),
        "district": _node(case.district),
        "outside_grids": case.outside_grids,
        "boundary_case": case.boundary_case,
        "deadline_at": case.deadline_at,
        "expected_by": expected_by(case),
        "media": media_ids,
        "created_at": case.created_at,
    }


def report(request: Any) -> Response:
    """Parse the body, pick the source, call ``case_report``; 201 with the receipt."""
    multipart = (request.content_type or "").startswith("multipart/")
    serializer = (IntakeMultipartSerializer if multipart else IntakeSerializer)(data=request.data)
    serializer.is_valid(raise_exception=True)
    d = serializer.validated_data
    case = case_report(
        actor=request.user,
        source=_source(request, d.get("source")),
        category=d["category"],
        description=d["description"],
        lat=d.get("lat"),
        lng=d.get("lng"),
        address=d["address"],
        nature=d["nature"],
        priority=d["priority"],
        reporter_name=d["reporter_name"],
        reporter_phone=d["reporter_phone"],
        reporter_email=d["reporter_email"],
        anonymous=d["anonymous"],
        media=d.get("media", []),
        city=d["city"],
        answers=d["answers"],
        keep_photo_location=d["keep_photo_location"],
    )
    # The case as created (its chain's nodes load one by one: four small reads, once per report).
    media_ids = list(CaseMedia.objects.filter(case_id=case.pk).order_by("id").values_list("id", flat=True))
    body = CaseReceiptSerializer(receipt(case, request, media_ids)).data
    return Response(body, status=201, headers={"Location": body["url"]})
