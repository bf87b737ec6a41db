"""Open311 reads: discovery, services, service definitions, a request, a token; jurisdictions; errors."""

from __future__ import annotations

import pytest

from chuishao.actors import SYSTEM
from chuishao.catalog.models import Category, CategoryQuestion
from chuishao.geo.importer import geo_import
from tests.api.open311_client_helpers import (
    REQUEST_FIELDS,
    SERVICE_FIELDS,
    assert_error,
    assert_valid,
    get,
    parse_json,
    parse_xml,
    post,
    xml_items,
)
from tests.factories import feature, square


@pytest.fixture
def two_cities(city):
    geo_import(
        actor=SYSTEM,
        data={
            "type": "FeatureCollection",
            "features": [feature("city", "120000", "第二市", square(117.2, 39.1, 0.01, 0.01))],
        },
    )
    return city


DISCOVERY = {
    "changeset": "2026-05-01T00:00:00+08:00",
    "contact": "The city's urban management command centre (12345).",
    "key_service": (
        "Ask the city's administrators for an API key with the open311 scope "
        "(chuishao apikey create NAME --scope open311)."
    ),
    "endpoints": [
        {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "http://testserver/open311/v2/",
            "changeset": "2026-05-01T00:00:00+08:00",
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }
    ],
}


def test_discovery_in_both_formats(client, city):
    data = parse_json(get(client, "discovery.json"))
    assert_valid("discovery", data)
    assert data == DISCOVERY  # a snapshot: civic apps configure themselves from this document
    root = parse_xml(get(client, "discovery.xml"))
    assert root.tag == "discovery"
    assert [e.tag for e in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


def test_the_schemas_refuse_what_the_spec_does_not_allow():
    """The validation the other tests rely on does bite."""
    good = {"service_request_id": "1", "status": "open", "service_code": "S0102"}
    good["requested_datetime"] = "2026-05-01T08:00:00+08:00"
    assert_valid("requests", [good])
    for broken in ({**good, "status": "pending"}, {**good, "service_request_id": 1}, {**good, "lat": ""}):
        with pytest.raises(AssertionError):
            assert_valid("requests", [broken])
    with pytest.raises(AssertionError):
        assert_valid("services", [{"service_code": "S0102", "service_name": "x", "metadata": "true"}])
    with pytest.raises(AssertionError):
        assert_valid("service_definition", {"service_code": "S0102", "attributes": [{"code": "a"}]})
    with pytest.raises(AssertionError):
        assert_valid("requests", [{**good, "requested_datetime": "2026-05-01T08:00:00"}])  # no offset


def test_a_path_without_extension_answers_in_xml(client, city):
    assert parse_xml(get(client, "discovery")).tag == "discovery"
    assert parse_xml(get(client, "services")).tag == "services"
    assert parse_xml(client.get("/open311/v2/")).tag == "discovery"


def test_services_are_the_active_minor_categories(client, city):
    Category.objects.filter(kind="event", code="0103").update(active=False)
    data = parse_json(get(client, "services.json"))
    assert_valid("services", data)
    codes = [s["service_code"] for s in data]
    minors = Category.objects.filter(parent__isnull=False, active=True, parent__active=True)
    assert sorted(codes) == sorted(c.full_code for c in minors)
    assert "S0103" not in codes and "S01" not in codes
    by_code = {s["service_code"]: s for s in data}
    cover = by_code["B0101"]
    assert cover["metadata"] is True and cover["type"] == "realtime"
    assert cover["group"] == "Public facilities"
    assert cover["description"] == Category.objects.get(kind="component", code="0101").hint
    assert "B0101" in cover["keywords"].split(",")
    assert by_code["S0102"]["metadata"] is False
    items = xml_items(parse_xml(get(client, "services.xml")), "services", "service", SERVICE_FIELDS)
    assert [i["service_code"] for i in items] == codes
    assert {i["metadata"] for i in items} == {"true", "false"}


def test_services_cost_a_fixed_number_of_queries(client, city, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert get(client, "services.json").status_code == 200


def test_service_names_follow_the_callers_language(client, city):
    data = parse_json(client.get("/open311/v2/services.json", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert {s["service_code"]: s for s in data}["B0101"]["service_name"] == "上水井盖"


def test_service_definition_maps_the_questions_to_attributes(client, city):
    data = parse_json(get(client, "services/S0505.json"))
    assert_valid("service_definition", data)
    assert data["service_code"] == "S0505"
    plate, blocking = data["attributes"]
    assert plate == {
        "variable": True,
        "code": "plate",
        "datatype": "string",
        "required": False,
        "datatype_description": "看得清就填，看不清可不填",
        "order": 1,
        "description": "Number plate",
    }
    assert blocking["datatype"] == "multivaluelist" and blocking["order"] == 2
    assert {"key": "fire_lane", "name": "fire lane"} in blocking["values"]
    root = parse_xml(get(client, "services/S0505.xml"))
    assert root.tag == "service_definition"
    attrs = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attrs] == ["plate", "blocking"]
    assert [a.tag for a in attrs[0]] == [
        "variable", "code", "datatype", "required", "datatype_description", "order", "description",
    ]  # fmt: skip
    assert attrs[1].find("values/value/key").text == "fire_lane"
    assert attrs[0].findtext("variable") == "true" and attrs[0].findtext("required") == "false"


def test_a_service_without_questions_has_no_attributes(client, city):
    data = parse_json(get(client, "services/S0102.json"))
    assert_valid("service_definition", data)
    assert data == {"service_code": "S0102", "attributes": []}
    root = parse_xml(get(client, "services/S0102.xml"))
    assert root.find("attributes") is not None and not list(root.find("attributes"))


def test_questions_added_later_are_published(client, city):
    category = Category.objects.get(kind="event", code="0102")
    CategoryQuestion.objects.create(
        category=category, code="bags", label="几袋", label_en="How many bags", datatype="number", order=3
    )
    assert parse_json(get(client, "services/S0102.json"))["attributes"][0]["code"] == "bags"
    assert {s["service_code"]: s for s in parse_json(get(client, "services.json"))}["S0102"]["metadata"]


@pytest.mark.parametrize("code", ["S9999", "S01", "X0101", "nonsense", "%E4%B8%AD"])
def test_unknown_services_are_404(client, city, code):
    assert_error(get(client, f"services/{code}.json"), 404)
    assert_error(get(client, f"services/{code}.xml"), 404, "xml")


def test_one_request_and_its_token(client, city, report):
    case = report()
    data = parse_json(get(client, f"requests/{case.number}.json"))
    assert_valid("requests", data)
    assert len(data) == 1 and data[0]["service_request_id"] == case.number
    items = xml_items(parse_xml(get(client, f"requests/{case.number}.xml")), "service_requests", "request",
                      REQUEST_FIELDS)  # fmt: skip
    assert items[0]["service_request_id"] == case.number and items[0]["status"] == "open"
    token = parse_json(get(client, f"tokens/{case.number}.json"))
    assert_valid("tokens", token)
    assert token == [{"service_request_id": case.number, "token": case.number}]
    root = parse_xml(get(client, f"tokens/{case.number}.xml"))
    assert root.tag == "service_requests"
    assert root.findtext("request/token") == case.number


@pytest.mark.parametrize("path", ["requests/20200101999999", "tokens/nope", "requests/%00"])
def test_unknown_requests_and_tokens_are_404(client, city, path):
    assert_error(get(client, f"{path}.json"), 404)
    assert_error(get(client, f"{path}.xml"), 404, "xml")


def test_jurisdiction_id_names_the_city(client, city, report):
    case = report()
    assert (
        parse_json(get(client, "requests.json", jurisdiction_id="110000"))[0]["service_request_id"]
        == case.number
    )
    assert get(client, "services.json", jurisdiction_id="").status_code == 200
    assert_error(get(client, "requests.json", jurisdiction_id="999999"), 404)
    assert_error(get(client, "services.xml", jurisdiction_id="110901"), 404, "xml")  # a district, not a city
    assert_error(get(client, f"requests/{case.number}.json", jurisdiction_id="nowhere"), 404)


def test_with_several_cities_jurisdiction_id_is_required(client, two_cities, report):
    case = report()
    assert "jurisdiction_id" in assert_error(get(client, "requests.json"), 400)
    assert_error(get(client, "services.xml"), 400, "xml")
    assert (
        parse_json(get(client, "requests.json", jurisdiction_id="110000"))[0]["service_request_id"]
        == case.number
    )
    assert parse_json(get(client, "requests.json", jurisdiction_id="120000")) == []
    # A case is found only in its own city.
    assert_error(get(client, f"requests/{case.number}.json", jurisdiction_id="120000"), 404)
    assert get(client, "discovery.json").status_code == 200


def test_wrong_methods_are_405_in_the_requested_format(client, city):
    response = post(client, "services.json", {})
    assert_error(response, 405)
    assert response["Allow"] == "GET, HEAD"
    assert_error(client.delete("/open311/v2/requests.xml"), 405, "xml")
    assert_error(client.put("/open311/v2/requests/1.json"), 405)
    assert client.delete("/open311/v2/requests.json")["Allow"] == "GET, HEAD, POST"


def test_unknown_endpoints_and_formats_are_spec_errors(client, city):
    assert_error(get(client, "nothing.json"), 404)
    assert_error(get(client, "nothing"), 404, "xml")
    assert "csv" in assert_error(get(client, "services.csv"), 404, "xml")
    assert_error(post(client, "elsewhere.json", {}), 404)
    # A newline in the path (found by the fuzzer: a service code "/\n") still gets the spec's error.
    assert_error(client.get("/open311/v2/services/%2F%0A.xml"), 404, "xml")


def test_head_answers_like_get(client, city):
    response = client.head("/open311/v2/services.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
