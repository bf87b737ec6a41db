"""REST reference data: jurisdictions as GeoJSON (filters, pages, geometry on and off) and the category
catalogue with its hints and extra questions; authentication, key scopes and query bounds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from chuishao.catalog.models import Category, CategoryQuestion

JURISDICTIONS = "/api/v1/jurisdictions/"
CATEGORIES = "/api/v1/categories/"


@pytest.fixture
def as_key(make_key):
    def make(person: str | None = "resident", scopes=("read",)) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {make_key(scopes=scopes, person=person)}")
        return client

    return make


@pytest.fixture
def questions(city):
    """Two extra questions on S0102 (garbage), one a list."""
    category = Category.objects.get(kind="event", code="0102")
    CategoryQuestion.objects.create(
        category=category,
        code="amount",
        label="数量",
        label_en="Amount",
        datatype="singlevaluelist",
        required=True,
        order=1,
        values=[{"key": "small", "name": "少量"}, {"key": "large", "name": "大量", "name_en": "a lot"}],
    )
    CategoryQuestion.objects.create(
        category=category, code="days", label="堆放天数", datatype="number", order=2
    )
    return category


def test_jurisdictions_are_a_feature_collection(city, as_key):
    client = as_key()
    data = client.get(JURISDICTIONS).json()
    assert data["type"] == "FeatureCollection" and data["next"] is None
    assert len(data["features"]) == 17  # 1 city, 2 districts, 2 streets, 4 communities, 8 grids
    first = data["features"][0]
    assert first["type"] == "Feature" and first["id"] == "110000"
    assert first["properties"] == {
        "code": "110000",
        "name": "测试市",
        "name_en": "",
        "kind": "city",
        "parent": None,
        "area_m2": pytest.approx(city.city.area_m2),
    }
    assert first["geometry"]["type"] == "Polygon" and first["geometry"] == city.city.boundary

    grids = client.get(JURISDICTIONS, {"kind": "grid", "geometry": "0"}).json()["features"]
    assert len(grids) == 8 and all(f["geometry"] is None for f in grids)
    assert {f["properties"]["parent"] for f in grids} == {
        "110901001001",
        "110901001002",
        "110902001001",
        "110902001002",
    }
    children = client.get(JURISDICTIONS, {"parent": "110901001"}).json()["features"]
    assert [f["id"] for f in children] == ["110901001001", "110901001002"]
    assert client.get(JURISDICTIONS, {"parent": "110901001", "kind": "grid"}).json()["features"] == []


def test_jurisdiction_pages_and_one_node(city, as_key):
    client = as_key()
    page = client.get(JURISDICTIONS, {"page_size": 10}).json()
    rest = client.get(page["next"]).json()
    codes = [f["id"] for f in page["features"] + rest["features"]]
    assert (
        len(page["features"]) == 10
        and rest["next"] is None
        and codes == sorted(codes)
        and len(set(codes)) == 17
    )

    grid = client.get(f"{JURISDICTIONS}110902001002001/").json()
    assert grid["properties"]["kind"] == "grid" and grid["properties"]["parent"] == "110902001002"
    assert grid["geometry"]["coordinates"]
    assert client.get(f"{JURISDICTIONS}110902001002001/", {"geometry": "false"}).json()["geometry"] is None
    response = client.get(f"{JURISDICTIONS}999/")
    assert response.status_code == 404 and response.json()["code"] == "jurisdiction.not_found"


def test_jurisdiction_bad_filters_are_400(city, as_key):
    client = as_key()
    for params, field in (
        ({"kind": "planet"}, "kind"),
        ({"parent": "nope"}, "parent"),
        ({"geometry": "maybe"}, "geometry"),
        ({"cursor": "zzz"}, "cursor"),
    ):
        response = client.get(JURISDICTIONS, params)
        assert response.status_code == 400, params
        assert response.json()["code"] == "request.invalid" and field in response.json()["fields"]


def test_reference_needs_authentication_and_the_read_scope(city, as_key):
    for path in (JURISDICTIONS, CATEGORIES, f"{CATEGORIES}S0102/", f"{JURISDICTIONS}110000/"):
        assert APIClient().get(path).status_code == 401
        assert as_key(None, scopes=("open311",)).get(path).status_code == 403
        assert as_key("resident", scopes=("write",)).get(path).status_code == 403
    session = APIClient()  # a browser session reads it too
    session.force_login(city.people["resident"])
    assert session.get(CATEGORIES).status_code == 200


def test_category_tree_with_hints_and_questions(city, questions, as_key):
    client = as_key()
    tree = client.get(CATEGORIES).json()
    majors = {m["code"]: m for m in tree}
    assert all(m["parent"] is None for m in tree)
    assert {"B01", "S01"} <= set(majors)
    minors = {c["code"]: c for c in majors["S01"]["children"]}
    garbage = minors["S0102"]
    assert garbage["parent"] == "S01" and garbage["kind"] == "event" and garbage["name"] == questions.name
    assert garbage["hint"] == questions.hint
    assert [q["code"] for q in garbage["questions"]] == ["amount", "days"]
    amount = garbage["questions"][0]
    assert amount["datatype"] == "singlevaluelist" and amount["required"] is True
    assert amount["values"] == [
        {"key": "small", "name": "少量", "name_en": ""},
        {"key": "large", "name": "大量", "name_en": "a lot"},
    ]
    assert all(c["kind"] == "component" for c in client.get(CATEGORIES, {"kind": "component"}).json())
    assert client.get(CATEGORIES, {"kind": "x"}).status_code == 400
    total = Category.objects.filter(active=True).count()
    assert len(tree) + sum(len(m["children"]) for m in tree) == total


def test_one_category(city, questions, as_key):
    client = as_key()
    minor = client.get(f"{CATEGORIES}s0102/").json()
    assert minor["code"] == "S0102" and minor["children"] == [] and len(minor["questions"]) == 2
    major = client.get(f"{CATEGORIES}S01/").json()
    assert "S0102" in [c["code"] for c in major["children"]] and major["parent"] is None
    for code, expected in (("S9999", "category.unknown"), ("X1", "category.bad_code")):
        response = client.get(f"{CATEGORIES}{code}/")
        assert response.status_code == 404 and response.json()["code"] == expected


def test_reference_query_counts_do_not_grow_with_rows(city, questions, as_key):
    client = as_key()

    def count(path: str, params=None) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path, params or {}).status_code == 200
        return len(ctx)

    assert count(CATEGORIES) <= 6
    assert count(JURISDICTIONS) <= 5
    assert count(JURISDICTIONS, {"kind": "grid"}) == count(JURISDICTIONS, {"kind": "city"})
