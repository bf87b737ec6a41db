"""Whistle pages (吹哨、报到) through HTTP: the cross-district story from the report to the ratings, the
board's verdicts, who may see and do what, and the case page's oversight and colours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from chuishao import clock
from chuishao.actors import SYSTEM
from chuishao.cases.models import Case, Status, SummonsState, Whistle, WhistleStatus, WhistleSummons
from chuishao.cases.services import case_act, case_file, whistle_blow, whistle_summon
from chuishao.cases.sweep import deadline_sweep
from chuishao.events.models import Event
from chuishao.orgs.services import membership_grant, person_create
from tests.factories import LAT0, LON0, PASSWORD, STEP

from .conftest import GRID_B

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)
# About 5 m west of the line between the districts: grid A1b-g2 (110901001002002), near street B.
BORDER = (LAT0 + STEP / 2, LON0 + 4 * STEP - 0.00006)


def chain_verbs(whistle: Whistle) -> list[str]:
    return list(Event.objects.filter(chain=whistle.chain).order_by("seq").values_list("verb", flat=True))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def act(client, case: Case, action: str, data: dict | None = None):
    case.refresh_from_db()
    payload = {"seen_status": case.status, **(data or {})}
    response = client.post(reverse("web:case_act", args=[case.pk, action]), payload)
    assert response.status_code == 302, action
    return response


@pytest.fixture
def border_case(city, report):
    """A filed illegal-building case a few metres inside district A, on the border with district B."""
    case = report(category="S0101", description="两区交界处有人私搭乱建", lat=BORDER[0], lng=BORDER[1])
    return case_file(case=case, actor=city.people["street-a"])


def blow(city, case, summons=("um-110901",)):
    return whistle_blow(
        actor=city.people["street-a"],
        cases=[case],
        kind="everyday",
        reason="joint_enforcement",
        description="违建跨区，需联合执法拆除",
        summons=[
            {"organisation": city.orgs[code], "role": "lead" if i == 0 else "assist"}
            for i, code in enumerate(summons)
        ],
    )


@pytest.fixture
def checker(city):
    """A grid worker for the border case's grid (the small city has none there), to check the work."""
    user = person_create(actor=SYSTEM, username="grid-a1b2", password=PASSWORD, display_name="grid-a1b2")
    membership_grant(actor=SYSTEM, person=user, role="grid_worker", node=city.node("110901001002002"))
    return user


# --- the seed story --------------------------------------------------------------------------------


