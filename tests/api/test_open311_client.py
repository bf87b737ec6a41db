"""A published Open311 client against a live server: ``georeport`` (PyPI), the maintained Python one.

``georeport`` reads (services, definitions, requests, one request) in JSON and XML; it cannot create
requests, and the older published clients (``three``, ``open311``) are Python 2 only. Reports and
tokens are therefore sent the way a civic app without a library sends them: plain HTTP (``requests``).
"""

from __future__ import annotations

import pytest
import requests
from django.db import connections

from chuishao.cases.models import Case
from tests.api.open311_client_helpers import assert_valid, png
from tests.factories import grid_centre

georeport = pytest.importorskip("georeport", reason="dev extra: pip install georeport")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def base(city, live_server, monkeypatch):
    # A server thread left waiting on a kept-alive socket must not hold a persistent database connection
    # (PostgreSQL would refuse to drop the test database at the end).
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    return f"{live_server.url}/open311/v2"


def test_the_client_reads_services_and_definitions(base):
    for fmt in ("json", "xml"):
        client = georeport.GeoReport(base, jurisdiction="110000", output_format=fmt)
        services = client.get_service_list()
        by_code = {s["service_code"]: s for s in services}
        assert "S0505" in by_code and "B0101" in by_code
        definition = client.get_service_definition("S0505")
        attributes = definition["attributes"]
        if fmt == "xml":  # xmltodict: <attributes><attribute>… becomes {"attribute": [...]}
            attributes = attributes["attribute"]
        assert [a["code"] for a in attributes] == ["plate", "blocking"]
    assert_valid("services", georeport.GeoReport(base, output_format="json").get_service_list())


def test_a_report_sent_over_http_is_read_back_by_the_client(base, make_key):
    key = make_key(name="civic app")
    lat, lng = grid_centre("110901001001001")
    form = {
        "api_key": key,
        "jurisdiction_id": "110000",
        "service_code": "S0505",
        "lat": lat,
        "long": lng,
        "description": "车停在消防通道上，联系13812341234",
        "attribute[plate]": "京A12345",
        "attribute[blocking][]": ["fire_lane", "crossing"],
        "first_name": "Ada",
        "last_name": "Lee",
        "email": "ada@example.org",
    }
    photo = {"media": ("p.png", png().read(), "image/png")}
    answer = requests.post(f"{base}/requests.json", data=form, files=photo, timeout=30)
    assert answer.status_code == 201, answer.text
    assert_valid("created", answer.json())
    number = answer.json()[0]["service_request_id"]
    assert Case.objects.get(number=number).answers == {
        "plate": "京A12345",
        "blocking": ["fire_lane", "crossing"],
    }
    assert Case.objects.get(number=number).media.count() == 1
    # A retried form post under one Idempotency-Key creates one case.
    retried = [
        requests.post(f"{base}/requests.xml", data=form, headers={"Idempotency-Key": "live-1"}, timeout=30)
        for _ in range(2)
    ]
    assert retried[0].status_code == retried[1].status_code == 201
    assert retried[0].content == retried[1].content and retried[1].headers["Idempotent-Replayed"] == "true"
    assert Case.objects.filter(source="open311").count() == 2

    token = requests.get(f"{base}/tokens/{number}.json", timeout=30).json()
    assert token == [{"service_request_id": number, "token": number}]

    client = georeport.GeoReport(base, jurisdiction="110000")
    request = client.get_service_request(number)
    assert request["status"] == "open" and request["service_code"] == "S0505"
    assert request["description"] == "车停在消防通道上，联系138****1234"
    listed = client.get_service_requests(service_code="S0505", status="open")
    second = retried[0].text.split("<service_request_id>")[1].split("<")[0]
    assert [r["service_request_id"] for r in listed] == [second, number]
    xml_client = georeport.GeoReport(base, jurisdiction="110000", output_format="xml")
    assert xml_client.get_service_request(number)["service_request_id"] == number
    for raw in (
        requests.get(f"{base}/requests.json", timeout=30).text,
        requests.get(f"{base}/requests.xml", timeout=30).text,
    ):
        assert "Ada" not in raw and "ada@example.org" not in raw and "13812341234" not in raw


def test_the_client_sees_refusals_as_http_errors(base):
    client = georeport.GeoReport(base, jurisdiction="999999")
    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_list()
    assert refused.value.response.status_code == 404
    assert refused.value.response.json()[0]["code"] == 404
    with pytest.raises(requests.HTTPError):
        georeport.GeoReport(base).get_service_requests(start_date="yesterday")
