"""A view that fails because the database is away answers 503 with Retry-After, not 500."""

from __future__ import annotations

import pytest
from django.db import DataError, InterfaceError, OperationalError
from django.urls import path


def _raising(exc):
    def view(request):
        raise exc

    return view


urlpatterns = [
    path("api/v1/down/", _raising(OperationalError("connection refused"))),
    path("open311/v2/closed/", _raising(InterfaceError("connection already closed"))),
    path("page/down/", _raising(OperationalError("server closed the connection unexpectedly"))),
    path("api/v1/bad/", _raising(DataError("value too long"))),
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/api/v1/down/", "/open311/v2/closed/"])
def test_a_database_outage_is_a_503_with_retry_after_for_programs(client, url):
    response = client.get(url)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["code"] == "unavailable"
    assert "refused" not in body["detail"] and "closed" not in body["detail"]  # the error's text stays inside
    assert response["X-Request-ID"]


@pytest.mark.urls(__name__)
def test_a_database_outage_is_a_503_on_pages_too(client):
    response = client.get("/page/down/")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.urls(__name__)
def test_other_database_errors_stay_500(client):
    client.raise_request_exception = False
    assert client.get("/api/v1/bad/").status_code == 500
