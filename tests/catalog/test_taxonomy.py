"""The shipped catalogue: the codes of REFERENCE §1, its deadlines, and an idempotent loader."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command

from chuishao.actors import SYSTEM
from chuishao.catalog.models import Category, Responsibility, StageDeadline
from chuishao.catalog.selectors import (
    FALLBACK_DEADLINE,
    CatalogError,
    category_get,
    category_list,
    category_questions,
    dept_types,
    stage_deadline_for,
)
from chuishao.catalog.services import catalog_load_defaults
from chuishao.events.models import Event

pytestmark = pytest.mark.django_db

COMPONENT_MINORS = {
    "01": "0101 0102 0103 0104 0105 0106 0107 0108 0109 0111 0112 0113 0114 0115 0116 0117 0118 0119 "
    "0120 0121 0122 0123 0124 0125 0126 0136 0138",
    "02": "0201 0203 0205 0206 0209 0210 0211 0212 0213",
    "03": "0301 0302 0304 0305 0306 0307",
    "04": "0401 0402 0403 0405 0406 0407 0408 0410",
    "05": "0501 0502",
    "06": "0601 0602 0603 0604 0606",
    "21": "",
}
EVENT_MINORS = {
    "01": "01 02 03 04 05 06 07 08 10 12 15 16 17",
    "02": "01 02 03 04 05",
    "03": "01 02 03 04 05",
    "04": "01 02 03 04 05 06 07 08",
    "05": "01 02 03 04 05 06 07 08 10 11 13",
    "22": "01 02 03 04",
    "23": "01 02 03",
    "24": "01 02 03 04",
    "25": "01 02 03 04",
    "26": "01 02 03",
}
MANHOLE_COVERS = ["0101", "0102", "0103", "0105", "0106", "0107", "0108", "0109", "0111", "0112", "0114"]


@pytest.fixture
def loaded():
    return catalog_load_defaults(actor=SYSTEM)


def _expected_codes() -> set[tuple[str, str]]:
    codes = set()
    for major, minors in COMPONENT_MINORS.items():
        codes.add(("component", major))
        codes.update(("component", minor) for minor in minors.split())
    for major, minors in EVENT_MINORS.items():
        codes.add(("event", major))
        codes.update(("event", major + minor) for minor in [*minors.split(), "99"])
    return codes


def test_loaded_catalogue_has_exactly_the_reference_codes(loaded):
    actual = set(Category.objects.values_list("kind", "code"))

    assert actual == _expected_codes()
    assert loaded["categories_created"] == len(actual)


@pytest.mark.parametrize(
    ("full_code", "name"),
    [
        ("B01", "公用设施"),
        ("B0101", "上水井盖"),
        ("B0114", "无主井盖"),
        ("B0210", "交通信号灯"),
        ("B0304", "垃圾间(楼)"),
        ("B0401", "古树名木"),
        ("B0606", "防洪墙"),
        ("S0101", "私搭乱建"),
        ("S0102", "暴露垃圾"),
        ("S0202", "违章张贴悬挂广告牌匾"),
        ("S0305", "无证掘路"),
        ("S0404", "下水道堵塞或破损"),
        ("S0513", "空调室外机低挂"),
        ("S0599", "其他"),
        ("S2201", "物业服务"),
        ("S2301", "邻里纠纷"),
        ("S26", "社区公共事务"),
    ],
)
def test_spot_checked_codes_have_their_reference_names(loaded, full_code, name):
    assert category_get(full_code).name == name


def test_every_minor_hangs_under_its_major_and_is_fully_described(loaded):
    minors = [c for c in category_list() if len(c.code) == 4]

    assert minors
    for minor in minors:
        assert minor.parent is not None, minor
        assert minor.parent.kind == minor.kind
        assert minor.code.startswith(minor.parent.code)
        assert all((minor.name_en, minor.hint, minor.filing_standard, minor.closing_standard)), minor
    assert all(c.parent_id is None for c in category_list() if len(c.code) == 2)


def test_every_minor_has_a_generic_district_owner_of_a_known_type(loaded):
    known = dept_types()
    minors = Category.objects.filter(parent__isnull=False)
    district_rows = Responsibility.objects.filter(city__isnull=True, level="district")

    assert set(district_rows.values_list("category_id", flat=True)) == set(
        minors.values_list("pk", flat=True)
    )
    assert set(Responsibility.objects.values_list("dept_type", flat=True)) <= set(known)


def test_codes_are_unique_within_a_kind(loaded):
    counts = Counter(Category.objects.values_list("kind", "code"))

    assert max(counts.values()) == 1


def test_dept_types_name_the_demo_departments():
    names = dept_types()

    assert names["urban_management"] == "城管执法"
    assert names["street_law_enforcement"] == "街道综合执法队"
    assert names["community_committee"] == "社区居委会"
    assert names["complex_board"] == "小区联席会（红色物业）"
    assert len(names) == 21


def test_second_load_creates_and_updates_nothing():
    first = catalog_load_defaults(actor=SYSTEM)
    rows = (Category.objects.count(), StageDeadline.objects.count(), Responsibility.objects.count())

    second = catalog_load_defaults(actor=SYSTEM)

    assert first["categories_created"] > 0
    assert set(second.values()) == {0}
    assert rows == (Category.objects.count(), StageDeadline.objects.count(), Responsibility.objects.count())
    loaded_events = Event.objects.filter(verb="catalog.loaded", chain="catalog").order_by("seq")
    assert [e.after for e in loaded_events] == [first, second]


def test_reload_restores_an_edited_standard_but_keeps_a_retired_category():
    catalog_load_defaults(actor=SYSTEM)
    Category.objects.filter(kind="event", code="0102").update(name="改名", active=False)

    counts = catalog_load_defaults(actor=SYSTEM)

    category = Category.objects.get(kind="event", code="0102")
    assert counts["categories_updated"] == 1
    assert category.name == "暴露垃圾"
    assert category.active is False


@pytest.mark.parametrize(
    ("full_code", "stage", "expected"),
    [
        ("S0102", "handle", (Decimal(4), "working_hours")),
        ("S0104", "handle", (Decimal(2), "working_hours")),
        ("S0406", "handle", (Decimal(4), "working_hours")),
        ("S0106", "handle", (Decimal(4), "working_hours")),
        ("S0103", "handle", (Decimal(2), "working_days")),
        ("S0105", "handle", (Decimal(15), "working_days")),
        ("S0101", "handle", (Decimal(20), "working_days")),
        ("S0101", "onsite", (Decimal(4), "working_hours")),
        ("S0401", "onsite", (Decimal("0.5"), "clock_hours")),
        ("S0402", "handle", (Decimal(2), "clock_hours")),
        ("S0403", "handle", (Decimal(2), "clock_hours")),
        ("S0405", "onsite", (Decimal("0.5"), "clock_hours")),
        # Everything else: the default rows.
        ("S0107", "handle", (Decimal(5), "working_days")),
        ("B0118", "handle", (Decimal(5), "working_days")),
        ("S0102", "verify", (Decimal(1), "working_hours")),
        ("B0101", "dispatch", (Decimal(1), "working_hours")),
        ("S2301", "accept", (Decimal(1), "working_hours")),
        ("S0101", "check", (Decimal(1), "working_hours")),
    ],
)
def test_stage_deadlines_follow_the_reference(loaded, full_code, stage, expected):
    assert stage_deadline_for(category=category_get(full_code), stage=stage) == expected


@pytest.mark.parametrize("code", MANHOLE_COVERS)
def test_every_manhole_cover_needs_someone_on_site_in_half_an_hour(loaded, code):
    cover = category_get("B" + code)

    assert stage_deadline_for(category=cover, stage="onsite") == (Decimal("0.5"), "clock_hours")
    assert stage_deadline_for(category=cover, stage="handle") == (Decimal(6), "clock_hours")


def test_a_major_class_row_applies_before_the_default(loaded):
    StageDeadline.objects.create(
        category=category_get("S05"), stage="handle", amount=Decimal(3), time_type="working_days"
    )

    assert stage_deadline_for(category=category_get("S0501"), stage="handle") == (Decimal(3), "working_days")
    assert stage_deadline_for(category=category_get("S0101"), stage="handle") == (Decimal(20), "working_days")


def test_without_any_row_the_built_in_deadline_applies():
    assert stage_deadline_for(category=None, stage="handle") == FALLBACK_DEADLINE


@pytest.mark.parametrize("bad", ["X0101", "B", "0101", "", "S01a"])
def test_category_get_rejects_malformed_codes(loaded, bad):
    with pytest.raises(CatalogError) as excinfo:
        category_get(bad)
    assert excinfo.value.code == "category.bad_code"


def test_category_get_names_an_unknown_code(loaded):
    with pytest.raises(CatalogError, match="B0110") as excinfo:
        category_get("b0110")
    assert excinfo.value.code == "category.unknown"


def test_catalog_command_loads_and_lists(capsys):
    call_command("catalog", "load")
    call_command("catalog", "list", "--kind", "event")

    out = capsys.readouterr().out
    assert "categories: 144 created, 0 updated" in out
    assert "S01  市容环境" in out
    assert "  S0101  私搭乱建" in out
    assert "B0101" not in out


def test_a_categorys_questions_are_read_once_per_instance(loaded, django_assert_num_queries):
    manhole = category_get("B0101")
    with django_assert_num_queries(1):
        first = category_questions(manhole)
        again = category_questions(manhole)
    assert [q.code for q in first] == [q.code for q in again] == ["cover_state"]
    first.clear()  # a caller's list is its own
    assert [q.code for q in category_questions(manhole)] == ["cover_state"]
