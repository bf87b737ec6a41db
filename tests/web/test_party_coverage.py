"""Coverage pages: scoped to the reader's node, the table, gaps, chart data and XLSX; a party
organisation's page with add and end forms for those allowed."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from chuishao.events.models import Event
from chuishao.party.members import party_member_add, party_org_found
from chuishao.party.models import PartyMember

COMMUNITY_A = "110901001001"
GRID_A1 = "110901001001001"


@pytest.fixture
def branch(city):
    return party_org_found(
        actor=city.people["city"],
        code="p-grid-a1",
        name="中共网格111支部委员会",
        jurisdiction=city.node(GRID_A1),
    )


@pytest.mark.parametrize(
    ("who", "node"),
    [
        ("community-a", COMMUNITY_A),
        ("street-a", "110901001"),
        ("district-a", "110901"),
        ("city", "110000"),
        ("leader", "110000"),
        ("admin", "110000"),
    ],
)
def test_each_reader_lands_on_their_node(login, branch, who, node):
    page = login(who).get(reverse("web:party_coverage"))
    assert page.status_code == 200
    assert page.context["report"].node.code == node
    body = page.content.decode()
    assert 'id="coverage-trend"' in body and "coverage-data" in body


@pytest.mark.parametrize("who", ["resident", "um-a", "grid-a"])
def test_residents_departments_and_grid_workers_find_nothing(login, who):
    client = login(who)
    assert client.get(reverse("web:party_coverage")).status_code == 404
    assert client.get(reverse("web:party_coverage_node", args=[COMMUNITY_A])).status_code == 404


def test_outside_ones_node_is_not_found(login, branch):
    client = login("community-a")
    for code in ("110901001002", "110901001", "110902001001", GRID_A1, "nope"):
        assert client.get(reverse("web:party_coverage_node", args=[code])).status_code == 404, code
    client = login("district-a")
    assert client.get(reverse("web:party_coverage_node", args=["110902"])).status_code == 404
    assert client.get(reverse("web:party_coverage_node", args=[COMMUNITY_A])).status_code == 200
    assert client.get(reverse("web:party_org", args=[branch.pk])).status_code == 200
    assert login("district-b").get(reverse("web:party_org", args=[branch.pk])).status_code == 404


def test_the_page_shows_the_table_gaps_and_trend(login, branch):
    page = login("street-a").get(reverse("web:party_coverage"))
    report = page.context["report"]
    body = page.content.decode()
    assert [r.code for r in report.communities] == [COMMUNITY_A, "110901001002"]
    assert report.total.grids.covered == 1 and report.total.grids.total == 4
    gaps = {g.name for g in report.gaps}
    assert gaps == {"网格112", "网格121", "网格122", "社区11", "社区12", "街道1"}
    for name in gaps:
        assert name in body
    assert "网格111" not in [g.name for g in report.gaps]
    chart = page.context["chart"]
    assert len(chart["months"]) == 12 and len(chart["series"]) == 3
    assert chart["series"][0]["data"][-1] == 25.0
    assert "中共网格111支部委员会" in body  # the street's party organisations are listed
    assert reverse("web:party_org", args=[branch.pk]) in body


def test_a_day_in_the_past_and_bad_days(login, branch):
    client = login("city")
    page = client.get(reverse("web:party_coverage") + "?on=2025-01-31")
    assert page.context["report"].on.isoformat() == "2025-01-31"
    for bad in ("2025-02-30", "x", "2999-01-01"):
        assert client.get(reverse("web:party_coverage") + f"?on={bad}").status_code == 200
    other = client.get(reverse("web:party_coverage") + "?node=110902")
    assert other.context["report"].node.code == "110902"


def test_the_gaps_download_as_xlsx(login, branch):
    from openpyxl import load_workbook

    response = login("community-a").get(
        reverse("web:party_coverage_node", args=[COMMUNITY_A]) + "?format=xlsx"
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    names = {row[2] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert names == {"网格112", "社区11"}


def test_staff_add_and_end_members_on_the_organisation_page(login, city, branch):
    client = login("community-a")
    page = client.get(reverse("web:party_org", args=[branch.pk]))
    assert page.status_code == 200 and page.context["may_manage"]
    response = client.post(
        reverse("web:party_member_add", args=[branch.pk]), {"name": "王建国", "role": "secretary"}
    )
    assert response.status_code == 302
    member = PartyMember.objects.get(name="王建国")
    assert member.role == "secretary" and Event.objects.filter(verb="party.member_added").count() == 1
    page = client.get(reverse("web:party_org", args=[branch.pk]))
    assert "王建国" in page.content.decode()
    # A second secretary is refused with the reason on the form, nothing written.
    refused = client.post(
        reverse("web:party_member_add", args=[branch.pk]), {"name": "李秀英", "role": "secretary"}
    )
    assert refused.status_code == 400 and "李秀英" in refused.content.decode()
    assert PartyMember.objects.count() == 1
    # An unknown account is a form error.
    bad = client.post(
        reverse("web:party_member_add", args=[branch.pk]), {"username": "nobody", "role": "member"}
    )
    assert bad.status_code == 400 and PartyMember.objects.count() == 1
    linked = client.post(
        reverse("web:party_member_add", args=[branch.pk]), {"username": "grid-a", "role": "member"}
    )
    assert linked.status_code == 302
    assert PartyMember.objects.get(person=city.people["grid-a"]).name == "grid-a"
    ended = client.post(reverse("web:party_member_end", args=[member.pk]), {"reason": "换届"}, follow=True)
    assert ended.status_code == 200
    member.refresh_from_db()
    assert member.until is not None and member.end_reason == "换届"
    again = client.post(reverse("web:party_member_end", args=[member.pk]), {}, follow=True)
    assert again.status_code == 200 and Event.objects.filter(verb="party.member_ended").count() == 1
    assert client.post(reverse("web:party_member_end", args=[member.pk]), {"until": "x"}).status_code == 302


def test_leaders_read_but_get_no_forms_and_cannot_post(login, city, branch):
    party_member_add(actor=city.people["city"], party_org=branch, name="王建国", role="secretary")
    client = login("leader")
    page = client.get(reverse("web:party_org", args=[branch.pk]))
    assert page.status_code == 200 and not page.context["may_manage"]
    assert 'data-testid="add-member"' not in page.content.decode()
    refused = client.post(reverse("web:party_member_add", args=[branch.pk]), {"name": "李", "role": "member"})
    assert refused.status_code == 400 and PartyMember.objects.count() == 1
    member = PartyMember.objects.get()
    client.post(reverse("web:party_member_end", args=[member.pk]), {})
    member.refresh_from_db()
    assert member.until is None


@pytest.mark.parametrize("who", ["resident", "grid-a", "um-a", "community-b"])
def test_others_cannot_see_or_change_an_organisation(login, city, branch, who):
    member = party_member_add(actor=city.people["city"], party_org=branch, name="王建国")
    client = login(who)
    assert client.get(reverse("web:party_org", args=[branch.pk])).status_code == 404
    assert client.post(reverse("web:party_member_add", args=[branch.pk]), {"name": "x"}).status_code == 404
    assert client.post(reverse("web:party_member_end", args=[member.pk]), {}).status_code == 404
    assert client.post(reverse("web:party_member_end", args=[999999]), {}).status_code == 404
    member.refresh_from_db()
    assert member.until is None and PartyMember.objects.count() == 1


def test_the_page_reads_the_same_number_of_queries_for_one_or_many_organisations(login, city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login("street-a")
    counts = []
    for grids in ([GRID_A1], ["110901001001002", "110901001002001", "110901001002002"]):
        for grid in grids:
            org = party_org_found(
                actor=city.people["city"], code=f"p-{grid}", name=grid, jurisdiction=city.node(grid)
            )
            party_member_add(actor=city.people["city"], party_org=org, name="书记", role="secretary")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("web:party_coverage")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_staff_set_up_a_branch_for_a_gap_and_dissolve_it(login, city):
    client = login("community-a")
    page = client.get(reverse("web:party_coverage"))
    assert reverse("web:party_org_found", args=[COMMUNITY_A]) in page.content.decode()
    response = client.post(
        reverse("web:party_org_found", args=[COMMUNITY_A]),
        {"kind": "grid", "place": GRID_A1, "name": "中共网格111支部委员会", "level": "branch"},
    )
    from chuishao.orgs.models import Organisation

    org = Organisation.objects.get(code=f"{GRID_A1}-party")
    assert response.status_code == 302 and response["Location"] == reverse("web:party_org", args=[org.pk])
    report = client.get(reverse("web:party_coverage")).context["report"]
    assert "网格111" not in {g.name for g in report.gaps}
    # Refusals come back as messages, nothing written.
    for bad in ({"kind": "grid", "place": GRID_A1}, {"kind": "street", "place": "110901001", "name": "x"}):
        client.post(reverse("web:party_org_found", args=[COMMUNITY_A]), bad)
    assert Organisation.objects.filter(kind="party_org").count() == 1
    dissolved = client.post(reverse("web:party_org_dissolve", args=[org.pk]), {"reason": "网格调整"})
    assert dissolved.status_code == 302
    report = client.get(reverse("web:party_coverage")).context["report"]
    assert "网格111" in {g.name for g in report.gaps}


@pytest.mark.parametrize("who", ["leader", "community-b", "resident"])
def test_others_cannot_set_up_or_dissolve(login, city, branch, who):
    client = login(who)
    response = client.post(
        reverse("web:party_org_found", args=[COMMUNITY_A]),
        {"kind": "grid", "place": "110901001001002", "name": "x", "level": "branch"},
    )
    assert response.status_code in (302, 404)
    client.post(reverse("web:party_org_dissolve", args=[branch.pk]), {})
    branch.refresh_from_db()
    assert branch.dissolved_on is None
    from chuishao.orgs.models import Organisation

    assert not Organisation.objects.filter(code="110901001001002-party").exists()
    if who == "leader":
        page = login(who).get(reverse("web:party_coverage_node", args=[COMMUNITY_A]))
        assert reverse("web:party_org_found", args=[COMMUNITY_A]) not in page.content.decode()
