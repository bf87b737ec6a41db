"""The OpenAPI schema of the whole API: served offline (YAML and JSON), valid, warning-free for the
whistle, reference, notification and evaluation endpoints, its docs pages free of CDNs; and a bounded
schemathesis run over every operation against the app in process.

The fuzz calls each operation as a city centre person — once with an API key (read and write
scopes), once with a browser session (with its CSRF token) — on a small city with a case, a whistle,
notifications and a month's rollup. Half the generated ids are swapped for ids of those objects so
that the calls reach past the 404s. Positive cases (valid by the schema) must give no 5xx and answer
with a documented status, content type and body; negative cases (invalid by the schema, including
paths no route matches) must give no 5xx.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zlib
from html.parser import HTMLParser

import pytest
import schemathesis
import yaml
from django.contrib.staticfiles import finders
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import get_token
from django.test import Client
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chuishao import clock
from chuishao.cases.models import WhistleSummons
from chuishao.cases.services import case_dispatch, case_file, whistle_blow
from chuishao.evaluation.services import rollup_rebuild
from chuishao.notify.models import Notification
from chuishao.notify.services import fanout
from tests.factories import photo

MINE = ("whistles", "reference", "notifications", "evaluation")

# --- the schema and its pages ----------------------------------------------------------------------


def test_the_schema_is_served_as_yaml_and_json_and_validates(db):
    client = Client()
    as_yaml = client.get("/api/schema/")
    assert as_yaml.status_code == 200 and as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    as_json = client.get("/api/schema/", {"format": "json"})
    assert as_json.status_code == 200 and as_json["Content-Type"] == "application/vnd.oai.openapi+json"
    loaded = yaml.safe_load(as_yaml.content)
    assert loaded == json.loads(as_json.content)
    validate_schema(loaded)  # drf-spectacular's bundled OpenAPI 3 JSON Schema: no network
    assert loaded["openapi"].startswith("3.") and loaded["info"]["title"] == "Chuishao API"


@pytest.fixture(scope="module")
def mine():
    """The schema of this helper's four areas alone, with the warnings generating it raised."""
    GENERATOR_STATS.reset()
    patterns = [
        path("api/v1/", include(([path("", include(f"chuishao.api.v1.{area}.urls")) for area in MINE], "v1")))
    ]
    generated = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    return generated, warnings


def test_whistle_reference_notification_evaluation_schema_is_warning_free(mine):
    generated, warnings = mine
    assert warnings == {}
    validate_schema(generated)


