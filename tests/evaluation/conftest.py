"""A small city with two months of cases driven through the real services under a frozen clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chuishao import clock
from chuishao.cases.services import case_act, case_report
from chuishao.cases.sweep import deadline_sweep
from tests.factories import build_small_city, grid_centre

TZ = ZoneInfo("Asia/Shanghai")
GRID_A1 = "110901001001001"
GRID_A2 = "110901001001002"
GRID_B1 = "110902001001001"


class Story:
    """Moves the injectable clock and takes actions as named people of the small city."""

    def __init__(self, city, start: dt.datetime):
        self.city, self.now = city, start

    def at(self, when: dt.datetime) -> Story:
        self.now = when
        return self

    def later(self, **delta) -> Story:
        self.now += dt.timedelta(**delta)
        return self

    def report(self, *, by: str = "resident", grid: str = GRID_A1, source: str = "resident_web", **extra):
        lat, lng = grid_centre(grid)
        with clock.frozen(self.now):
            return case_report(
                actor=self.city.people[by],
                source=source,
                category=extra.pop("category", "S0102"),
                description="楼下垃圾堆了三天没人清",
                lat=lat,
                lng=lng,
                reporter_name="张三",
                reporter_phone="13812341234",
                **extra,
            )

    def act(self, case, action: str, who: str, *, minutes: int = 5, **params):
        self.later(minutes=minutes)
        if "lead" in params:
            params["lead"] = self.city.orgs[params["lead"]]
        with clock.frozen(self.now):
            return case_act(case=case, action=action, actor=self.city.people[who], **params)

    def sweep(self, **delta):
        self.later(**delta)
        return deadline_sweep(now=self.now)

    def loop(self, case, *, street="street-a", dept="um-110901", staff="um-a", checker="grid-a", gap=5):
        """File → dispatch → accept → start → handle → check → close, ``gap`` minutes apart."""
        if case.status == "reported":
            case = self.act(case, "verify", checker, minutes=gap)
        if case.status in ("reported", "verified"):
            case = self.act(case, "file", street, minutes=gap)
        case = self.act(case, "dispatch", street, lead=dept, minutes=gap)
        case = self.act(case, "accept", staff, minutes=gap)
        case = self.act(case, "start", staff, minutes=gap)
        case = self.act(case, "handle", staff, result="已清运", minutes=gap)
        case = self.act(case, "check", checker, minutes=gap)
        return self.act(case, "close", street, minutes=gap)


def march(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=TZ)


def april(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 4, day, hour, tzinfo=TZ)


@pytest.fixture
def city(db, settings):
    settings.CHUISHAO_REOPEN_ON_UNSATISFIED = False  # keep the unsatisfied verdict on the case
    return build_small_city()


@pytest.fixture
def story(city):
    return Story(city, march(10))


def play_march(s: Story) -> dict:
    """March 2026 in district A and B: every path the counts distinguish."""
    cases = {}
    # On time, satisfied and solved.
    c = s.at(march(10)).loop(s.report())
    cases["on_time"] = s.act(c, "rate", "resident", satisfaction="satisfied", resolution="solved")
    # Late acceptance and late handling; basically satisfied, partly solved.
    c = s.at(march(11)).report()
    c = s.act(c, "verify", "grid-a")
    c = s.act(c, "file", "street-a")
    c = s.act(c, "dispatch", "street-a", lead="um-110901")
    c = s.act(c, "accept", "um-a", minutes=60 * 24 * 2)
    c = s.act(c, "handle", "um-a", result="已处理", minutes=60 * 24 * 12)
    c = s.act(c, "check", "grid-a", minutes=60 * 24)
    c = s.act(c, "close", "street-a")
    cases["late"] = s.act(c, "rate", "resident", satisfaction="basically", resolution="partly")
    # Parked after acceptance.
    c = s.at(march(12)).report(grid=GRID_A2)
    c = s.act(c, "file", "street-a")
    c = s.act(c, "dispatch", "street-a", lead="um-110901")
    c = s.act(c, "accept", "um-a")
    cases["parked"] = s.act(c, "park", "district-a", reason="待冬季施工")
    # Reworked once, then closed; unsatisfied and unsolved.
    c = s.at(march(13)).report(by="grid-a", source="grid_patrol")
    c = s.act(c, "file", "street-a")
    c = s.act(c, "dispatch", "street-a", lead="um-110901")
    c = s.act(c, "accept", "um-a")
    c = s.act(c, "handle", "um-a", result="已清运")
    c = s.act(c, "rework", "grid-a", reason="未清理干净")
    c = s.act(c, "handle", "um-a", result="已彻底清运")
    c = s.act(c, "check", "grid-a")
    c = s.act(c, "close", "street-a")
    cases["reworked"] = s.act(c, "rate", "city", satisfaction="unsatisfied", resolution="unsolved")
    # Returned by the wrong department, dispatched again, closed, and never rated.
    c = s.at(march(16)).report(grid=GRID_A2)
    c = s.act(c, "file", "street-a")
    c = s.act(c, "dispatch", "street-a", lead="water-110901")
    c = s.act(c, "return", "water-a", reason="不属于本部门")
    cases["returned"] = s.loop(c, checker="grid-a2")
    # Accepted and left: the sweep turns it red and escalates it.
    c = s.at(march(17)).report()
    c = s.act(c, "file", "street-a")
    c = s.act(c, "dispatch", "street-a", lead="um-110901")
    cases["overdue"] = s.act(c, "accept", "um-a")
    # Dispatched, never signed for (red in the accept stage).
    c = s.at(march(18)).report()
    c = s.act(c, "file", "street-a")
    cases["unsigned"] = s.act(c, "dispatch", "street-a", lead="um-110901")
    # Declined; self-handled by the grid worker; filed then cancelled.
    cases["declined"] = s.act(s.at(march(19)).report(), "decline", "street-a", reason="信息不足")
    c = s.at(march(19, 14)).report(by="grid-a", source="grid_patrol")
    cases["self_handled"] = s.act(c, "self_handle", "grid-a", note="当场清理")
    c = s.act(s.at(march(20)).report(source="hotline", by="street-a"), "file", "street-a")
    cases["cancelled"] = s.act(c, "cancel", "street-a", reason="误报")
    # District B: one on time, satisfied.
    c = s.at(march(20, 11)).loop(
        s.report(grid=GRID_B1), street="street-b", dept="um-110902", staff="um-b", checker="grid-b"
    )
    cases["b_on_time"] = s.act(c, "rate", "resident", satisfaction="satisfied", resolution="solved")
    s.sweep(days=10)  # ends the feedback window of the returned case; overdue cases go red
    return cases


def play_april(s: Story) -> dict:
    cases = {}
    c = s.at(april(14)).loop(s.report(grid=GRID_A2), checker="grid-a2")
    cases["april_on_time"] = s.act(c, "rate", "resident", satisfaction="satisfied", resolution="partly")
    c = s.at(april(15)).report(by="grid-a2", source="grid_patrol", grid=GRID_A2)
    cases["april_open"] = s.act(c, "file", "street-a")
    c = s.at(april(16)).report(grid=GRID_B1, source="open311", by="street-b")
    cases["april_b"] = s.act(c, "verify", "grid-b")
    c = s.at(april(17)).report()
    c = s.act(c, "file", "street-a")
    cases["april_whistled"] = s.act(c, "dispatch", "street-a", lead="um-110901")
    blow_whistle(s, cases["april_whistled"])
    return cases


@pytest.fixture
def scenario(story):
    cases = play_march(story)
    cases |= play_april(story)
    return story, cases


def blow_whistle(s: Story, case, *, rate: tuple[int, int, int] | None = (5, 4, 3)):
    """Street A whistles on ``case``, summoning the urban-management and water departments; the
    first comes on site in time, the water department days late; street A rates both.

    Rows are made through ``chuishao.cases.services.whistle`` (the real whistle services)."""
    from chuishao.cases.services.whistle import (
        summons_acknowledge,
        summons_check_in,
        whistle_blow,
        whistle_confirm_done,
        whistle_rate,
    )

    people, orgs = s.city.people, s.city.orgs
    with clock.frozen(s.later(minutes=5).now):
        whistle = whistle_blow(
            actor=people["street-a"],
            cases=[case],
            kind="everyday",
            reason="joint_enforcement",
            description="需要联合执法",
            summons=[
                {"organisation": orgs["um-110901"], "role": "lead"},
                {"organisation": orgs["water-110901"], "role": "assist"},
            ],
        )
    um, water = sorted(whistle.summonses.all(), key=lambda x: x.organisation_id != orgs["um-110901"].pk)
    with clock.frozen(s.later(minutes=5).now):
        summons_acknowledge(actor=people["um-a"], summons=um)
        summons_check_in(actor=people["um-a"], summons=um, lat=case.lat, lng=case.lng)
    with clock.frozen(s.later(days=3).now):
        summons_acknowledge(actor=people["water-a"], summons=water)
        summons_check_in(actor=people["water-a"], summons=water, lat=case.lat, lng=case.lng)
    with clock.frozen(s.later(minutes=5).now):
        whistle_confirm_done(actor=people["street-a"], whistle=whistle, note="已联合处置")
        if rate is not None:
            whistle_rate(
                actor=people["street-a"],
                summons=um,
                on_time_report=rate[0],
                problem_solved=rate[1],
                attitude=rate[2],
            )
            whistle_rate(
                actor=people["street-a"], summons=water, on_time_report=2, problem_solved=3, attitude=3
            )
    return whistle
