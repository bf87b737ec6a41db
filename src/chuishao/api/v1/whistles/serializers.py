"""Shapes of the whistle API: what a whistle, its board, a summons and the action bodies look like.

Output serializers describe (and render) the dictionaries ``present`` builds; input serializers parse
and check a body's form. ``cases.services.whistle`` decides everything else.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from chuishao.api.v1.common import MAX_ID, NamedChoiceField, NodeSerializer, OrganisationSerializer
from chuishao.cases.models import (
    AssignmentRole,
    Status,
    SummonsState,
    WhistleKind,
    WhistleReason,
    WhistleStatus,
)

VERDICTS = [
    ("on_time", "done before the deadline"),
    ("late", "done after the deadline"),
    ("overdue", "missing: past the deadline and not done"),
    ("pending", "not done yet, the deadline has not passed"),
    ("n/a", "does not apply (notified only, or released before the deadline)"),
]
TEXT = 4000


# --- output ---------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="WhistleSummary")
class WhistleSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    url = serializers.URLField(help_text="This whistle in the API.")
    kind = NamedChoiceField(enum_name="WhistleKindEnum", choices=WhistleKind.choices)
    kind_label = serializers.CharField()
    reason = NamedChoiceField(enum_name="WhistleReasonEnum", choices=WhistleReason.choices)
    reason_label = serializers.CharField()
    status = NamedChoiceField(enum_name="WhistleStatusEnum", choices=WhistleStatus.choices)
    status_label = serializers.CharField()
    description = serializers.CharField()
    street = NodeSerializer(help_text="The street that blew it.")
    joint = serializers.BooleanField(help_text="Several streets co-own it (联合吹哨).")
    cases = serializers.ListField(child=serializers.CharField(), help_text="Numbers of its cases.")
    summoned = serializers.IntegerField(help_text="How many organisations are summoned.")
    created_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="WhistleParty")
class PartySerializer(serializers.Serializer):
    street = NodeSerializer()
    district = NodeSerializer()
    initiator = serializers.BooleanField(help_text="The street that blew the whistle.")
    joined_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="WhistleCase")
class WhistleCaseSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    category = serializers.CharField(help_text="Full category code, e.g. `S0102`.")
    category_name = serializers.CharField()
    address = serializers.CharField()
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)
    grid = serializers.CharField(allow_null=True, help_text="Code of the case's grid.")


@extend_schema_serializer(component_name="WhistleRating")
class RatingSerializer(serializers.Serializer):
    on_time_report = serializers.IntegerField(min_value=1, max_value=5)
    problem_solved = serializers.IntegerField(min_value=1, max_value=5)
    attitude = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True)
    score = serializers.FloatField(help_text="The three marks on a 0–100 scale.")
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="SummonsAllowedActions")
class SummonsAllowedSerializer(serializers.Serializer):
    acknowledge = serializers.BooleanField()
    check_in = serializers.BooleanField()
    record_action = serializers.BooleanField()
    rate = serializers.BooleanField()


@extend_schema_serializer(component_name="WhistleBoardRow")
class BoardRowSerializer(serializers.Serializer):
    """One summoned organisation on the whistle's board: how it reported, against each deadline."""

    id = serializers.IntegerField(help_text="The summons id (for `/api/v1/summons/{id}/…`).")
    organisation = OrganisationSerializer()
    role = serializers.ChoiceField(choices=AssignmentRole.choices)
    state = NamedChoiceField(enum_name="SummonsStateEnum", choices=SummonsState.choices)
    state_label = serializers.CharField()
    summoned_by = NodeSerializer(help_text="The party street that summoned it (and rates it).")
    summoned_at = serializers.DateTimeField()
    acknowledge_due = serializers.DateTimeField()
    onsite_due = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    onsite_at = serializers.DateTimeField(allow_null=True)
    acted_at = serializers.DateTimeField(allow_null=True)
    released_at = serializers.DateTimeField(allow_null=True)
    acknowledge = NamedChoiceField(
        enum_name="SummonsVerdictEnum", choices=VERDICTS, help_text="Acknowledged on time, late, missing…"
    )
    onsite = NamedChoiceField(
        enum_name="SummonsVerdictEnum", choices=VERDICTS, help_text="On site on time, late, missing…"
    )
    onsite_lat = serializers.FloatField(allow_null=True)
    onsite_lng = serializers.FloatField(allow_null=True)
    distance_m = serializers.FloatField(
        allow_null=True, help_text="Metres from the check-in position to the whistle's place."
    )
    action_note = serializers.CharField(allow_blank=True, help_text="What it did, one stamped line each.")
    rating = RatingSerializer(allow_null=True)
    allowed_actions = SummonsAllowedSerializer(help_text="What the caller may do on this summons now.")


@extend_schema_serializer(component_name="WhistleAllowedActions")
class WhistleAllowedSerializer(serializers.Serializer):
    summon = serializers.BooleanField()
    join = serializers.BooleanField()
    confirm_done = serializers.BooleanField()
    cancel = serializers.BooleanField()


