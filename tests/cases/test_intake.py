"""Intake: routing to the grid chain, owner proposal, duplicates suggested, bad input refused whole."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chuishao import clock
from chuishao.cases.errors import CaseInvalid, CasePermissionDenied
from chuishao.cases.models import Case, Status
from chuishao.cases.selectors import cases_visible_to
from chuishao.cases.services import case_report
from chuishao.events.models import Event
from tests.factories import photo

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TEN_METRES_LNG = 10 / (111_320 * 0.7672)  # cos(39.9°)


def test_report_is_routed_and_owned(city, report):
    case = report()
    grid = city.node("110901001001001")
    assert case.status == Status.REPORTED
    assert (case.grid_id, case.community_id, case.street_id, case.district_id, case.city_id) == (
        grid.pk,
        grid.community_id,
        grid.street_id,
        grid.district_id,
        city.city.pk,
    )
    assert case.number.startswith(clock.now().astimezone(SHANGHAI).strftime("%Y%m%d"))
    assert case.stage == "verify" and case.deadline_at > case.created_at
    # 暴露垃圾 belongs to the street office at street level, the most local level with an owner.
    assert case.suggested_org == city.orgs["street-110901"]
    assert not case.boundary_case and not case.outside_grids
    event = Event.objects.get(case=case)
    assert event.verb == "case.reported" and event.seq == 1
    assert event.after["suggested_org_id"] == city.orgs["street-110901"].pk
    water = case_report(
        actor=city.people["resident"],
        source="resident_web",
        category="S0105",
        description="河道漂浮垃圾",
        lat=39.9005,
        lng=116.3005,
    )
    assert water.suggested_org == city.orgs["water-110901"]


def test_grid_patrol_report_starts_verified_and_needs_a_grid_worker(city, report):
    case = report(by="grid-a", source="grid_patrol", reporter_name="", reporter_phone="")
    assert case.status == Status.VERIFIED and case.stage == "dispatch"
    assert case.reporter_id is None
    with pytest.raises(CasePermissionDenied):
        report(by="resident", source="grid_patrol")


def test_point_outside_every_grid_goes_to_the_city(city, report):
    case = case_report(
        actor=city.people["resident"],
        source="resident_web",
        category="S0102",
        description="城外",
        lat=39.95,
        lng=116.30,
    )
    assert case.outside_grids and case.grid_id is None and case.street_id is None
    assert case.city_id == city.city.pk
    assert cases_visible_to(city.people["city"]).filter(pk=case.pk).exists()
    assert not cases_visible_to(city.people["street-a"]).filter(pk=case.pk).exists()


def test_point_near_the_district_line_is_a_boundary_case(city):
    case = case_report(
        actor=city.people["resident"],
        source="resident_web",
        category="S0102",
        description="跨区违建",
        lat=39.9005,
        lng=116.304 - TEN_METRES_LNG,
    )
    assert case.district == city.node("110901")
    assert case.boundary_case
    assert "110902" in case.nearby_jurisdictions and "110902001" in case.nearby_jurisdictions


def test_point_near_a_grid_edge_inside_one_community_is_not(city):
    case = case_report(
        actor=city.people["resident"],
        source="resident_web",
        category="S0102",
        description="网格边上",
        lat=39.9005,
        lng=116.301 - TEN_METRES_LNG,
    )
    assert not case.boundary_case
    assert "110901001001002" in case.nearby_jurisdictions


def test_nearby_case_of_the_same_category_is_suggested_not_merged(city, report):
    first = report()
    second = report()
    other = report(category="S0501")
    assert Event.objects.get(case=second, verb="case.reported").after["possible_duplicates"] == [first.pk]
    assert Event.objects.get(case=other, verb="case.reported").after["possible_duplicates"] == []
    assert Case.objects.count() == 3


def _photo(name="p.jpg", content_type="image/jpeg", size=None):
    """A real JPEG or PNG; with ``size``, junk bytes of that size under the given name and type."""
    if size is not None:
        return SimpleUploadedFile(name, b"\xff\xd8" + b"0" * size, content_type=content_type)
    if content_type == "image/png":
        return photo(name, "PNG")
    if content_type == "image/jpeg":
        return photo(name)
    return SimpleUploadedFile(name, b"%PDF-1.4 not an image", content_type=content_type)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"description": "  "}, "Describe the problem"),
        ({"lat": "north", "lng": 116.3}, "must both be numbers"),
        ({"lat": 95, "lng": 116.3}, "−90…90"),
        ({"lat": None, "lng": None, "address": ""}, "Give the place"),
        ({"reporter_phone": "call me"}, "not valid"),
        ({"category": "S01"}, "not a major class"),
        ({"category": "S9999"}, "S9999"),
        ({"media": [_photo(), _photo(), _photo(), _photo()]}, "At most 3"),
        ({"media": [_photo("x.pdf", "application/pdf")]}, "not a photo"),
        ({"media": [_photo(size=6 * 1024 * 1024)]}, "larger than 5 MB"),
        ({"media": [_photo(size=100)]}, "not a photo Chuishao can read"),
        (
            {"media": [SimpleUploadedFile("fake.png", photo().read(), content_type="image/png")]},
            "is image/jpeg",
        ),
        ({"category": "S2203", "answers": {"building": "3号楼"}}, "Answer the question"),
        ({"category": "S2203", "answers": {"building": "3", "fault": "fire"}}, "not a choice"),
        ({"category": "S0406", "answers": {"depth_cm": "deep"}}, "must be a number"),
        ({"answers": {"colour": "red"}}, "asks no question colour"),
        ({"answers": ["not", "a", "dict"]}, "question code"),
        ({"reporter_email": "not-an-address"}, "e-mail address"),
        ({"source": "pigeon"}, "Unknown source"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(city, report, params, message):
    events = Event.objects.count()
    with pytest.raises(CaseInvalid, match=message):
        report(**params)
    assert Case.objects.count() == 0
    assert Event.objects.count() == events


def test_photos_are_kept_with_the_report(city, report):
    case = report(media=[_photo(), _photo("q.png", "image/png")])
    assert [m.purpose for m in case.media.all()] == ["report", "report"]
    assert Event.objects.get(case=case).after["media"] == list(case.media.values_list("pk", flat=True))


def test_address_only_report_without_a_point(city, report):
    case = report(lat=None, lng=None, address="测试市某路12号")
    assert case.grid_id is None and case.city_id == city.city.pk and not case.outside_grids


def test_first_deadline_counts_working_time_over_the_spring_festival(city, report):
    # Friday 13 Feb 2026, 16:45: one working hour to verify → the adjusted working Saturday 14 Feb.
    with clock.frozen(dt.datetime(2026, 2, 13, 16, 45, tzinfo=SHANGHAI)):
        case = report()
    assert case.deadline_at.astimezone(SHANGHAI) == dt.datetime(2026, 2, 14, 9, 15, tzinfo=SHANGHAI)
    assert not case.deadline_provisional


@pytest.mark.django_db
def test_report_before_any_geography_is_imported_is_refused_clearly():
    from chuishao.actors import SYSTEM
    from chuishao.catalog.services import catalog_load_defaults

    catalog_load_defaults(actor=SYSTEM)
    with pytest.raises(CaseInvalid, match="outside every city"):
        case_report(
            actor=SYSTEM, source="hotline", category="S0102", description="路灯不亮", lat=39.9, lng=116.3
        )
    assert Case.objects.count() == 0


def test_staff_report_only_where_they_are_responsible(city, report):
    with pytest.raises(CasePermissionDenied, match="outside your area"):
        report(by="grid-b", source="grid_patrol")  # grid-b works in district B, the point is in grid A
    with pytest.raises(CasePermissionDenied, match="outside your area"):
        report(by="street-b", source="hotline")
    assert Case.objects.count() == 0
    assert report(by="street-a", source="hotline").status == Status.REPORTED
    assert report(by="city", source="hotline").status == Status.REPORTED


def test_answers_to_the_category_questions_are_checked_and_kept(city, report):
    case = report(
        category="S2203",
        answers={"building": " 3号楼2单元 ", "fault": "trapped", "details": ""},
    )
    assert case.answers == {"building": "3号楼2单元", "fault": "trapped"}
    parked = report(category="S0505", answers={"blocking": ["fire_lane", "crossing", "fire_lane"]})
    assert parked.answers == {"blocking": ["fire_lane", "crossing"]}
    flooded = report(category="S0406", answers={"depth_cm": "15"})
    assert flooded.answers == {"depth_cm": 15}
    noise = report(category="S0301", answers={"noise_at": "2026-05-01T23:30"})
    assert noise.answers == {"noise_at": "2026-05-01T23:30:00+08:00"}
    # The event names the questions answered, never the answers (a plate number is personal data).
    assert Event.objects.get(case=case, verb="case.reported").after["answers"] == ["building", "fault"]


def _gps_of(media) -> bool:
    from PIL import Image

    with media.file.open("rb") as f, Image.open(f) as img:
        return 0x8825 in img.getexif()


def test_a_photo_loses_its_position_unless_the_reporter_allows_it(city, report):
    here = (39.9, 116.4)
    stripped = report(media=[photo(gps=here), photo("q.png", "PNG", gps=here)])
    assert [_gps_of(m) for m in stripped.media.all()] == [False, False]
    kept = report(media=[photo(gps=here)], keep_photo_location=True)
    assert [_gps_of(m) for m in kept.media.all()] == [True]


def test_points_outside_the_city_are_refused_when_the_city_says_so(city, report, settings):
    settings.CHUISHAO_OUTSIDE_POINTS = "refuse"
    with pytest.raises(CaseInvalid, match="outside every grid"):
        report(lat=10.0, lng=10.0)
    settings.CHUISHAO_OUTSIDE_POINTS = "accept"
    case = report(lat=10.0, lng=10.0)
    assert case.outside_grids and case.grid_id is None and case.city_id == city.city.pk


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_a_photo_is_stored_re_encoded_never_as_uploaded(city, report, fmt):
    """Bytes behind the image (here an HTML page, as in a polyglot file) never reach storage."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from tests.factories import photo

    clean = photo(f"p.{fmt.lower()}", fmt)
    hidden = b"<html><script>alert(1)</script></html>"
    tampered = SimpleUploadedFile(clean.name, clean.read() + hidden, content_type=clean.content_type)
    case = report(media=[tampered])
    stored = case.media.get().file.read()
    assert hidden not in stored
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == fmt and img.size == (8, 6)


def test_a_truncated_photo_is_refused_with_a_reason(city, report):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chuishao.cases.errors import CaseInvalid
    from tests.factories import photo

    whole = photo("big.jpg", size=(400, 300)).read()
    cut = SimpleUploadedFile("big.jpg", whole[: len(whole) // 2], content_type="image/jpeg")
    with pytest.raises(CaseInvalid, match="big.jpg"):
        report(media=[cut])