def test_every_endpoint_is_described_with_its_errors(mine):
    paths = mine[0]["paths"]
    expected = {
        "/api/v1/whistles/": {"get", "post"},
        "/api/v1/whistles/{id}/": {"get"},
        **{
            f"/api/v1/whistles/{{id}}/{a}/": {"post"}
            for a in ("join", "summon", "confirm_done", "cancel", "rate")
        },
        "/api/v1/summons/": {"get"},
        **{f"/api/v1/summons/{{id}}/{a}/": {"post"} for a in ("acknowledge", "check_in", "record_action")},
        "/api/v1/jurisdictions/": {"get"},
        "/api/v1/jurisdictions/{code}/": {"get"},
        "/api/v1/categories/": {"get"},
        "/api/v1/categories/{full_code}/": {"get"},
        "/api/v1/notifications/": {"get"},
        "/api/v1/notifications/{id}/read/": {"post"},
        "/api/v1/notifications/read-all/": {"post"},
        "/api/v1/notifications/unread-count/": {"get"},
        "/api/v1/evaluation/indicators/": {"get"},
        "/api/v1/evaluation/trend/": {"get"},
        "/api/v1/evaluation/export/": {"get"},
    }
    assert {p: set(ops) for p, ops in paths.items()} == expected
    for route, operations in paths.items():
        for method, operation in operations.items():
            assert {"401", "403"} <= set(operation["responses"]), (method, route)
            assert operation["security"] == [{"apiKey": []}, {"cookieAuth": []}], (method, route)
            ok = "201" if route == "/api/v1/whistles/" else "200"
            if method == "post":
                assert {ok, "400", "404", "409"} <= set(operation["responses"]), route
    blow = paths["/api/v1/whistles/"]["post"]
    assert {"201", "422"} <= set(blow["responses"]) and blow["parameters"][0]["name"] == "Idempotency-Key"
    export = paths["/api/v1/evaluation/export/"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    listing = paths["/api/v1/jurisdictions/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listing["schema"]["$ref"].endswith("/PaginatedJurisdictionFeatureList")
    schemas = mine[0]["components"]["schemas"]
    assert set(schemas["PaginatedJurisdictionFeatureList"]["properties"]) == {
        "type",
        "features",
        "next",
        "previous",
    }
    board = schemas["WhistleBoardRow"]["properties"]
    assert {"acknowledge", "onsite", "distance_m", "rating", "allowed_actions"} <= set(board)
    assert schemas["SummonsVerdictEnum"]["enum"] == ["on_time", "late", "overdue", "pending", "n/a"]
    assert "received" in schemas["EvaluationCounts"]["properties"]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.mark.parametrize(
    "page",
    ["/api/docs/", "/api/redoc/"],
)
def test_the_docs_pages_use_only_local_static_files(db, page):
    response = Client().get(page)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    links = _Links()
    links.feed(html)
    assert links.urls, "the page loads its scripts and styles"
    for url in links.urls:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not among the static files"
    assert not re.search(r"https?://(?!localhost)[^\s\"']*(cdn|unpkg|jsdelivr|googleapis)", html)
    # Redoc's bundle draws its vendor's logo from a CDN whatever the page says: the policy stops it.
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["img-src"].split() == ["'self'", "data:", "blob:"]
    assert policy["default-src"] == policy["connect-src"] == "'self'"


# --- the fuzz --------------------------------------------------------------------------------------

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CONFIG = """
[generation]
mode = "{mode}"
max-examples = {examples}
no-shrink = true
deterministic = true
with-security-parameters = false
database = "none"

[phases]
examples.enabled = false
coverage.enabled = false
stateful.enabled = false
"""


def _schema(mode: str, examples: int):
    raw = json.loads(Client().get("/api/schema/", {"format": "json"}).content)
    config = schemathesis.Config.from_str(CONFIG.format(mode=mode, examples=examples))
    loaded = schemathesis.openapi.from_dict(raw, config=config)
    loaded.app = APP
    return loaded


APP = get_wsgi_application()
POSITIVE = _schema("positive", 15)
NEGATIVE = _schema("negative", 6)
FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def world(city, report, make_key, settings):
    """The small city with one of everything an operation may name, and the caller's credentials."""
    settings.CHUISHAO_INTAKE_RATE_PER_KEY = settings.CHUISHAO_INTAKE_RATE_PER_ADDRESS = 0
    people, orgs = city.people, city.orgs
    case = case_file(case=report(media=[photo()]), actor=people["street-a"])
    dispatched = case_file(case=report(), actor=people["street-a"])
    case_dispatch(case=dispatched, actor=people["street-a"], lead=orgs["um-110901"])
    whistle = whistle_blow(
        actor=people["street-a"],
        cases=[case],
        kind="everyday",
        reason="beyond_power",
        description="需要城管协同",
        summons=[{"organisation": orgs["um-110901"], "role": "lead"}],
    )
    fanout()
    rollup_rebuild(settle=dt.timedelta(0))
    centre = people["city"]
    notification = Notification.objects.filter(recipient=centre).first() or Notification.objects.first()
    known = {
        r"^/api/v1/whistles/\{id\}": {"id": whistle.pk},
        r"^/api/v1/summons/\{id\}": {"id": WhistleSummons.objects.filter(whistle=whistle).first().pk},
        r"^/api/v1/notifications/\{id\}": {"id": notification.pk if notification else 1},
        r"^/api/v1/cases/\{number\}": {"number": case.number, "media_id": case.media.first().pk},
        r"^/api/v1/jurisdictions/\{code\}": {"code": "110901001"},
        r"^/api/v1/categories/\{full_code\}": {"full_code": "S0102"},
    }
    session = Client()
    session.force_login(centre)
    csrf = _csrf()
    # Requests reach the app through its WSGI handler, which would close the test's database connection
    # (and its transaction) after each one: keep it open, as Django's test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {
        "key": {"Authorization": f"Token {make_key(scopes=('read', 'write'), person='city')}"},
        "session": {"X-CSRFToken": csrf[1]},
        "cookies": {"sessionid": session.cookies["sessionid"].value, "csrftoken": csrf[0]},
        "known": known,
        "period": f"{clock.now():%Y-%m}",
    }
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _csrf() -> tuple[str, str]:
    """A CSRF cookie secret and a token for it, as a page would hand a browser."""
    from django.http import HttpRequest

    request = HttpRequest()
    token = get_token(request)
    return request.META["CSRF_COOKIE"], token


def _aim(case, world: dict) -> None:
    """Point half the cases at objects that exist (decided by the case's content: reproducible)."""
    seed = zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())
    if seed % 2:
        return
    for pattern, values in world["known"].items():
        if re.match(pattern, case.path):
            for name in case.path_parameters or {}:
                if name in values:
                    case.path_parameters[name] = values[name]
    if case.query and "period" in case.query and seed % 4 == 0:
        case.query["period"] = world["period"]


def _call(case, world: dict, who: str, checks: list) -> None:
    _aim(case, world)
    cookies = world["cookies"] if who == "session" else None
    case.call_and_validate(headers=world[who], cookies=cookies, checks=checks)


@POSITIVE.parametrize()
@FUZZ
def test_fuzz_with_a_key(case, world):
    _call(case, world, "key", CHECKS)


@POSITIVE.parametrize()
@FUZZ
def test_fuzz_with_a_session(case, world):
    _call(case, world, "session", CHECKS)


@NEGATIVE.parametrize()
@FUZZ
def test_fuzz_invalid_input_gives_no_server_error(case, world):
    _call(case, world, "key", [not_a_server_error])
