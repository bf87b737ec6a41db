"""REST whistles and summonses: the life cycle from blowing to rating with the events written, the
board's verdicts and check-in distance, who sees and does what, key scopes, idempotency, query bounds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from chuishao.cases.models import SummonsState, Whistle, WhistleStatus, WhistleSummons
from chuishao.cases.services import case_file
from chuishao.events.models import Event

WHISTLES = "/api/v1/whistles/"
SUMMONS = "/api/v1/summons/"


@pytest.fixture
def as_key(make_key):
    """A client authenticated with a new key: ``as_key("street-a", scopes=("read", "write"))``."""

    def make(person: str | None, scopes=("read", "write")) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {make_key(scopes=scopes, person=person)}")
        return client

    return make


@pytest.fixture
def filed(city, report):
    """A filed case in street A (grid 110901001001001, far from district B)."""

    def make():
        return case_file(case=report(), actor=city.people["street-a"])

    return make


def blow_body(city, case, **extra):
    data = {
        "cases": [case.number],
        "kind": "everyday",
        "reason": "joint_enforcement",
        "description": "垃圾堆放点需城管与环卫联合清理",
        "summons": [{"organisation": city.orgs["um-110901"].pk, "role": "lead"}],
    }
    data.update(extra)
    return data


def chain(whistle_id: int) -> list[str]:
    rows = Event.objects.filter(chain=f"whistle:{whistle_id}").order_by("seq")
    return list(rows.values_list("verb", flat=True))


def test_the_whistle_life_cycle_through_the_api(city, filed, as_key):
    case = filed()
    street, um = as_key("street-a"), as_key("um-a")

    # When street A blows a whistle on its case, summoning its urban management as lead
    response = street.post(WHISTLES, blow_body(city, case), format="json")
    assert response.status_code == 201, response.json()
    board = response.json()
    whistle_id = board["id"]
    assert board["status"] == "open" and board["cases"] == [case.number] and not board["joint"]
    assert board["street"] == {"code": "110901001", "name": "街道1"}
    assert [p["street"]["code"] for p in board["parties"]] == ["110901001"]
    (row,) = board["summonses"]
    assert row["organisation"]["code"] == "um-110901" and row["role"] == "lead"
    assert row["state"] == "summoned" and row["acknowledge"] == "pending" and row["onsite"] == "pending"
    assert board["allowed_actions"] == {"summon": True, "join": True, "confirm_done": False, "cancel": True}
    assert row["allowed_actions"] == {
        "acknowledge": False,
        "check_in": False,
        "record_action": False,
        "rate": False,
    }
    assert chain(whistle_id) == ["whistle.blown", "whistle.summoned"]
    assert Event.objects.filter(case=case, verb="case.whistled").count() == 1
    assert [e["verb"] for e in board["history"]] == ["whistle.blown", "whistle.summoned"]

    # The department finds it in its inbox and may acknowledge it
    inbox = um.get(SUMMONS).json()
    (summons,) = inbox["results"]
    assert summons["whistle"]["number"] == board["number"] and summons["state"] == "summoned"
    assert summons["next_due"] == summons["acknowledge_due"] and summons["overdue"] is False
    assert summons["allowed_actions"]["acknowledge"] and not summons["allowed_actions"]["record_action"]

    response = um.post(f"{SUMMONS}{summons['id']}/acknowledge/", format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "acknowledged"
    assert response.json()["next_due"] == summons["onsite_due"]

    # Checking in 50 m east of the case records the distance
    lng_50m_east = case.lng + 50 / (111_320 * 0.7671)  # cos(39.9°)
    response = um.post(
        f"{SUMMONS}{summons['id']}/check_in/", {"lat": case.lat, "lng": lng_50m_east}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "on_site" and 48 < response.json()["distance_m"] < 52
    checked_in = Event.objects.get(chain=f"whistle:{whistle_id}", verb="whistle.checked_in")
    assert checked_in.after["distance_m"] == response.json()["distance_m"] and checked_in.after["on_time"]

    response = um.post(f"{SUMMONS}{summons['id']}/record_action/", {"text": "清运垃圾三车"}, format="json")
    assert response.status_code == 200 and "清运垃圾三车" in response.json()["action_note"]

    # The street confirms it done; everyone is released
    board = street.get(f"{WHISTLES}{whistle_id}/").json()
    assert board["allowed_actions"]["confirm_done"] is True
    assert board["summonses"][0]["acknowledge"] == "on_time" and board["summonses"][0]["onsite"] == "on_time"
    response = street.post(f"{WHISTLES}{whistle_id}/confirm_done/", {"note": "已清理完毕"}, format="json")
    assert response.status_code == 200, response.json()
    board = response.json()
    assert board["status"] == "done" and board["summonses"][0]["state"] == "released"
    assert board["summonses"][0]["allowed_actions"]["rate"] is True

    # And rates the department it summoned
    rating = {
        "summons": summons["id"],
        "on_time_report": 5,
        "problem_solved": 4,
        "attitude": 5,
        "comment": "及时",
    }
    response = street.post(f"{WHISTLES}{whistle_id}/rate/", rating, format="json")
    assert response.status_code == 200, response.json()
    rated = response.json()["summonses"][0]["rating"]
    assert (
        rated["problem_solved"] == 4 and rated["comment"] == "及时" and rated["score"] == pytest.approx(91.7)
    )
    assert chain(whistle_id) == [
        "whistle.blown",
        "whistle.summoned",
        "whistle.acknowledged",
        "whistle.checked_in",
        "whistle.acted",
        "whistle.done",
        "whistle.released",
        "whistle.rated",
    ]
    actors = set(Event.objects.filter(chain=f"whistle:{whistle_id}").values_list("actor_id", flat=True))
    assert actors == {city.people["street-a"].pk, city.people["um-a"].pk}
    # A second rating of the same summons is a conflict; the inbox no longer lists the released summons
    assert street.post(f"{WHISTLES}{whistle_id}/rate/", rating, format="json").status_code == 409
    assert um.get(SUMMONS).json()["results"] == []


def test_scoping_other_streets_and_departments_get_404(city, filed, as_key):
    case = filed()
    whistle_id = as_key("street-a").post(WHISTLES, blow_body(city, case), format="json").json()["id"]
    summons_id = WhistleSummons.objects.get(whistle_id=whistle_id).pk

    street_b, um_b, resident = as_key("street-b"), as_key("um-b"), as_key("resident")
    assert street_b.get(f"{WHISTLES}{whistle_id}/").status_code == 404
    assert street_b.get(WHISTLES).json()["results"] == []
    assert resident.get(WHISTLES).json()["results"] == []
    assert street_b.post(f"{WHISTLES}{whistle_id}/cancel/", {"reason": "x"}, format="json").status_code == 404
    assert um_b.get(SUMMONS).json()["results"] == []
    response = um_b.post(f"{SUMMONS}{summons_id}/acknowledge/", format="json")
    assert response.status_code == 404 and response.json()["code"] == "case.not_found"
    # The centre above sees it; the summoned department sees it but may not confirm it
    assert as_key("district-a").get(f"{WHISTLES}{whistle_id}/").status_code == 200
    um = as_key("um-a")
    assert um.get(f"{WHISTLES}{whistle_id}/").json()["allowed_actions"]["confirm_done"] is False
    response = um.post(f"{WHISTLES}{whistle_id}/cancel/", {"reason": "不想去"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "case.permission_denied"
    # Street B may not blow on street A's case, which it cannot see
    response = street_b.post(WHISTLES, blow_body(city, filed()), format="json")
    assert response.status_code == 404
    assert Whistle.objects.count() == 1
    assert Whistle.objects.get().status == WhistleStatus.OPEN


def test_key_scopes(city, filed, as_key):
    case = filed()
    read_only, write_only = as_key("street-a", scopes=("read",)), as_key("street-a", scopes=("write",))
    response = read_only.post(WHISTLES, blow_body(city, case), format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert write_only.get(WHISTLES).status_code == 403
    assert write_only.get(SUMMONS).status_code == 403
    assert Whistle.objects.count() == 0
    assert APIClient().get(WHISTLES).status_code in (401, 403)
    # A key acting for no person (Open311, intake) cannot have the read scope: refused
    assert as_key(None, scopes=("open311", "intake")).get(WHISTLES).status_code == 403


def test_joining_and_summoning_through_the_api(city, filed, as_key):
    case = filed()
    street = as_key("street-a")
    whistle_id = street.post(WHISTLES, blow_body(city, case, summons=[]), format="json").json()["id"]
    assert as_key("street-b").get(f"{WHISTLES}{whistle_id}/").status_code == 404

    response = street.post(f"{WHISTLES}{whistle_id}/join/", {"street": "110902001"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["joint"] is True and len(response.json()["parties"]) == 2
    # Street B now co-owns it and summons its own district's department
    street_b = as_key("street-b")
    summon = {"organisation": city.orgs["um-110902"].pk, "role": "lead"}
    response = street_b.post(f"{WHISTLES}{whistle_id}/summon/", summon, format="json")
    assert response.status_code == 200, response.json()
    (row,) = response.json()["summonses"]
    assert row["summoned_by"]["code"] == "110902001"
    assert chain(whistle_id) == ["whistle.blown", "whistle.joined", "whistle.summoned"]
    # Summoning it twice is a conflict; an unknown street a 400 naming the field
    assert street_b.post(f"{WHISTLES}{whistle_id}/summon/", summon, format="json").status_code == 409
    response = street.post(f"{WHISTLES}{whistle_id}/join/", {"street": "999"}, format="json")
    assert response.status_code == 400 and "street" in response.json()["fields"]


def test_bad_input_is_a_clear_400(city, filed, as_key):
    case = filed()
    street = as_key("street-a")
    response = street.post(WHISTLES, {"cases": [], "kind": "loud", "reason": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) >= {"cases", "kind", "reason", "description"}
    assert street.post(WHISTLES, ["not", "an", "object"], format="json").status_code == 400
    response = street.post(WHISTLES, blow_body(city, case, cases=["C-NOPE"]), format="json")
    assert response.status_code == 404 and "C-NOPE" in response.json()["detail"]
    response = street.post(WHISTLES, blow_body(city, case, summons=[{"organisation": 999999}]), format="json")
    assert response.status_code == 400 and response.json()["code"] == "case.invalid"
    whistle_id = street.post(WHISTLES, blow_body(city, case), format="json").json()["id"]
    summons_id = WhistleSummons.objects.get(whistle_id=whistle_id).pk
    um = as_key("um-a")
    response = um.post(f"{SUMMONS}{summons_id}/check_in/", {"lat": "north", "lng": 116.3}, format="json")
    assert response.status_code == 400 and "lat" in response.json()["fields"]
    response = um.post(f"{SUMMONS}{summons_id}/record_action/", {"text": "做了"}, format="json")
    assert response.status_code == 409  # not on site yet
    rating = {"summons": summons_id, "on_time_report": 6, "problem_solved": 0, "attitude": 3}
    response = street.post(f"{WHISTLES}{whistle_id}/rate/", rating, format="json")
    assert set(response.json()["fields"]) == {"on_time_report", "problem_solved"}
    rating.update(on_time_report=5, problem_solved=5)
    assert street.post(f"{WHISTLES}{whistle_id}/rate/", rating, format="json").status_code == 409  # not done
    other = street.post(WHISTLES, blow_body(city, filed()), format="json").json()["summonses"][0]["id"]
    response = street.post(f"{WHISTLES}{whistle_id}/rate/", {**rating, "summons": other}, format="json")
    assert response.status_code == 404
    huge = 10**30  # beyond any id: refused as input, or simply not found
    assert street.get(f"{WHISTLES}{huge}/").status_code == 404
    assert um.post(f"{SUMMONS}{huge}/acknowledge/", format="json").status_code == 404
    response = street.post(f"{WHISTLES}{whistle_id}/summon/", {"organisation": huge}, format="json")
    assert response.status_code == 400 and "organisation" in response.json()["fields"]
    assert street.get(WHISTLES, {"status": "loud"}).status_code == 400
    assert street.get(WHISTLES, {"cursor": "garbage"}).status_code == 400
    assert WhistleSummons.objects.get(pk=summons_id).state == SummonsState.SUMMONED


def test_blowing_is_idempotent(city, filed, as_key):
    case = filed()
    street = as_key("street-a")
    first = street.post(WHISTLES, blow_body(city, case), format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    again = street.post(WHISTLES, blow_body(city, case), format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert Whistle.objects.count() == 1
    other = street.post(
        WHISTLES, blow_body(city, case, kind="campaign"), format="json", HTTP_IDEMPOTENCY_KEY="w-1"
    )
    assert other.status_code == 422


def test_filters_and_query_bounds(city, filed, as_key, django_assert_max_num_queries):
    street = as_key("street-a")
    ids = [street.post(WHISTLES, blow_body(city, filed()), format="json").json()["id"] for _ in range(2)]
    street.post(f"{WHISTLES}{ids[0]}/cancel/", {"reason": "重复"}, format="json")
    assert [w["id"] for w in street.get(WHISTLES, {"status": "open"}).json()["results"]] == [ids[1]]
    assert [w["id"] for w in street.get(WHISTLES, {"status": "cancelled"}).json()["results"]] == [ids[0]]
    assert street.get(WHISTLES, {"kind": "emergency"}).json()["results"] == []
    number = Whistle.objects.get(pk=ids[1]).cases.get().number
    assert [w["id"] for w in street.get(WHISTLES, {"case": number}).json()["results"]] == [ids[1]]

    def count(path: str, client: APIClient) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx)

    few, few_inbox = count(WHISTLES, street), count(SUMMONS, as_key("um-a"))
    for _ in range(4):
        street.post(WHISTLES, blow_body(city, filed()), format="json")
    assert count(WHISTLES, street) == few
    assert count(SUMMONS, as_key("um-a")) == few_inbox
    with django_assert_max_num_queries(12):
        assert len(street.get(WHISTLES).json()["results"]) == 6
