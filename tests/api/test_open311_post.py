"""POST requests: keys, bodies (form and multipart), answers, places, contacts, events, errors."""

from __future__ import annotations

import pytest

from chuishao.actors import SYSTEM
from chuishao.cases.models import Case, CaseMedia, Source
from chuishao.events.models import Event
from chuishao.orgs.apikeys import apikey_authenticate, apikey_revoke
from tests.api.open311_client_helpers import (
    assert_error,
    assert_valid,
    form_post,
    parse_json,
    parse_xml,
    png,
    post,
)
from tests.factories import grid_centre

GRID = "110901001001002"


@pytest.fixture
def key(make_key):
    return make_key(name="civic app")


@pytest.fixture
def where(city):
    lat, lng = grid_centre(GRID)
    return {"lat": str(lat), "long": str(lng)}


def fields(key: str, where: dict, **extra) -> dict:
    return {"api_key": key, "service_code": "S0102", "description": "垃圾桶满了", **where, **extra}


def created_case(response) -> Case:
    assert response.status_code == 201, response.content[:400]
    data = parse_json(response)
    assert_valid("created", data)
    return Case.objects.get(number=data[0]["service_request_id"])


def test_a_form_post_creates_a_routed_case_as_the_key(client, city, key, where):
    response = form_post(client, "requests.json", fields(key, where))
    case = created_case(response)
    data = parse_json(response)[0]
    assert data["service_request_id"] == case.number and isinstance(data["service_request_id"], str)
    assert "due by" in data["service_notice"] and data["account_id"] is None
    assert response["Location"].endswith(f"/open311/v2/requests/{case.number}.json")
    assert case.source == Source.OPEN311 and case.city_id == city.city.pk
    assert case.grid.code == GRID and case.street.code == "110901001"
    assert case.category.full_code == "S0102" and case.description == "垃圾桶满了"
    event = Event.objects.get(case=case, verb="case.reported")
    stored = apikey_authenticate(key)
    assert event.actor_label == f"api key civic app ({stored.prefix})" and event.actor_id is None


def test_the_xml_answer_carries_the_id_and_notice(client, city, key, where):
    response = post(client, "requests.xml", fields(key, where, account_id="u-17"))
    assert response.status_code == 201
    root = parse_xml(response)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert [e.tag for e in request] == ["service_request_id", "service_notice", "account_id"]
    assert Case.objects.filter(number=request.findtext("service_request_id")).exists()
    assert request.findtext("account_id") == "u-17"


def test_a_path_without_extension_posts_in_xml(client, city, key, where):
    assert parse_xml(post(client, "requests", fields(key, where))).tag == "service_requests"


def test_multipart_with_a_photo(client, city, key, where):
    response = post(client, "requests.json", fields(key, where, media=png()))
    case = created_case(response)
    media = CaseMedia.objects.get(case=case)
    assert media.content_type == "image/png" and media.purpose == "report"


def test_a_file_that_is_not_a_photo_is_refused(client, city, key, where):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    assert "photo" in assert_error(post(client, "requests.json", fields(key, where, media=fake)), 400)
    assert not Case.objects.exists()


def test_the_key_may_come_in_the_query_string_or_a_header(client, city, key, where):
    body = fields("", where)
    created_case(form_post(client, "requests.json", body, query=f"api_key={key}"))
    created_case(form_post(client, "requests.json", body, HTTP_X_API_KEY=key))
    # An empty body value does not hide the one in the query string.
    created_case(form_post(client, "requests.json", body | {"api_key": ""}, query=f"api_key={key}"))
    assert Case.objects.count() == 3


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_no_valid_key_no_report(client, city, make_key, where, fmt):
    assert_error(form_post(client, f"requests.{fmt}", fields("", where)), 403, fmt)
    assert_error(form_post(client, f"requests.{fmt}", fields("cs_unknown_key", where)), 403, fmt)
    intake_only = make_key(scopes=["intake"])
    description = assert_error(form_post(client, f"requests.{fmt}", fields(intake_only, where)), 403, fmt)
    assert "open311" in description
    revoked = make_key()
    apikey_revoke(actor=SYSTEM, key=apikey_authenticate(revoked))
    assert_error(form_post(client, f"requests.{fmt}", fields(revoked, where)), 403, fmt)
    assert not Case.objects.exists()


def test_attributes_become_the_answers(client, city, key, where):
    body = fields(key, where, service_code="S0505", description="车挡住了消防通道")
    body |= {"attribute[plate]": "京A12345", "attribute[blocking][]": ["fire_lane", "crossing"]}
    case = created_case(form_post(client, "requests.json", body))
    assert case.answers == {"plate": "京A12345", "blocking": ["fire_lane", "crossing"]}


