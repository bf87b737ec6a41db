"""The grid worker's workspace: my grid's open cases, what waits for me, reporting on the spot."""

from __future__ import annotations

from django.urls import reverse

from chuishao.cases.models import Case, Source, Status
from tests.factories import grid_centre
from tests.web.conftest import GRID_A


def _post_report(client, *, patrol: bool):
    lat, lng = grid_centre(GRID_A)
    data = {"category": "S0102", "description": "路边垃圾堆积", "lat": f"{lat}", "lng": f"{lng}"}
    if patrol:
        data["patrol"] = "1"
    return client.post(reverse("web:report"), data)


def test_my_grid_lists_what_waits_for_me(login, report):
    public = report(grid=GRID_A)  # a resident's report: the grid worker verifies it on site
    elsewhere = report(grid="110901001001002")
    client = login("grid-a")
    assert client.get("/").url == reverse("web:grid")
    page = client.get(reverse("web:grid"))
    assert page.status_code == 200
    verify = [c.number for c, _colour in page.context["to_verify"]]
    assert verify == [public.number]
    assert elsewhere.number not in page.content.decode()
    assert page.context["map_data"]["cases"][0]["number"] == public.number


def test_reporting_on_patrol_files_a_verified_case(login):
    client = login("grid-a")
    assert "patrol" in client.get(reverse("web:report") + "?patrol=1").content.decode()
    response = _post_report(client, patrol=True)
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == reverse("web:case_detail", args=[case.pk])
    assert (case.source, case.status) == (Source.GRID_PATROL, Status.VERIFIED)
    assert case.reporter_id is None


def test_a_resident_cannot_report_as_a_patrol(login):
    _post_report(login("resident"), patrol=True)
    assert Case.objects.get().source == Source.RESIDENT_WEB


def test_only_grid_workers_have_a_grid_page(login):
    for who in ("resident", "street-a", "um-a"):
        assert login(who).get(reverse("web:grid")).status_code == 404


def test_on_patrol_the_category_is_description_enough(login):
    lat, lng = grid_centre(GRID_A)
    login("grid-a").post(
        reverse("web:report"), {"category": "S0102", "lat": f"{lat}", "lng": f"{lng}", "patrol": "1"}
    )
    case = Case.objects.get()
    assert case.description == case.category.name and case.status == Status.VERIFIED


def test_my_patrol_today_lists_what_i_did(login, report, city):
    from chuishao.cases.services import case_act

    public = report(grid=GRID_A)
    client = login("grid-a")
    _post_report(client, patrol=True)
    case_act(case=public, action="verify", actor=city.people["grid-a"])
    page = client.get(reverse("web:grid"))
    today = [(e.verb, e.case_id) for e, _words in page.context["today"]]
    patrol_case = Case.objects.exclude(pk=public.pk).get()
    assert ("case.verify", public.pk) in today and ("case.reported", patrol_case.pk) in today
    assert ("case.reported", public.pk) not in today  # the resident's report is not the worker's work
    assert len(page.context["tally"]) == 2
