"""The Xiamen story over HTTP: the bureau and its members register, the community posts the need and
issues tasks, members claim, check in and out, the community confirms, and the bureau's report (page
and XLSX) equals the ledger."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from chuishao import clock
from chuishao.engagement.models import (
    Claim,
    ClaimStatus,
    Need,
    PointEntry,
    Registration,
    RegistrationStatus,
    ServicePost,
    Task,
)
from tests.factories import PASSWORD, add_engagement

COMMUNITY = "110901001001"
STREET = "110901001"


def at(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args), timezone.get_fixed_timezone(480))


@pytest.fixture
def ecity(city):
    return add_engagement(city)


def as_(client, username: str):
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    return client


def post_ok(client, url: str, data: dict) -> None:
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_the_bikes_story_over_http(client, ecity):
    community = ecity.node(COMMUNITY)
    bureau = ecity.orgs["bureau-a"]
    env = ServicePost.objects.get(code="environment")
    with clock.frozen(at(2026, 3, 2, 9)):
        c = as_(client, "bureau-organiser")
        assert c.get(reverse("web:serve_unit_home")).status_code == 200
        post_ok(
            c, reverse("web:serve_unit_post", args=[bureau.pk, "register"]), {"node": ecity.node(STREET).pk}
        )
        unit_reg = Registration.objects.get(unit=bureau, kind="unit")
        c = as_(client, "street-a")
        page = c.get(reverse("web:serve_community", args=[COMMUNITY]))
        assert bureau.name in page.content.decode()
        post_ok(
            c, reverse("web:serve_community_act", args=[COMMUNITY, "registration", unit_reg.pk, "accept"]), {}
        )
        for n in (1, 2, 3):
            c = as_(client, f"member-{n}")
            post_ok(
                c,
                reverse("web:serve_register"),
                {"community": community.pk, "unit": bureau.pk, "posts": [env.pk]},
            )
        c = as_(client, "community-a")
        for reg in Registration.objects.filter(kind="member", status="pending"):
            post_ok(
                c, reverse("web:serve_community_act", args=[COMMUNITY, "registration", reg.pk, "accept"]), {}
            )
        assert Registration.objects.filter(kind="member", status=RegistrationStatus.CONFIRMED).count() == 3
        post_ok(
            c,
            reverse("web:serve_community_post", args=[COMMUNITY, "need"]),
            {"kind": "need", "title": "午间整理共享单车", "post": env.pk},
        )
        need = Need.objects.get(title="午间整理共享单车")
        for day, street in ((4, "仙岳路"), (5, "湖滨南路"), (6, "禾祥西路")):
            post_ok(
                c,
                reverse("web:serve_community_post", args=[COMMUNITY, "task"]),
                {
                    "title": f"整理{street}共享单车",
                    "post": env.pk,
                    "need": need.pk,
                    "day": f"2026-03-0{day}",
                    "start": "12:00",
                    "end": "13:00",
                    "capacity": 3,
                    "place": street,
                },
            )
    tasks = list(Task.objects.filter(need=need).order_by("starts_at"))
    assert len(tasks) == 3
    for task in tasks:
        day = timezone.localdate(task.starts_at).day
        with clock.frozen(at(2026, 3, 3, 10)):
            for n in (1, 2, 3):
                c = as_(client, f"member-{n}")
                assert task.title in c.get(reverse("web:serve")).content.decode()
                post_ok(c, reverse("web:serve_claim", args=[task.pk]), {})
        for n in (1, 2, 3):
            claim = Claim.objects.get(task=task, person=ecity.people[f"member-{n}"])
            c = as_(client, f"member-{n}")
            with clock.frozen(at(2026, 3, day, 12)):
                post_ok(
                    c,
                    reverse("web:serve_claim_act", args=[claim.pk, "check-in"]),
                    {"lat": "39.9005", "lng": "116.3005"},
                )
            with clock.frozen(at(2026, 3, day, 13)):
                post_ok(c, reverse("web:serve_claim_act", args=[claim.pk, "check-out"]), {"note": "整理了"})
        with clock.frozen(at(2026, 3, day, 15)):
            c = as_(client, "community-a")
            for claim in Claim.objects.filter(task=task):
                post_ok(
                    c,
                    reverse("web:serve_community_act", args=[COMMUNITY, "claim", claim.pk, "confirm"]),
                    {"hours": ""},
                )
    assert Claim.objects.filter(status=ClaimStatus.CONFIRMED).count() == 9

    with clock.frozen(at(2026, 12, 28, 10)):
        c = as_(client, "community-a")
        for reg in Registration.objects.filter(kind="member"):
            post_ok(
                c,
                reverse("web:serve_community_act", args=[COMMUNITY, "registration", reg.pk, "evaluate"]),
                {"grade": "excellent", "year": "2026"},
            )
        c = as_(client, "member-1")
        page = c.get(reverse("web:serve") + "?year=2026").content.decode()
        assert 'data-testid="points">9<' in page and 'data-testid="hours">3<' in page
        c = as_(client, "bureau-organiser")
        page = c.get(reverse("web:serve_unit_report", args=[bureau.pk]) + "?year=2026").content.decode()
        for n in (1, 2, 3):
            assert f"党员{n}" in page
        xlsx = c.get(reverse("web:serve_unit_report", args=[bureau.pk]) + "?year=2026&format=xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    members = {r[0]: r for r in rows if r[0] and r[0].startswith("党员")}
    assert set(members) == {"党员1", "党员2", "党员3"}
    for n in (1, 2, 3):
        person = ecity.people[f"member-{n}"]
        ledger = PointEntry.objects.filter(person=person, unit=bureau, served_on__year=2026).aggregate(
            p=Sum("points")
        )
        assert Decimal(str(members[f"党员{n}"][5])) == ledger["p"] == 9
        assert members[f"党员{n}"][4] == 3
    assert rows[-1][5] == 27


def test_a_failed_form_keeps_what_was_typed(client, ecity):
    c = as_(client, "member-1")
    response = c.post(reverse("web:serve_register"), {"community": ecity.node(COMMUNITY).pk, "unit": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert f'value="{ecity.node(COMMUNITY).pk}" selected' in body
    assert Registration.objects.count() == 0
    c = as_(client, "community-a")
    response = c.post(
        reverse("web:serve_community_post", args=[COMMUNITY, "task"]),
        {
            "title": "敬老院陪伴",
            "day": "2026-03-04",
            "start": "15:00",
            "end": "14:00",
            "capacity": 2,
            "place": "x",
        },
    )
    assert response.status_code == 400
    assert "敬老院陪伴" in response.content.decode()
    assert Task.objects.count() == 0


def test_nobody_sees_what_is_not_theirs(client, ecity):
    bureau = ecity.orgs["bureau-a"]
    # A member (no manager role) has no community workspace; another community's staff cannot act here.
    c = as_(client, "member-1")
    assert c.get(reverse("web:serve_community", args=[COMMUNITY])).status_code == 404
    assert c.get(reverse("web:serve_unit_report", args=[bureau.pk])).status_code == 404
    c = as_(client, "community-b")
    assert c.get(reverse("web:serve_community", args=[COMMUNITY])).status_code == 404
    assert c.get(reverse("web:serve_community_home")).status_code == 200  # their own community
    with clock.frozen(at(2026, 3, 2, 9)):
        c = as_(client, "member-2")
        post_ok(
            c,
            reverse("web:serve_register"),
            {
                "community": ecity.node(COMMUNITY).pk,
                "unit": bureau.pk,
                "posts": [ServicePost.objects.first().pk],
            },
        )
    reg = Registration.objects.get()
    c = as_(client, "community-b")
    response = c.post(
        reverse("web:serve_community_act", args=[COMMUNITY, "registration", reg.pk, "accept"]), {}
    )
    assert response.status_code == 404
    response = c.post(
        reverse("web:serve_community_act", args=["110902001001", "registration", reg.pk, "accept"]), {}
    )
    assert response.status_code == 302  # their own community's page, but the registration is not theirs
    assert Registration.objects.get().status == "pending"  # refused with a message, nothing changed
    # The member's phone number is on no page of the community workspace.
    c = as_(client, "community-a")
    assert "13800005678" not in c.get(reverse("web:serve_community", args=[COMMUNITY])).content.decode()


def test_public_pages_and_english(client, ecity):
    from chuishao.actors import SYSTEM  # noqa: F401 — the centre is saved by community staff below
    from chuishao.engagement.services import centre_upsert

    centre_upsert(
        actor=ecity.people["community-a"],
        node=ecity.node(COMMUNITY),
        name="社区党群服务中心",
        address="测试路1号",
        lat=39.9005,
        lng=116.3005,
        opening_hours="周一至周五 9:00–17:00",
        services=["政策咨询", "志愿服务"],
    )
    page = client.get(reverse("web:serve_centres"))
    assert page.status_code == 200 and "社区党群服务中心" in page.content.decode()
    assert client.get(reverse("web:serve_calendar", args=[COMMUNITY])).status_code == 200
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Party and community service centres" in client.get(reverse("web:serve_centres")).content.decode()


def test_a_unit_organiser_is_sent_to_the_unit_and_sees_no_case_work(client, ecity):
    c = as_(client, "bureau-organiser")
    response = c.get("/")
    assert response.status_code == 302 and response.url == reverse("web:serve_unit_home")
    page = c.get(response.url).content.decode()
    assert reverse("web:case_list") not in page and reverse("web:whistle_list") not in page
    assert c.get(reverse("web:evaluation")).status_code == 404


def _season(ecity, members: int) -> None:
    """``members`` confirmed members, each with a confirmed service, a checked-out one and a wish."""
    from chuishao.engagement import services as svc
    from chuishao.orgs.services import membership_grant, person_create

    community = ecity.node(COMMUNITY)
    staff = ecity.people["community-a"]
    post = ServicePost.objects.get(code="order")
    with clock.frozen(at(2026, 3, 2, 9)):
        task = svc.task_create(
            actor=staff, node=community, title="巡逻", post=post, starts_at=at(2026, 3, 3, 9),
            ends_at=at(2026, 3, 3, 11), capacity=50, place="北门",
        )  # fmt: skip
        later = svc.task_create(
            actor=staff, node=community, title="敬老", post=post, starts_at=at(2026, 3, 4, 9),
            ends_at=at(2026, 3, 4, 11), capacity=50, place="驿站",
        )  # fmt: skip
    for n in range(members):
        name = f"m{members}-{n}"
        person = person_create(actor=staff, username=name, password=PASSWORD, display_name=name)
        membership_grant(actor=staff, person=person, role="resident")
        with clock.frozen(at(2026, 3, 2, 9)):
            reg = svc.registration_submit_member(
                actor=person, community=community, unit=ecity.orgs["bureau-a"], posts=[post]
            )
            svc.registration_decide(actor=staff, registration=reg, accept=True)
            svc.need_post(actor=person, node=community, title=f"心愿{n}")
            claims = [svc.claim_task(actor=person, task=t) for t in (task, later)]
        for claim, day in zip(claims, (3, 4), strict=True):
            with clock.frozen(at(2026, 3, day, 9)):
                svc.claim_check_in(actor=person, claim=claim)
            with clock.frozen(at(2026, 3, day, 11)):
                svc.claim_check_out(actor=person, claim=claim)
        with clock.frozen(at(2026, 3, 3, 12)):
            svc.claim_confirm(actor=staff, claim=claims[0])


@pytest.mark.parametrize(("who", "url"), [
    ("community-a", "/serve/community/110901001001/?year=2026"),
    ("bureau-organiser", "/serve/unit/?year=2026"),
    ("bureau-organiser", "/serve/unit/{unit}/report/?year=2026"),
])  # fmt: skip
def test_pages_read_a_bounded_number_of_queries(client, ecity, who, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = url.format(unit=ecity.orgs["bureau-a"].pk)
    counts = []
    for members in (2, 6):
        _season(ecity, members)
        c = as_(client, who)
        with clock.frozen(at(2026, 3, 5, 9)), CaptureQueriesContext(connection) as queries:
            assert c.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_odd_numbers_in_the_address_bar_are_not_errors(client, ecity):
    c = as_(client, "community-a")
    for url in (
        "/serve/?year=²",
        "/serve/community/?year=99999",
        "/serve/calendar/110901001001/?from=9999-12-31",
    ):
        assert c.get(url).status_code == 200, url
    assert c.post("/cases/bulk/", {"bulk": "file", "ids": ["²", "1" * 40]}).status_code == 302


def test_the_community_corrects_points_with_a_new_line(client, ecity):
    _season(ecity, 2)
    entry = PointEntry.objects.filter(kind="award").first()
    c = as_(client, "community-a")
    page = c.get(reverse("web:serve_community", args=[COMMUNITY]))
    assert entry.reason in page.content.decode()
    url = reverse("web:serve_community_act", args=[COMMUNITY, "entry", entry.pk, "correct"])
    assert c.post(url, {"points": "-1", "note": ""}).status_code == 302  # no reason: refused
    assert PointEntry.objects.filter(kind="correction").count() == 0
    post_ok(c, url, {"points": "-1", "note": "重复计分"})
    fix = PointEntry.objects.get(kind="correction")
    assert fix.corrects_id == entry.pk and fix.points == -1 and fix.reason == "重复计分"
    c = as_(client, "community-b")
    assert c.post(url.replace(COMMUNITY, "110902001001"), {"points": "-1", "note": "x"}).status_code == 302
    assert PointEntry.objects.filter(kind="correction").count() == 1  # another community's staff: refused
