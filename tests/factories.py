"""A small city for tests, built through the real services.

Two districts side by side share a border; each has one street with two communities of two grids.
Every grid is a 0.001° square; lon grows eastwards from 116.300, lat northwards from 39.900.

    district A (110901)            | district B (110902)
    street A1                      | street B1
    community A1a | community A1b  | community B1a | community B1b
    grids g1 g2   | g1 g2          | g1 g2         | g1 g2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password

from chuishao.actors import SYSTEM
from chuishao.catalog.calendar_io import calendar_load_official
from chuishao.catalog.services import catalog_load_defaults
from chuishao.geo.importer import geo_import
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation
from chuishao.orgs.services import membership_grant, organisation_upsert, person_create
from chuishao.workforce.defaults import workforce_load_defaults

LON0, LAT0, STEP = 116.300, 39.900, 0.001
PASSWORD = "demo-pass-2026"


def square(x0: float, y0: float, w: float, h: float) -> dict:
    ring = [[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]
    return {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]}


def feature(kind: str, code: str, name: str, geometry: dict, parent: str | None = None) -> dict:
    props = {"kind": kind, "code": code, "name": name}
    if parent:
        props["parent"] = parent
    return {"type": "Feature", "properties": props, "geometry": geometry}


def small_city_geojson() -> dict:
    features = [feature("city", "110000", "测试市", square(LON0, LAT0, 8 * STEP, STEP))]
    for d, district in enumerate(["110901", "110902"]):
        dx = LON0 + d * 4 * STEP
        features.append(
            feature("district", district, f"区{d + 1}", square(dx, LAT0, 4 * STEP, STEP), "110000")
        )
        street = district + "001"
        features.append(feature("street", street, f"街道{d + 1}", square(dx, LAT0, 4 * STEP, STEP), district))
        for c in range(2):
            community = street + f"{c + 1:03d}"
            cx = dx + c * 2 * STEP
            features.append(
                feature(
                    "community", community, f"社区{d + 1}{c + 1}", square(cx, LAT0, 2 * STEP, STEP), street
                )
            )
            for g in range(2):
                features.append(
                    feature(
                        "grid",
                        community + f"{g + 1:03d}",
                        f"网格{d + 1}{c + 1}{g + 1}",
                        square(cx + g * STEP, LAT0, STEP, STEP),
                        community,
                    )
                )
    return {"type": "FeatureCollection", "features": features}


def grid_centre(code: str) -> tuple[float, float]:
    """(lat, lng) of the centre of a grid of the small city."""
    grid = Jurisdiction.objects.get(code=code)
    ring = grid.boundary["coordinates"][0]
    xs, ys = [p[0] for p in ring[:-1]], [p[1] for p in ring[:-1]]
    return (min(ys) + max(ys)) / 2, (min(xs) + max(xs)) / 2


@dataclass
class City:
    city: Jurisdiction
    nodes: dict[str, Jurisdiction]
    orgs: dict[str, Organisation]
    people: dict[str, Any] = field(default_factory=dict)

    def node(self, code: str) -> Jurisdiction:
        return self.nodes[code]


def build_small_city(*, fresh: bool = False) -> City:
    """The small city, built through the services once per process and copied back row by row after.

    Most tests start from it, and building it (catalog, calendar, geography, organisations, people, each
    with its events and an Argon2 hash) costs seconds on a loaded machine; copying the rows it wrote costs
    milliseconds. See ``tests/snapshot.py`` for when a copy is used and when the services run again.
    A copy keeps the first build's timestamps: ``fresh=True`` builds anew for a test about how old the
    city's own rows are.
    """
    from tests.snapshot import restore_or_record

    if fresh:
        return _build_small_city()
    return restore_or_record(_build_small_city, _city_keys, _city_from_keys)


def _city_keys(city: City) -> dict:
    return {
        "orgs": {code: org.pk for code, org in city.orgs.items()},
        "people": {name: person.pk for name, person in city.people.items()},
    }


def _city_from_keys(keys: dict) -> City:
    from django.contrib.auth import get_user_model

    nodes = {j.code: j for j in Jurisdiction.objects.all()}
    orgs = Organisation.objects.in_bulk(list(keys["orgs"].values()))
    people = get_user_model().objects.in_bulk(list(keys["people"].values()))
    return City(
        city=nodes["110000"],
        nodes=nodes,
        orgs={code: orgs[pk] for code, pk in keys["orgs"].items()},
        people={name: people[pk] for name, pk in keys["people"].items()},
    )


def _build_small_city() -> City:
    catalog_load_defaults(actor=SYSTEM)
    workforce_load_defaults()
    calendar_load_official(actor=SYSTEM, years=[2025, 2026])
    geo_import(actor=SYSTEM, data=small_city_geojson())
    nodes = {j.code: j for j in Jurisdiction.objects.all()}
    city = nodes["110000"]
    orgs: dict[str, Organisation] = {}

    def org(code: str, kind: str, name: str, node: str, dept_type: str = "") -> None:
        orgs[code] = organisation_upsert(
            actor=SYSTEM, code=code, kind=kind, name=name, jurisdiction=nodes[node], dept_type=dept_type
        )

    org("centre", "command_centre", "市指挥中心", "110000")
    for district in ("110901", "110902"):
        org(f"um-{district}", "department", "城管执法局", district, "urban_management")
        org(f"water-{district}", "department", "水务局", district, "water")
        org(f"landscaping-{district}", "department", "园林绿化局", district, "landscaping")
        org(f"housing-{district}", "department", "住建委", district, "housing")
        org(f"env-{district}", "department", "生态环境局", district, "environment")
        org(f"street-{district}", "street_office", "街道办事处", district + "001", "street_office")
        org(
            f"sle-{district}",
            "dispatched_agency",
            "街道综合执法队",
            district + "001",
            "street_law_enforcement",
        )
    hashed = make_password(PASSWORD)
    people: dict[str, Any] = {}

    def person(username: str, role: str, node: str | None = None, organisation: str | None = None) -> None:
        user = people.get(username) or person_create(
            actor=SYSTEM, username=username, password_hash=hashed, display_name=username, phone="13800001234"
        )
        people[username] = user
        membership_grant(
            actor=SYSTEM,
            person=user,
            role=role,
            node=nodes[node] if node else None,
            organisation=orgs[organisation] if organisation else None,
        )

    person("admin", "admin", "110000")
    person("city", "city_centre", "110000")
    person("leader", "leader", "110000")
    person("district-a", "district_centre", "110901")
    person("district-b", "district_centre", "110902")
    person("street-a", "street_dispatcher", "110901001")
    person("street-b", "street_dispatcher", "110902001")
    person("community-a", "community_staff", "110901001001")
    person("community-b", "community_staff", "110902001001")
    person("grid-a", "grid_worker", "110901001001001")
    person("grid-a2", "grid_worker", "110901001001002")
    person("grid-b", "grid_worker", "110902001001001")
    person("um-a", "department_staff", organisation="um-110901")
    person("um-b", "department_staff", organisation="um-110902")
    person("water-a", "department_staff", organisation="water-110901")
    person("resident", "resident")
    person("resident2", "resident")
    return City(city=city, nodes=nodes, orgs=orgs, people=people)


def photo(name: str = "p.jpg", fmt: str = "JPEG", *, gps: tuple[float, float] | None = None, size=(8, 6)):
    """A real, small image as an upload; ``gps`` writes a (lat, lng) position into its EXIF."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    img = Image.new("RGB", size, (200, 80, 40))
    options = {}
    if gps is not None:
        exif = Image.Exif()
        lat, lng = gps
        exif[0x8825] = {1: "N", 2: (float(int(lat)), 0.0, 0.0), 3: "E", 4: (float(int(lng)), 0.0, 0.0)}
        options["exif"] = exif.tobytes()
    out = io.BytesIO()
    img.save(out, format=fmt, **options)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}[fmt]
    return SimpleUploadedFile(name, out.getvalue(), content_type=content_type)