def test_a_multivaluelist_also_takes_repeated_plain_fields(client, city, key, where):
    body = fields(key, where, service_code="S0505") | {"attribute[blocking]": ["bus_stop", "fire_lane"]}
    assert created_case(form_post(client, "requests.json", body)).answers == {
        "blocking": ["bus_stop", "fire_lane"]
    }


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({}, "井盖状况"),  # required and missing (the domain names the question by its label)
        ({"attribute[cover_state]": "stolen"}, "not a choice"),
        ({"attribute[cover_state]": ["missing", "broken"]}, "one value"),
        ({"attribute[cover_state]": "missing", "attribute[colour]": "red"}, "colour"),
    ],
)
def test_wrong_answers_are_400(client, city, key, where, extra, words):
    body = fields(key, where, service_code="B0101") | extra
    assert words in assert_error(form_post(client, "requests.json", body), 400)
    assert not Case.objects.exists()


def test_an_address_without_a_point(client, city, key):
    body = fields(key, {}, address_string="幸福路12号", address_id="A-77")
    case = created_case(form_post(client, "requests.json", body))
    assert case.address == "幸福路12号 (address_id A-77)" and case.grid_id is None and case.lat is None
    assert case.city_id == city.city.pk


@pytest.mark.parametrize(
    "place",
    [{}, {"lat": "39.9"}, {"lat": "north", "long": "116.3"}, {"lat": "91", "long": "116.3"}],
)
def test_a_place_is_required_and_must_be_a_point(client, city, key, place):
    assert_error(form_post(client, "requests.xml", fields(key, place)), 400, "xml")


@pytest.mark.parametrize("code", ["", "S9999", "S01", "garbage"])
def test_unknown_service_codes_are_400(client, city, key, where, code):
    assert "service" in assert_error(
        form_post(client, "requests.json", fields(key, where, service_code=code)), 400
    )


def test_a_description_is_required(client, city, key, where):
    assert_error(form_post(client, "requests.json", fields(key, where, description="  ")), 400)


def test_contact_details_are_kept_for_staff(client, city, key, where):
    body = fields(key, where, first_name="三", last_name="张", phone="13812341234", email="z@example.org")
    case = created_case(form_post(client, "requests.json", body | {"device_id": "d-1"}))
    assert (case.reporter_name, case.reporter_phone, case.reporter_email) == (
        "张三",
        "13812341234",
        "z@example.org",
    )
    latin = created_case(
        form_post(client, "requests.json", fields(key, where, first_name="Ada", last_name="Lee"))
    )
    assert latin.reporter_name == "Ada Lee"


@pytest.mark.parametrize(("field", "value"), [("phone", "call me"), ("email", "not-an-address")])
def test_bad_contact_details_are_400(client, city, key, where, field, value):
    assert_error(form_post(client, "requests.xml", fields(key, where, **{field: value})), 400, "xml")


def test_media_url_is_recorded_in_the_description(client, city, key, where):
    body = fields(key, where, media_url="https://photos.example.org/1.jpg")
    case = created_case(form_post(client, "requests.json", body))
    assert case.description == "垃圾桶满了\n\nPhoto link: https://photos.example.org/1.jpg"
    assert_error(form_post(client, "requests.json", fields(key, where, media_url="javascript:alert(1)")), 400)


def test_a_point_in_another_city_is_refused(client, city, key, where):
    from chuishao.geo.importer import geo_import
    from tests.factories import feature, square

    area = square(117.2, 39.1, 0.01, 0.01)
    chain = [("city", "120000", None), ("district", "120101", "120000"), ("street", "120101001", "120101")]
    chain += [("community", "120101001001", "120101001"), ("grid", "120101001001001", "120101001001")]
    geo_import(
        actor=SYSTEM,
        data={"type": "FeatureCollection", "features": [feature(k, c, c, area, p) for k, c, p in chain]},
    )
    other = {"lat": "39.105", "long": "117.205"}
    description = assert_error(
        form_post(client, "requests.json", fields(key, other, jurisdiction_id="110000")), 400
    )
    assert "jurisdiction" in description
    case = created_case(form_post(client, "requests.json", fields(key, other, jurisdiction_id="120000")))
    assert case.grid.code == "120101001001001"
    assert_error(form_post(client, "requests.json", fields(key, where)), 400)  # which city? say it
    assert_error(form_post(client, "requests.json", fields(key, where, jurisdiction_id="9")), 404)


def test_domain_messages_follow_the_callers_language(client, city, key, where):
    response = form_post(
        client, "requests.json", fields(key, where, description=""), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert_error(response, 400)
    assert parse_json(response)[0]["description"] != "Describe the problem."


@pytest.mark.parametrize("idempotency", [{}, {"HTTP_IDEMPOTENCY_KEY": "big"}])
def test_a_body_too_large_is_413(client, city, key, where, settings, idempotency):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = fields(key, where, description="长" * 2000)
    assert_error(form_post(client, "requests.json", body, **idempotency), 413)
    assert not Case.objects.exists()


def test_too_many_fields_is_400(client, city, key, where, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    body = fields(key, where) | {f"x{i}": "1" for i in range(30)}
    assert_error(form_post(client, "requests.xml", body), 400, "xml")
