"""社区减负: work pushed down to communities needs admission; the register counts it per community."""

from __future__ import annotations

import datetime as dt

import pytest

from chuishao.events.models import Event
from chuishao.workforce.errors import WorkforceConflict, WorkforceDenied, WorkforceInvalid
from chuishao.workforce.models import AdmissionStatus
from chuishao.workforce.selectors import admissions_for, register
from chuishao.workforce.services import admission_decide, admission_request, admission_withdraw

D1, S1, C1, C2 = "110901", "110901001", "110901001001", "110901001002"


def ask(city, who="um-a", scope=D1, **kw):
    args = {
        "actor": city.people[who],
        "scope": city.node(scope),
        "kind": "form",
        "title": "燃气安全入户检查台账",
        "basis": "区燃气安全专项整治方案",
        "starts_on": "2026-09-01",
        "org": city.orgs["um-110901"] if who == "um-a" else None,
    }
    args.update(kw)
    return admission_request(**args)


def test_a_department_asks_only_for_the_communities_it_serves(city, on):
    with on(2026, 11, 10):
        assert ask(city).status == AdmissionStatus.REQUESTED
        assert ask(city, scope=C1).scope.code == C1
        with pytest.raises(WorkforceDenied):
            ask(city, scope="110902")  # another district
        with pytest.raises(WorkforceDenied):
            ask(city, org=city.orgs["um-110902"])  # not the asker's department
        with pytest.raises(WorkforceDenied):
            ask(city, who="community-a", scope=C1)  # communities do not push work onto themselves
        assert ask(city, who="street-a", scope=S1).requesting_org is None


def test_bad_requests_say_what_is_wrong(city, on):
    with on(2026, 11, 10):
        with pytest.raises(WorkforceInvalid, match="basis"):
            ask(city, basis=" ")
        with pytest.raises(WorkforceInvalid, match="task, a form"):
            ask(city, kind="survey")
        with pytest.raises(WorkforceInvalid, match="before the start"):
            ask(city, ends_on="2026-08-01")
        with pytest.raises(WorkforceInvalid, match="district, street or community"):
            ask(city, scope="110901001001001")


def test_the_district_centre_decides_and_never_its_own_request(city, on):
    with on(2026, 11, 10):
        item = ask(city)
        for who in ("street-a", "community-a", "um-a", "district-b"):
            with pytest.raises(WorkforceDenied):
                admission_decide(actor=city.people[who], item=item, admit=True)
        with pytest.raises(WorkforceInvalid, match="reason"):
            admission_decide(actor=city.people["district-a"], item=item, admit=False)
        item = admission_decide(
            actor=city.people["district-a"], item=item, admit=False, note="社区月度统计表已生成此数据"
        )
        assert item.status == AdmissionStatus.REFUSED
        with pytest.raises(WorkforceConflict, match="already"):
            admission_decide(actor=city.people["district-a"], item=item, admit=True)
        own = ask(city, who="district-a", scope=D1)
        with pytest.raises(WorkforceDenied, match="someone other"):
            admission_decide(actor=city.people["district-a"], item=own, admit=True)
        assert (
            admission_decide(actor=city.people["city"], item=own, admit=True).status
            == AdmissionStatus.ADMITTED
        )
    verbs = list(Event.objects.filter(chain=f"admission:{city.city.pk}").values_list("verb", flat=True))
    assert (
        verbs.count("workforce.admission_requested") == 2 and verbs.count("workforce.admission_decided") == 2
    )


def test_only_the_asker_withdraws(city, on):
    with on(2026, 11, 10):
        item = ask(city)
        with pytest.raises(WorkforceDenied):
            admission_withdraw(actor=city.people["district-a"], item=item)
        assert admission_withdraw(actor=city.people["um-a"], item=item).status == AdmissionStatus.WITHDRAWN


def test_who_reads_the_register(city, on):
    with on(2026, 11, 10):
        district_wide, for_c1, other_district = (
            ask(city),
            ask(city, scope=C1),
            ask(city, who="um-b", scope="110902", org=city.orgs["um-110902"]),
        )
    seen = lambda who: set(admissions_for(city.people[who]).values_list("pk", flat=True))  # noqa: E731
    assert seen("community-a") == {district_wide.pk, for_c1.pk}
    assert seen("district-a") == {district_wide.pk, for_c1.pk}
    assert seen("district-b") == {other_district.pk}
    assert seen("um-a") == {district_wide.pk, for_c1.pk}
    assert seen("city") == {district_wide.pk, for_c1.pk, other_district.pk}
    assert seen("resident") == set() and seen("grid-a") == set()


def test_the_register_counts_admitted_work_per_community_and_month(city, on):
    dc = city.people["district-a"]
    with on(2026, 11, 10):
        a = ask(city, kind="form", starts_on="2026-09-15")  # whole district from September
        b = ask(
            city, kind="inspection", scope=C1, starts_on="2026-10-01", ends_on="2026-10-31"
        )  # one community, October
        c = ask(city, kind="task", scope=C2, starts_on="2026-11-01")  # refused: never counts
        ask(city, kind="task", scope=C2, starts_on="2026-11-01")  # still waiting: never counts
        for item in (a, b):
            admission_decide(actor=dc, item=item, admit=True)
        admission_decide(actor=dc, item=c, admit=False, note="不属于社区职责")
        reg = register(city.node(S1), months=4)
    months = reg.months
    assert months == [dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)]
    rows = {r.community.code: r.counts for r in reg.rows}
    assert rows[C1] == {
        (months[1], "form"): 1,
        (months[2], "form"): 1,
        (months[2], "inspection"): 1,
        (months[3], "form"): 1,
    }
    assert rows[C2] == {(months[1], "form"): 1, (months[2], "form"): 1, (months[3], "form"): 1}
    assert (reg.admitted, reg.refused, reg.pending) == (2, 1, 1)
    assert reg.total(months[2], "form") == 2


def test_a_request_counts_in_the_month_of_its_local_date(city, on):
    """Asked at 07:30 on 1 December in Beijing (23:30 on 30 November in UTC): December's request."""
    import datetime as dt

    from django.utils import timezone

    from chuishao import clock

    with clock.frozen(timezone.make_aware(dt.datetime(2026, 12, 1, 7, 30), timezone.get_fixed_timezone(480))):
        ask(city, starts_on="2026-12-01")
        reg = register(city.node(S1), months=2, until=dt.date(2026, 12, 1))
    assert reg.pending == 1
    november = register(city.node(S1), months=1, until=dt.date(2026, 11, 30))
    assert november.pending == 0


def test_a_complex_boards_members_push_no_work_down(city, on):
    from chuishao.actors import SYSTEM
    from chuishao.orgs.services import membership_grant, organisation_upsert
    from chuishao.workforce.scopes import requesting_orgs

    board = organisation_upsert(
        actor=SYSTEM, code="board-x", kind="complex_board", name="联席会", jurisdiction=city.node(C1)
    )
    membership_grant(
        actor=SYSTEM, person=city.people["resident2"], role="department_staff", organisation=board
    )
    assert requesting_orgs(city.people["resident2"]) == []
    with on(2026, 11, 10), pytest.raises(WorkforceDenied):
        ask(city, who="resident2", scope=C1, org=board)
