"""GET requests: the public list — what it shows, what it never shows, filters, window, pages, cost."""

from __future__ import annotations

import datetime as dt

import pytest

from chuishao import clock
from chuishao.api.open311.documents import CLOSED_STATES, STATUS_NOTES, mask_contacts, open311_status
from chuishao.cases.models import Case, Status
from chuishao.cases.services import case_act
from tests.api.open311_client_helpers import (
    REQUEST_FIELDS,
    assert_error,
    assert_valid,
    get,
    parse_json,
    parse_xml,
    xml_items,
)
from tests.factories import grid_centre

TO_DISPATCHED = [("file", "street-a", {}), ("dispatch", "street-a", {"lead": "um-110901"})]
TO_CLOSED = [
    *TO_DISPATCHED,
    ("accept", "um-a", {}),
    ("start", "um-a", {}),
    ("handle", "um-a", {"result": "已清运"}),
    ("check", "grid-a", {}),
    ("close", "street-a", {}),
]


def bring(city, case: Case, steps) -> Case:
    for action, who, params in steps:
        if "lead" in params:
            params = {**params, "lead": city.orgs[params["lead"]]}
        case = case_act(case=case, action=action, actor=city.people[who], **params)
    case.refresh_from_db()
    return case


def listed(client, **params) -> list[dict]:
    response = get(client, "requests.json", **params)
    assert response.status_code == 200, response.content[:300]
    data = parse_json(response)
    assert_valid("requests", data)
    return data


def numbers(client, **params) -> list[str]:
    return [r["service_request_id"] for r in listed(client, **params)]


def test_a_request_as_the_public_sees_it(client, city, report):
    case = bring(city, report(description="电话13812341234，邮箱zhang@example.org，垃圾没清"), TO_DISPATCHED)
    (data,) = listed(client)
    assert data["service_request_id"] == case.number
    assert data["status"] == "open"
    assert data["status_notes"] == "dispatched to 城管执法局"
    assert data["agency_responsible"] == "城管执法局"
    assert data["service_code"] == "S0102" and data["service_name"] == "Exposed rubbish"
    assert data["description"] == "电话138****1234，邮箱***@***，垃圾没清"
    assert data["requested_datetime"] == case.created_at.astimezone(
        dt.timezone(dt.timedelta(hours=8))
    ).isoformat(timespec="seconds")
    assert data["requested_datetime"].endswith("+08:00") and data["updated_datetime"].endswith("+08:00")
    assert dt.datetime.fromisoformat(data["expected_datetime"]) == case.deadline_at.replace(microsecond=0)
    # The place is public only coarsely: the community's name and the point to three decimals.
    assert data["address"] == case.community.name and data["zipcode"] == ""
    assert (data["lat"], data["long"]) == (round(case.lat, 3), round(case.lng, 3))
    assert "media_url" not in data


def test_personal_data_never_appears(client, city, report):
    lat, lng = grid_centre("110901001001001")
    lat, lng = round(lat, 3) + 0.000321, round(lng, 3) + 0.000321  # a point with digits to hide
    report(reporter_name="王小明", reporter_phone="13912345678", reporter_email="wxm@example.org",
           address="幸福小区3号楼2单元501", lat=lat, lng=lng)  # fmt: skip
    for fmt in ("json", "xml"):
        body = get(client, f"requests.{fmt}").content.decode()
        for secret in ("王小明", "13912345678", "wxm@example.org", "幸福小区", f"{lat:.4f}", f"{lng:.4f}"):
            assert secret not in body, (fmt, secret)
        assert str(round(lat, 3)) in body and str(round(lng, 3)) in body  # the coarse point a map needs


def test_markup_and_control_characters_cannot_break_a_document(client, city, report):
    report(description='<b>井盖</b> & "quotes" ]]> \x01\x0b end')
    root = parse_xml(get(client, "requests.xml"))
    assert root.findtext("request/description") == '<b>井盖</b> & "quotes" ]]>  end'
    assert listed(client)[0]["description"] == '<b>井盖</b> & "quotes" ]]>  end'


def test_the_xml_list_has_the_spec_elements(client, city, report):
    case = report()
    root = parse_xml(get(client, "requests.xml"))
    (item,) = xml_items(root, "service_requests", "request", REQUEST_FIELDS)
    assert item["service_request_id"] == case.number and item["status"] == "open"
    assert item["lat"] == str(round(case.lat, 3)) and item["agency_responsible"] == ""
    assert item["requested_datetime"].endswith("+08:00")


def test_finished_states_are_closed_and_the_rest_open():
    assert open311_status(Status.HANDLED) == "open" and open311_status(Status.PARKED) == "open"
    for state in (Status.CLOSED, Status.RATED, Status.DECLINED, Status.CANCELLED, Status.SELF_HANDLED):
        assert state in CLOSED_STATES and open311_status(state) == "closed"
    assert set(STATUS_NOTES) == set(Status.values)


def test_a_closed_case_has_no_expected_datetime(client, city, report):
    closed = bring(city, report(), TO_CLOSED)
    (data,) = listed(client)
    assert data["service_request_id"] == closed.number
    assert (data["status"], data["status_notes"], data["expected_datetime"]) == ("closed", "closed", None)
    assert data["agency_responsible"] == "城管执法局"


