"""GeoJSON imports with broken geometry: the broken feature is named with what is wrong, and nothing of
the import is written — whether it comes through ``geo_import``, the ``import_geo`` command or the
admin's upload. Feature 7 of the small city's FeatureCollection (a grid) is the one broken.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from chuishao.actors import SYSTEM
from chuishao.events.models import Event
from chuishao.geo.errors import GeoImportError
from chuishao.geo.importer import geo_import
from chuishao.geo.models import Complex, GeoRevision, Jurisdiction
from tests.geo.conftest import city_collection

pytestmark = pytest.mark.django_db
BROKEN = 7


def _ring(f: dict) -> list:
    return f["geometry"]["coordinates"][0]


def _set(f: dict, coordinates) -> None:
    f["geometry"]["coordinates"] = coordinates


BREAKS = {
    # name: (change to feature 7, words of the problem)
    "self-intersecting": (lambda f: _ring(f).__setitem__(slice(1, 3), _ring(f)[2:0:-1]), "Self-intersection"),
    "unclosed-ring": (lambda f: _ring(f).pop(), "ring 1 is not closed"),
    "nan": (lambda f: _ring(f).__setitem__(1, [float("nan"), 39.9]), "not a longitude and latitude"),
    "infinity": (lambda f: _ring(f).__setitem__(2, [116.3, float("inf")]), "not a longitude and latitude"),
    "off-earth": (lambda f: _ring(f).__setitem__(1, [416.3, 39.9]), "not a longitude and latitude"),
    "strings": (lambda f: _ring(f).__setitem__(1, ["116.3", "39.9"]), "in numbers"),
    "too-flat": (lambda f: _set(f, _ring(f)), "nested wrongly"),
    "too-deep": (lambda f: _set(f, [f["geometry"]["coordinates"]]), "in numbers"),
    "multipolygon-one-level-short": (lambda f: f["geometry"].update(type="MultiPolygon"), "nested wrongly"),
    "hole-outside": (
        lambda f: f["geometry"]["coordinates"].append([[0, 0], [0, 1], [1, 1], [0, 0]]),
        "Hole lies outside shell",
    ),
    "no-coordinates": (lambda f: f["geometry"].pop("coordinates"), "nested wrongly"),
    "name-too-long": (lambda f: f["properties"].update(name="长" * 101), "longer than 100"),
}


def _nothing_written() -> None:
    assert Jurisdiction.objects.count() == 0 and Complex.objects.count() == 0
    assert GeoRevision.objects.count() == 0 and not Event.objects.filter(verb="geo.imported").exists()


@pytest.mark.parametrize("name", BREAKS)
def test_a_broken_feature_is_named_and_nothing_is_written(name):
    collection = city_collection()
    feature = collection["features"][BROKEN]
    assert feature["geometry"]["type"] == "Polygon"
    change, words = BREAKS[name]
    change(feature)
    with pytest.raises(GeoImportError) as caught:
        geo_import(actor=SYSTEM, data=collection)
    code = feature["properties"]["code"]
    assert any(p.code == code and words in str(p.message) for p in caught.value.problems), (
        caught.value.problems
    )
    _nothing_written()


DEEP = b'{"type": "FeatureCollection", "features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (DEEP, "nested too deeply"),
        ('{"type": "FeatureCollection", "name": "城市"}'.encode("gb18030"), "not UTF-8"),
        (b'{"type": "FeatureCollection", "features": {"0": 1}}', "no list of features"),
    ],
    ids=["deep-nesting", "gb18030", "features-not-a-list"],
)
def test_the_command_and_the_admin_say_what_is_wrong_with_the_file(client, tmp_path, capsys, raw, words):
    path = tmp_path / "in.geojson"
    path.write_bytes(raw)
    with pytest.raises(CommandError) as refused:
        call_command("import_geo", str(path))
    assert words in str(refused.value) + capsys.readouterr().err
    admin = get_user_model().objects.create_superuser("geo-admin", password="x-Secret-2026")
    client.force_login(admin)
    page = client.post("/admin/geo/jurisdiction/upload/", {"file": SimpleUploadedFile("in.geojson", raw)})
    assert page.status_code == 200 and words in page.content.decode()
    _nothing_written()


def test_the_admin_refuses_a_file_over_its_size_limit(client, monkeypatch):
    monkeypatch.setattr("chuishao.geo.admin.MAX_UPLOAD", 1024)
    admin = get_user_model().objects.create_superuser("geo-admin", password="x-Secret-2026")
    client.force_login(admin)
    raw = json.dumps(city_collection()).encode()
    assert len(raw) > 1024
    page = client.post("/admin/geo/jurisdiction/upload/", {"file": SimpleUploadedFile("big.geojson", raw)})
    assert page.status_code == 200 and "larger than" in page.content.decode()
    _nothing_written()
