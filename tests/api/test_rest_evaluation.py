"""REST evaluation: one month's indicators scoped to the caller's reach, a unit's trend, and the export's
content type and body; refusals for non-staff, key scopes, bad parameters and query bounds."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from chuishao import clock
from chuishao.cases.services import case_dispatch, case_file
from chuishao.evaluation.definitions import COUNT_NAMES, RATES
from chuishao.evaluation.exports import export_columns
from chuishao.evaluation.services import rollup_rebuild

EVALUATION = "/api/v1/evaluation/"
MARCH = dt.datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def as_key(make_key):
    def make(person: str, scopes=("read",)) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {make_key(scopes=scopes, person=person)}")
        return client

    return make


@pytest.fixture
def rollup(city, report):
    """March 2026: three cases in street A (two dispatched to urban management), one in street B."""
    with clock.frozen(MARCH):
        for i in range(3):
            case = case_file(case=report(), actor=city.people["street-a"])
            if i < 2:
                case_dispatch(case=case, actor=city.people["street-a"], lead=city.orgs["um-110901"])
        case_file(case=report(grid="110902001001001"), actor=city.people["street-b"])
        rollup_rebuild()
    return city


def indicators(client, **params):
    return client.get(f"{EVALUATION}indicators/", {"period": "2026-03", **params})


def test_indicators_are_scoped_to_the_callers_reach(rollup, as_key):
    city = rollup
    whole = indicators(as_key("city")).json()
    assert whole["period"] == "2026-03" and whole["unit_kind"] == "street"
    assert whole["city"] == {"code": "110000", "name": "测试市"}
    by_street = {r["unit_name"]: r for r in whole["rows"]}
    assert set(by_street) == {"街道1", "街道2"}
    street_a = by_street["街道1"]
    assert street_a["unit_id"] == city.node("110901001").pk
    assert street_a["counts"]["received"] == 3 and street_a["counts"]["filed"] == 3
    assert street_a["counts"]["dispatched"] == 2 and by_street["街道2"]["counts"]["received"] == 1
    assert set(street_a["counts"]) == set(COUNT_NAMES) and set(street_a["rates"]) == {r.name for r in RATES}
    assert street_a["period"] == "2026-03"

    # A street sees its own row only, with its city-wide rank; the district the same
    own = indicators(as_key("street-a")).json()["rows"]
    assert [r["unit_name"] for r in own] == ["街道1"] and own[0]["rank"] == street_a["rank"]
    assert [r["unit_name"] for r in indicators(as_key("district-b")).json()["rows"]] == ["街道2"]
    grids = indicators(as_key("street-a"), unit="grid").json()["rows"]
    assert [r["unit_id"] for r in grids] == [city.node("110901001001001").pk]
    assert indicators(as_key("street-b"), unit="grid").json()["rows"][0]["counts"]["received"] == 1
    # Department staff see their organisation among departments
    departments = indicators(as_key("um-a"), unit="department").json()["rows"]
    assert [r["unit_id"] for r in departments] == [city.orgs["um-110901"].pk]
    assert indicators(as_key("um-b"), unit="department").json()["rows"] == []
    # Another month has no rows
    assert indicators(as_key("city"), period="2026-01").json()["rows"] == []


def test_residents_and_bad_parameters_are_refused(rollup, as_key):
    response = indicators(as_key("resident"))
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert as_key("resident").get(f"{EVALUATION}export/").status_code == 403
    client = as_key("city")
    for params, field in (
        ({"period": "2026-13"}, "period"),
        ({"period": "March"}, "period"),
        ({"unit": "x"}, "unit"),
    ):
        response = indicators(client, **params)
        assert response.status_code == 400 and field in response.json()["fields"]
    assert as_key("city", scopes=("write",)).get(f"{EVALUATION}indicators/").status_code == 403
    assert APIClient().get(f"{EVALUATION}indicators/").status_code == 401


def test_the_trend_of_a_unit_within_reach(rollup, as_key):
    city = rollup
    street_a = city.node("110901001").pk
    params = {"unit_kind": "street", "unit": street_a, "months": 3, "period": "2026-04"}
    data = as_key("street-a").get(f"{EVALUATION}trend/", params).json()
    assert data["unit_id"] == street_a and data["unit_name"] == "街道1"
    assert [r["period"] for r in data["rows"]] == ["2026-02", "2026-03", "2026-04"]
    assert [r["counts"]["received"] for r in data["rows"]] == [0, 3, 0]
    # Street B's trend is outside street A's reach
    response = as_key("street-a").get(f"{EVALUATION}trend/", {**params, "unit": city.node("110902001").pk})
    assert response.status_code == 404 and response.json()["code"] == "evaluation.unit_not_found"
    over_the_year = {**params, "period": "2026-01", "months": 2}
    assert [r["period"] for r in as_key("city").get(f"{EVALUATION}trend/", over_the_year).json()["rows"]] == [
        "2025-12",
        "2026-01",
    ]
    for bad in ({"months": 0}, {"months": 37}, {"unit": "abc"}, {"unit_kind": "planet"}):
        assert as_key("city").get(f"{EVALUATION}trend/", {**params, **bad}).status_code == 400, bad


def test_export_csv_and_xlsx(rollup, as_key):
    client = as_key("street-a")
    response = client.get(f"{EVALUATION}export/", {"period": "2026-03", "unit": "street", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="evaluation-street-2026-03.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0] == export_columns() and len(table) == 2  # the street's own row only
    assert table[1][3] == "街道1" and table[1][0] == "2026-03"
    received = table[0].index(next(h for h in table[0] if h in ("received", "受理")))
    assert table[1][received] == "3"

    response = as_key("city").get(f"{EVALUATION}export/", {"period": "2026-03", "format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[3] for r in rows[1:]] == ["街道1", "街道2"]
    response = client.get(f"{EVALUATION}export/", {"format": "pdf"})
    assert response.status_code == 400 and response["Content-Type"] == "application/json"


def test_query_counts_do_not_grow_with_units(rollup, as_key):
    client = as_key("city")
    client.get(f"{EVALUATION}indicators/")  # the key's first use is recorded once

    def count(unit: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert indicators(client, unit=unit).status_code == 200
        return len(ctx)

    assert count("grid") == count("street") <= 8
