"""GET /api/v1/cases/ and /api/v1/cases/{number}/: scoped to the caller, filtered, paged, masked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from chuishao.actors import SYSTEM
from chuishao.api.v1.cases.filters import CasePagination
from chuishao.cases.models import Case
from chuishao.orgs.apikeys import apikey_create, apikey_revoke
from tests.api.rest_cases_helpers import (
    CASES,
    TO_DISPATCHED,
    advance,
    fields_of,
    key_client,
    png,
    session_client,
)


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["number"] for row in response.json()["results"]]


@pytest.fixture
def spread(city, report):
    """Cases in both districts, by two residents, with two lead departments."""
    um = report()  # district A, resident; dispatched to urban management
    water = report(category="S0102")
    mine_b = report(by="resident2", grid="110902001001001")
    advance(city, um, TO_DISPATCHED)
    advance(city, water, [("file", "street-a", {}), ("dispatch", "street-a", {"lead": "water-110901"})])
    return {"um": um, "water": water, "b": mine_b}


def test_a_resident_sees_only_the_cases_they_reported(city, spread):
    mine = numbers(session_client(city, "resident").get(CASES))
    assert sorted(mine) == sorted([spread["um"].number, spread["water"].number])
    assert numbers(session_client(city, "resident2").get(CASES)) == [spread["b"].number]


def test_department_staff_see_only_their_organisations_cases(city, spread):
    assert numbers(session_client(city, "um-a").get(CASES)) == [spread["um"].number]
    assert numbers(session_client(city, "water-a").get(CASES)) == [spread["water"].number]
    assert numbers(session_client(city, "um-b").get(CASES)) == []


def test_a_street_sees_its_own_area_and_gets_404_across_the_line(city, spread):
    street_b = session_client(city, "street-b")
    assert numbers(street_b.get(CASES)) == [spread["b"].number]
    refused = street_b.get(f"{CASES}{spread['um'].number}/")
    assert refused.status_code == 404 and refused.json()["code"] == "case.not_found"
    assert street_b.get(f"{CASES}{spread['b'].number}/").status_code == 200
    assert session_client(city, "street-a").get(f"{CASES}{spread['b'].number}/").status_code == 404


def test_a_key_reads_as_its_person_and_needs_the_read_scope(city, spread, make_key):
    reader = key_client(make_key(scopes=["read"], person="street-b"))
    assert numbers(reader.get(CASES)) == [spread["b"].number]
    writer_only = key_client(make_key(scopes=["write"], person="street-b"))
    refused = writer_only.get(CASES)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    intake_only = key_client(make_key(scopes=["intake"]))
    assert intake_only.get(f"{CASES}{spread['b'].number}/").status_code == 403


def test_revoked_keys_and_strangers_are_401(city, spread):
    key, raw = apikey_create(actor=SYSTEM, name="old app", scopes=["read"], person=city.people["street-a"])
    assert key_client(raw).get(CASES).status_code == 200
    apikey_revoke(actor=SYSTEM, key=key)
    revoked = key_client(raw).get(CASES)
    assert revoked.status_code == 401 and revoked.json()["code"] == "authentication_failed"
    nobody = APIClient().get(CASES)
    assert nobody.status_code == 401 and nobody.json()["code"] == "not_authenticated"
    assert "Token" in nobody["WWW-Authenticate"]


def test_the_x_api_key_header_works_too(city, spread, make_key):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=make_key(scopes=["read"], person="street-b"))
    assert numbers(client.get(CASES)) == [spread["b"].number]


def test_filters_narrow_the_list(city, spread, report):
    street_a = session_client(city, "street-a")
    um, water = spread["um"].number, spread["water"].number
    fresh = report(category="S0301").number  # reported, another major class
    assert set(numbers(street_a.get(CASES, {"status": "dispatched"}))) == {um, water}
    assert set(numbers(street_a.get(CASES, {"status": "reported,dispatched"}))) == {um, water, fresh}
    assert numbers(street_a.get(CASES, {"category": "S03"})) == [fresh]
    assert numbers(street_a.get(CASES, {"category": "S0301"})) == [fresh]
    assert numbers(street_a.get(CASES, {"grid": "110901001001002"})) == []
    assert set(numbers(street_a.get(CASES, {"community": "110901001001"}))) == {um, water, fresh}
    assert set(numbers(street_a.get(CASES, {"street": "110901001", "district": "110901"}))) == {
        um,
        water,
        fresh,
    }
    assert numbers(street_a.get(CASES, {"q": um[-6:]})) == [um]
    assert numbers(street_a.get(CASES, {"source": "hotline"})) == []
    assert len(numbers(street_a.get(CASES, {"source": "resident_web,hotline"}))) == 3


def test_colour_overdue_and_time_filters(city, spread):
    street_a = session_client(city, "street-a")
    um, water = spread["um"], spread["water"]
    past = um.created_at - dt.timedelta(days=3)
    # Setup only: as the deadline sweep would have left them.
    Case.objects.filter(pk=um.pk).update(warn_level="red", deadline_at=past)
    Case.objects.filter(pk=water.pk).update(created_at=past, updated_at=past)
    assert numbers(street_a.get(CASES, {"warn": "red"})) == [um.number]
    assert numbers(street_a.get(CASES, {"warn": "none"})) == [water.number]
    assert numbers(street_a.get(CASES, {"overdue": "true"})) == [um.number]
    assert numbers(street_a.get(CASES, {"overdue": "false"})) == [water.number]
    after = (past + dt.timedelta(days=1)).isoformat()
    assert numbers(street_a.get(CASES, {"created_after": after})) == [um.number]
    assert numbers(street_a.get(CASES, {"created_before": after})) == [water.number]
    assert numbers(street_a.get(CASES, {"updated_after": after})) == [um.number]
    assert numbers(street_a.get(CASES, {"open": "true"})) == [um.number, water.number]


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"status": "lost"}, "status", "invalid_choice"),
        ({"source": "pigeon"}, "source", "invalid_choice"),
        ({"category": "S9999"}, "category", "category.unknown"),
        ({"warn": "purple"}, "warn", "invalid_choice"),
        ({"created_after": "yesterday"}, "created_after", "invalid"),
        ({"overdue": "perhaps"}, "overdue", "invalid"),
    ],
)
def test_bad_filters_are_400_with_field_codes(city, spread, query, field, code):
    response = session_client(city, "street-a").get(CASES, query)
    assert response.status_code == 400 and code in fields_of(response)[field]


def test_cursor_pages_cover_every_case_once_newest_first(city, report):
    made = [report().number for _ in range(5)]
    client = session_client(city, "street-a")
    seen: list[str] = []
    url, pages = f"{CASES}?page_size=2", 0
    while url:
        response = client.get(url)
        seen += numbers(response)
        url, pages = response.json()["next"], pages + 1
    assert pages == 3 and seen == list(reversed(made))
    bad = client.get(CASES, {"cursor": "garbage"})
    assert bad.status_code == 404 and bad.json()["code"] == "not_found"


def test_the_page_size_is_capped(city, report, monkeypatch):
    monkeypatch.setattr(CasePagination, "max_page_size", 2)
    for _ in range(3):
        report()
    response = session_client(city, "street-a").get(CASES, {"page_size": 1000})
    assert len(numbers(response)) == 2 and response.json()["next"]


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CASES, {"page_size": 50}).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_1_or_30_cases(city, report, django_assert_max_num_queries):
    client = session_client(city, "street-a")
    first = report()
    advance(city, first, TO_DISPATCHED)
    one = _list_queries(client)
    for _ in range(29):
        report()
    with django_assert_max_num_queries(one):
        response = client.get(CASES, {"page_size": 50})
    assert len(numbers(response)) == 30
    assert one <= 6


def test_staff_without_the_callback_right_see_the_phone_masked(city, spread):
    um = spread["um"].number
    dept = session_client(city, "um-a").get(f"{CASES}{um}/").json()["reporter"]
    assert dept["phone"] == "138****1234" and dept["name"] == "张*" and not dept["is_you"]
    street = session_client(city, "street-a").get(f"{CASES}{um}/").json()["reporter"]
    assert street["phone"] == "13812341234" and street["name"] == "张三"
    own = session_client(city, "resident").get(f"{CASES}{um}/").json()["reporter"]
    assert own["phone"] == "13812341234" and own["is_you"]


def test_the_detail_shows_owner_deadline_chain_and_allowed_actions(city, spread):
    um = spread["um"]
    data = session_client(city, "um-a").get(f"{CASES}{um.number}/").json()
    assert data["status"] == "dispatched" and data["status_label"] == "dispatched"
    assert data["lead_org"]["code"] == "um-110901"
    assert [(o["code"], o["role"]) for o in data["organisations"]] == [("um-110901", "lead")]
    assert data["deadline_at"] and data["deadline_colour"] in {"green", "yellow", "red"}
    assert data["stage"] == "accept"
    assert (data["grid"]["code"], data["street"]["code"], data["district"]["code"]) == (
        "110901001001001",
        "110901001",
        "110901",
    )
    assert sorted(data["allowed_actions"]) == ["accept", "return"]
    assert data["dispatch_candidates"] == []
    filed = session_client(city, "street-a").get(f"{CASES}{spread['water'].number}/").json()
    assert "chase" in filed["allowed_actions"]
    fresh = session_client(city, "street-a").get(f"{CASES}{spread['b'].number}/")
    assert fresh.status_code == 404


def test_a_dispatcher_gets_the_organisations_it_may_dispatch_to(city, report):
    case = advance(city, report(), [("file", "street-a", {})])
    data = session_client(city, "street-a").get(f"{CASES}{case.number}/").json()
    assert "dispatch" in data["allowed_actions"]
    codes = {o["code"] for o in data["dispatch_candidates"]}
    assert {"um-110901", "street-110901", "sle-110901"} <= codes and "um-110902" not in codes


def test_the_timeline_names_colleagues_for_staff_and_offices_for_the_reporter(city, report):
    case = advance(city, report(), [*TO_DISPATCHED, ("return", "um-a", {"reason": "不归我们管"})])
    staff = session_client(city, "street-a").get(f"{CASES}{case.number}/").json()["timeline"]
    assert [s["verb"] for s in staff] == ["case.reported", "case.file", "case.dispatch", "case.return"]
    assert staff[0]["actor"] == "the reporter" and staff[0]["what"] == "reported the problem"
    assert staff[2]["actor"].startswith("street-a (") and staff[2]["status_after"] == "dispatched"
    assert staff[3]["reason"] == "不归我们管" and staff[3]["data"]["returned_by"] == city.orgs["um-110901"].pk
    assert "suggestion" not in staff[0]["data"] and "grid_id" not in staff[0]["data"]
    public = session_client(city, "resident").get(f"{CASES}{case.number}/").json()["timeline"]
    assert public[2]["actor"] == "街道1 · street dispatcher" and public[3]["actor"] == "城管执法局"
    assert public[3]["reason"] == "" and public[3]["data"] == {}
    actors = " ".join(s["actor"] for s in public)
    assert "street-a" not in actors and "um-a" not in actors and "resident" not in actors


def test_the_reporter_is_never_named_in_the_timeline(city, report):
    case = advance(city, report(), [("withdraw", "resident", {"reason": "自己修好了"})])
    steps = session_client(city, "street-a").get(f"{CASES}{case.number}/").json()["timeline"]
    assert [(s["verb"], s["actor"]) for s in steps] == [
        ("case.reported", "the reporter"),
        ("case.withdraw", "the reporter"),
    ]
    assert steps[1]["reason"] == "自己修好了"


def test_case_photos_are_served_to_whoever_can_see_the_case(city, report):
    case = report(media=[png()])
    media = session_client(city, "resident").get(f"{CASES}{case.number}/").json()["media"]
    assert len(media) == 1 and media[0]["purpose"] == "report"
    url = media[0]["url"]
    photo = session_client(city, "street-a").get(url, HTTP_ACCEPT="image/*")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content).startswith(b"\x89PNG")
    hidden = session_client(city, "street-b").get(url)
    assert hidden.status_code == 404 and hidden.json()["code"] == "case.not_found"
    other = report()
    wrong_case = session_client(city, "street-a").get(url.replace(case.number, other.number))
    assert wrong_case.status_code == 404 and wrong_case.json()["code"] == "media.not_found"


def test_words_follow_the_callers_language(city, report):
    import re

    case = advance(city, report(), [("file", "street-a", {})])
    client = session_client(city, "street-a")
    english = client.get(f"{CASES}{case.number}/", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = client.get(f"{CASES}{case.number}/", HTTP_ACCEPT_LANGUAGE="zh-Hans").json()
    assert english["timeline"][1]["what"] == "filed the case" and english["status_label"] == "filed"
    han = re.compile(r"[\u4e00-\u9fff]")
    assert han.search(chinese["timeline"][1]["what"]) and han.search(chinese["status_label"])
    assert han.search(chinese["timeline"][0]["actor"])  # "the reporter", in Chinese
