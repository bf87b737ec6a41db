"""Fuzzing the Open311 endpoints: any parameters give a valid document or a spec error, never a 5xx."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.open311_client_helpers import BASE, assert_error, assert_valid, parse_json, parse_xml
from tests.factories import grid_centre

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(max_size=40)
formats = st.sampled_from(["json", "xml", "", "csv", "JSON"])
codes = st.sampled_from(["S0102", "S0505", "B0101", "S0301", "S0406", "S01", "X1", ""]) | text
stamps = st.sampled_from(["2026-05-01T08:30:00+08:00", "2026-05-01", "2026-05-01T00:00:00Z", "0000-00-00"])
numbers = st.integers(min_value=-(10**30), max_value=10**30).map(str)
floats = st.floats(allow_nan=True, allow_infinity=True).map(str)
ROOTS = {
    "services": ("services", "services"),
    "service": ("service_definition", "service_definition"),
    "requests": ("service_requests", "requests"),
    "request": ("service_requests", "requests"),
    "token": ("service_requests", "tokens"),
    "created": ("service_requests", "created"),
}


def check(response, fmt: str, kind: str) -> None:
    """No 5xx; a 2xx is a valid document of ``kind``; a 4xx is the spec's error list."""
    assert response.status_code < 500, response.content[:300]
    answer_fmt = "json" if fmt.lower() == "json" else "xml"
    if 400 <= response.status_code < 500:
        assert_error(response, response.status_code, answer_fmt)
        return
    assert response.status_code in (200, 201)
    root, schema = ROOTS[kind]
    if answer_fmt == "json":
        assert_valid(schema, parse_json(response))
    else:
        assert parse_xml(response).tag == root


def url(path: str, fmt: str) -> str:
    return BASE + path + (f".{fmt}" if fmt else "")


@pytest.fixture
def fuzz_env(city, report, settings):
    settings.CHUISHAO_INTAKE_RATE_PER_KEY = 0  # no limit: this is about input, not load
    report()
    return city


def query_params():
    return st.fixed_dictionaries(
        {},
        optional={
            "jurisdiction_id": st.sampled_from(["110000", "", "999"]) | text,
            "service_request_id": text | numbers,
            "service_code": codes,
            "start_date": stamps | text,
            "end_date": stamps | text,
            "status": st.sampled_from(["open", "closed", "open,closed", "OPEN", ""]) | text,
            "page": numbers | text,
            "page_size": numbers | text,
            "updated_after": stamps | text,
            "updated_before": stamps | text,
        },
    )


@FUZZ
@given(fmt=formats, params=query_params())
def test_get_requests(client, fuzz_env, fmt, params):
    check(client.get(url("requests", fmt), params), fmt, "requests")


@FUZZ
@given(fmt=formats, params=query_params())
def test_get_services(client, fuzz_env, fmt, params):
    check(client.get(url("services", fmt), params), fmt, "services")


@FUZZ
@given(fmt=formats, code=codes, params=query_params())
def test_get_a_service_definition(client, fuzz_env, fmt, code, params):
    check(client.get(url(f"services/{quote(code, safe='')}", fmt), params), fmt, "service")


@FUZZ
@given(
    fmt=formats, ident=text | numbers, endpoint=st.sampled_from(["requests", "tokens"]), params=query_params()
)
def test_get_one_request_or_token(client, fuzz_env, fmt, ident, endpoint, params):
    kind = "request" if endpoint == "requests" else "token"
    check(client.get(url(f"{endpoint}/{quote(ident, safe='')}", fmt), params), fmt, kind)


@FUZZ
@given(
    fmt=formats,
    good_key=st.booleans(),
    body=st.fixed_dictionaries(
        {"service_code": codes},
        optional={
            "description": text,
            "lat": floats | text,
            "long": floats | text,
            "address_string": text,
            "address_id": text,
            "email": text,
            "phone": text,
            "first_name": text,
            "last_name": text,
            "account_id": text,
            "device_id": text,
            "media_url": st.sampled_from(["https://example.org/a.jpg", "ftp://x"]) | text,
            "jurisdiction_id": st.sampled_from(["110000", ""]) | text,
            "attribute[plate]": text,
            "attribute[blocking][]": st.lists(
                st.sampled_from(["fire_lane", "bus_stop", "x"]) | text, max_size=3
            ),
            "attribute[cover_state]": st.sampled_from(["missing", "broken"]) | text,
            "attribute[depth_cm]": floats | text,
            "attribute[noise_at]": stamps | text,
        },
    ),
    extra=st.dictionaries(st.text(min_size=1, max_size=20), text, max_size=3),
)
def test_post_requests(client, fuzz_env, make_key, fmt, good_key, body, extra):
    lat, lng = grid_centre("110901001001001")
    data = {"description": "fuzz", "lat": str(lat), "long": str(lng), **extra, **body}
    data["api_key"] = make_key() if good_key else data.get("api_key", "")
    check(client.post(url("requests", fmt), data), fmt, "created")
