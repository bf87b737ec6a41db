"""Every (state, action, role) combination of the transition table is allowed or refused as specified."""

from __future__ import annotations

import datetime as dt

import pytest

from chuishao.cases.errors import CaseConflict, CaseError, CaseInvalid, CaseNotFound, CasePermissionDenied
from chuishao.cases.models import Case, Status
from chuishao.cases.services import case_act
from chuishao.cases.transitions import TABLE
from chuishao.events.models import Event
from chuishao.orgs.models import Role

# One person per role whose scope covers a case in grid 110901001001001 (district A).
ACTOR_OF_ROLE = {
    Role.RESIDENT: "resident",
    Role.GRID_WORKER: "grid-a",
    Role.COMMUNITY_STAFF: "community-a",
    Role.STREET_DISPATCHER: "street-a",
    Role.DEPARTMENT_STAFF: "um-a",
    Role.DISTRICT_CENTRE: "district-a",
    Role.CITY_CENTRE: "city",
    Role.LEADER: "leader",
    Role.ADMIN: "admin",
}

# How to reach each state from a fresh resident report: (action, actor, params) steps.
PATHS: dict[str, list[tuple[str, str, dict]]] = {}
_to_dispatched = [("file", "street-a", {}), ("dispatch", "street-a", {"lead": "um-110901"})]
_to_handling = [*_to_dispatched, ("accept", "um-a", {}), ("start", "um-a", {})]
_to_handled = [*_to_handling, ("handle", "um-a", {"result": "已清运"})]
_to_closed = [*_to_handled, ("check", "grid-a", {}), ("close", "street-a", {})]
_to_rated = [*_to_closed, ("rate", "resident", {"satisfaction": "basically", "resolution": "partly"})]
_returned = ("return", "um-a", {"reason": "不属于本部门"})
PATHS.update(
    {
        Status.REPORTED: [],
        Status.VERIFIED: [("verify", "grid-a", {})],
        Status.FILED: [("file", "street-a", {})],
        Status.DECLINED: [("decline", "street-a", {"reason": "信息不足"})],
        Status.CANCELLED: [("withdraw", "resident", {"reason": "已自行解决"})],
        Status.DISPATCHED: _to_dispatched,
        Status.ACCEPTED: [*_to_dispatched, ("accept", "um-a", {})],
        Status.RETURNED: [*_to_dispatched, ("return", "um-a", {"reason": "不属于本部门"})],
        Status.HANDLING: _to_handling,
        Status.EXTENSION_REQUESTED: [
            *_to_handling,
            ("request_extension", "um-a", {"reason": "等材料", "working_days": 3}),
        ],
        Status.HANDLED: _to_handled,
        Status.CHECKED: [*_to_handled, ("check", "grid-a", {})],
        Status.REWORKED: [*_to_handled, ("rework", "grid-a", {"reason": "未清理干净"})],
        Status.CLOSED: _to_closed,
        Status.RATED: _to_rated,
        # An unsatisfied verdict reopens the case by itself.
        Status.REOPENED: [
            *_to_closed,
            ("rate", "resident", {"satisfaction": "unsatisfied", "resolution": "partly"}),
        ],
        # The second return of the same case goes up for arbitration.
        Status.ARBITRATION: [
            *_to_dispatched,
            _returned,
            ("dispatch", "street-a", {"lead": "um-110901"}),
            _returned,
        ],
        Status.PARKED: [("file", "street-a", {}), ("park", "district-a", {"reason": "待冬季施工"})],
        Status.SELF_HANDLED: [("verify", "grid-a", {}), ("self_handle", "grid-a", {"note": "当场清理"})],
    }
)