def add_engagement(city: City, *, members: int = 3) -> City:
    """Dual reporting on the small city: the default posts and rules, a bureau of district A with its
    party branch and organiser, and ``members`` of its in-service party members living in community A1a."""
    from chuishao.engagement.defaults import engagement_load_defaults

    engagement_load_defaults(actor=SYSTEM, city=city.city)
    nodes = city.nodes
    bureau = organisation_upsert(
        actor=SYSTEM,
        code="bureau-a",
        kind="unit",
        name="区市场监管局",
        name_en="District Market Regulation Bureau",
        jurisdiction=nodes["110901001"],
        unit_kind="organ",
    )
    organisation_upsert(
        actor=SYSTEM,
        code="bureau-a-party",
        kind="party_org",
        name="中共区市场监管局机关支部委员会",
        jurisdiction=nodes["110901001"],
        party_level="branch",
        attached_unit=bureau,
    )
    city.orgs["bureau-a"] = bureau
    hashed = make_password(PASSWORD)
    organiser = person_create(
        actor=SYSTEM, username="bureau-organiser", password_hash=hashed, display_name="局支部书记"
    )
    membership_grant(actor=SYSTEM, person=organiser, role="unit_organiser", organisation=bureau)
    city.people["bureau-organiser"] = organiser
    for n in range(1, members + 1):
        user = person_create(
            actor=SYSTEM,
            username=f"member-{n}",
            password_hash=hashed,
            display_name=f"党员{n}",
            phone="13800005678",
        )
        membership_grant(actor=SYSTEM, person=user, role="resident")
        city.people[f"member-{n}"] = user
    return city


def demo_geography_and_people() -> dict[str, Any]:
    """The demo city's geography, organisations and people (``load_geography_and_people``), loaded once
    per process through the services and copied back afterwards, like ``build_small_city``: the load
    imports 1,500 grids and creates some 400 accounts with their memberships, ten tests use it, and a
    copy takes a fraction of a second."""
    from tests.snapshot import restore_or_record

    return restore_or_record(_load_demo_geography_and_people, _demo_keys, _demo_from_keys)


def _load_demo_geography_and_people() -> dict[str, Any]:
    from chuishao.demo.loader import load_geography_and_people

    return load_geography_and_people(log=lambda _: None)


def _demo_keys(loaded: dict[str, Any]) -> dict:
    return {"orgs": {code: org.pk for code, org in loaded["orgs"].items()}}


def _demo_from_keys(keys: dict) -> dict[str, Any]:
    orgs = Organisation.objects.in_bulk(list(keys["orgs"].values()))
    return {
        "nodes": {j.code: j for j in Jurisdiction.objects.all()},
        "orgs": {code: orgs[pk] for code, pk in keys["orgs"].items()},
    }
