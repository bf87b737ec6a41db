"""POST /api/v1/cases/: reports by key, session and anonymous callers; refusals, retries and limits."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from chuishao.actors import SYSTEM
from chuishao.cases.models import Case, CaseMedia, Source, Status
from chuishao.events.models import Event
from chuishao.orgs.apikeys import apikey_create
from tests.api.rest_cases_helpers import CASES, body, fields_of, key_client, png, session_client
from tests.factories import grid_centre


@pytest.fixture(autouse=True)
def fresh_rate_counts():
    cache.clear()
    yield
    cache.clear()


def test_a_key_with_the_intake_scope_reports_as_another_system(city, make_key):
    response = key_client(make_key(scopes=["intake"])).post(CASES, body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    case = Case.objects.get(number=data["number"])
    assert case.source == Source.OTHER_SYSTEM and case.reporter is None
    assert case.status == Status.REPORTED and case.grid.code == "110901001001001"
    assert data["grid"]["code"] == "110901001001001" and data["street"]["code"] == "110901001"
    assert data["follow_url"].endswith(f"/follow/{case.number}/{case.follow_token}/")
    assert response["Location"] == data["url"] and data["url"].endswith(f"/api/v1/cases/{case.number}/")
    event = Event.objects.get(case=case, verb="case.reported")
    assert event.actor_id is None and "api key" in event.actor_label


def test_anyone_may_report_without_credentials_and_gets_the_follow_link(city, client):
    response = APIClient().post(CASES, body(anonymous=True), format="json")
    assert response.status_code == 201, response.json()
    case = Case.objects.get(number=response.json()["number"])
    assert case.source == Source.RESIDENT_WEB and case.reporter is None and case.anonymous
    # The link works on the web: the reporter follows the case with it.
    page = client.get(response.json()["follow_url"])
    assert page.status_code == 200 and case.number in page.content.decode()
    assert Event.objects.get(case=case, verb="case.reported").actor_label == "anonymous"


def test_a_signed_in_resident_reports_as_the_reporter(city):
    response = session_client(city, "resident").post(CASES, body(), format="json")
    assert response.status_code == 201
    case = Case.objects.get(number=response.json()["number"])
    assert case.reporter == city.people["resident"] and case.source == Source.RESIDENT_WEB
    # ... and can read it back.
    detail = session_client(city, "resident").get(response.json()["url"])
    assert detail.status_code == 200 and detail.json()["reporter"]["is_you"] is True


def test_a_session_needs_the_csrf_token_to_report(city):
    client = session_client(city, "resident", csrf=True)
    refused = client.post(CASES, body(), format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not Case.objects.exists()


def test_hotline_staff_report_a_call_with_the_callers_details(city):
    response = session_client(city, "street-a").post(
        CASES, body(source="hotline", reporter_email="caller@example.org"), format="json"
    )
    assert response.status_code == 201, response.json()
    case = Case.objects.get(number=response.json()["number"])
    assert case.source == Source.HOTLINE and case.reporter is None
    assert case.reporter_phone == "13912345678" and case.reporter_email == "caller@example.org"


@pytest.mark.parametrize(
    ("who", "source", "status", "code"),
    [
        ("resident", "hotline", 403, "case.permission_denied"),  # the service checks the role
        ("anonymous", "hotline", 403, "source.not_allowed"),
        ("intake-key", "resident_web", 403, "source.not_allowed"),
        ("resident", "other_system", 403, "source.not_allowed"),
        ("resident", "open311", 403, "source.not_allowed"),
        ("resident", "carrier pigeon", 400, "request.invalid"),
    ],
)
def test_sources_a_caller_may_not_use_are_refused(city, make_key, who, source, status, code):
    if who == "anonymous":
        client = APIClient()
    elif who == "intake-key":
        client = key_client(make_key(scopes=["intake"]))
    else:
        client = session_client(city, who)
    response = client.post(CASES, body(source=source), format="json")
    assert response.status_code == status and response.json()["code"] == code
    assert not Case.objects.exists()


def test_a_key_without_the_intake_or_write_scope_may_not_report(city, make_key):
    response = key_client(make_key(scopes=["open311"])).post(CASES, body(), format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not Case.objects.exists()


@pytest.mark.parametrize("raw", ["cs_unknown_key", "Token"])
def test_an_unknown_key_is_401_even_for_intake(city, raw):
    response = key_client(raw).post(CASES, body(), format="json")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_a_revoked_key_is_401(city):
    from chuishao.orgs.apikeys import apikey_revoke

    key, raw = apikey_create(actor=SYSTEM, name="old feed", scopes=["intake"])
    apikey_revoke(actor=SYSTEM, key=key)
    response = key_client(raw).post(CASES, body(), format="json")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"category": "S9999"}, "category", "category.unknown"),
        ({"category": "garbage"}, "category", "category.bad_code"),
        ({"description": None}, "description", "null"),
        ({"description": ""}, "description", "blank"),
        ({"lat": 91.0}, "lat", "max_value"),
        ({"lng": "east"}, "lng", "invalid"),
        ({"lng": None}, "lng", "location.incomplete"),
        ({"lat": None, "lng": None}, "address", "location.missing"),
        ({"nature": "rant"}, "nature", "invalid_choice"),
        ({"answers": ["not", "an", "object"]}, "answers", "not_a_dict"),
        ({"city": "nowhere"}, "city", "city.unknown"),
    ],
)
def test_bad_input_is_refused_with_field_codes(city, make_key, change, field, code):
    data = body(**change)
    if change.get("description") is None and "description" in change:
        del data["description"]
        code = "required"
    response = key_client(make_key(scopes=["intake"])).post(CASES, data, format="json")
    assert response.status_code == 400
    assert code in fields_of(response)[field]
    assert not Case.objects.exists()


def test_the_domain_refuses_what_only_it_knows(city, make_key):
    client = key_client(make_key(scopes=["intake"]))
    major = client.post(CASES, body(category="S01"), format="json")
    assert major.status_code == 400 and major.json()["code"] == "case.invalid"
    assert "specific category" in major.json()["detail"]
    phone = client.post(CASES, body(reporter_phone="call me"), format="json")
    assert phone.status_code == 400 and "phone number" in phone.json()["detail"]
    assert not Case.objects.exists()


def test_a_report_may_carry_up_to_three_photos(city, make_key):
    data = body() | {"media": [png("a.png"), png("b.png")], "answers": "{}"}
    response = key_client(make_key(scopes=["intake"])).post(CASES, data, format="multipart")
    assert response.status_code == 201, response.json()
    case = Case.objects.get(number=response.json()["number"])
    assert len(response.json()["media"]) == 2
    assert set(CaseMedia.objects.filter(case=case).values_list("purpose", flat=True)) == {"report"}


def test_four_photos_are_too_many(city, make_key):
    data = body() | {"media": [png(f"{i}.png") for i in range(4)]}
    response = key_client(make_key(scopes=["intake"])).post(CASES, data, format="multipart")
    assert response.status_code == 400 and "max_length" in fields_of(response)["media"]
    assert not Case.objects.exists() and not CaseMedia.objects.exists()


def test_a_text_file_pretending_to_be_an_image_is_refused(city, make_key):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("evil.png", b"#!/bin/sh\necho hello\n", content_type="image/png")
    response = key_client(make_key(scopes=["intake"])).post(
        CASES, body() | {"media": [fake]}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["code"] == "case.invalid"
    assert "not a photo" in response.json()["detail"]
    assert not Case.objects.exists()


def test_answers_to_the_categorys_questions_are_checked_and_stored(city, make_key):
    client = key_client(make_key(scopes=["intake"]))
    missing = client.post(CASES, body(category="B0101"), format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "case.answers_invalid"
    wrong = client.post(CASES, body(category="B0101", answers={"cover_state": "stolen"}), format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "case.answers_invalid"
    good = client.post(CASES, body(category="B0101", answers={"cover_state": "broken"}), format="json")
    assert good.status_code == 201, good.json()
    assert Case.objects.get(number=good.json()["number"]).answers == {"cover_state": "broken"}


def test_multipart_answers_come_as_json_text(city, make_key):
    client = key_client(make_key(scopes=["intake"]))
    bad = client.post(CASES, body(category="B0101") | {"answers": "{not json"}, format="multipart")
    assert bad.status_code == 400 and "not_a_dict" in fields_of(bad)["answers"]
    answers = json.dumps({"cover_state": "missing"})
    good = client.post(CASES, body(category="B0101") | {"answers": answers}, format="multipart")
    assert good.status_code == 201, good.json()
    assert Case.objects.get(number=good.json()["number"]).answers == {"cover_state": "missing"}


def test_an_oversized_body_is_413_in_json(city, make_key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    client = key_client(make_key(scopes=["intake"]))
    response = client.post(CASES, body(description="水" * 3000), format="json")
    assert response.status_code == 413 and response.json()["code"] == "request.too_large"
    keyed = client.post(CASES, body(description="水" * 3000), format="json", HTTP_IDEMPOTENCY_KEY="big")
    assert keyed.status_code == 413
    assert not Case.objects.exists()


def test_malformed_json_is_a_clear_400(city, make_key):
    response = key_client(make_key(scopes=["intake"])).post(
        CASES, data="{not json", content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_a_retried_report_is_created_once_and_replayed(city, make_key):
    client = key_client(make_key(scopes=["intake"]))
    first = client.post(CASES, body(), format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    again = client.post(CASES, body(), format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Case.objects.count() == 1
    other = client.post(CASES, body(description="别的事"), format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency.mismatch"
    assert Case.objects.count() == 1


def test_a_session_multipart_report_with_a_key_replays(city):
    client = session_client(city, "resident")
    data = body() | {"media": [png()]}
    first = client.post(CASES, data, format="multipart", HTTP_IDEMPOTENCY_KEY="photo")
    again = client.post(CASES, body() | {"media": [png()]}, format="multipart", HTTP_IDEMPOTENCY_KEY="photo")
    assert first.status_code == 201, first.json()
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1 and CaseMedia.objects.count() == 1


def test_a_multipart_retry_under_a_new_boundary_is_the_same_report(city, make_key):
    from django.test.client import encode_multipart

    client = key_client(make_key(scopes=["intake"]))

    def send(boundary: str, photo_name: str, colour: str = "steelblue"):
        data = body() | {"media": [png(photo_name, colour=colour)]}
        return client.post(
            CASES,
            encode_multipart(boundary, data),
            content_type=f"multipart/form-data; boundary={boundary}",
            HTTP_IDEMPOTENCY_KEY="retry",
        )

    first = send("first-boundary-1", "a.png")
    again = send("second-boundary-2", "renamed.png")
    assert first.status_code == 201, first.json()
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = send("third-boundary-3", "a.png", colour="blue")
    assert other.status_code == 422 and other.json()["code"] == "idempotency.mismatch"
    assert Case.objects.count() == 1 and CaseMedia.objects.count() == 1


def test_a_refused_report_may_be_corrected_under_the_same_key(city, make_key):
    client = key_client(make_key(scopes=["intake"]))
    refused = client.post(CASES, body(category="S9999"), format="json", HTTP_IDEMPOTENCY_KEY="fix")
    assert refused.status_code == 400
    assert client.post(CASES, body(), format="json", HTTP_IDEMPOTENCY_KEY="fix").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_reports_with_one_key_create_one_case():
    from tests.factories import build_small_city

    build_small_city()
    _, raw = apikey_create(actor=SYSTEM, name="feed", scopes=["intake"])
    lat, lng = grid_centre("110901001001001")
    payload = body(lat=lat, lng=lng)
    answers: list = []
    barrier = threading.Barrier(2)

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            answers.append(key_client(raw).post(CASES, payload, format="json", HTTP_IDEMPOTENCY_KEY="same"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["number"] == answers[1].json()["number"]
    assert Case.objects.count() == 1
    assert Event.objects.filter(verb="case.reported").count() == 1


def test_keys_are_limited_per_key(city, make_key, settings):
    settings.CHUISHAO_INTAKE_RATE_PER_KEY = 2
    client = key_client(make_key(scopes=["intake"]))
    for _ in range(2):
        assert client.post(CASES, body(), format="json").status_code == 201
    refused = client.post(CASES, body(), format="json")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 61
    # Another key has its own count.
    assert key_client(make_key(scopes=["intake"])).post(CASES, body(), format="json").status_code == 201
    assert Case.objects.count() == 3


def test_anonymous_reports_are_limited_per_address(city, settings):
    settings.CHUISHAO_INTAKE_RATE_PER_ADDRESS = 1
    assert APIClient().post(CASES, body(), format="json", REMOTE_ADDR="10.0.0.1").status_code == 201
    refused = APIClient().post(CASES, body(), format="json", REMOTE_ADDR="10.0.0.1")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert APIClient().post(CASES, body(), format="json", REMOTE_ADDR="10.0.0.2").status_code == 201
    assert Case.objects.count() == 2