# Valid parameters for each action.
PARAMS = {
    "decline": {"reason": "重复"},
    "withdraw": {"reason": "不需要了"},
    "cancel": {"reason": "误报"},
    "dispatch": {"lead": "um-110901"},
    "arbitrate": {"lead": "um-110901"},
    "return": {"reason": "不属于本部门"},
    "refer": {"reason": "联席会无法解决，上交街道"},
    "request_extension": {"reason": "需要协调", "working_days": 2},
    "refuse_extension": {"reason": "理由不足"},
    "handle": {"result": "已处理"},
    "rework": {"reason": "未达标"},
    "rate": {"satisfaction": "satisfied", "resolution": "solved"},
    "reopen": {"reason": "居民不满意"},
    "park": {"reason": "资金未到位"},
    "self_handle": {"note": "顺手处理"},
}
# Where the state goes when an action returns to the saved state.
RESUME = {
    ("grant_extension", Status.EXTENSION_REQUESTED): Status.HANDLING,
    ("refuse_extension", Status.EXTENSION_REQUESTED): Status.HANDLING,
    ("unpark", Status.PARKED): Status.FILED,
}
# Allowed by the table but refused by a rule: a case may be reopened only after an unsatisfied rating.
RULE_REFUSED = {("reopen", Status.CLOSED), ("reopen", Status.RATED)}


def _params(city, action: str, params: dict) -> dict:
    resolved = dict(params)
    if "lead" in resolved:
        resolved["lead"] = city.orgs[resolved["lead"]]
    return resolved


def _bring(city, report, state: str) -> Case:
    case = report()
    for action, who, params in PATHS[state]:
        case = case_act(case=case, action=action, actor=city.people[who], **_params(city, action, params))
    case.refresh_from_db()
    assert case.status == state
    return case


@pytest.mark.parametrize("state", list(PATHS))
def test_every_action_and_role_from_state(city, report, state):
    fixed = _bring(city, report, state)
    failures = []
    for action, transition in TABLE.items():
        for role, username in ACTOR_OF_ROLE.items():
            actor = city.people[username]
            # No case of this city is led by a complex's board: actions only a board's case allows
            # (refer) are refused here by the lead's kind; tests/party plays them on a board's case.
            kind_refused = bool(transition.lead_kinds)
            allowed = state in transition.sources and role in transition.roles and not kind_refused
            if allowed and (action, state) not in RULE_REFUSED:
                case = _bring(city, report, state)
                events = case.chain_seq
                case_act(
                    case=case, action=action, actor=actor, **_params(city, action, PARAMS.get(action, {}))
                )
                case.refresh_from_db()
                expected = RESUME.get((action, state), transition.target)
                if case.status != expected:
                    failures.append(f"{state} --{action}/{role}--> {case.status}, expected {expected}")
                if (
                    case.chain_seq != events + 1
                    or Event.objects.filter(case_id=case.pk).count() != events + 1
                ):
                    failures.append(f"{state} --{action}/{role}: no single event written")
                continue
            before_events = Event.objects.filter(case_id=fixed.pk).count()
            with pytest.raises(CaseError) as refused:
                case_act(
                    case=fixed, action=action, actor=actor, **_params(city, action, PARAMS.get(action, {}))
                )
            error = refused.value
            if (action, state) in RULE_REFUSED and role in transition.roles:
                expected_type: type = CaseInvalid
            elif role not in transition.roles or (kind_refused and state in transition.sources):
                expected_type = (CasePermissionDenied, CaseNotFound)  # type: ignore[assignment]
            else:
                expected_type = (CaseConflict, CaseNotFound)  # type: ignore[assignment]
            if not isinstance(error, expected_type):
                failures.append(f"{state} --{action}/{role}: refused with {type(error).__name__}: {error}")
            fixed.refresh_from_db()
            if fixed.status != state or Event.objects.filter(case_id=fixed.pk).count() != before_events:
                failures.append(f"{state} --{action}/{role}: a refused action changed the case")
    assert not failures, "\n".join(failures)


def test_department_outside_the_case_cannot_see_it(city, report):
    case = _bring(city, report, Status.DISPATCHED)
    with pytest.raises(CaseNotFound):
        case_act(case=case, action="accept", actor=city.people["water-a"])
    with pytest.raises(CaseNotFound):
        case_act(case=case, action="accept", actor=city.people["um-b"])


