"""Exemplary cases: who writes for which organisation, what is checked, the life cycle draft → submitted
→ published or returned (and withdrawn / unpublished), who reviews, and the event each step appends."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile

from chuishao.actors import SYSTEM
from chuishao.events.models import Event
from chuishao.library import selectors, services
from chuishao.library.errors import LibraryConflict, LibraryDenied, LibraryInvalid, LibraryNotFound
from chuishao.library.models import Exemplar, ExemplarAttachment, ExemplarResult, Status, Tag
from chuishao.library.services import ResultRow
from chuishao.orgs.services import membership_grant, person_create
from tests.factories import PASSWORD, photo
from tests.library.library_city import COMMUNITY, ELEVATOR, library_city, publish, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return library_city()


def verbs(exemplar):
    return list(
        Event.objects.filter(chain=f"library:{exemplar.pk}").order_by("seq").values_list("verb", flat=True)
    )


# ------------------------------------------------------------------------------------------ who writes


@pytest.mark.parametrize(
    ("who", "org", "region"),
    [
        ("community-a", "committee-a", COMMUNITY),
        ("community-a", "party-a", COMMUNITY),
        ("street-a", "street-110901", "110901001"),
        ("um-a", "um-110901", "110901"),
        ("bureau-organiser", "bureau-a", "110901001"),
        ("bureau-organiser", "bureau-a-party", "110901001"),
    ],
)
def test_the_organisations_people_write_for_it(city, who, org, region):
    exemplar = write(city, who, org, region)
    assert exemplar.status == Status.DRAFT and exemplar.author == city.people[who]
    assert exemplar.organisation == city.orgs[org]
    assert verbs(exemplar) == ["library.exemplar_drafted"]


@pytest.mark.parametrize(
    ("who", "org"),
    [
        ("community-b", "committee-a"),
        ("grid-a", "committee-a"),
        ("resident", "committee-a"),
        ("street-a", "committee-a"),  # the street does not write for a community's committee
        ("um-a", "street-110901"),
        ("district-a", "committee-a"),  # reviewers review; they do not write for others
        ("street-b", "street-110901"),
        ("bureau-organiser", "committee-a"),
    ],
)
def test_others_may_not_write_for_an_organisation(city, who, org):
    with pytest.raises(LibraryDenied):
        write(city, who, org, "110901001001" if org == "committee-a" else "110901001")
    assert Exemplar.objects.count() == 0


def test_only_author_kinds_of_organisation_and_regions_inside_their_area(city):
    with pytest.raises(LibraryInvalid):
        write(city, "city", "centre", "110000")  # a command centre does not write exemplary cases
    with pytest.raises(LibraryInvalid):  # another community
        write(city, region="110901001002")
    with pytest.raises(LibraryInvalid):
        write(city, region="110901001")  # the street above the community
    with pytest.raises(LibraryInvalid):
        services.exemplar_create(
            actor=city.people["community-a"],
            organisation=city.orgs["committee-a"],
            region=None,
            title="x",
            problem="x",
            actions="x",
        )
    assert write(city, region="110901001001001").region.code == "110901001001001"  # a grid below is fine


def test_text_results_and_tags_are_checked_and_nothing_is_half_saved(city):
    bad = [
        {"title": "  "},
        {"problem": ""},
        {"actions": ""},
        {"title": "长" * 121},
        {"results": [ResultRow("满意率", "九十七", "%")]},
        {"results": [ResultRow("", "97", "%")]},
        {"results": [ResultRow("满意率", "", "%")]},
        {"results": [ResultRow("满意率", "1e20", "%")]},
        {"results": [ResultRow("满意率", "NaN", "%")]},
        {"results": [ResultRow("满意率", "97", "单" * 17)]},
        {"results": [ResultRow(f"指标{n}", n, "") for n in range(13)]},
        {"tags": [f"标签{n}" for n in range(11)]},
        {"tags": ["长" * 31]},
    ]
    for values in bad:
        with pytest.raises(LibraryInvalid):
            write(city, **values)
    assert Exemplar.objects.count() == ExemplarResult.objects.count() == Tag.objects.count() == 0
    assert Event.objects.filter(verb__startswith="library.").count() == 0


def test_results_keep_their_order_and_figures_and_tags_are_normalised(city):
    exemplar = write(
        city,
        results=[
            ResultRow("新增车位", "1,320", "个"),
            ResultRow("", "", ""),
            ResultRow("满意率", "97.5", "%"),
        ],
        tags="停车治理， 停车治理、 Red Property ;错时共享",
    )
    rows = list(exemplar.results.order_by("position").values_list("label", "value", "unit"))
    assert rows == [("新增车位", Decimal("1320.00"), "个"), ("满意率", Decimal("97.50"), "%")]
    assert [r.value_text for r in exemplar.results.order_by("position")] == ["1320", "97.5"]
    assert set(exemplar.tags.values_list("name", flat=True)) == {"停车治理", "red", "property", "错时共享"}
    other = write(city, tags=["停车治理", " 停车治理 "])
    assert list(other.tags.values_list("name", flat=True)) == ["停车治理"]
    assert Tag.objects.filter(name="停车治理").count() == 1


def test_a_list_of_tags_keeps_spaces_inside_a_tag(city):
    exemplar = write(city, tags=["  Red   Property ", "红色物业"])
    assert set(exemplar.tags.values_list("name", flat=True)) == {"red property", "红色物业"}


# ------------------------------------------------------------------------------------------ life cycle


def test_submit_needs_a_result_with_a_figure(city):
    exemplar = write(city, results=[])
    with pytest.raises(LibraryInvalid):
        services.exemplar_submit(actor=city.people["community-a"], exemplar=exemplar)
    exemplar.refresh_from_db()
    assert exemplar.status == Status.DRAFT


def test_write_submit_return_edit_resubmit_publish_with_an_event_each(city):
    staff, reviewer = city.people["community-a"], city.people["district-a"]
    exemplar = write(city)
    services.exemplar_submit(actor=staff, exemplar=exemplar)
    with pytest.raises(LibraryConflict):  # submitted: no more edits until it comes back
        services.exemplar_update(actor=staff, exemplar=exemplar, region=city.nodes[COMMUNITY], **ELEVATOR)
    with pytest.raises(LibraryInvalid):
        services.exemplar_return(actor=reviewer, exemplar=exemplar, reason=" ")
    returned = services.exemplar_return(actor=reviewer, exemplar=exemplar, reason="请补充满意率的调查方法")
    assert returned.status == Status.RETURNED and returned.status_reason == "请补充满意率的调查方法"
    with pytest.raises(LibraryConflict):
        services.exemplar_publish(actor=reviewer, exemplar=exemplar)
    services.exemplar_update(
        actor=staff,
        exemplar=exemplar,
        region=city.nodes[COMMUNITY],
        title="小区停车治理（修改稿）",
        problem="车位少",
        actions="错时共享，入户调查 500 户",
        results=[ResultRow("满意率", "97", "%")],
        tags="停车治理",
    )
    services.exemplar_submit(actor=staff, exemplar=exemplar)
    published = services.exemplar_publish(actor=reviewer, exemplar=exemplar)
    assert published.status == Status.PUBLISHED and published.published_by == reviewer
    assert published.published_at is not None and published.status_reason == ""
    with pytest.raises(LibraryConflict):
        services.exemplar_update(actor=staff, exemplar=exemplar, region=city.nodes[COMMUNITY], **ELEVATOR)
    with pytest.raises(LibraryConflict):
        services.exemplar_publish(actor=reviewer, exemplar=exemplar)
    assert verbs(exemplar) == [
        "library.exemplar_drafted",
        "library.exemplar_submitted",
        "library.exemplar_returned",
        "library.exemplar_edited",
        "library.exemplar_submitted",
        "library.exemplar_published",
    ]
    returned_event = Event.objects.get(chain=f"library:{exemplar.pk}", verb="library.exemplar_returned")
    assert returned_event.reason == "请补充满意率的调查方法" and returned_event.actor_id == reviewer.pk


@pytest.mark.parametrize("reviewer", ["district-a", "city", "leader", "admin"])
def test_centres_leaders_and_the_admin_over_the_region_review(city, reviewer):
    assert publish(city, write(city), reviewer).status == Status.PUBLISHED


@pytest.mark.parametrize("who", ["district-b", "street-a", "community-a", "grid-a", "um-a", "resident"])
def test_nobody_else_reviews(city, who):
    exemplar = write(city)
    services.exemplar_submit(actor=city.people["community-a"], exemplar=exemplar)
    with pytest.raises(LibraryDenied):
        services.exemplar_publish(actor=city.people[who], exemplar=exemplar)
    with pytest.raises(LibraryDenied):
        services.exemplar_return(actor=city.people[who], exemplar=exemplar, reason="不行")
    exemplar.refresh_from_db()
    assert exemplar.status == Status.SUBMITTED


def test_a_street_leader_does_not_review_but_a_district_leader_does(city):
    exemplar = write(city)
    services.exemplar_submit(actor=city.people["community-a"], exemplar=exemplar)
    hashed = make_password(PASSWORD)
    street_leader = person_create(actor=SYSTEM, username="street-leader", password_hash=hashed)
    membership_grant(actor=SYSTEM, person=street_leader, role="leader", node=city.nodes["110901001"])
    with pytest.raises(LibraryDenied):
        services.exemplar_publish(actor=street_leader, exemplar=exemplar)
    district_leader = person_create(actor=SYSTEM, username="district-leader", password_hash=hashed)
    membership_grant(actor=SYSTEM, person=district_leader, role="leader", node=city.nodes["110901"])
    assert services.exemplar_publish(actor=district_leader, exemplar=exemplar).status == Status.PUBLISHED


def test_nobody_reviews_what_they_wrote(city):
    # A district centre's person who also works for the district's department writes a case up…
    writer = city.people["district-a"]
    membership_grant(
        actor=SYSTEM, person=writer, role="department_staff", organisation=city.orgs["um-110901"]
    )
    writer = type(writer).objects.get(pk=writer.pk)  # fresh grants
    exemplar = write(city, "district-a", "um-110901", "110901")
    services.exemplar_submit(actor=writer, exemplar=exemplar)
    with pytest.raises(LibraryDenied):
        services.exemplar_publish(actor=writer, exemplar=exemplar)
    assert services.exemplar_publish(actor=city.people["city"], exemplar=exemplar).status == Status.PUBLISHED


def test_unpublish_by_a_reviewer_and_withdraw_by_the_organisation_need_a_reason(city):
    staff, reviewer = city.people["community-a"], city.people["district-a"]
    exemplar = publish(city, write(city))
    with pytest.raises(LibraryDenied):
        services.exemplar_unpublish(actor=staff, exemplar=exemplar, reason="x")
    with pytest.raises(LibraryInvalid):
        services.exemplar_unpublish(actor=reviewer, exemplar=exemplar, reason="")
    done = services.exemplar_unpublish(actor=reviewer, exemplar=exemplar, reason="数据有误，待核实")
    assert done.status == Status.WITHDRAWN and done.status_reason == "数据有误，待核实"
    with pytest.raises(LibraryConflict):
        services.exemplar_unpublish(actor=reviewer, exemplar=exemplar, reason="再次")
    # Withdrawn: the organisation edits and submits again.
    services.exemplar_update(actor=staff, exemplar=exemplar, region=city.nodes[COMMUNITY], **ELEVATOR)
    services.exemplar_submit(actor=staff, exemplar=exemplar)
    with pytest.raises(LibraryDenied):
        services.exemplar_withdraw(actor=reviewer, exemplar=exemplar, reason="x")
    with pytest.raises(LibraryInvalid):
        services.exemplar_withdraw(actor=staff, exemplar=exemplar, reason="")
    services.exemplar_withdraw(actor=staff, exemplar=exemplar, reason="还要补充照片")
    with pytest.raises(LibraryConflict):  # only submitted or published ones are withdrawn
        services.exemplar_withdraw(actor=staff, exemplar=exemplar, reason="again")
    assert verbs(exemplar)[-5:] == [
        "library.exemplar_published",
        "library.exemplar_unpublished",
        "library.exemplar_edited",
        "library.exemplar_submitted",
        "library.exemplar_withdrawn",
    ]
    event = Event.objects.filter(chain=f"library:{exemplar.pk}", verb="library.exemplar_withdrawn").get()
    assert event.reason == "还要补充照片" and event.after["from"] == "submitted"


def test_missing_exemplar_is_not_found(city):
    with pytest.raises(LibraryNotFound):
        services.exemplar_submit(actor=city.people["community-a"], exemplar=999999)


# ------------------------------------------------------------------------------------------ attachments


def test_photos_are_checked_like_case_photos_and_stored_without_gps(city):
    staff = city.people["community-a"]
    exemplar = write(city)
    made = services.attachments_add(actor=staff, exemplar=exemplar, files=[photo("a.jpg", gps=(39.9, 116.4))])
    assert len(made) == 1 and made[0].content_type == "image/jpeg" and made[0].size > 0
    from PIL import Image

    with made[0].file.open("rb") as f, Image.open(f) as img:
        assert 0x8825 not in img.getexif()  # the position is gone, as for a case's photo
    refused = [
        SimpleUploadedFile("notes.pdf", b"%PDF-1.4 hello", content_type="application/pdf"),
        SimpleUploadedFile("fake.jpg", b"not an image at all", content_type="image/jpeg"),
        SimpleUploadedFile(
            "p.jpg", photo("q.png", "PNG").read(), content_type="image/jpeg"
        ),  # a PNG said JPEG
        SimpleUploadedFile("big.jpg", b"\xff" * (5 * 1024 * 1024 + 1), content_type="image/jpeg"),
    ]
    for f in refused:
        with pytest.raises(LibraryInvalid):
            services.attachments_add(actor=staff, exemplar=exemplar, files=[f])
    with pytest.raises(LibraryInvalid):
        services.attachments_add(actor=staff, exemplar=exemplar, files=[])
    with pytest.raises(LibraryInvalid):  # six in all
        services.attachments_add(actor=staff, exemplar=exemplar, files=[photo(f"{n}.jpg") for n in range(6)])
    with pytest.raises(LibraryDenied):
        services.attachments_add(actor=city.people["community-b"], exemplar=exemplar, files=[photo()])
    assert ExemplarAttachment.objects.count() == 1
    services.exemplar_submit(actor=staff, exemplar=exemplar)
    with pytest.raises(LibraryConflict):
        services.attachments_add(actor=staff, exemplar=exemplar, files=[photo()])
    with pytest.raises(LibraryConflict):
        services.attachment_remove(actor=staff, attachment=made[0])
    services.exemplar_withdraw(actor=staff, exemplar=exemplar, reason="换照片")
    services.attachment_remove(actor=staff, attachment=made[0])
    assert ExemplarAttachment.objects.count() == 0
    assert verbs(exemplar).count("library.attachments_added") == 1
    assert "library.attachment_removed" in verbs(exemplar)


# ------------------------------------------------------------------------------------------ reading


def test_who_sees_what(city):
    from django.contrib.auth.models import AnonymousUser

    draft = write(city, title="草稿")
    submitted = write(city, title="已提交")
    services.exemplar_submit(actor=city.people["community-a"], exemplar=submitted)
    published = publish(city, write(city, title="已发布"))
    other_draft = write(city, "community-b", "committee-b", "110902001001", title="二社区草稿")

    def seen(who):
        actor = AnonymousUser() if who is None else city.people[who]
        return set(selectors.visible_to(actor).values_list("title", flat=True))

    assert seen(None) == seen("resident") == seen("grid-a") == {"已发布"}
    assert seen("community-a") == {"草稿", "已提交", "已发布"}
    assert seen("district-a") == seen("city") == {"已提交", "已发布"}  # reviewers never see drafts
    assert seen("district-b") == {"已发布"}
    assert seen("community-b") == {"已发布", "二社区草稿"}
    assert list(selectors.review_queue(city.people["district-a"])) == [submitted]
    assert list(selectors.review_queue(city.people["district-b"])) == []
    assert list(selectors.review_queue(city.people["community-a"])) == []
    assert set(selectors.organisation_exemplars(city.people["community-a"])) == {draft, submitted, published}
    assert other_draft not in selectors.organisation_exemplars(city.people["community-a"])
    with pytest.raises(LibraryNotFound):
        selectors.exemplar_for(AnonymousUser(), draft.pk)
    view = selectors.exemplar_for(AnonymousUser(), published.pk)
    assert not (view.may_edit or view.may_review or view.may_withdraw or view.may_unpublish)
    view = selectors.exemplar_for(city.people["district-a"], submitted.pk)
    assert view.may_review and not view.may_edit
    view = selectors.exemplar_for(city.people["community-a"], draft.pk)
    assert view.may_edit and not view.may_review


def test_published_exemplars_for_other_apps_keeps_order_and_drops_unpublished(city):
    first = publish(city, write(city, title="一"))
    second = publish(city, write(city, title="二"))
    draft = write(city, title="草稿")
    assert selectors.published_exemplars([second.pk, "x", draft.pk, first.pk, second.pk, 999999]) == [
        second,
        first,
    ]
    assert selectors.published_exemplars([]) == [] and selectors.published_exemplars(None) == []
