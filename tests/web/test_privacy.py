"""Reporter details stay with the roles that call back; stale pages cannot act."""

from __future__ import annotations

from django.urls import reverse

from chuishao.cases.models import Status
from chuishao.cases.services import case_act
from chuishao.events.models import Event


def test_department_timeline_does_not_name_the_reporter(login, city, report):
    case = report(by="resident")
    case_act(case=case, action="file", actor=city.people["street-a"])
    case_act(case=case, action="dispatch", actor=city.people["street-a"], lead=city.orgs["um-110901"])
    page = login("um-a").get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert "13812341234" not in page
    # The resident's login name never appears; the step says "the reporter".
    assert ">resident " not in page and "resident (" not in page


def test_a_stale_page_cannot_act_on_a_case_that_moved_on(login, city, report):
    case = report()
    client = login("street-a")
    case_act(case=case, action="file", actor=city.people["street-a"])  # someone else acts first
    response = client.post(
        reverse("web:case_act", args=[case.pk, "decline"]),
        {"reason": "重复", "seen_status": Status.REPORTED},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.FILED
    assert not Event.objects.filter(case_id=case.pk, verb="case.decline").exists()
    # With the state it really has, the same action is refused by the table, and cancel works.
    client.post(
        reverse("web:case_act", args=[case.pk, "cancel"]), {"reason": "误报", "seen_status": Status.FILED}
    )
    case.refresh_from_db()
    assert case.status == Status.CANCELLED
