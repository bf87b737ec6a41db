"""Residents' pages: the report form, nearby reports, the grid layer, following and rating."""

from __future__ import annotations

import re

from django.urls import reverse

from chuishao.cases.models import Case, Satisfaction, Status
from chuishao.cases.services import case_act
from chuishao.events.models import Event
from tests.factories import grid_centre

from .conftest import GRID_A


def report_data(**overrides):
    lat, lng = grid_centre(GRID_A)
    data = {
        "category": "S0102",
        "description": "小区门口垃圾堆积",
        "lat": f"{lat:.6f}",
        "lng": f"{lng:.6f}",
        "address": "幸福路 12 号",
        "reporter_name": "李四",
        "reporter_phone": "13900001111",
    }
    data.update(overrides)
    return data


def closed(city, case):
    for action, who, params in [
        ("file", "street-a", {}),
        ("dispatch", "street-a", {"lead": city.orgs["um-110901"]}),
        ("accept", "um-a", {}),
        ("handle", "um-a", {"result": "已清运"}),
        ("check", "grid-a", {}),
        ("close", "street-a", {}),
    ]:
        case = case_act(case=case, action=action, actor=city.people[who], **params)
    return case


def test_report_form_renders_categories_grouped(client, city):
    page = client.get(reverse("web:report")).content.decode()
    assert "<optgroup" in page
    assert 'value="S0102"' in page
    assert reverse("web:grids_geojson") in page


def test_anonymous_report_creates_a_case_and_shows_the_follow_link(client, city):
    response = client.post(reverse("web:report"), report_data(), follow=True)
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.status == Status.REPORTED
    assert case.reporter_id is None
    assert case.grid.code == GRID_A
    page = response.content.decode()
    assert case.number in page
    assert reverse("web:follow", args=[case.number, case.follow_token]) in page


def test_signed_in_resident_report_is_theirs(login, city):
    client = login("resident")
    client.post(reverse("web:report"), report_data())
    case = Case.objects.get()
    assert case.reporter == city.people["resident"]
    assert case.number in client.get(reverse("web:my_reports")).content.decode()


def test_report_without_description_keeps_what_was_typed(client, city):
    response = client.post(reverse("web:report"), report_data(description=""), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Describe the problem." in page
    assert "幸福路 12 号" in page
    assert "13900001111" in page
    assert not Case.objects.exists()


def test_report_with_bad_coordinates_keeps_what_was_typed(client, city):
    response = client.post(
        reverse("web:report"),
        report_data(lat="north", description="井盖丢了"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Latitude and longitude must both be numbers." in page
    assert "井盖丢了" in page
    assert 'value="north"' in page
    assert re.search(r'<option value="S0102"[^>]*selected', page)
    assert not Case.objects.exists()


def test_nearby_lists_open_same_category_reports(client, report):
    existing = report(address="幸福里3号楼502室")
    lat, lng = grid_centre(GRID_A)
    url = reverse("web:report_nearby")
    page = client.get(url, {"category": "S0102", "lat": lat + 0.0001, "lng": lng}).content.decode()
    assert "暴露垃圾" in page
    assert existing.get_status_display() in page
    # Anyone can ask: the fragment names no case number, address or description.
    for private in (existing.number, "502室", existing.description):
        assert private not in page
    other = client.get(url, {"category": "S0406", "lat": lat, "lng": lng}).content.decode()
    assert "暴露垃圾" not in other
    assert client.get(url, {"category": "S0102", "lat": "x", "lng": lng}).status_code == 200


def test_grids_geojson_has_only_grids_with_id_code_name(client, city):
    data = client.get(reverse("web:grids_geojson")).json()
    assert len(data["features"]) == 8
    feature = data["features"][0]
    assert set(feature["properties"]) == {"id", "code", "name"}
    assert feature["geometry"]["type"] == "Polygon"


def test_follow_with_wrong_token_is_404(client, report):
    case = report()
    assert client.get(reverse("web:follow", args=[case.number, "wrong-token"])).status_code == 404
    assert client.get(reverse("web:follow", args=["19990101000001", case.follow_token])).status_code == 404


def test_follow_shows_the_timeline_without_staff_usernames(client, report, city):
    case = report()
    case_act(case=case, action="file", actor=city.people["street-a"])
    case_act(case=case, action="dispatch", actor=city.people["street-a"], lead=city.orgs["um-110901"])
    case_act(case=case, action="accept", actor=city.people["um-a"])
    page = client.get(reverse("web:follow", args=[case.number, case.follow_token]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert "dispatched the case" in text
    assert "城管执法局" in text  # the department, not the person
    for username in ("street-a", "um-a", "resident"):
        assert username not in text
    assert "13812341234" not in text


def test_anonymous_reporter_rates_through_the_follow_link(client, city, report):
    case = closed(city, report(by="resident"))
    url = reverse("web:follow", args=[case.number, case.follow_token])
    assert b'name="satisfaction"' in client.get(url).content
    response = client.post(
        reverse("web:follow_rate", args=[case.number, case.follow_token]),
        {"satisfaction": Satisfaction.SATISFIED, "resolution": "solved", "comment": "很快"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.RATED
    event = Event.objects.filter(case_id=case.pk).order_by("-seq").first()
    assert event.verb == "case.rate"
    assert event.actor_label == "reporter via follow link"
    assert "follow link" in event.reason or "链接" in event.reason


def test_rating_with_a_wrong_token_is_404(client, city, report):
    case = closed(city, report())
    response = client.post(
        reverse("web:follow_rate", args=[case.number, "nope"]),
        {"satisfaction": "satisfied", "resolution": "solved"},
    )
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED


def test_signed_in_reporter_rates_as_themselves(login, city, report):
    case = closed(city, report(by="resident"))
    client = login("resident")
    client.post(
        reverse("web:follow_rate", args=[case.number, case.follow_token]),
        {"satisfaction": "unsatisfied", "resolution": "partly"},
    )
    event = Event.objects.filter(case_id=case.pk, verb="case.rate").get()
    assert event.verb == "case.rate"
    assert event.actor_id == city.people["resident"].pk


def test_follow_page_hides_reasons_between_offices(client, city, report):
    case = report()
    case_act(case=case, action="file", actor=city.people["street-a"])
    case_act(case=case, action="dispatch", actor=city.people["street-a"], lead=city.orgs["um-110901"])
    case_act(
        case=case, action="return", actor=city.people["um-a"], reason="应由水务局处理，联系人王工13900001111"
    )
    page = client.get(reverse("web:follow", args=[case.number, case.follow_token])).content.decode()
    assert "13900001111" not in page
    assert "应由水务局处理" not in page
