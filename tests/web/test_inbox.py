"""The notification inbox and the evaluation tables as pages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.urls import reverse

from chuishao.cases.services import case_dispatch, case_file
from chuishao.evaluation.services import rollup_rebuild
from chuishao.notify.models import Notification
from chuishao.notify.services.fanout import fanout


def test_a_department_finds_a_dispatched_case_in_its_inbox_and_marks_it_read(city, report, login):
    case = report(by="grid-a", source="grid_patrol")
    case_file(case=case, actor=city.people["street-a"])
    case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])
    fanout()
    client = login("um-a")
    page = client.get(reverse("web:notifications"))
    assert page.status_code == 200
    mine = Notification.objects.filter(recipient=city.people["um-a"], case=case)
    assert mine.exists()
    assert mine.first().title in page.content.decode()
    assert 'class="badge"' in page.content.decode()
    client.post(reverse("web:notifications_read"))
    assert not mine.filter(read_at__isnull=True).exists()
    # Another district's street is told nothing about it.
    assert not Notification.objects.filter(recipient=city.people["street-b"], case=case).exists()


def test_the_evaluation_table_and_its_exports(city, report, login):
    case = report(by="grid-a", source="grid_patrol")
    case_file(case=case, actor=city.people["street-a"])
    rollup_rebuild(settle=dt.timedelta(0))
    client = login("district-a")
    period = f"{case.created_at.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m}"
    page = client.get(reverse("web:evaluation"), {"unit": "street", "period": period})
    assert page.status_code == 200
    assert city.nodes["110901001"].name in page.content.decode()
    csv = client.get(reverse("web:evaluation"), {"unit": "street", "period": period, "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    xlsx = client.get(reverse("web:evaluation"), {"unit": "street", "period": period, "format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    # A district centre sees its own streets only.
    assert city.nodes["110902001"].name not in page.content.decode()


def test_residents_have_no_evaluation_page(city, login):
    assert login("resident").get(reverse("web:evaluation")).status_code == 404
