"""The OpenAPI schema of the cases endpoints: valid, warning-free, one documented body per action."""

from __future__ import annotations

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from chuishao.api.v1.cases import urls as case_urls
from chuishao.api.v1.cases.actions import WHAT
from chuishao.cases.transitions import TABLE


@pytest.fixture(scope="module")
def schema():
    GENERATOR_STATS.reset()
    patterns = [path("api/v1/", include((case_urls.urlpatterns, "v1"), namespace="v1"))]
    generated = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    return generated, warnings


def test_the_schema_is_valid_and_warning_free(schema):
    generated, warnings = schema
    assert warnings == {}
    validate_schema(generated)


def test_every_action_has_its_own_path_and_body(schema):
    generated, _ = schema
    paths = generated["paths"]
    assert set(WHAT) == set(TABLE) | {"supervise", "chase"}
    for action in WHAT:
        operation = paths[f"/api/v1/cases/{{number}}/actions/{action}/"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert body.endswith(f"/CaseAction{''.join(p.capitalize() for p in action.split('_'))}Request")
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
    dispatch = generated["components"]["schemas"]["CaseActionDispatchRequest"]
    assert dispatch["required"] == ["lead"] and "assisting" in dispatch["properties"]
    handle = paths["/api/v1/cases/{number}/actions/handle/"]["post"]["requestBody"]["content"]
    assert "evidence" in generated["components"]["schemas"]["CaseActionHandleWithPhotosRequest"]["properties"]
    assert set(handle) == {"application/json", "multipart/form-data"}


def test_intake_list_detail_rating_and_media_are_described(schema):
    generated, _ = schema
    paths = generated["paths"]
    report = paths["/api/v1/cases/"]["post"]
    assert {} in report["security"]  # anyone may report
    assert {"201", "400", "413", "422", "429"} <= set(report["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in report["parameters"])
    listing = {p["name"] for p in paths["/api/v1/cases/"]["get"]["parameters"]}
    assert {
        "status",
        "category",
        "grid",
        "street",
        "warn",
        "created_after",
        "q",
        "cursor",
        "page_size",
    } <= listing
    detail = generated["components"]["schemas"]["CaseDetail"]["properties"]
    assert {"timeline", "allowed_actions", "reporter", "organisations", "deadline_colour"} <= set(detail)
    assert "/api/v1/cases/{number}/rating/" in paths
    media = paths["/api/v1/cases/{number}/media/{media_id}/"]["get"]["responses"]["200"]["content"]
    assert "image/jpeg" in media