def test_reason_is_required_where_the_table_says(city, report):
    case = _bring(city, report, Status.DISPATCHED)
    with pytest.raises(CaseInvalid):
        case_act(case=case, action="return", actor=city.people["um-a"], reason="  ")
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED


def test_second_return_counts(city, report):
    case = _bring(city, report, Status.RETURNED)
    case_act(case=case, action="dispatch", actor=city.people["street-a"], lead=city.orgs["um-110901"])
    case_act(case=case, action="return", actor=city.people["um-a"], reason="仍然不是我们的")
    case.refresh_from_db()
    assert case.return_count == 2
    assert case.lead_org_id is None


def test_deadlines_follow_the_stages(city, report):
    case = _bring(city, report, Status.DISPATCHED)
    assert case.stage == "accept"
    handle_due = case.deadlines["handle"]["due"]
    assert case.deadlines["dispatch"]["met"] is not None
    case_act(case=case, action="accept", actor=city.people["um-a"])
    case.refresh_from_db()
    # Handling runs on the clock fixed at dispatch.
    assert case.stage == "handle"
    assert case.deadline_at == dt.datetime.fromisoformat(handle_due)
    case_act(
        case=case, action="request_extension", actor=city.people["um-a"], reason="等材料", working_days=2
    )
    case_act(case=case, action="grant_extension", actor=city.people["street-a"])
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert case.deadline_at > dt.datetime.fromisoformat(handle_due)
    assert case.extension_count == 1


def test_parking_suspends_the_running_stage_without_meeting_it(city, report):
    case = _bring(city, report, Status.FILED)
    case_act(case=case, action="park", actor=city.people["district-a"], reason="资金未到位")
    case.refresh_from_db()
    assert case.deadline_at is None and case.stage == ""
    assert case.deadlines["dispatch"]["met"] is None
    case_act(case=case, action="unpark", actor=city.people["district-a"])
    case.refresh_from_db()
    assert case.status == Status.FILED and case.stage == "dispatch" and case.deadline_at is not None


def test_dispatch_only_to_organisations_that_handle_cases_in_this_city(city, report):
    from chuishao.geo.models import Jurisdiction
    from chuishao.orgs.services import organisation_upsert

    other_city = Jurisdiction.objects.create(kind="city", code="990000", name="别市", boundary={})
    elsewhere = organisation_upsert(
        actor=city.people["admin"],
        code="other-um",
        kind="department",
        name="别市城管",
        jurisdiction=other_city,
        dept_type="urban_management",
    )
    case = _bring(city, report, Status.FILED)
    for lead, assisting in [
        (elsewhere, []),
        (city.orgs["centre"], []),
        (city.orgs["um-110901"], [elsewhere]),
    ]:
        with pytest.raises(CaseInvalid):
            case_act(
                case=case, action="dispatch", actor=city.people["street-a"], lead=lead, assisting=assisting
            )
    case.refresh_from_db()
    assert case.status == Status.FILED and case.lead_org_id is None


def test_reopening_asks_the_reporter_again(city, report):
    case = _bring(city, report, Status.REOPENED)
    assert (case.satisfaction, case.resolution) == ("", "")
    for action, who, params in _to_closed[1:]:  # a reopened case is dispatched again, not filed
        case_act(case=case, action=action, actor=city.people[who], **_params(city, action, params))
    with pytest.raises(CaseInvalid, match="unsatisfied"):
        case_act(case=case, action="reopen", actor=city.people["street-a"], reason="再次重开")


def test_handling_evidence_must_be_photos(city, report):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = _bring(city, report, Status.HANDLING)
    pdf = SimpleUploadedFile("x.pdf", b"%PDF", content_type="application/pdf")
    with pytest.raises(CaseInvalid, match="not a photo"):
        case_act(case=case, action="handle", actor=city.people["um-a"], result="已处理", evidence=[pdf])
    case.refresh_from_db()
    assert case.status == Status.HANDLING
