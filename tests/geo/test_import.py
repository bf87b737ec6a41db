"""Importing boundaries: every problem named, nothing written on error; the tree written right."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chuishao.actors import SYSTEM
from chuishao.events.models import Event
from chuishao.geo.errors import GeoImportError
from chuishao.geo.importer import Node, geo_import, validate_feature_collection
from chuishao.geo.models import Complex, GeoRevision, Jurisdiction
from chuishao.geo.projection import geometry_from_geojson
from chuishao.geo.selectors import (
    current_revision,
    jurisdiction_children,
    jurisdiction_get_by_code,
    jurisdiction_subtree_ids,
)
from tests.geo.conftest import CITY, COMMUNITIES, DISTRICTS, STREETS, feature, grid_code, rect

GRID_A1 = grid_code("A", 1)


def _props(collection: dict, code: str) -> dict:
    return next(f["properties"] for f in collection["features"] if f["properties"].get("code") == code)


def _feature(collection: dict, code: str) -> dict:
    return next(f for f in collection["features"] if f["properties"].get("code") == code)


def _drop(collection: dict, code: str) -> None:
    collection["features"] = [f for f in collection["features"] if f["properties"].get("code") != code]


def _missing_kind(c):
    del _props(c, GRID_A1)["kind"]


def _unknown_kind(c):
    _props(c, GRID_A1)["kind"] = "province"


def _missing_code(c):
    del _props(c, GRID_A1)["code"]


def _missing_name(c):
    _props(c, GRID_A1)["name"] = "  "


def _duplicate_code(c):
    c["features"].append(json.loads(json.dumps(_feature(c, GRID_A1))))


def _point_geometry(c):
    _feature(c, GRID_A1)["geometry"] = {"type": "Point", "coordinates": [116.3, 39.9]}


def _unparseable(c):
    _feature(c, GRID_A1)["geometry"] = {"type": "Polygon", "coordinates": [[["x", 1]]]}


def _self_intersecting(c):
    ring = _feature(c, GRID_A1)["geometry"]["coordinates"][0]
    ring[1], ring[2] = ring[2], ring[1]  # a bow tie


def _unknown_parent(c):
    _props(c, GRID_A1)["parent"] = "999999999999"


def _wrong_kind_parent(c):
    _props(c, GRID_A1)["parent"] = STREETS["A"]


def _short_grid_code(c):
    _props(c, GRID_A1)["code"] = "12345"


def _wrong_prefix(c):
    _props(c, GRID_A1)["code"] = f"{COMMUNITIES['B']}009"


def _leaves_parent(c):
    _feature(c, grid_code("A", 2))["geometry"] = rect(1, 0, 2.3, 1)


def _overlap(c):
    _feature(c, grid_code("A", 2))["geometry"] = rect(0.5, 0, 2, 1)


def _gap(c):
    _drop(c, grid_code("A", 4))


def _city_with_parent(c):
    _props(c, CITY)["parent"] = "1"


CASES = [
    (_missing_kind, GRID_A1, "missing kind"),
    (_unknown_kind, GRID_A1, "unknown kind 'province'"),
    (_missing_code, "#", "missing code"),
    (_missing_name, GRID_A1, "missing name"),
    (_duplicate_code, GRID_A1, "duplicate code"),
    (_point_geometry, GRID_A1, "must be a Polygon or MultiPolygon, not Point"),
    (_unparseable, GRID_A1, "unparseable geometry"),
    (_self_intersecting, GRID_A1, "Self-intersection"),
    (_unknown_parent, GRID_A1, "unknown parent 999999999999"),
    (_wrong_kind_parent, GRID_A1, "is a street; a grid belongs to a community"),
    (_short_grid_code, "12345", "grid code must be 15 digits"),
    (_wrong_prefix, f"{COMMUNITIES['B']}009", f"does not start with its community's code {COMMUNITIES['A']}"),
    (_leaves_parent, grid_code("A", 2), f"leaves its parent {COMMUNITIES['A']} by up to"),
    (_overlap, GRID_A1, f"overlaps grid {grid_code('A', 2)} by"),
    (_gap, COMMUNITIES["A"], "not covered by any of its grids"),
    (_city_with_parent, CITY, "a city has no parent"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("mutate", "code", "message"), CASES, ids=[c[0].__name__.strip("_") for c in CASES])
def test_every_problem_is_named_and_nothing_is_written(collection, mutate, code, message):
    mutate(collection)
    with pytest.raises(GeoImportError) as caught:
        geo_import(actor=SYSTEM, data=collection)
    assert any(p.code.startswith(code) and message in p.message for p in caught.value.problems), (
        caught.value.problems
    )
    assert Jurisdiction.objects.count() == 0
    assert Complex.objects.count() == 0
    assert GeoRevision.objects.count() == 0
    assert not Event.objects.filter(verb="geo.imported").exists()


@pytest.mark.django_db
def test_a_later_import_is_checked_against_grids_already_in_the_database(city):
    before = Jurisdiction.objects.count()
    intruder = feature("grid", f"{COMMUNITIES['A']}005", "闯入者", rect(0.5, 0.5, 1.0, 1.0), COMMUNITIES["A"])
    with pytest.raises(GeoImportError) as caught:
        geo_import(actor=SYSTEM, data={"type": "FeatureCollection", "features": [intruder]})
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith(f"{COMMUNITIES['A']}005: overlaps grid {GRID_A1}") for m in messages), messages
    assert Jurisdiction.objects.count() == before


def test_grid_code_layout_follows_the_setting(settings, collection):
    settings.CHUISHAO_GRID_CODE_LAYOUT = (6, 3, 3, 4)
    existing: dict[str, Node] = {}
    result = validate_feature_collection(collection, existing=existing)
    assert {p.message for p in result.problems} == {"grid code must be 16 digits (layout 6+3+3+4)"}


def test_validation_runs_without_a_database_when_given_the_existing_nodes(collection):
    community = _feature(collection, COMMUNITIES["A"])
    existing = {
        COMMUNITIES["A"]: Node(
            kind="community",
            code=COMMUNITIES["A"],
            parent=STREETS["A"],
            geometry=geometry_from_geojson(community["geometry"]),
        ),
    }
    grids = [
        f
        for f in collection["features"]
        if f["properties"].get("parent") == COMMUNITIES["A"] and f["properties"]["kind"] == "grid"
    ]
    result = validate_feature_collection({"type": "FeatureCollection", "features": grids}, existing=existing)
    assert result.ok, result.problems
    assert result.counts() == ({"grid": 4}, {})


@pytest.mark.django_db
def test_a_valid_import_writes_the_tree_with_its_ancestors(city):
    assert city.created == {"city": 1, "district": 2, "street": 2, "community": 2, "grid": 8, "complex": 1}
    assert city.updated == {}
    grid = jurisdiction_get_by_code(code=grid_code("B", 3))
    chain = {
        j.kind: j.pk
        for j in Jurisdiction.objects.filter(code__in=[CITY, DISTRICTS["B"], STREETS["B"], COMMUNITIES["B"]])
    }
    assert (grid.city_id, grid.district_id, grid.street_id, grid.community_id, grid.parent_id) == (
        chain["city"],
        chain["district"],
        chain["street"],
        chain["community"],
        chain["community"],
    )
    assert 9_000 < grid.area_m2 < 11_000  # about 100 m × 100 m
    district = jurisdiction_get_by_code(code=DISTRICTS["A"])
    assert (district.city_id, district.district_id, district.street_id) == (chain["city"], None, None)
    assert Complex.objects.get(code="CPX-A1").community.code == COMMUNITIES["A"]
    assert Complex.objects.get(code="CPX-A1").households == 420
    assert [j.code for j in jurisdiction_children(parent=jurisdiction_get_by_code(code=CITY))] == list(
        DISTRICTS.values()
    )
    assert len(jurisdiction_subtree_ids(root=district)) == 1 + 1 + 1 + 4
    revision = current_revision()
    assert revision is not None
    assert revision.pk == city.revision_id
    event = Event.objects.get(verb="geo.imported")
    assert event.chain == "geo"
    assert event.after["revision"] == city.revision_id
    assert event.after["created"]["grid"] == 8


@pytest.mark.django_db
def test_reimport_updates_in_place_and_adds_a_revision(city, collection):
    _props(collection, GRID_A1)["name"] = "新名字"
    summary = geo_import(actor=SYSTEM, data=collection)
    assert summary.created == {}
    assert summary.updated["grid"] == 8
    assert Jurisdiction.objects.count() == 15
    assert jurisdiction_get_by_code(code=GRID_A1).name == "新名字"
    assert GeoRevision.objects.count() == 2
    assert current_revision().pk == summary.revision_id
    assert Event.objects.filter(verb="geo.imported").count() == 2


@pytest.mark.django_db
def test_progress_is_reported_per_feature(collection):
    seen: list[int] = []
    geo_import(actor=SYSTEM, data=collection, progress=seen.append)
    assert sum(seen) == len(collection["features"])


# --- the import-geo command ----------------------------------------------------------------------


@pytest.mark.django_db
def test_command_imports_a_file_and_prints_a_summary(tmp_path, collection, capsys):
    path = tmp_path / "city.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    call_command("import_geo", str(path))
    out = capsys.readouterr().out
    assert "imported" in out
    assert "grid" in out
    assert "created      8" in out
    assert Jurisdiction.objects.count() == 15


@pytest.mark.django_db
def test_command_dry_run_writes_nothing(tmp_path, collection, capsys):
    path = tmp_path / "city.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    call_command("import_geo", str(path), "--dry-run")
    assert "dry run" in capsys.readouterr().out
    assert Jurisdiction.objects.count() == 0


@pytest.mark.django_db
def test_command_fails_with_every_problem(tmp_path, collection, capsys):
    _missing_name(collection)
    _props(collection, grid_code("B", 1))["parent"] = "999999999999"
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    with pytest.raises(CommandError, match="problem"):
        call_command("import_geo", str(path))
    err = capsys.readouterr().err
    assert f"{GRID_A1}: missing name" in err
    assert f"{grid_code('B', 1)}: unknown parent 999999999999" in err
    assert Jurisdiction.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
    ],
)
def test_command_rejects_unreadable_files(tmp_path, content, message):
    path = tmp_path / "in.geojson"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("import_geo", str(path))


def test_the_admin_upload_runs_the_same_validation_and_import(client, db):
    """An administrator imports boundaries from the admin: a bad file writes nothing and says why."""
    import json as _json

    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chuishao.geo.models import Jurisdiction
    from tests.factories import small_city_geojson

    admin = get_user_model().objects.create_superuser("geo-admin", password="x-Secret-2026")
    client.force_login(admin)
    url = "/admin/geo/jurisdiction/upload/"
    good = _json.dumps(small_city_geojson()).encode()
    broken = small_city_geojson()
    broken["features"][3]["properties"]["parent"] = "999999"

    def upload(raw: bytes, **extra):
        return client.post(url, {"file": SimpleUploadedFile("city.geojson", raw), **extra})

    page = upload(b"{not json")
    assert page.status_code == 200 and "not valid JSON" in page.content.decode()
    page = upload(_json.dumps(broken).encode())
    assert "999999" in page.content.decode() and Jurisdiction.objects.count() == 0
    assert upload(good, dry_run="on").status_code == 302 and Jurisdiction.objects.count() == 0
    assert upload(good).status_code == 302
    assert Jurisdiction.objects.count() == len(small_city_geojson()["features"])
