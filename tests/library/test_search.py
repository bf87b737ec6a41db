"""Chinese search over the library: the term index is rebuilt on every save, a query is cut the same way,
title hits and all-words matches rank first, filters narrow by region (with everything below), tag and
kind of author organisation, and unpublished exemplars never show."""

from __future__ import annotations

import pytest

from chuishao.library import selectors, services
from chuishao.library.models import ExemplarTerm
from chuishao.library.search import query_terms
from chuishao.library.selectors import Filters
from chuishao.library.services import ResultRow
from tests.library.library_city import COMMUNITY, ELEVATOR, GARBAGE, PARKING, library_city, publish, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return library_city()


def titles(found):
    return [e.title for e in found]


def search(query="", **kw):
    return titles(selectors.library_search(Filters(query=query, **kw)))


def test_parking_finds_the_parking_exemplars_title_hit_first_and_not_the_unrelated(city):
    # Mentions 停车 many times, but only in its body and results.
    body_only = publish(
        city,
        write(
            city,
            title="楼门院治理的经验",
            problem="停车难，停车乱，停车贵，停车位少。",
            actions="开展停车秩序整治，规划停车位，实行停车收费。",
            results=[ResultRow("新增停车位", "80", "个")],
            tags="停车",
        ),
    )
    parking = publish(city, write(city, **PARKING))
    publish(city, write(city, **ELEVATOR))
    found = search("停车")
    assert found[0] == parking.title  # the title hit ranks first
    assert set(found) == {parking.title, body_only.title}  # 老旧小区加装电梯 has nothing on parking
    assert search("停车难") == [parking.title, body_only.title]
    assert search("小区停车治理")[0] == parking.title


def test_all_words_matched_rank_above_some_even_against_a_title_hit(city):
    both = publish(
        city, write(city, title="社区经验一则", problem="加装电梯之后停车更难了", actions="统筹规划")
    )
    one = publish(city, write(city, **ELEVATOR))  # 电梯 in its title, no parking
    found = search("电梯 停车")
    assert found[:2] == [both.title, one.title]


def test_words_of_results_and_tags_are_found(city):
    garbage = publish(city, write(city, **GARBAGE))
    assert search("准确率") == [garbage.title]  # a result's label
    assert search("垃圾分类") == [garbage.title]  # a tag (and the title)


def test_unpublished_exemplars_are_never_found(city):
    draft = write(city, title="草稿：停车治理")
    submitted = write(city, title="待审：停车治理")
    services.exemplar_submit(actor=city.people["community-a"], exemplar=submitted)
    withdrawn = publish(city, write(city, title="撤下：停车治理"))
    services.exemplar_unpublish(actor=city.people["district-a"], exemplar=withdrawn, reason="数据待核实")
    returned = write(city, title="退回：停车治理")
    services.exemplar_submit(actor=city.people["community-a"], exemplar=returned)
    services.exemplar_return(actor=city.people["district-a"], exemplar=returned, reason="补充数据")
    assert ExemplarTerm.objects.filter(exemplar=draft, term="停车").exists()  # indexed, yet hidden
    assert search("停车") == [] and search() == []
    assert search("停车治理", tag="停车治理") == []


def test_the_index_follows_every_edit(city):
    staff = city.people["community-a"]
    exemplar = write(city, **PARKING)
    assert ExemplarTerm.objects.filter(exemplar=exemplar, term="停车", field="title").exists()
    services.exemplar_update(actor=staff, exemplar=exemplar, region=city.nodes[COMMUNITY], **ELEVATOR)
    assert not ExemplarTerm.objects.filter(exemplar=exemplar, term="停车").exists()
    assert ExemplarTerm.objects.filter(exemplar=exemplar, term="电梯", field="title").exists()
    assert ExemplarTerm.objects.filter(exemplar=exemplar, term="加装电梯", field="tags").exists()
    publish(city, exemplar)
    assert search("停车") == [] and search("电梯") == [ELEVATOR["title"]]


def test_filters_region_with_everything_below_tag_and_kind_of_organisation(city):
    community = publish(city, write(city, **PARKING))
    grid = publish(city, write(city, region="110901001001001", **GARBAGE))
    street = publish(city, write(city, "street-a", "street-110901", "110901001", **ELEVATOR))
    unit = publish(
        city,
        write(
            city,
            "bureau-organiser",
            "bureau-a",
            "110901001",
            title="机关党员进社区认领微心愿",
            problem="困难老人的小心愿没人管",
            actions="在职党员双报到，认领微心愿",
            tags="双报到",
        ),  # fmt: skip
    )
    other = publish(
        city, write(city, "community-b", "committee-b", "110902001001", title="二社区停车治理"), "district-b"
    )
    nodes = city.nodes
    assert set(search(region=nodes["110901"])) == {community.title, grid.title, street.title, unit.title}
    assert set(search(region=nodes["110901001"])) == {community.title, grid.title, street.title, unit.title}
    assert set(search(region=nodes[COMMUNITY])) == {community.title, grid.title}
    assert search(region=nodes["110901001001001"]) == [grid.title]
    assert search(region=nodes["110902"]) == [other.title]
    assert set(search("停车", region=nodes["110000"])) == {community.title, other.title, grid.title}
    assert set(search(tag="停车治理")) == {community.title, other.title}
    assert search(tag="加装电梯") == [street.title]
    assert search(org_kind="street_office") == [street.title]
    assert search(org_kind="unit") == [unit.title]
    assert set(search(org_kind="community_committee")) == {community.title, grid.title, other.title}
    assert len(search(org_kind="nonsense")) == 5  # an unknown kind filters nothing
    assert search("停车", org_kind="community_committee", region=nodes["110902"]) == [other.title]


def test_queries_are_cut_like_the_index_and_a_single_character_falls_back_to_substrings(city):
    assert query_terms("小区停车治理 停车") == ["小区", "停车", "治理"]
    assert query_terms("！！的") == []
    parking = publish(city, write(city, **PARKING))
    publish(city, write(city, **ELEVATOR))
    assert search("车") == [parking.title]
    assert search("梯")[0].startswith("老旧小区")
    assert search("没有这个词语") == []


def test_popular_tags_count_only_published(city):
    publish(city, write(city, **PARKING))
    publish(city, write(city, title="又一例", tags="停车治理"))
    write(city, title="草稿", tags="草稿标签")
    tags = [t.name for t in selectors.popular_tags()]
    assert tags[0] == "停车治理" and "草稿标签" not in tags
