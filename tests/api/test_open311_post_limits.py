"""POST requests under retries and load: Idempotency-Key (also concurrent) and the per-key rate limit."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from chuishao.cases.models import Case
from tests.api.open311_client_helpers import assert_error, form_post, parse_json, parse_xml
from tests.factories import grid_centre


@pytest.fixture
def body(city, make_key):
    lat, lng = grid_centre("110901001001001")
    return {
        "api_key": make_key(),
        "service_code": "S0102",
        "description": "垃圾桶满了",
        "lat": lat,
        "long": lng,
    }


@pytest.fixture
def fresh_rate_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_retried_post_answers_the_same_and_creates_one_case(client, body, fmt):
    first = form_post(client, f"requests.{fmt}", body, HTTP_IDEMPOTENCY_KEY="retry-1")
    again = form_post(client, f"requests.{fmt}", body, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Case.objects.count() == 1
    number = parse_json(first)[0]["service_request_id"] if fmt == "json" else parse_xml(first)[0][0].text
    assert Case.objects.get().number == number


def test_the_same_key_for_another_report_is_422(client, body):
    form_post(client, "requests.xml", body, HTTP_IDEMPOTENCY_KEY="k")
    changed = form_post(client, "requests.xml", body | {"description": "别的事"}, HTTP_IDEMPOTENCY_KEY="k")
    assert "Idempotency-Key" in assert_error(changed, 422, "xml")
    assert Case.objects.count() == 1


def test_a_refused_post_may_be_corrected_under_the_same_key(client, body):
    assert_error(
        form_post(client, "requests.json", body | {"description": ""}, HTTP_IDEMPOTENCY_KEY="k"), 400
    )
    assert form_post(client, "requests.json", body, HTTP_IDEMPOTENCY_KEY="k").status_code == 201


def test_a_multipart_post_with_a_key_replays_too(client, body):
    from tests.api.open311_client_helpers import png, post

    first = post(client, "requests.json", body | {"media": png()}, HTTP_IDEMPOTENCY_KEY="photo")
    again = post(client, "requests.json", body | {"media": png()}, HTTP_IDEMPOTENCY_KEY="photo")
    assert first.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


def test_an_unusable_idempotency_key_is_400(client, body):
    assert_error(form_post(client, "requests.json", body, HTTP_IDEMPOTENCY_KEY="x" * 201), 400)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_with_one_key_create_one_case(body):
    answers: list = []
    barrier = threading.Barrier(2)

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            answers.append(form_post(Client(), "requests.json", body, HTTP_IDEMPOTENCY_KEY="same-moment"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].content == answers[1].content
    assert Case.objects.count() == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_rate_limit_answers_429_with_retry_after(client, body, settings, fresh_rate_counts, fmt):
    settings.CHUISHAO_INTAKE_RATE_PER_KEY = 2
    for _ in range(2):
        assert form_post(client, f"requests.{fmt}", body).status_code == 201
    refused = form_post(client, f"requests.{fmt}", body)
    assert_error(refused, 429, fmt)
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert Case.objects.count() == 2


def test_the_rate_limit_counts_each_key_alone(client, body, make_key, settings, fresh_rate_counts):
    settings.CHUISHAO_INTAKE_RATE_PER_KEY = 1
    assert form_post(client, "requests.json", body).status_code == 201
    assert form_post(client, "requests.json", body).status_code == 429
    assert form_post(client, "requests.json", body | {"api_key": make_key()}).status_code == 201