@extend_schema_serializer(component_name="WhistleEvent")
class WhistleEventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    verb = serializers.CharField(help_text="`whistle.blown`, `whistle.summoned`, `whistle.checked_in`, …")
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    after = serializers.DictField(help_text="What changed: ids, deadlines, distances, scores.")


@extend_schema_serializer(component_name="WhistleDetail")
class WhistleDetailSerializer(WhistleSummarySerializer):
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)
    done_note = serializers.CharField(allow_blank=True)
    parties = PartySerializer(many=True)
    case_details = WhistleCaseSerializer(many=True)
    summonses = BoardRowSerializer(many=True)
    allowed_actions = WhistleAllowedSerializer(help_text="What the caller may do on the whistle now.")
    history = WhistleEventSerializer(many=True)


@extend_schema_serializer(component_name="SummonsWhistle")
class SummonsWhistleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    url = serializers.URLField()
    kind = NamedChoiceField(enum_name="WhistleKindEnum", choices=WhistleKind.choices)
    status = NamedChoiceField(enum_name="WhistleStatusEnum", choices=WhistleStatus.choices)
    description = serializers.CharField()
    street = NodeSerializer()


@extend_schema_serializer(component_name="Summons")
class SummonsSerializer(serializers.Serializer):
    """A summons as the summoned organisation's staff see it in their inbox."""

    id = serializers.IntegerField()
    whistle = SummonsWhistleSerializer()
    organisation = OrganisationSerializer()
    role = serializers.ChoiceField(choices=AssignmentRole.choices)
    state = NamedChoiceField(enum_name="SummonsStateEnum", choices=SummonsState.choices)
    state_label = serializers.CharField()
    summoned_at = serializers.DateTimeField()
    acknowledge_due = serializers.DateTimeField()
    onsite_due = serializers.DateTimeField()
    next_due = serializers.DateTimeField(allow_null=True, help_text="The next deadline to meet, if any.")
    overdue = serializers.BooleanField(help_text="The next deadline has passed.")
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    onsite_at = serializers.DateTimeField(allow_null=True)
    distance_m = serializers.FloatField(allow_null=True)
    action_note = serializers.CharField(allow_blank=True)
    allowed_actions = SummonsAllowedSerializer()


# --- input ----------------------------------------------------------------------------------------


def _text(help_text: str, *, required: bool = True) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=TEXT, help_text=help_text)
    return serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT, help_text=help_text
    )


@extend_schema_serializer(component_name="WhistleSummonItem")
class SummonItemSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of the organisation summoned."
    )
    role = serializers.ChoiceField(
        choices=AssignmentRole.choices,
        default=AssignmentRole.LEAD,
        help_text="lead 主办, assist 协办, notify 知会.",
    )


@extend_schema_serializer(component_name="WhistleBlow")
class BlowSerializer(serializers.Serializer):
    cases = serializers.ListField(
        child=serializers.CharField(max_length=40),
        min_length=1,
        max_length=50,
        help_text="Numbers of the open cases whistled on (one street's, or one community's).",
    )
    kind = NamedChoiceField(enum_name="WhistleKindEnum", choices=WhistleKind.choices)
    reason = NamedChoiceField(enum_name="WhistleReasonEnum", choices=WhistleReason.choices)
    description = _text("What the departments are summoned for.")
    summons = SummonItemSerializer(many=True, required=False, default=list, max_length=30)
    joint_streets = serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        default=list,
        max_length=20,
        help_text="Codes of further streets that co-own the whistle (those across the cases' boundary join "
        "by themselves).",
    )


@extend_schema_serializer(component_name="WhistleJoin")
class JoinSerializer(serializers.Serializer):
    street = serializers.CharField(max_length=32, help_text="Code of the street brought in.")


@extend_schema_serializer(component_name="WhistleSummon")
class SummonSerializer(SummonItemSerializer):
    pass


@extend_schema_serializer(component_name="WhistleConfirmDone")
class ConfirmDoneSerializer(serializers.Serializer):
    note = _text("How the matter was solved.")


@extend_schema_serializer(component_name="WhistleCancel")
class CancelSerializer(serializers.Serializer):
    reason = _text("Why the whistle is called off.")


@extend_schema_serializer(component_name="WhistleRate")
class RateSerializer(serializers.Serializer):
    summons = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of the summons (the organisation) rated."
    )
    on_time_report = serializers.IntegerField(min_value=1, max_value=5, help_text="Reported on time, 1–5.")
    problem_solved = serializers.IntegerField(min_value=1, max_value=5, help_text="Solved the problem, 1–5.")
    attitude = serializers.IntegerField(min_value=1, max_value=5, help_text="Attitude, 1–5.")
    comment = _text("A comment on the organisation's work.", required=False)


@extend_schema_serializer(component_name="SummonsCheckIn")
class CheckInSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text="Where the staff member is (WGS84).")
    lng = serializers.FloatField(min_value=-180, max_value=180)


@extend_schema_serializer(component_name="SummonsRecordAction")
class RecordActionSerializer(serializers.Serializer):
    text = _text("What was done on site.")
