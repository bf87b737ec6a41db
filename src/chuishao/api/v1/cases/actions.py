"""``POST /api/v1/cases/{number}/actions/{action}/``: every step of the case loop, one path per action.

Each action has its own body (described in the schema) whose fields are the keyword arguments of its
service: the transition actions go through ``cases.services.case_act`` (with ``expected_status`` the
state the caller saw: if the case moved on meanwhile nothing happens and the answer is 409), and
supervision and chasing through their oversight services. The answer is the case as it is now.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from chuishao.api.v1.cases.common import CasesApiView
from chuishao.api.v1.cases.present import case_detail
from chuishao.api.v1.cases.serializers import CaseDetailSerializer
from chuishao.api.v1.common import MAX_ID, WRITE_ERRORS
from chuishao.cases.errors import CaseNotFound
from chuishao.cases.media import MAX_MEDIA
from chuishao.cases.models import Resolution, Satisfaction, Status
from chuishao.cases.selectors import case_get
from chuishao.cases.services import case_act, case_chase, case_supervise
from chuishao.cases.services.oversight import CHASERS, SUPERVISORS
from chuishao.cases.transitions import TABLE

OVERSIGHT: dict[str, Callable[..., Any]] = {"supervise": case_supervise, "chase": case_chase}
OVERSIGHT_ROLES = {"supervise": SUPERVISORS, "chase": CHASERS}

WHAT = {
    "verify": "A grid worker or community staff confirms on site that the problem is real (核实).",
    "self_handle": "A grid worker fixed it on the spot (自行处置); say what was done.",
    "file": "The command centre files the report as a case (立案).",
    "decline": "The command centre declines to file it (不予立案), optionally as a duplicate of a case.",
    "withdraw": "The reporter withdraws a report not yet filed.",
    "cancel": "The command centre cancels a filed case (作废).",
    "dispatch": "Send the case to a lead organisation (主办) with assisting (协办) and notified (知会) ones; "
    "the case's `dispatch_candidates` lists them.",
    "arbitrate": "The level above the dispatcher names the owner of a twice-returned case; it binds.",
    "accept": "The lead department signs for the case (签收).",
    "return": "The lead department returns a mis-dispatched case to the dispatcher (退单).",
    "refer": "A complex's board (红色物业) that cannot solve the case passes it to the street (上交街道); "
    "not a mis-dispatch: the return count stays.",
    "start": "The lead department starts work.",
    "request_extension": "The lead department asks for more working days.",
    "grant_extension": "The dispatching centre (or one above) grants the extension (default: as requested).",
    "refuse_extension": "The dispatching centre refuses the extension.",
    "handle": "The lead department reports the work done, with photos as evidence (multipart `evidence`).",
    "check": "A grid worker or community staff checks the work on site (核查), with optional photos.",
    "rework": "The work is sent back to be redone (返工).",
    "close": "The command centre closes a checked case (结案).",
    "rate": "A command centre records the reporter's verdict from a callback (回访). "
    "Reporters use POST /api/v1/cases/{number}/rating/.",
    "reopen": "The command centre reopens a case rated unsatisfied, within the reopen window.",
    "park": "A district or city centre parks the case (挂账): it stays open, its deadline stops.",
    "unpark": "A district or city centre resumes a parked case.",
    "supervise": "A district or city centre, or a leader, puts the case under supervision (督办).",
    "chase": "A higher level urges the owner on (催办); every reminder is counted.",
}
assert set(WHAT) == set(TABLE) | set(OVERSIGHT), "every action is described"


def _text(required: bool, help_text: str) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=4000, help_text=help_text)
    return serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4000, help_text=help_text
    )


def _orgs(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        help_text=help_text,
    )


def _evidence() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        max_length=MAX_MEDIA,
        help_text=f"Up to {MAX_MEDIA} photos (JPEG, PNG, WebP or GIF); repeat the part.",
    )


def _reason(action: str) -> serializers.CharField:
    return _text(TABLE[action].needs_reason, "Why (shown to the reporter for a decline or a withdrawal).")


def _fields(action: str) -> dict[str, serializers.Field]:
    """The action's own fields: the keyword arguments of its service."""
    note = _text(False, "A note for the timeline.")
    lead = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of the lead organisation (主办)."
    )
    return {
        "verify": {"note": note},
        "self_handle": {"note": _text(True, "What was done on the spot.")},
        "file": {"note": note},
        "decline": {
            "reason": _reason("decline"),
            "duplicate_of": serializers.CharField(
                required=False, allow_blank=True, default="", help_text="Number of the case this duplicates."
            ),
        },
        "withdraw": {"reason": _reason("withdraw")},
        "cancel": {"reason": _reason("cancel")},
        "dispatch": {
            "lead": lead,
            "assisting": _orgs("Ids of assisting organisations (协办)."),
            "notify": _orgs("Ids of organisations notified only (知会)."),
            "note": note,
        },
        "arbitrate": {
            "lead": lead,
            "assisting": _orgs("Ids of assisting organisations (协办)."),
            "notify": _orgs("Ids of organisations notified only (知会)."),
            "reason": _text(False, "Why this organisation owns the case."),
        },
        "accept": {},
        "return": {"reason": _reason("return")},
        "refer": {"reason": _reason("refer")},
        "start": {},
        "request_extension": {
            "reason": _reason("request_extension"),
            "working_days": serializers.DecimalField(
                max_digits=4,
                decimal_places=1,
                min_value=Decimal("0.5"),
                max_value=60,
                help_text="Working days asked.",
            ),
        },
        "grant_extension": {
            "working_days": serializers.DecimalField(
                max_digits=4,
                decimal_places=1,
                min_value=Decimal("0.5"),
                max_value=60,
                required=False,
                help_text="Working days granted (default: as requested).",
            ),
            "note": note,
        },
        "refuse_extension": {"reason": _reason("refuse_extension")},
        "handle": {"result": _text(True, "What was done.")},
        "check": {"note": note},
        "rework": {"reason": _reason("rework")},
        "close": {"note": note},
        "rate": {
            "satisfaction": serializers.ChoiceField(choices=Satisfaction.choices),
            "resolution": serializers.ChoiceField(choices=Resolution.choices),
            "comment": _text(False, "What the reporter said."),
        },
        "reopen": {"reason": _reason("reopen")},
        "park": {"reason": _reason("park")},
        "unpark": {"note": note},
        "supervise": {"note": _text(True, "What the level above expects of the owner.")},
        "chase": {"note": _text(True, "What the level above expects of the owner.")},
    }[action]


