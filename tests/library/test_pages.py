"""The library's pages: the public library and search for anyone, exemplars' pages scoped to who may
read them, writing and submitting for the organisations' people, the review queue for reviewers, photos,
and the snippet other apps include for related exemplary cases."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from chuishao.library import selectors, services
from chuishao.library.models import Exemplar, ExemplarAttachment, Status
from tests.factories import PASSWORD, photo
from tests.library.library_city import COMMUNITY, ELEVATOR, GARBAGE, PARKING, library_city, publish, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return library_city()


@pytest.fixture
def login(client):
    def as_(username):
        client.logout()
        assert client.login(username=username, password=PASSWORD)
        return client

    return as_


def shown(response):
    return [
        int(pk)
        for pk in re.findall(r'data-testid="exemplar" data-exemplar="(\d+)"', response.content.decode())
    ]


def form_data(city, **overrides):
    data = {
        "organisation": str(city.orgs["committee-a"].pk),
        "title": "小区停车治理",
        "region": COMMUNITY,
        "problem": "停车难",
        "actions": "错时共享",
        "tags": "停车治理、错时共享",
        "result_1_label": "满意率",
        "result_1_value": "97",
        "result_1_unit": "%",
    }
    return data | overrides


def test_anyone_reads_and_searches_the_published_library(city, client):
    parking = publish(city, write(city, **PARKING))
    elevator = publish(city, write(city, **ELEVATOR))
    garbage = publish(city, write(city, **GARBAGE))
    draft = write(city, title="草稿：停车新办法")
    response = client.get("/library/")
    assert response.status_code == 200
    assert set(shown(response)) == {parking.pk, elevator.pk, garbage.pk}
    response = client.get("/library/", {"q": "停车"})
    assert shown(response) == [parking.pk, garbage.pk]
    assert 'data-count="2"' in response.content.decode()
    assert shown(client.get("/library/", {"tag": "加装电梯"})) == [elevator.pk]
    assert shown(client.get("/library/", {"region": "110902"})) == []
    assert set(shown(client.get("/library/", {"region": "110901001", "kind": "community_committee"}))) == {
        parking.pk,
        elevator.pk,
        garbage.pk,
    }
    assert shown(client.get("/library/", {"kind": "unit"})) == []
    assert draft.pk not in shown(client.get("/library/", {"q": "草稿"}))


def test_a_published_exemplar_page_is_public_without_personal_data(city, client):
    exemplar = publish(city, write(city, **PARKING))
    response = client.get(f"/library/{exemplar.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-label="满意率" data-value="97" data-unit="%"' in body
    assert 'data-label="新增共享车位" data-value="320"' in body
    assert "一社区居民委员会" in body
    for private in ("community-a", "district-a", "13800001234", 'data-testid="history"', 'data-action="'):
        assert private not in body


def test_unpublished_pages_are_for_the_organisation_and_reviewers_only(city, client, login):
    draft = write(city)
    assert client.get(f"/library/{draft.pk}/").status_code == 404
    for who in ("community-b", "resident", "district-a"):  # reviewers never see drafts
        assert login(who).get(f"/library/{draft.pk}/").status_code == 404
    body = login("community-a").get(f"/library/{draft.pk}/").content.decode()
    assert 'data-action="submit"' in body and 'data-testid="edit"' in body and 'data-status="draft"' in body
    services.exemplar_submit(actor=city.people["community-a"], exemplar=draft)
    body = login("district-a").get(f"/library/{draft.pk}/").content.decode()
    assert 'data-action="publish"' in body and 'data-action="return"' in body
    assert 'data-verb="library.exemplar_submitted"' in body
    assert login("district-b").get(f"/library/{draft.pk}/").status_code == 404


def test_mine_and_review_pages_are_for_their_roles(city, client, login):
    assert client.get("/library/mine/").status_code == 302  # to sign in
    assert client.get("/library/review/").status_code == 302
    for who in ("resident", "grid-a", "district-a"):
        assert login(who).get("/library/mine/").status_code == 404
    for who in ("resident", "community-a", "street-a", "um-a"):
        assert login(who).get("/library/review/").status_code == 404
    mine = write(city)
    other = write(city, "community-b", "committee-b", "110902001001")
    body = login("community-a").get("/library/mine/").content.decode()
    assert f'data-exemplar="{mine.pk}"' in body and f'data-exemplar="{other.pk}"' not in body
    services.exemplar_submit(actor=city.people["community-a"], exemplar=mine)
    body = login("district-a").get("/library/review/").content.decode()
    assert f'data-exemplar="{mine.pk}"' in body
    body = login("district-b").get("/library/review/").content.decode()
    assert f'data-exemplar="{mine.pk}"' not in body


def test_write_edit_submit_return_and_publish_through_the_pages(city, login):
    client = login("community-a")
    assert client.get("/library/new/").status_code == 200
    response = client.post("/library/new/", form_data(city))
    exemplar = Exemplar.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/library/{exemplar.pk}/"
    assert list(exemplar.results.values_list("label", "unit")) == [("满意率", "%")]
    assert set(exemplar.tags.values_list("name", flat=True)) == {"停车治理", "错时共享"}
    edit = client.get(f"/library/{exemplar.pk}/edit/").content.decode()
    assert 'value="满意率"' in edit and 'value="97"' in edit
    response = client.post(f"/library/{exemplar.pk}/edit/", form_data(city, title="小区停车治理（二稿）"))
    assert response.status_code == 302
    client.post(f"/library/{exemplar.pk}/submit/")
    exemplar.refresh_from_db()
    assert exemplar.title == "小区停车治理（二稿）" and exemplar.status == Status.SUBMITTED
    reviewer = login("district-a")
    reviewer.post(f"/library/{exemplar.pk}/return/", {"reason": ""})
    exemplar.refresh_from_db()
    assert exemplar.status == Status.SUBMITTED  # a return needs its reason
    reviewer.post(f"/library/{exemplar.pk}/return/", {"reason": "请补充调查方法"})
    exemplar.refresh_from_db()
    assert exemplar.status == Status.RETURNED and exemplar.status_reason == "请补充调查方法"
    client = login("community-a")
    body = client.get(f"/library/{exemplar.pk}/").content.decode()
    assert 'data-testid="status-reason"' in body and "请补充调查方法" in body
    client.post(f"/library/{exemplar.pk}/submit/")
    reviewer = login("district-a")
    reviewer.post(f"/library/{exemplar.pk}/publish/")
    exemplar.refresh_from_db()
    assert exemplar.status == Status.PUBLISHED
    reviewer.post(f"/library/{exemplar.pk}/unpublish/", {"reason": "数据待核实"})
    exemplar.refresh_from_db()
    assert exemplar.status == Status.WITHDRAWN


def test_bad_forms_say_why_and_save_nothing(city, login):
    client = login("community-a")
    for bad in (
        {"result_1_value": "九十七"},
        {"title": ""},
        {"region": "110902001001"},  # not in the committee's area (and not offered)
        {"organisation": str(city.orgs["committee-b"].pk)},
        {"region": "110901001001001"} | {"tags": "、".join(f"t{n}" for n in range(11))},
    ):
        response = client.post("/library/new/", form_data(city, **bad))
        assert response.status_code == 400
    assert Exemplar.objects.count() == 0
    assert login("resident").post("/library/new/", form_data(city)).status_code == 404
    assert Exemplar.objects.count() == 0


def test_reviewing_and_writing_need_the_right(city, login):
    exemplar = write(city)
    login("community-b").post(f"/library/{exemplar.pk}/submit/")
    login("district-a").post(f"/library/{exemplar.pk}/submit/")
    exemplar.refresh_from_db()
    assert exemplar.status == Status.DRAFT
    services.exemplar_submit(actor=city.people["community-a"], exemplar=exemplar)
    login("community-a").post(f"/library/{exemplar.pk}/publish/")
    login("district-b").post(f"/library/{exemplar.pk}/publish/")
    exemplar.refresh_from_db()
    assert exemplar.status == Status.SUBMITTED
    assert login("community-a").get(f"/library/{exemplar.pk}/edit/").status_code == 302  # not editable now


def test_photos_upload_and_are_served_to_who_may_read_the_exemplar(city, client, login):
    exemplar = write(city)
    staff = login("community-a")
    response = staff.post(
        f"/library/{exemplar.pk}/photos/", {"photos": [photo("a.jpg"), photo("b.png", "PNG")]}
    )
    assert response.status_code == 302
    assert ExemplarAttachment.objects.filter(exemplar=exemplar).count() == 2
    from django.core.files.uploadedfile import SimpleUploadedFile

    staff.post(
        f"/library/{exemplar.pk}/photos/",
        {"photos": SimpleUploadedFile("x.pdf", b"%PDF-1.4", content_type="application/pdf")},
    )
    assert ExemplarAttachment.objects.filter(exemplar=exemplar).count() == 2
    first = ExemplarAttachment.objects.filter(exemplar=exemplar).first()
    assert staff.get(f"/library/photos/{first.pk}/").status_code == 200
    client.logout()
    assert client.get(f"/library/photos/{first.pk}/").status_code == 404
    publish(city, exemplar)
    response = client.get(f"/library/photos/{first.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


def test_the_related_exemplars_snippet(city):
    one = publish(city, write(city, **PARKING))
    two = publish(city, write(city, **ELEVATOR))
    draft = write(city, **GARBAGE)
    request = RequestFactory().get("/")
    html = render_to_string(
        "web/library/_exemplar_links.html",
        {"exemplars": selectors.published_exemplars([two.pk, draft.pk, one.pk])},
        request=request,
    )
    assert re.findall(r'data-exemplar="(\d+)"', html) == [str(two.pk), str(one.pk)]
    assert f'href="/library/{one.pk}/"' in html and draft.title not in html
    assert render_to_string("web/library/_exemplar_links.html", {"exemplars": []}).strip() == ""


def test_pages_in_english_and_chinese(city, client):
    publish(city, write(city, **PARKING))
    zh = client.get("/library/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<html lang="zh-hans">' in zh
    client.cookies["django_language"] = "en"
    en = client.get("/library/").content.decode()
    assert '<html lang="en">' in en and "Exemplary-case library" in en


def _exemplar_selects(queries):
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith("SELECT") and 'FROM "library_exemplar"' in q["sql"]
    ]


def test_the_library_without_words_pages_in_the_database(city, client, monkeypatch):
    from django.db import connection
    from django.db.models import QuerySet
    from django.test.utils import CaptureQueriesContext

    from chuishao.library.selectors import Filters

    monkeypatch.setattr("chuishao.web.views.library.PAGE_SIZE", 2)
    made = [publish(city, write(city, title=f"小区停车治理第{i}则")) for i in range(5)]
    assert isinstance(selectors.library_search(Filters()), QuerySet)  # not loaded into a list
    assert isinstance(selectors.library_search(Filters(query="!!")), QuerySet)
    with CaptureQueriesContext(connection) as five:
        response = client.get("/library/")
    first = list(five.captured_queries)  # read now: the next request resets the connection's log
    assert response.status_code == 200
    assert shown(response) == [made[4].pk, made[3].pk]  # newest first, one page only
    assert 'data-count="5"' in response.content.decode()
    assert shown(client.get("/library/", {"page": 3})) == [made[0].pk]
    rows = [sql for sql in _exemplar_selects(first) if "COUNT(" not in sql.upper()]
    assert rows and all("LIMIT" in sql.upper() for sql in rows)
    for i in range(5):
        publish(city, write(city, title=f"垃圾分类第{i}则"))
    with CaptureQueriesContext(connection) as ten:
        response = client.get("/library/")
    assert 'data-count="10"' in response.content.decode()
    assert len(ten.captured_queries) == len(first)
