"""The community-worker roster and the admission register over HTTP: who sees them, who changes them,
and that a bad form comes back with its error and changes nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from chuishao import clock
from chuishao.workforce.models import Admission, AdmissionStatus, CommunityWorker, GradeChange
from chuishao.workforce.services import worker_hire
from tests.factories import PASSWORD

C1, S1, D1 = "110901001001", "110901001", "110901"


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(timezone.make_aware(dt.datetime(2026, 11, 10, 12), timezone.get_fixed_timezone(480))):
        yield


def as_(client, username: str):
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def worker(city):
    return worker_hire(
        actor=city.people["street-a"], community=city.node(C1), name="=王芳", position="社区专职工作者",
        post="other", grade=4, started_on="2018-01-01", grade_since="2023-06-01",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("who", "code", "status"),
    [("community-a", C1, 200), ("community-a", S1, 404), ("street-a", S1, 200), ("street-b", S1, 404),
     ("district-a", D1, 200), ("leader", "110000", 200), ("um-a", C1, 404), ("grid-a", C1, 404),
     ("resident", C1, 404)],
)  # fmt: skip
def test_who_reads_a_roster(client, city, worker, who, code, status):
    response = as_(client, who).get(reverse("web:workforce_roster", args=[code]))
    assert response.status_code == status
    if status == 200:
        assert "=王芳" in response.content.decode()


def test_the_roster_shows_coefficient_and_due_step_and_steps_up(client, city, worker):
    page = as_(client, "street-a").get(reverse("web:workforce_roster", args=[S1])).content.decode()
    assert "1.18" in page  # grade 4: 1.00 + 3 × 0.06
    assert "2026-06-01" in page
    assert reverse("web:workforce_act", args=[S1, worker.pk, "step"]) in page
    response = client.post(reverse("web:workforce_act", args=[S1, worker.pk, "step"]), {})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert (worker.grade, worker.grade_since) == (5, dt.date(2026, 11, 10))


def test_community_staff_read_but_do_not_change(client, city, worker):
    page = as_(client, "community-a").get(reverse("web:workforce_roster", args=[C1])).content.decode()
    assert reverse("web:workforce_hire", args=[C1]) not in page
    client.post(reverse("web:workforce_act", args=[C1, worker.pk, "adjust"]), {"grade": 9, "reason": "x"})
    worker.refresh_from_db()
    assert worker.grade == 4
    assert GradeChange.objects.filter(worker=worker).count() == 1


def test_a_bad_hire_comes_back_with_its_error(client, city):
    url = reverse("web:workforce_hire", args=[S1])
    data = {"hire-community": "", "community": city.node(C1).pk, "name": "李强", "post": "head", "grade": 3,
            "started_on": "2020-01-01"}  # fmt: skip
    response = as_(client, "street-a").post(url, data)
    assert response.status_code == 400
    assert "7" in response.content.decode() and CommunityWorker.objects.count() == 0
    data["grade"] = 8
    assert client.post(url, data).status_code == 302
    assert CommunityWorker.objects.get().grade == 8


def test_a_worker_of_another_street_is_not_found(client, city, worker):
    response = as_(client, "street-b").post(
        reverse("web:workforce_act", args=["110902001", worker.pk, "leave"]), {"reason": "x"}
    )
    assert response.status_code == 404
    worker.refresh_from_db()
    assert worker.ended_on is None


def test_the_roster_xlsx_neutralises_formulas(client, city, worker):
    response = as_(client, "street-a").get(reverse("web:workforce_roster", args=[S1]) + "?format=xlsx")
    book = load_workbook(io.BytesIO(response.content))
    names = [row[1] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert names == ["'=王芳"]
    first = next(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert first[0] == city.node(C1).name and first[4] == 1


def test_the_worker_page_lists_the_history(client, city, worker):
    page = as_(client, "community-a").get(reverse("web:workforce_worker", args=[worker.pk])).content.decode()
    assert "2023-06-01" in page
    assert (
        as_(client, "community-b").get(reverse("web:workforce_worker", args=[worker.pk])).status_code == 404
    )


def test_request_admit_and_register_over_http(client, city):
    as_(client, "um-a")
    data = {"scope": city.node(D1).pk, "org": city.orgs["um-110901"].pk, "kind": "form", "basis": "",
            "title": "门前三包检查表", "frequency": "monthly", "starts_on": "2026-10-01"}  # fmt: skip
    response = client.post(reverse("web:admission_new"), data)
    assert response.status_code == 400 and Admission.objects.count() == 0
    data["basis"] = "区城市管理考核办法"
    assert client.post(reverse("web:admission_new"), data).status_code == 302
    item = Admission.objects.get()
    # Another district's scope is not among the choices: the form refuses it.
    data["scope"] = city.node("110902").pk
    assert client.post(reverse("web:admission_new"), data).status_code == 400
    assert Admission.objects.count() == 1

    as_(client, "street-a")
    client.post(reverse("web:admission_act", args=[item.pk, "admit"]))
    item.refresh_from_db()
    assert item.status == AdmissionStatus.REQUESTED
    page = as_(client, "district-a").get(reverse("web:admissions")).content.decode()
    assert reverse("web:admission_act", args=[item.pk, "admit"]) in page
    client.post(reverse("web:admission_act", args=[item.pk, "admit"]))
    item.refresh_from_db()
    assert item.status == AdmissionStatus.ADMITTED
    page = as_(client, "community-a").get(reverse("web:admissions")).content.decode()
    assert "门前三包检查表" in page
    assert (
        as_(client, "district-b").get(reverse("web:admissions")).content.decode().count("门前三包检查表") == 0
    )


def test_residents_have_no_register(client, city):
    assert as_(client, "resident").get(reverse("web:admissions")).status_code == 404


def test_the_catalogue_says_what_each_report_replaces(client, city):
    page = as_(client, "community-a").get(reverse("web:reports")).content.decode()
    from chuishao.web.community_report import CATALOGUE

    table = page.split('data-testid="catalogue"')[1].split("</table>")[0]
    assert table.count("<tr>") == len(CATALOGUE) + 1  # the header and one row per report
    assert reverse("web:report_community") in page
    assert as_(client, "resident").get(reverse("web:reports")).status_code == 404
    assert as_(client, "um-a").get(reverse("web:reports")).status_code == 404


def test_the_community_month_is_read_from_the_data(client, city, worker):
    from chuishao.cases.services import case_report
    from tests.factories import grid_centre

    lat, lng = grid_centre("110901001001001")
    with clock.frozen(timezone.make_aware(dt.datetime(2026, 10, 12, 9), timezone.get_fixed_timezone(480))):
        for _ in range(2):
            case_report(
                actor=city.people["resident"], source="resident_web", category="S0102", description="垃圾",
                lat=lat, lng=lng,
            )  # fmt: skip
    from chuishao.gridwork.services import patrol_end, patrol_start, visit_record

    tz = timezone.get_fixed_timezone(480)
    with clock.frozen(timezone.make_aware(dt.datetime(2026, 10, 13, 9), tz)):
        patrol_start(actor=city.people["grid-a"])
        visit_record(
            actor=city.people["grid-a"], grid="110901001001001", kind="household", household="3-2-501",
            discussed="楼道堆物", follow_up=True, follow_up_note="下周复查",
        )  # fmt: skip
    with clock.frozen(timezone.make_aware(dt.datetime(2026, 10, 13, 11, 30), tz)):
        patrol_end(actor=city.people["grid-a"])
    url = reverse("web:report_community_node", args=[C1])
    page = as_(client, "community-a").get(url + "?month=2026-10").content.decode()
    received, public_first = _rows(page)[:2]
    assert (received[1], public_first[1]) == ("2", "2")
    grid_work = page.split('data-testid="section-gridwork"')[1].split("</table>")[0]
    patrols, hours, walked, households, _units, follow_up = (v for _k, v in _rows(grid_work)[:6])
    assert (patrols, hours, walked, households, follow_up) == ("1", "2.5", "1 / 2", "1", "1")
    response = client.get(url + "?month=2026-10&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    lines = [row for row in sheet.iter_rows(values_only=True) if row and row[0]]
    assert lines[2][:2] == (received[0], 2), "the sheet holds the page's figures"
    september = _rows(client.get(url + "?month=2026-09").content.decode())
    assert september[0][1] == "0"
    assert as_(client, "community-b").get(url).status_code == 404


def _rows(page: str):
    import re

    return re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">([^<]+)</td></tr>", page)


def test_odd_codes_are_not_found_not_errors(client, city):
    as_(client, "street-a")
    assert client.get(reverse("web:workforce_home") + "?n=a/b").status_code == 404
    assert client.get(reverse("web:report_community") + "?c=a/b").status_code == 404


def test_the_register_reads_a_fixed_number_of_queries(client, city, django_assert_max_num_queries):
    from chuishao.workforce.services import admission_request

    def ask(n):
        for i in range(n):
            admission_request(
                actor=city.people["um-a"], scope=city.node(D1), kind="form", title=f"报表{i}", basis="依据",
                starts_on="2026-11-01", org=city.orgs["um-110901"],
            )  # fmt: skip

    as_(client, "district-a")
    ask(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("web:admissions"))
    ask(8)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("web:admissions"))
    assert len(many) == len(few)
