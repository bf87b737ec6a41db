"""Staff pages: the scoped list, the case page and its actions, case photos."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chuishao.cases.models import Case, Status
from chuishao.cases.services import case_act
from chuishao.events.models import Event
from tests.factories import photo

from .conftest import GRID_B

PNG = photo("p.png", "PNG").read()


def dispatched(city, case):
    case_act(case=case, action="file", actor=city.people["street-a"])
    return case_act(case=case, action="dispatch", actor=city.people["street-a"], lead=city.orgs["um-110901"])


def test_case_list_shows_only_cases_in_scope(login, report):
    in_a = report()
    in_b = report(grid=GRID_B)
    page = login("street-b").get(reverse("web:case_list")).content.decode()
    assert in_b.number in page
    assert in_a.number not in page


def test_case_list_filters(login, report, city):
    garbage = report(description="垃圾")
    water = report(category="S0406", description="路口积水很深")
    case_act(case=garbage, action="file", actor=city.people["street-a"])
    client = login("street-a")

    def numbers(**params):
        page = client.get(reverse("web:case_list"), params).content.decode()
        return {c.number for c in (garbage, water) if c.number in page}

    assert numbers() == {garbage.number, water.number}
    assert numbers(status="filed") == {garbage.number}
    assert numbers(q="积水") == {water.number}
    assert numbers(category=water.category.parent_id) == {water.number}
    assert numbers(node=city.node("110901001001").pk) == {garbage.number, water.number}
    assert numbers(node=city.node("110901001002").pk) == set()
    assert numbers(overdue="yes") == set()
    assert numbers(overdue="no") == {garbage.number, water.number}


def test_case_list_query_count_is_bounded(login, report, django_assert_max_num_queries):
    for _ in range(12):
        report()
    client = login("city")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("web:case_list"))
    assert response.status_code == 200
    assert response.content.decode().count("/cases/") >= 12


def test_case_page_offers_only_allowed_actions(login, report):
    case = report()
    page = login("street-a").get(reverse("web:case_detail", args=[case.pk])).content.decode()
    for action in ("file", "decline"):
        assert reverse("web:case_act", args=[case.pk, action]) in page
    for action in ("accept", "handle", "close", "verify"):
        assert reverse("web:case_act", args=[case.pk, action]) not in page
    grid_page = login("grid-a").get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert reverse("web:case_act", args=[case.pk, "verify"]) in grid_page
    assert reverse("web:case_act", args=[case.pk, "file"]) not in grid_page


def test_posting_an_action_changes_the_state_and_writes_the_event(login, report):
    case = report()
    client = login("street-a")
    response = client.post(reverse("web:case_act", args=[case.pk, "file"]), {"note": "属实"})
    assert response.status_code == 302
    assert response.url == reverse("web:case_detail", args=[case.pk])
    case.refresh_from_db()
    assert case.status == Status.FILED
    event = Event.objects.filter(case_id=case.pk).order_by("-seq").first()
    assert event.verb == "case.file"
    assert event.actor_label == "street-a"
    assert event.reason == "属实"


def test_dispatch_form_offers_local_organisations_with_the_suggestion_selected(login, report, city):
    case = report()
    case_act(case=case, action="file", actor=city.people["street-a"])
    case.refresh_from_db()
    client = login("street-a")
    page = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert case.suggested_org_id is not None
    assert f'<option value="{case.suggested_org_id}" selected>' in page
    assert f'value="{city.orgs["um-110902"].pk}"' not in page  # the other district's department
    response = client.post(
        reverse("web:case_act", args=[case.pk, "dispatch"]),
        {"lead": city.orgs["um-110901"].pk, "assisting": [city.orgs["water-110901"].pk]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED
    assert case.lead_org_id == city.orgs["um-110901"].pk
    assert Event.objects.filter(case_id=case.pk, verb="case.dispatch").exists()


def test_forbidden_action_is_refused_and_changes_nothing(login, report):
    case = report()
    client = login("grid-a")
    response = client.post(reverse("web:case_act", args=[case.pk, "file"]), follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert messages and "file" in messages[0]
    case.refresh_from_db()
    assert case.status == Status.REPORTED
    assert list(Event.objects.filter(case_id=case.pk).values_list("verb", flat=True)) == ["case.reported"]


def test_action_on_a_moved_state_tells_someone_acted_first(login, report, city):
    case = report()
    case_act(case=case, action="file", actor=city.people["street-a"])
    client = login("street-a")
    response = client.post(
        reverse("web:case_act", args=[case.pk, "file"]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    messages = [str(m) for m in response.context["messages"]]
    assert "acted on this case first" in messages[0]


def test_missing_reason_is_refused(login, report):
    case = report()
    client = login("street-a")
    response = client.post(reverse("web:case_act", args=[case.pk, "decline"]), {"reason": ""}, follow=True)
    assert [str(m) for m in response.context["messages"]]
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_case_outside_scope_is_404(login, report):
    case = report()
    client = login("street-b")
    assert client.get(reverse("web:case_detail", args=[case.pk])).status_code == 404
    assert client.post(reverse("web:case_act", args=[case.pk, "file"])).status_code == 404
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED


def test_reporter_phone_masked_for_department_not_for_street(login, report, city):
    case = dispatched(city, report())
    street_page = login("street-a").get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert "13812341234" in street_page
    dept_page = login("um-a").get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert "13812341234" not in dept_page
    assert "138****1234" in dept_page
    assert reverse("web:case_act", args=[case.pk, "accept"]) in dept_page


def test_case_photo_served_in_scope_refused_outside(login, report):
    case = report(media=[SimpleUploadedFile("p.png", PNG, content_type="image/png")])
    media = case.media.get()
    url = reverse("web:media", args=[media.pk])
    response = login("street-a").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert login("street-b").get(url).status_code == 404
    assert login("um-a").get(url).status_code == 404


def test_handle_with_evidence_photo(login, report, city):
    case = dispatched(city, report())
    case_act(case=case, action="accept", actor=city.people["um-a"])
    client = login("um-a")
    response = client.post(
        reverse("web:case_act", args=[case.pk, "handle"]),
        {"result": "已清运", "evidence": [SimpleUploadedFile("done.png", PNG, content_type="image/png")]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.HANDLED
    assert case.media.filter(purpose="handling").count() == 1


def test_timeline_on_case_page_names_staff(login, report, city):
    case = dispatched(city, report())
    page = login("street-a").get(reverse("web:case_detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "dispatched the case" in text
    assert "street-a" in text


def test_every_case_verb_reads_in_plain_words():
    from chuishao.cases.presenting import VERB_WORDS
    from chuishao.cases.transitions import TABLE
    from chuishao.web.presenters import ACTION_WORDS

    extra = {
        "case.reported",
        "case.whistled",
        "case.warned",
        "case.escalated",
        "case.feedback_expired",
        "case.supervised",
        "case.chased",
    }
    assert {t.verb for t in TABLE.values()} | extra <= set(VERB_WORDS)
    assert set(TABLE) <= set(ACTION_WORDS)


def test_follow_page_shows_oversight_without_its_notes(client, login, report, city):
    from chuishao.cases.services import case_chase, case_supervise

    case = dispatched(city, report())
    case_supervise(case=case, actor=city.people["district-a"], note="区领导督办，联系人李科长13900002222")
    case_chase(case=case, actor=city.people["street-a"], note="内部催办")
    page = client.get(
        reverse("web:follow", args=[case.number, case.follow_token]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "put the case under supervision" in page and "urged the owner" in page
    assert "13900002222" not in page and "内部催办" not in page
    assert "district-a" not in page and "street-a" not in page
    staff = login("street-a").get(reverse("web:case_detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = staff.content.decode()
    assert "内部催办" in text and "reminder 1" in text


def test_the_desk_shows_its_query_on_a_map(login, report):
    mine = report()
    other = report(grid="110902001001001")
    page = login("street-a").get("/cases/?view=map&open_only=on")
    assert page.status_code == 200
    numbers = {p["number"] for p in page.context["map_points"]}
    assert numbers == {mine.number} and other.number not in numbers  # the street's own, as in the list


def test_bulk_actions_act_case_by_case_and_say_what_was_refused(login, city, report):
    from chuishao.cases.models import Case

    first, second = report(), report()
    outside = report(grid="110902001001001")  # street B's: street A may not file it
    client = login("street-a")
    response = client.post(
        "/cases/bulk/", {"bulk": "file", "ids": [first.pk, second.pk, outside.pk], "back": "open_only=on"}
    )
    assert response.status_code == 302 and response.url == "/cases/?open_only=on"
    statuses = dict(Case.objects.values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == "filed"
    assert statuses[outside.pk] == "reported"  # not visible to street A, so not touched
    second.refresh_from_db()
    Case.objects.filter(pk=second.pk).update(suggested_org=None)
    client.post("/cases/bulk/", {"bulk": "dispatch_suggested", "ids": [first.pk, second.pk]})
    page = client.get("/cases/")
    text = " ".join(str(m) for m in page.context["messages"])
    assert Case.objects.get(pk=first.pk).status == "dispatched"
    assert Case.objects.get(pk=second.pk).status == "filed" and second.number in text
    assert client.post("/cases/bulk/", {"bulk": "delete", "ids": [first.pk]}).status_code == 302


def test_the_desk_counts_at_most_its_cap_and_says_there_are_more(login, report, monkeypatch):
    """A busy street's desk does not count 30,000 cases for its heading: past the cap it says "more than"
    and its pages stop there (the filters reach older cases)."""
    from chuishao.web.views import cases as views

    made = [report() for _ in range(5)]
    client = login("street-a")
    page = client.get(reverse("web:case_list")).content.decode()
    assert "共 5 件" in page

    monkeypatch.setattr(views, "COUNT_CAP", 3)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first = client.get(reverse("web:case_list")).content.decode()
    assert "超过 3 件" in first and "共 5 件" not in first
    assert "第 1 页，共 2 页" in first  # 3 of the 5 counted: two pages of two
    # The newest come first, and the page past the cap shows the last counted page.
    newest = sorted(made, key=lambda c: c.created_at)[-1]
    assert newest.number in first
    last = client.get(reverse("web:case_list"), {"page": "9"}).content.decode()
    assert "第 2 页，共 2 页" in last
