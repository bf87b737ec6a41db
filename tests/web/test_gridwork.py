"""Grid-work pages: patrol start and end from /grid/, the track endpoint, the visit form (errors keep
what was typed), reporting on patrol joining the open patrol, the visits list and the coverage map —
each scoped (404 outside)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from chuishao import clock
from chuishao.cases.models import Case
from chuishao.gridwork import services as svc
from chuishao.gridwork.models import Patrol, PatrolCase, Visit
from tests.factories import grid_centre
from tests.web.conftest import GRID_A

COMMUNITY_A = "110901001001"


def test_start_and_end_a_patrol_from_my_grid(login):
    client = login("grid-a")
    page = client.get(reverse("web:grid"))
    assert 'data-testid="patrol-start"' in page.content.decode()
    response = client.post(reverse("web:patrol_start"), {"grid_code": GRID_A})
    assert response.status_code == 302 and response.url == reverse("web:grid") + f"?grid={GRID_A}"
    patrol = Patrol.objects.get()
    page = client.get(reverse("web:grid"))
    assert page.context["patrol"] == patrol and 'data-testid="patrol-end"' in page.content.decode()
    # Starting again is refused with a message, not an error page.
    again = client.post(reverse("web:patrol_start"), follow=True)
    assert again.status_code == 200 and Patrol.objects.count() == 1
    assert any(m.level_tag == "error" for m in again.context["messages"])
    client.post(reverse("web:patrol_end"), {"note": "正常"})
    patrol.refresh_from_db()
    assert patrol.ended_at is not None and patrol.note == "正常"
    page = client.get(reverse("web:grid"))
    assert page.context["day"].patrols == 1


def test_ending_without_a_patrol_is_a_message(login):
    response = login("grid-a").post(reverse("web:patrol_end"), follow=True)
    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_track_points_as_json(login):
    client = login("grid-a")
    url = reverse("web:patrol_track")
    lat, lng = grid_centre(GRID_A)
    body = json.dumps({"points": [{"lat": lat, "lng": lng}]})
    assert client.post(url, body, content_type="application/json").status_code == 404  # no open patrol
    client.post(reverse("web:patrol_start"))
    ok = client.post(url, body, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["points"] == 1 and ok.json()["grids"] == [GRID_A]
    for bad in ("not json", json.dumps({"points": [{"lat": 200, "lng": 1}]}), json.dumps([1, 2])):
        answer = client.post(url, bad, content_type="application/json")
        assert answer.status_code == 400 and answer.json()["error"]
    assert len(Patrol.objects.get().track) == 1


def test_reporting_on_patrol_joins_the_open_patrol(login):
    client = login("grid-a")
    client.post(reverse("web:patrol_start"))
    lat, lng = grid_centre(GRID_A)
    client.post(reverse("web:report"), {"category": "S0102", "lat": f"{lat}", "lng": f"{lng}", "patrol": "1"})
    case = Case.objects.get()
    assert PatrolCase.objects.get().case == case
    assert PatrolCase.objects.get().patrol == Patrol.objects.get()


def test_reporting_on_patrol_without_an_open_patrol_still_files(login):
    lat, lng = grid_centre(GRID_A)
    login("grid-a").post(
        reverse("web:report"), {"category": "S0102", "lat": f"{lat}", "lng": f"{lng}", "patrol": "1"}
    )
    assert Case.objects.count() == 1 and not PatrolCase.objects.exists()


def _visit_data(city, **extra):
    data = {
        "grid": city.node(GRID_A).pk,
        "kind": "household",
        "household": "3号楼2单元501",
        "person_name": "王阿姨",
        "person_phone": "13900001111",
        "discussed": "询问助餐服务",
    }
    data.update(extra)
    return data


def test_record_a_visit(login, city):
    client = login("grid-a")
    assert 'data-testid="visit-form"' in client.get(reverse("web:grid")).content.decode()
    response = client.post(reverse("web:visit_new"), _visit_data(city))
    assert response.status_code == 302
    assert Visit.objects.get().person_name == "王阿姨"


@pytest.mark.parametrize(
    "bad",
    [
        {"person_phone": "call me"},
        {"household": ""},
        {"discussed": ""},
        {"grid": "999999"},
        {"follow_up": "on"},
    ],
)
def test_a_bad_visit_keeps_what_was_typed(login, city, bad):
    response = login("grid-a").post(reverse("web:visit_new"), _visit_data(city, **bad))
    assert response.status_code == 400
    body = response.content.decode()
    assert "询问助餐服务" in body or bad.get("discussed") == ""
    assert not Visit.objects.exists()


def test_only_workers_record_visits(login, city):
    for who in ("resident", "community-a", "um-a"):
        assert login(who).post(reverse("web:visit_new"), _visit_data(city)).status_code == 404


def _a_visit(city):
    with clock.frozen(clock.now()):
        return svc.visit_record(
            actor=city.people["grid-a"],
            grid=GRID_A,
            kind="household",
            household="1号楼",
            discussed="邻里纠纷",
            person_name="赵先生",
            person_phone="13900002222",
        )


@pytest.mark.parametrize("who", ["grid-a", "community-a", "street-a", "district-a", "city", "admin"])
def test_the_chain_of_command_and_the_admin_read_visits(login, city, who):
    _a_visit(city)
    page = login(who).get(reverse("web:visits"))
    body = page.content.decode()
    assert page.status_code == 200 and "赵先生" in body and "13900002222" in body


def test_a_leader_reads_visits_with_the_person_masked(login, city):
    """Leaders oversee and never call back: the name and phone are masked, as a case's reporter is."""
    _a_visit(city)
    page = login("leader").get(reverse("web:visits"))
    body = page.content.decode()
    assert page.status_code == 200 and "邻里纠纷" in body
    assert "赵**" in body and "139****2222" in body
    assert "赵先生" not in body and "13900002222" not in body