FILE_ACTIONS = {"handle", "check"}


def _camel(action: str) -> str:
    return "".join(part.capitalize() for part in action.split("_"))


class ActionInput(serializers.Serializer):
    """Checks shared by the actions' bodies."""

    def validate_expected_status(self, value: str) -> str:
        if value not in Status.values:
            raise serializers.ValidationError(f"Unknown state {value}.", code="invalid_choice")
        return value

    def validate_duplicate_of(self, value: str) -> int | None:
        number = (value or "").strip()
        if not number:
            return None
        try:
            return case_get(actor=self.context["actor"], number=number).pk
        except CaseNotFound as exc:
            raise serializers.ValidationError(exc.message, code="case.not_found") from exc


def _serializer(action: str, *, with_files: bool) -> type[serializers.Serializer]:
    fields: dict[str, Any] = dict(_fields(action))
    if action not in OVERSIGHT:
        # Text, not an enum: the states' enum is the case's ``status`` (one name per choice set).
        fields["expected_status"] = serializers.CharField(
            required=False,
            max_length=24,
            help_text="The state you saw (a case `status`); if the case has moved on since, nothing "
            "happens and the answer is 409.",
        )
    if with_files:
        fields["evidence"] = _evidence()
    name = f"CaseAction{_camel(action)}{'WithPhotos' if with_files else ''}"
    doc = f"Body of the `{action}` action" + (" with photos (multipart)." if with_files else ".")
    cls = type(f"{name}Serializer", (ActionInput,), {**fields, "__doc__": doc})
    return extend_schema_serializer(component_name=name)(cls)


INPUTS = {a: _serializer(a, with_files=False) for a in WHAT}
MULTIPART_INPUTS = {a: _serializer(a, with_files=True) for a in FILE_ACTIONS}


class CaseActionView(CasesApiView):
    case_action = ""

    def post(self, request: Any, number: str) -> Response:
        actor = request.user
        case = case_get(actor=actor, number=number)
        multipart = (request.content_type or "").startswith("multipart/")
        inputs = MULTIPART_INPUTS if multipart and self.case_action in MULTIPART_INPUTS else INPUTS
        serializer = inputs[self.case_action](data=request.data, context={"actor": actor})
        serializer.is_valid(raise_exception=True)
        params = dict(serializer.validated_data)
        if self.case_action in OVERSIGHT:
            OVERSIGHT[self.case_action](case=case, actor=actor, **params)
        else:
            expected = params.pop("expected_status", None)
            case_act(case=case, action=self.case_action, actor=actor, expected_status=expected, **params)
        case = case_get(actor=actor, number=number)
        return Response(CaseDetailSerializer(case_detail(case, actor=actor, request=request)).data)


def _request_schema(action: str) -> dict[str, Any]:
    if action in FILE_ACTIONS:
        return {"application/json": INPUTS[action], "multipart/form-data": MULTIPART_INPUTS[action]}
    return {"application/json": INPUTS[action]}


def action_view(action: str) -> Callable[..., Any]:
    """The view of one action, with its own body in the schema."""
    roles = ", ".join(sorted(TABLE[action].roles if action in TABLE else OVERSIGHT_ROLES[action]))
    description = f"{WHAT[action]}\n\nRoles: {roles}. The answer is the case after the action."
    if action in TABLE:
        sources = ", ".join(sorted(TABLE[action].sources))
        description += f" Allowed from: {sources}."
    schema = extend_schema(
        operation_id=f"cases_action_{action}",
        summary=f"Case action: {action}",
        description=description,
        tags=["cases: actions"],
        request=_request_schema(action),
        responses={200: CaseDetailSerializer, **WRITE_ERRORS},
    )

    def post(self: CaseActionView, request: Any, number: str) -> Response:
        return CaseActionView.post(self, request, number)

    view = type(
        f"CaseAction{_camel(action)}View", (CaseActionView,), {"case_action": action, "post": schema(post)}
    )
    return view.as_view()


class UnknownActionView(CasesApiView):
    def post(self, request: Any, number: str, action: str) -> Response:
        raise exceptions.NotFound(
            f"No action {action}; the actions are {', '.join(sorted(WHAT))}.", code="action.unknown"
        )


unknown_action_view = extend_schema(exclude=True)(UnknownActionView).as_view()