def test_status_filter(client, city, report):
    open_case = report()
    closed = bring(city, report(), TO_CLOSED)
    assert numbers(client, status="open") == [open_case.number]
    assert numbers(client, status="closed") == [closed.number]
    assert set(numbers(client, status="open,closed")) == {open_case.number, closed.number}
    assert_error(get(client, "requests.json", status="pending"), 400)


def test_service_request_id_overrides_the_other_filters(client, city, report):
    a, b, c = report(), report(), report(category="S0103")
    assert set(numbers(client, service_request_id=f"{a.number},{c.number},nope")) == {a.number, c.number}
    assert numbers(client, service_request_id=a.number, status="closed", service_code="S0103") == [a.number]
    assert b.number in numbers(client)


def test_service_code_filter(client, city, report):
    rubbish, other = report(category="S0102"), report(category="S0103")
    assert numbers(client, service_code="S0102") == [rubbish.number]
    assert set(numbers(client, service_code="S0102,S0103")) == {rubbish.number, other.number}
    assert set(numbers(client, service_code="S01")) == {rubbish.number, other.number}  # a major class
    assert numbers(client, service_code="B0101") == []
    assert_error(get(client, "requests.xml", service_code="rubbish"), 400, "xml")


def test_newest_first_and_the_90_day_default_window(client, city, report):
    now = clock.now()
    with clock.frozen(now - dt.timedelta(days=100)):
        old = report()
    with clock.frozen(now - dt.timedelta(days=10)):
        recent = report()
    newest = report()
    assert numbers(client) == [newest.number, recent.number]
    since = (now - dt.timedelta(days=120)).isoformat()
    assert numbers(client, start_date=since) == [newest.number, recent.number, old.number]
    until = (now - dt.timedelta(days=50)).isoformat()
    assert numbers(client, end_date=until) == [old.number]
    assert numbers(client, start_date=since, end_date=until) == [old.number]
    assert numbers(client, start_date=(now - dt.timedelta(days=120)).date().isoformat(), end_date=until) == [
        old.number
    ]


def test_updated_after_and_before(client, city, report):
    now = clock.now()
    with clock.frozen(now - dt.timedelta(days=200)):
        case = report()
    with clock.frozen(now - dt.timedelta(days=1)):
        case = bring(city, case, TO_DISPATCHED)
    untouched = report()
    # A client polling for changes sees old cases that changed, without the 90-day window.
    since = (now - dt.timedelta(days=2)).isoformat()
    assert numbers(client, updated_after=since) == [untouched.number, case.number]
    assert numbers(client, updated_before=(now - dt.timedelta(hours=1)).isoformat()) == [case.number]


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "yesterday"},
        {"end_date": "2026-13-01T00:00:00Z"},
        {"updated_after": "2026-05-01T25:00:00+08:00"},
        {"start_date": "2026-05-02T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "99999999999999999999999"},
        {"page_size": "1001"},
        {"page_size": "ten"},
        {"service_request_id": ",".join(str(n) for n in range(1001))},
    ],
)
def test_bad_parameters_are_400(client, city, params):
    assert_error(get(client, "requests.json", **params), 400)
    assert_error(get(client, "requests.xml", **params), 400, "xml")


def test_w3c_datetimes_in_utc_and_with_offsets(client, city, report):
    case = report()
    moment = case.created_at
    for stamp in (moment.isoformat(), moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")):
        assert numbers(client, start_date=stamp) == [case.number]


def test_pages(client, city, report):
    cases = [report() for _ in range(5)]
    newest_first = [c.number for c in reversed(cases)]
    assert numbers(client, page_size=2) == newest_first[:2]
    assert numbers(client, page_size=2, page=2) == newest_first[2:4]
    assert numbers(client, page_size=2, page=3) == newest_first[4:]
    assert numbers(client, page_size=2, page=4) == []
    assert numbers(client, page=100000) == []


def test_the_list_costs_a_fixed_number_of_queries(client, city, report, django_assert_max_num_queries):
    cases = [report(category=code) for code in ("S0102", "S0103", "S0104")]
    bring(city, cases[0], TO_DISPATCHED)
    bring(city, cases[1], TO_CLOSED)
    with django_assert_max_num_queries(2):
        assert len(listed(client, jurisdiction_id="110000")) == 3
    for _ in range(6):
        report()
    with django_assert_max_num_queries(2):
        assert len(listed(client)) == 9
    with django_assert_max_num_queries(2):
        assert len(parse_json(get(client, f"requests/{cases[0].number}.json"))) == 1


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13812341234", "电话138****1234"),
        ("call +86 138 1234 5678 now", "call +86 *** **** 5678 now"),
        ("座机010-62345678", "座机010-****5678"),
        ("mail a.b+c@example.com.cn!", "mail ***@***!"),
        ("3号楼501室，2026-05-01发现", "3号楼501室，2026-05-01发现"),
        ("编号123456", "编号123456"),
        ("", ""),
    ],
)
def test_mask_contacts(text, masked):
    assert mask_contacts(text) == masked