@pytest.mark.parametrize("who", ["grid-b", "community-b", "street-b"])
def test_other_places_see_no_visits_of_ours(login, city, who):
    _a_visit(city)
    client = login(who)
    page = client.get(reverse("web:visits"))
    assert page.status_code == 200 and "赵先生" not in page.content.decode()
    assert client.get(reverse("web:visits") + f"?node={COMMUNITY_A}").status_code == 404


@pytest.mark.parametrize("who", ["um-a", "resident"])
def test_departments_and_residents_have_no_visits_page(login, city, who):
    _a_visit(city)
    assert login(who).get(reverse("web:visits")).status_code == 404


def test_coverage_map_for_the_community(login, city):
    with clock.frozen(clock.now() - dt.timedelta(hours=2)):
        svc.patrol_start(actor=city.people["grid-a"])
    with clock.frozen(clock.now() - dt.timedelta(hours=1)):
        svc.patrol_end(actor=city.people["grid-a"])
    page = login("community-a").get(reverse("web:patrol_coverage"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-code="110901001001001" data-stale="0"' in body
    assert 'data-code="110901001001002" data-stale="1"' in body
    features = page.context["map_data"]["grids"]["features"]
    assert {f["properties"]["code"]: f["properties"]["stale"] for f in features} == {
        "110901001001001": False,
        "110901001001002": True,
    }


def test_coverage_is_scoped(login):
    url = reverse("web:patrol_coverage")
    assert login("street-a").get(url + "?node=110901001").status_code == 200
    assert login("street-a").get(url + f"?node={COMMUNITY_A}").status_code == 200
    assert login("community-b").get(url + f"?node={COMMUNITY_A}").status_code == 404
    assert login("community-b").get(url + "?node=nonsense").status_code == 404
    for who in ("grid-a", "um-a", "resident"):
        assert login(who).get(url).status_code == 404
