"""Shapes of the cases API: what a list row, a case, a receipt and a rating look like.

Output serializers only describe (and render) the dictionaries ``present`` builds; input serializers
parse and check the request's form. The case services decide everything else.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from chuishao.api.v1.common import NodeSerializer, OrganisationSerializer
from chuishao.cases.models import AssignmentRole, Nature, Priority, Resolution, Satisfaction, Source, Status


@extend_schema_serializer(component_name="CaseCategory")
class CategorySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Full code, e.g. `S0102` (events) or `B0101` (components).")
    name = serializers.CharField()
    name_en = serializers.CharField()


@extend_schema_serializer(component_name="CaseDispatchCandidate")
class CandidateSerializer(OrganisationSerializer):
    kind = serializers.CharField()
    jurisdiction = NodeSerializer()


@extend_schema_serializer(component_name="CaseAssignedOrganisation")
class AssignedOrganisationSerializer(OrganisationSerializer):
    role = serializers.ChoiceField(choices=AssignmentRole.choices)
    role_label = serializers.CharField()


@extend_schema_serializer(component_name="CaseSummary")
class CaseSummarySerializer(serializers.Serializer):
    number = serializers.CharField()
    url = serializers.URLField(help_text="This case in the API.")
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField(help_text="The state in the caller's language.")
    source = serializers.ChoiceField(choices=Source.choices)
    nature = serializers.ChoiceField(choices=Nature.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    category = CategorySerializer()
    description = serializers.CharField()
    address = serializers.CharField()
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)
    grid = NodeSerializer(allow_null=True)
    community = NodeSerializer(allow_null=True)
    street = NodeSerializer(allow_null=True)
    district = NodeSerializer(allow_null=True)
    lead_org = OrganisationSerializer(allow_null=True, help_text="The lead organisation (主办).")
    stage = serializers.CharField(help_text="The stage whose deadline runs (verify, dispatch, accept, …).")
    deadline_at = serializers.DateTimeField(allow_null=True)
    deadline_colour = serializers.ChoiceField(
        choices=["", "green", "yellow", "red"],
        help_text="`red` past the deadline, `yellow` from 80 % of it, `green` before; empty: none runs.",
    )
    warn_level = serializers.ChoiceField(
        choices=["", "yellow", "red"], help_text="The colour the deadline sweep wrote."
    )
    escalated_to = NodeSerializer(allow_null=True, help_text="The level an overdue case went up to.")
    supervised = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class CountsSerializer(serializers.Serializer):
    returns = serializers.IntegerField()
    reworks = serializers.IntegerField()
    reopens = serializers.IntegerField()
    extensions = serializers.IntegerField()
    escalations = serializers.IntegerField()
    chases = serializers.IntegerField()


@extend_schema_serializer(component_name="CaseRating")
class RatingSerializer(serializers.Serializer):
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, allow_blank=True)
    resolution = serializers.ChoiceField(choices=Resolution.choices, allow_blank=True)
    comment = serializers.CharField()
    rated_at = serializers.DateTimeField(allow_null=True)
    expired = serializers.BooleanField(help_text="No rating came within the feedback window.")


class ReporterSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Masked (张*) unless the caller's role calls reporters back.")
    phone = serializers.CharField(help_text="Masked (138****1234) unless the caller's role calls back.")
    email = serializers.CharField(help_text="Masked (z***@example.org) unless the caller's role calls back.")
    anonymous = serializers.BooleanField(help_text="The reporter asked to stay anonymous.")
    is_you = serializers.BooleanField(help_text="The caller reported this case.")


@extend_schema_serializer(component_name="CaseMedia")
class MediaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    purpose = serializers.CharField(help_text="`report`, `handling` (evidence) or `check`.")
    content_type = serializers.CharField()
    created_at = serializers.DateTimeField()
    url = serializers.URLField()


@extend_schema_serializer(component_name="CaseTimelineStep")
class TimelineStepSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="Position in the case's event chain.")
    at = serializers.DateTimeField()
    verb = serializers.CharField(help_text="Event verb, e.g. `case.dispatch`.")
    what = serializers.CharField(help_text="The verb in words, in the caller's language.")
    actor = serializers.CharField(
        help_text="Staff see the colleague and office; residents see the office only; never the reporter."
    )
    reason = serializers.CharField()
    status_before = serializers.CharField()
    status_after = serializers.CharField()
    data = serializers.DictField(
        help_text="Safe parts of the change (organisation, node and media ids, counts, deadlines)."
    )


@extend_schema_serializer(component_name="CaseDetail")
class CaseDetailSerializer(CaseSummarySerializer):
    answers = serializers.DictField(help_text="Answers to the category's extra questions.")
    city = NodeSerializer(allow_null=True)
    outside_grids = serializers.BooleanField()
    boundary_case = serializers.BooleanField()
    nearby_jurisdictions = serializers.ListField(child=serializers.CharField())
    deadline_provisional = serializers.BooleanField()
    expected_by = serializers.DateTimeField(allow_null=True, help_text="When the reporter may expect it.")
    suggested_org = OrganisationSerializer(allow_null=True)
    organisations = AssignedOrganisationSerializer(many=True, help_text="Lead, assisting and notified.")
    counts = CountsSerializer()
    rating = RatingSerializer()
    duplicate_of = serializers.CharField(allow_null=True)
    reporter = ReporterSerializer()
    allowed_actions = serializers.ListField(
        child=serializers.CharField(),
        help_text="Actions the caller may take now: POST /api/v1/cases/{number}/actions/{action}/.",
    )
    dispatch_candidates = CandidateSerializer(
        many=True,
        help_text="Organisations the case can be dispatched to (only when the caller may dispatch).",
    )
    media = MediaSerializer(many=True)
    timeline = TimelineStepSerializer(many=True)


@extend_schema_serializer(component_name="CaseReceipt")
class CaseReceiptSerializer(serializers.Serializer):
    number = serializers.CharField()
    url = serializers.URLField(help_text="The case in the API (for callers who may read it).")
    follow_url = serializers.URLField(
        help_text="The reporter's private link to follow and rate the case; give it only to the reporter."
    )
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    source = serializers.ChoiceField(choices=Source.choices)
    category = CategorySerializer()
    grid = NodeSerializer(allow_null=True)
    community = NodeSerializer(allow_null=True)
    street = NodeSerializer(allow_null=True)
    district = NodeSerializer(allow_null=True)
    outside_grids = serializers.BooleanField()
    boundary_case = serializers.BooleanField()
    deadline_at = serializers.DateTimeField(allow_null=True)
    expected_by = serializers.DateTimeField(allow_null=True)
    media = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the stored photos.")
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="CaseRatingInput")
class RateInputSerializer(serializers.Serializer):
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