def test_cross_district_whistle_story_through_the_pages(client, city, login, checker):
    orgs, people = city.orgs, city.people
    street_a, street_b = city.node("110901001"), city.node("110902001")

    # Given a resident's report on the border between the districts, filed by street A
    login("resident")
    response = client.post(
        reverse("web:report"),
        {"category": "S0101", "description": "两区交界处有人私搭乱建", "lat": BORDER[0], "lng": BORDER[1]},
    )
    assert response.status_code == 302
    case = Case.objects.get()
    follow = response.url.split("?")[0]
    assert case.boundary_case and case.grid.code == "110901001002002"
    login("street-a")
    act(client, case, "file")

    # The case page offers street A the whistle, saying the street across the line will co-own it
    page = client.get(reverse("web:case_detail", args=[case.pk]))
    text = page.content.decode()
    assert reverse("web:case_whistle", args=[case.pk]) in text
    assert page.context["blow_across"] == [street_b]
    assert f'value="{orgs["um-110901"].pk}"' in text
    assert f'value="{orgs["um-110902"].pk}"' in text  # district B is party too
    assert f'value="{orgs["water-110901"].pk}"' in text

    # When street A blows the whistle from the case page, summoning its urban management as lead
    with clock.frozen(MONDAY_10):
        response = client.post(
            reverse("web:case_whistle", args=[case.pk]),
            {
                "kind": "everyday",
                "reason": "joint_enforcement",
                "description": "违建跨区，需联合执法拆除",
                "lead": orgs["um-110901"].pk,
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
    whistle = Whistle.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("web:whistle_detail", args=[whistle.pk])
    # Then the whistle is joint, co-owned by both streets
    assert whistle.joint and whistle.street == street_a
    assert set(whistle.parties.values_list("street_id", flat=True)) == {street_a.pk, street_b.pk}
    assert chain_verbs(whistle) == ["whistle.blown", "whistle.joined", "whistle.summoned"]
    assert Event.objects.filter(case=case, verb="case.whistled").count() == 1
    board = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en")
    assert "joint whistle" in messages_of(board)[0]
    text = board.content.decode()
    assert whistle.number in text and "城管执法局" in text and "街道2" in text and "joint" in text
    # Street A may call it off now, but confirm it done only once everyone summoned is on site
    assert reverse("web:whistle_act", args=[whistle.pk, "cancel"]) in text
    assert reverse("web:whistle_act", args=[whistle.pk, "done"]) not in text

    # When street B summons its own district's urban management on the board
    login("street-b")
    with clock.frozen(MONDAY_10 + dt.timedelta(minutes=5)):
        response = client.post(
            reverse("web:whistle_act", args=[whistle.pk, "summon"]),
            {"organisation": orgs["um-110902"].pk, "role": "lead"},
        )
    assert response.status_code == 302
    um_a = WhistleSummons.objects.get(organisation=orgs["um-110901"])
    um_b = WhistleSummons.objects.get(organisation=orgs["um-110902"])
    assert um_b.summoned_by == street_b
    # Street B may not confirm what street A blew: no such form for it
    assert (
        reverse("web:whistle_act", args=[whistle.pk, "done"]) not in client.get(response.url).content.decode()
    )

    # When both departments acknowledge from their inbox (one through htmx, one with a plain form)
    login("um-a")
    inbox = client.get(reverse("web:summons_inbox")).content.decode()
    assert whistle.number in inbox and reverse("web:summons_act", args=[um_a.pk, "acknowledge"]) in inbox
    assert reverse("web:summons_act", args=[um_b.pk, "acknowledge"]) not in inbox
    with clock.frozen(MONDAY_10 + dt.timedelta(minutes=20)):
        row = client.post(
            reverse("web:summons_act", args=[um_a.pk, "acknowledge"]),
            {"next": reverse("web:summons_inbox")},
            HTTP_HX_REQUEST="true",
        )
    assert row.status_code == 200
    assert row.content.decode().lstrip().startswith(f'<tr id="summons-{um_a.pk}"')
    login("um-b")
    with clock.frozen(MONDAY_10 + dt.timedelta(minutes=25)):
        response = client.post(
            reverse("web:summons_act", args=[um_b.pk, "acknowledge"]), {"next": reverse("web:summons_inbox")}
        )
    assert response.url == reverse("web:summons_inbox")

    # And they check in on site with their positions and record what they did
    for who, summons, lng, note in (
        ("um-a", um_a, BORDER[1], "拆除西侧棚屋"),
        ("um-b", um_b, BORDER[1] + 0.0005, "拆除东侧围挡"),
    ):
        login(who)
        with clock.frozen(MONDAY_10 + dt.timedelta(minutes=50)):
            client.post(
                reverse("web:summons_act", args=[summons.pk, "check_in"]), {"lat": BORDER[0], "lng": lng}
            )
        with clock.frozen(MONDAY_10 + dt.timedelta(hours=3)):
            client.post(reverse("web:summons_act", args=[summons.pk, "record_action"]), {"note": note})
    um_b.refresh_from_db()
    assert um_b.state == SummonsState.ACTED and 40 < um_b.onsite_distance_m < 46
    board = client.get(reverse("web:whistle_detail", args=[whistle.pk])).content.decode()
    assert "拆除东侧围挡" in board and "拆除西侧棚屋" in board and "v-on_time" in board
    assert len(board.split('class="verdict v-on_time"')) - 1 == 4  # two deadlines each, both met

    # When street A confirms the matter done, everyone is released
    login("street-a")
    board = client.get(reverse("web:whistle_detail", args=[whistle.pk])).content.decode()
    assert reverse("web:whistle_act", args=[whistle.pk, "done"]) in board
    with clock.frozen(MONDAY_10 + dt.timedelta(hours=5)):
        client.post(reverse("web:whistle_act", args=[whistle.pk, "done"]), {"note": "违建已全部拆除"})
    whistle.refresh_from_db()
    assert whistle.status == WhistleStatus.DONE
    assert set(whistle.summonses.values_list("state", flat=True)) == {SummonsState.RELEASED}

    # Then each street rates the department it summoned, and only that one
    board = client.get(reverse("web:whistle_detail", args=[whistle.pk])).content.decode()
    assert reverse("web:summons_act", args=[um_a.pk, "rate"]) in board
    assert reverse("web:summons_act", args=[um_b.pk, "rate"]) not in board
    scores = {"on_time_report": "5", "problem_solved": "5", "attitude": "4", "comment": "配合及时"}
    client.post(reverse("web:summons_act", args=[um_a.pk, "rate"]), scores)
    login("street-b")
    response = client.post(
        reverse("web:summons_act", args=[um_b.pk, "rate"]),
        {"on_time_report": "4", "problem_solved": "5", "attitude": "5"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "城管执法局" in messages_of(response)[0] and "91.7" in messages_of(response)[0]
    assert chain_verbs(whistle) == [
        "whistle.blown",
        "whistle.joined",
        "whistle.summoned",
        "whistle.summoned",
        "whistle.acknowledged",
        "whistle.acknowledged",
        "whistle.checked_in",
        "whistle.acted",
        "whistle.checked_in",
        "whistle.acted",
        "whistle.done",
        "whistle.released",
        "whistle.released",
        "whistle.rated",
        "whistle.rated",
    ]
    rated = Event.objects.filter(chain=whistle.chain, verb="whistle.rated").order_by("seq")
    assert [(e.after["organisation_id"], e.actor_label) for e in rated] == [
        (orgs["um-110901"].pk, "street-a"),
        (orgs["um-110902"].pk, "street-b"),
    ]
    assert "城管执法局" in messages_of(response)[-1] and "91.7" in messages_of(response)[-1]

    # And the case goes on through the usual pages, and the resident rates it on the follow page
    login("street-a")
    act(client, case, "dispatch", {"lead": orgs["um-110901"].pk})
    login("um-a")
    act(client, case, "accept")
    act(client, case, "handle", {"result": "违建已拆除，垃圾已清运"})
    client.force_login(checker)
    act(client, case, "check", {"note": "现场已恢复"})
    login("street-a")
    act(client, case, "close")
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    login("resident")
    page = client.get(follow, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The public sees that the street called the departments in, but not who or the internal note
    assert "called in the departments" in page
    assert "street-a" not in page and "违建跨区，需联合执法拆除" not in page and whistle.number not in page
    response = client.post(follow + "rate/", {"satisfaction": "satisfied", "resolution": "solved"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.RATED
    verbs = list(Event.objects.filter(case=case).order_by("seq").values_list("verb", flat=True))
    assert verbs == [
        "case.reported",
        "case.file",
        "case.whistled",
        "case.dispatch",
        "case.accept",
        "case.handle",
        "case.check",
        "case.close",
        "case.rate",
    ]
    assert people["resident"].pk == Event.objects.get(case=case, verb="case.rate").actor_id


# --- the board's verdicts ------------------------------------------------------------------------


def test_late_report_is_red_on_the_board_and_missing_one_counted_in_the_list(city, login, border_case):
    with clock.frozen(MONDAY_10):
        whistle = blow(city, border_case, summons=("um-110901", "water-110901"))
    um_a = whistle.summonses.get(organisation=city.orgs["um-110901"])
    client = login("um-a")
    # When urban management acknowledges a minute after its deadline
    with clock.frozen(um_a.acknowledge_due + dt.timedelta(minutes=1)):
        client.post(reverse("web:summons_act", args=[um_a.pk, "acknowledge"]))
        # Then its row on the board says late, in red; water, which never reported, is overdue
        page = login("street-a").get(
            reverse("web:whistle_detail", args=[whistle.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
        rows = {r["organisation"].name: r for r in page.context["rows"]}
        assert rows["城管执法局"]["acknowledge"] == "late"
        assert rows["水务局"]["acknowledge"] == "overdue"
        text = page.content.decode()
        assert 'class="verdict v-late">late<' in text
        assert 'class="verdict v-overdue">overdue<' in text
        assert 'class="row-red"' in text
        listing = client.get(reverse("web:whistle_list")).context["page"]
    (row,) = listing
    assert (row.summoned, row.late, row.missing) == (2, 1, 1)


def test_department_sees_its_overdue_summons_in_red(city, login, border_case):
    with clock.frozen(MONDAY_10):
        whistle = blow(city, border_case)
    (summons,) = whistle.summonses.all()
    with clock.frozen(summons.acknowledge_due + dt.timedelta(hours=1)):
        page = login("um-a").get(reverse("web:summons_inbox")).content.decode()
    assert 'class="row-red"' in page and "dl-red" in page


# --- who sees what, who may do what --------------------------------------------------------------


def test_outsiders_get_404_on_the_board_and_the_case(city, login, border_case):
    whistle = blow(city, border_case)
    (summons,) = whistle.summonses.all()
    for who in ("water-a", "grid-b", "community-b", "resident"):
        client = login(who)
        assert client.get(reverse("web:whistle_detail", args=[whistle.pk])).status_code == 404, who
        if who != "resident":  # the resident reported it and may open their own case
            assert client.get(reverse("web:case_detail", args=[border_case.pk])).status_code == 404, who
        url = reverse("web:whistle_act", args=[whistle.pk, "cancel"])
        assert client.post(url, {"reason": "x"}).status_code == 404, who
        ack = reverse("web:summons_act", args=[summons.pk, "acknowledge"])
        assert client.post(ack).status_code == 404, who
    assert Whistle.objects.get().status == WhistleStatus.OPEN
    for who in ("street-a", "street-b", "district-b", "city", "um-a"):
        assert login(who).get(reverse("web:whistle_detail", args=[whistle.pk])).status_code == 200, who


def test_post_by_someone_not_allowed_says_why_and_changes_nothing(city, login, border_case):
    whistle = blow(city, border_case)
    um_b = whistle_summon(
        actor=city.people["street-b"], whistle=whistle, organisation=city.orgs["um-110902"], role="lead"
    )
    before = Event.objects.count()
    # um-a is summoned to this whistle too, but may not report for district B's department
    client = login("um-a")
    response = client.post(
        reverse("web:summons_act", args=[um_b.pk, "acknowledge"]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "Only the staff of 城管执法局 may report for it." in messages_of(response)
    # street B may not confirm what street A blew
    response = login("street-b").post(
        reverse("web:whistle_act", args=[whistle.pk, "done"]),
        {"note": "完成"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Only the street that blew whistle" in messages_of(response)[0]
    # and a department may not summon
    response = login("um-a").post(
        reverse("web:whistle_act", args=[whistle.pk, "summon"]),
        {"organisation": city.orgs["water-110901"].pk, "role": "assist"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "may summon" in messages_of(response)[0]
    assert Event.objects.count() == before
    um_b.refresh_from_db()
    assert um_b.state == SummonsState.SUMMONED
    assert Whistle.objects.get().status == WhistleStatus.OPEN


def test_blow_refused_to_those_who_may_not_whistle(city, login, border_case):
    # The district centre sees the case but whistling is the street's: no form, and a POST is refused
    client = login("district-a")
    assert client.get(reverse("web:case_detail", args=[border_case.pk])).context["blow_form"] is None
    response = client.post(
        reverse("web:case_whistle", args=[border_case.pk]),
        {"kind": "everyday", "reason": "emergency", "description": "x"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    text = messages_of(client.get(response.url, HTTP_ACCEPT_LANGUAGE="en"))[0]
    assert "Only the dispatcher of the street of every case" in text
    # The street across the line does not see the case before a whistle makes it party to it
    response = login("street-b").post(
        reverse("web:case_whistle", args=[border_case.pk]),
        {"kind": "everyday", "reason": "emergency", "description": "x"},
    )
    assert response.status_code == 404
    assert not Whistle.objects.exists()


def test_case_page_links_its_whistles_and_hides_the_form_while_one_is_open(city, login, border_case):
    whistle = blow(city, border_case)
    page = login("street-a").get(reverse("web:case_detail", args=[border_case.pk])).content.decode()
    assert reverse("web:whistle_detail", args=[whistle.pk]) in page
    assert reverse("web:case_whistle", args=[border_case.pk]) not in page


# --- arbitration, oversight and colours on the case page and the desk ----------------------------


def test_arbitrate_from_the_case_page(city, login, report):
    case = report()
    people, orgs = city.people, city.orgs
    case_act(case=case, action="file", actor=people["street-a"])
    for _ in range(2):
        case_act(case=case, action="dispatch", actor=people["street-a"], lead=orgs["um-110901"])
        case_act(case=case, action="return", actor=people["um-a"], reason="不归我们管")
    case.refresh_from_db()
    assert case.status == Status.ARBITRATION
    url = reverse("web:case_act", args=[case.pk, "arbitrate"])
    assert url not in login("street-a").get(reverse("web:case_detail", args=[case.pk])).content.decode()
    client = login("district-a")
    assert url in client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    response = client.post(
        url, {"seen_status": "arbitration", "lead": orgs["um-110901"].pk, "reason": "属城管职责"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.lead_org_id, case.arbitrated_org_id) == (
        Status.DISPATCHED,
        orgs["um-110901"].pk,
        orgs["um-110901"].pk,
    )
    event = Event.objects.filter(case=case).order_by("-seq").first()
    assert (event.verb, event.reason, event.actor_label) == ("case.arbitrate", "属城管职责", "district-a")
    page = client.get(reverse("web:case_detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "arbitrated who owns the case" in page.content.decode()


def test_supervise_and_chase_from_the_case_page(city, login, report):
    case = report()
    case_act(case=case, action="file", actor=city.people["street-a"])
    supervise = reverse("web:case_oversee", args=[case.pk, "supervise"])
    chase = reverse("web:case_oversee", args=[case.pk, "chase"])
    street_page = login("street-a").get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert chase in street_page and supervise not in street_page
    client = login("district-a")
    page = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert supervise in page and chase in page

    response = client.post(supervise, {"note": "三天内办结"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "under supervision" in messages_of(response)[0]
    client.post(chase, {"note": "请尽快"})
    response = client.post(chase, {"note": "再催"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    case.refresh_from_db()
    assert case.supervised and case.chase_count == 2
    text = response.content.decode()
    assert "under supervision (督办)" in text and "urged 2 times" in text
    assert "put the case under supervision" in text and "urged the owner" in text
    assert supervise not in text  # once supervised, no second form
    verbs = list(Event.objects.filter(case=case).order_by("seq").values_list("verb", "reason"))
    assert verbs[-3:] == [
        ("case.supervised", "三天内办结"),
        ("case.chased", "请尽快"),
        ("case.chased", "再催"),
    ]

    # A second supervision, posted anyway, is refused with the service's words and changes nothing
    response = client.post(supervise, {"note": "again"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "already under supervision" in messages_of(response)[0]
    # A department may neither
    response = login("um-a").post(chase, {"note": "x"})
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).chase_count == 2


def test_desk_shows_and_filters_the_deadline_colour(city, login, report):
    later = MONDAY_10 + dt.timedelta(days=10)
    with clock.frozen(MONDAY_10):
        late = report(description="很久没人管")
    with clock.frozen(later):
        fresh = report(grid=GRID_B, description="刚报的")
    # The sweep, long after the first one's verify deadline, turns it red and escalates it
    deadline_sweep(now=later)
    late.refresh_from_db()
    assert late.warn_level == "red" and late.escalated_to is not None
    client = login("city")

    def numbers(**params):
        page = client.get(reverse("web:case_list"), params).content.decode()
        return {c.number for c in (late, fresh) if c.number in page}

    page = client.get(reverse("web:case_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="dot dot-red"' in page and f"escalated to {late.escalated_to.name}" in page
    assert numbers(warn="red") == {late.number}
    assert numbers(warn="escalated") == {late.number}
    assert numbers(warn="yellow") == set()
    assert numbers() == {late.number, fresh.number}

    # The case page shows the colour and where it went, in words
    page = client.get(reverse("web:case_detail", args=[late.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert f"Overdue: escalated to {late.escalated_to.name}" in text
    assert "red: the deadline has passed" in text
    assert "the deadline passed: the case went up a level" in text
    assert "the deadline passed: the case turned red" in text


# --- query counts --------------------------------------------------------------------------------


def test_board_and_list_query_counts_are_bounded(city, login, report, django_assert_max_num_queries):
    cases = [
        case_file(
            case=report(category="S0101", lat=BORDER[0], lng=BORDER[1] - i * 0.0001),
            actor=city.people["street-a"],
        )
        for i in range(6)
    ]
    whistles = [blow(city, c, summons=("um-110901", "water-110901", "housing-110901")) for c in cases]
    client = login("street-a")
    client.get(reverse("web:whistle_list"))  # warm the session
    # Each page's header also counts the unread notifications (one query).
    with django_assert_max_num_queries(9):
        response = client.get(reverse("web:whistle_list"))
    assert response.status_code == 200
    assert all(w.number in response.content.decode() for w in whistles)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("web:whistle_detail", args=[whistles[0].pk]))
    assert response.status_code == 200
