"""POST /api/v1/cases/{number}/actions/{action}/ and /rating/: every action family, with its event."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chuishao.cases.models import Case, CaseAssignment, CaseMedia
from chuishao.events.models import Event
from tests.api.rest_cases_helpers import (
    CASES,
    TO_CLOSED,
    TO_DISPATCHED,
    TO_HANDLED,
    TO_HANDLING,
    advance,
    fields_of,
    key_client,
    png,
    session_client,
)


def act(city, who: str, case: Case, action: str, data: dict | None = None, **kwargs):
    client = session_client(city, who)
    fmt = kwargs.pop("format", "json")
    return client.post(f"{CASES}{case.number}/actions/{action}/", data or {}, format=fmt, **kwargs)


def done(response, status: str) -> dict:
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == status
    return data


def last_event(case: Case) -> Event:
    return Event.objects.filter(case_id=case.pk).order_by("-seq").first()


def assert_event(case: Case, verb: str, person) -> Event:
    event = last_event(case)
    assert (event.verb, event.actor_id) == (verb, person.pk)
    return event


def test_verify_and_self_handle_by_the_grid_worker(city, report):
    case = report()
    done(act(city, "grid-a", case, "verify", {"note": "到现场看了"}), "verified")
    assert assert_event(case, "case.verify", city.people["grid-a"]).reason == "到现场看了"
    refused = act(city, "grid-a", case, "self_handle", {})
    assert refused.status_code == 400 and "required" in fields_of(refused)["note"]
    data = done(act(city, "grid-a", case, "self_handle", {"note": "当场清理"}), "self_handled")
    assert_event(case, "case.self_handle", city.people["grid-a"])
    assert data["allowed_actions"] == []


def test_file_decline_as_duplicate_and_withdraw(city, report):
    first, second, third = report(), report(), report()
    done(act(city, "street-a", first, "file", {"note": "立案"}), "filed")
    assert_event(first, "case.file", city.people["street-a"])
    no_reason = act(city, "street-a", second, "decline", {})
    assert no_reason.status_code == 400 and "required" in fields_of(no_reason)["reason"]
    unknown = act(city, "street-a", second, "decline", {"reason": "重复", "duplicate_of": "20990101999999"})
    assert unknown.status_code == 400 and "case.not_found" in fields_of(unknown)["duplicate_of"]
    data = done(
        act(city, "street-a", second, "decline", {"reason": "重复", "duplicate_of": first.number}), "declined"
    )
    assert data["duplicate_of"] == first.number
    assert assert_event(second, "case.decline", city.people["street-a"]).after["duplicate_of_id"] == first.pk
    done(act(city, "resident", third, "withdraw", {"reason": "自己解决了"}), "cancelled")
    assert_event(third, "case.withdraw", city.people["resident"])


def test_dispatch_with_assisting_and_notified_organisations_then_cancel(city, report):
    case = advance(city, report(), [("file", "street-a", {})])
    orgs = city.orgs
    body = {
        "lead": orgs["um-110901"].pk,
        "assisting": [orgs["water-110901"].pk],
        "notify": [orgs["env-110901"].pk],
        "note": "请城管牵头",
    }
    data = done(act(city, "street-a", case, "dispatch", body), "dispatched")
    assert data["lead_org"]["code"] == "um-110901"
    assert {(o["code"], o["role"]) for o in data["organisations"]} == {
        ("um-110901", "lead"),
        ("water-110901", "assist"),
        ("env-110901", "notify"),
    }
    event = assert_event(case, "case.dispatch", city.people["street-a"])
    assert event.after["assisting"] == [orgs["water-110901"].pk] and event.after["note"] == "请城管牵头"
    # The assisting department now sees the case; the lead is told apart.
    seen = session_client(city, "water-a").get(f"{CASES}{case.number}/").json()
    assert seen["allowed_actions"] == []
    done(act(city, "street-a", case, "cancel", {"reason": "误报"}), "cancelled")
    assert_event(case, "case.cancel", city.people["street-a"])
    assert not CaseAssignment.objects.filter(case=case, organisation=orgs["um-110902"]).exists()


def test_dispatch_to_an_unknown_organisation_is_refused(city, report):
    case = advance(city, report(), [("file", "street-a", {})])
    response = act(city, "street-a", case, "dispatch", {"lead": 999999})
    assert response.status_code == 400 and response.json()["code"] == "case.invalid"
    missing = act(city, "street-a", case, "dispatch", {})
    assert missing.status_code == 400 and "required" in fields_of(missing)["lead"]
    assert Case.objects.get(pk=case.pk).status == "filed"


def test_accept_return_and_arbitration_of_a_second_return(city, report):
    case = advance(city, report(), TO_DISPATCHED)
    done(act(city, "um-a", case, "return", {"reason": "不属于本部门"}), "returned")
    assert_event(case, "case.return", city.people["um-a"])
    um = city.orgs["um-110901"].pk
    done(act(city, "street-a", case, "dispatch", {"lead": um}), "dispatched")
    done(act(city, "um-a", case, "return", {"reason": "还是不归我们"}), "arbitration")
    # The street that dispatched may not decide; the district above it does.
    refused = act(city, "street-a", case, "arbitrate", {"lead": um})
    assert refused.status_code == 403 and refused.json()["code"] == "case.permission_denied"
    done(act(city, "district-a", case, "arbitrate", {"lead": um, "reason": "按清单归城管"}), "dispatched")
    assert_event(case, "case.arbitrate", city.people["district-a"])
    done(act(city, "um-a", case, "accept"), "accepted")
    assert_event(case, "case.accept", city.people["um-a"])
    bound = act(city, "um-a", case, "return", {"reason": "再退"})
    assert bound.status_code == 409


def test_start_and_handle_with_photo_evidence(city, report):
    case = advance(city, report(), [*TO_DISPATCHED, ("accept", "um-a", {})])
    done(act(city, "um-a", case, "start"), "handling")
    assert_event(case, "case.start", city.people["um-a"])
    fake = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
    refused = act(city, "um-a", case, "handle", {"result": "已清运", "evidence": [fake]}, format="multipart")
    assert refused.status_code == 400 and "not a photo" in refused.json()["detail"]
    data = done(
        act(
            city,
            "um-a",
            case,
            "handle",
            {"result": "已清运", "evidence": [png(), png("b.png")]},
            format="multipart",
        ),
        "handled",
    )
    event = assert_event(case, "case.handle", city.people["um-a"])
    handling = list(CaseMedia.objects.filter(case=case, purpose="handling").values_list("pk", flat=True))
    assert len(handling) == 2 and event.after["media"] == handling
    assert {m["id"] for m in data["media"] if m["purpose"] == "handling"} == set(handling)


def test_extension_requested_then_granted_or_refused(city, report):
    first = advance(city, report(), TO_HANDLING)
    done(
        act(city, "um-a", first, "request_extension", {"reason": "等材料", "working_days": "3"}),
        "extension_requested",
    )
    assert_event(first, "case.request_extension", city.people["um-a"])
    bad = act(city, "street-a", first, "grant_extension", {"working_days": 0})
    assert bad.status_code == 400 and "min_value" in fields_of(bad)["working_days"]
    data = done(act(city, "street-a", first, "grant_extension", {"note": "同意"}), "handling")
    assert data["counts"]["extensions"] == 1
    assert (
        assert_event(first, "case.grant_extension", city.people["street-a"]).after["granted_working_days"]
        == "3.0"
    )
    second = advance(city, report(), TO_HANDLING)
    act(city, "um-a", second, "request_extension", {"reason": "等材料", "working_days": 2})
    done(act(city, "street-a", second, "refuse_extension", {"reason": "抓紧办"}), "handling")
    assert_event(second, "case.refuse_extension", city.people["street-a"])


def test_check_with_a_photo_rework_and_close(city, report):
    case = advance(city, report(), TO_HANDLED)
    done(act(city, "grid-a", case, "rework", {"reason": "没扫干净"}), "reworked")
    assert_event(case, "case.rework", city.people["grid-a"])
    advance(city, case, [("handle", "um-a", {"result": "重新清扫"})])
    done(
        act(city, "grid-a", case, "check", {"note": "干净了", "evidence": [png()]}, format="multipart"),
        "checked",
    )
    assert_event(case, "case.check", city.people["grid-a"])
    assert CaseMedia.objects.filter(case=case, purpose="check").count() == 1
    done(act(city, "street-a", case, "close"), "closed")
    assert_event(case, "case.close", city.people["street-a"])


def test_park_and_unpark_by_the_district(city, report):
    case = advance(city, report(), [("file", "street-a", {})])
    done(act(city, "district-a", case, "park", {"reason": "待冬季施工"}), "parked")
    assert_event(case, "case.park", city.people["district-a"])
    done(act(city, "district-a", case, "unpark", {"note": "开春了"}), "filed")
    assert_event(case, "case.unpark", city.people["district-a"])


def test_supervise_and_chase_by_higher_levels(city, report):
    case = advance(city, report(), TO_DISPATCHED)
    data = done(act(city, "district-a", case, "supervise", {"note": "三天内办结"}), "dispatched")
    assert data["supervised"] and "supervise" not in data["allowed_actions"]
    assert_event(case, "case.supervised", city.people["district-a"])
    again = act(city, "district-a", case, "supervise", {"note": "再督办"})
    assert again.status_code == 409 and again.json()["code"] == "case.conflict"
    data = done(act(city, "street-a", case, "chase", {"note": "抓紧"}), "dispatched")
    assert data["counts"]["chases"] == 1
    assert assert_event(case, "case.chased", city.people["street-a"]).after["chase_count"] == 1
    refused = act(city, "resident", case, "chase", {"note": "快点"})
    assert refused.status_code == 403 and refused.json()["code"] == "case.permission_denied"


def test_the_reporter_rates_and_an_unsatisfied_verdict_reopens(city, report):
    case = advance(city, report(), TO_CLOSED)
    url = f"{CASES}{case.number}/rating/"
    staff = session_client(city, "street-a").post(url, {"satisfaction": "satisfied", "resolution": "solved"})
    assert staff.status_code == 403 and staff.json()["code"] == "case.not_reporter"
    stranger = session_client(city, "resident2").post(
        url, {"satisfaction": "satisfied", "resolution": "solved"}
    )
    assert stranger.status_code == 404
    bad = session_client(city, "resident").post(
        url, {"satisfaction": "meh", "resolution": "solved"}, format="json"
    )
    assert bad.status_code == 400 and "invalid_choice" in fields_of(bad)["satisfaction"]
    response = session_client(city, "resident").post(
        url, {"satisfaction": "unsatisfied", "resolution": "partly", "comment": "还有味"}, format="json"
    )
    data = done(response, "reopened")
    verbs = list(Event.objects.filter(case=case).order_by("seq").values_list("verb", "actor_id"))
    assert verbs[-2:] == [("case.rate", city.people["resident"].pk), ("case.reopen", None)]
    assert data["counts"]["reopens"] == 1


def test_a_key_acting_for_the_reporter_rates(city, report, make_key):
    case = advance(city, report(), TO_CLOSED)
    client = key_client(make_key(scopes=["read", "write"], person="resident"))
    response = client.post(
        f"{CASES}{case.number}/rating/", {"satisfaction": "satisfied", "resolution": "solved"}, format="json"
    )
    data = done(response, "rated")
    assert data["rating"] == {
        "satisfaction": "satisfied",
        "resolution": "solved",
        "comment": "",
        "rated_at": data["rating"]["rated_at"],
        "expired": False,
    }
    assert_event(case, "case.rate", city.people["resident"])


def test_a_centre_records_a_callback_and_reopens(city, report, settings):
    settings.CHUISHAO_REOPEN_ON_UNSATISFIED = False
    case = advance(city, report(), TO_CLOSED)
    done(
        act(city, "street-a", case, "rate", {"satisfaction": "unsatisfied", "resolution": "unsolved"}),
        "rated",
    )
    assert_event(case, "case.rate", city.people["street-a"])
    done(act(city, "street-a", case, "reopen", {"reason": "回访不满意"}), "reopened")
    assert_event(case, "case.reopen", city.people["street-a"])


@pytest.mark.parametrize(
    ("who", "action", "status", "code"),
    [
        ("um-a", "accept", 404, "case.not_found"),  # not dispatched to them: they cannot see it
        ("resident", "file", 403, "case.permission_denied"),
        ("grid-a", "dispatch", 403, "case.permission_denied"),
    ],
)
def test_actions_outside_ones_role_or_scope_are_refused(city, report, who, action, status, code):
    case = report()
    body = {"lead": city.orgs["um-110901"].pk} if action == "dispatch" else {}
    response = act(city, who, case, action, body)
    assert response.status_code == status and response.json()["code"] == code
    assert Event.objects.filter(case=case).count() == 1


def test_an_action_the_state_does_not_allow_is_409(city, report):
    case = advance(city, report(), TO_DISPATCHED)
    response = act(city, "street-a", case, "file")
    assert response.status_code == 409 and response.json()["code"] == "case.conflict"
    assert last_event(case).verb == "case.dispatch"


def test_expected_status_guards_against_a_case_that_moved_on(city, report):
    case = advance(city, report(), [("file", "street-a", {})])
    lead = city.orgs["um-110901"].pk
    stale = act(city, "street-a", case, "dispatch", {"lead": lead, "expected_status": "reported"})
    assert stale.status_code == 409 and "changed" in stale.json()["detail"]
    bad = act(city, "street-a", case, "dispatch", {"lead": lead, "expected_status": "sleeping"})
    assert bad.status_code == 400 and "invalid_choice" in fields_of(bad)["expected_status"]
    done(act(city, "street-a", case, "dispatch", {"lead": lead, "expected_status": "filed"}), "dispatched")


def test_an_unknown_action_is_404(city, report):
    response = act(city, "street-a", report(), "teleport")
    assert response.status_code == 404 and response.json()["code"] == "action.unknown"


def test_keys_need_the_write_scope_and_act_as_their_person(city, report, make_key):
    case = report()
    url = f"{CASES}{case.number}/actions/file/"
    reader = key_client(make_key(scopes=["read"], person="street-a"))
    assert reader.post(url, {}, format="json").status_code == 403
    writer = key_client(make_key(scopes=["write"], person="street-a"))
    assert writer.post(url, {}, format="json").status_code == 200
    assert_event(case, "case.file", city.people["street-a"])


def test_a_session_needs_the_csrf_token_to_act(city, report):
    case = report()
    client = session_client(city, "street-a", csrf=True)
    refused = client.post(f"{CASES}{case.number}/actions/file/", {}, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert Case.objects.get(pk=case.pk).status == "reported"
