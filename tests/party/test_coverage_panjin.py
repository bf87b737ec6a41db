"""The Panjin story in the demo city: one street with a party branch and a secretary in every grid,
set up over the past year, so its trend climbs to 100 % and it has no gaps; the other streets have
gaps of every kind; taking one grid's branch away makes that grid a gap again."""

from __future__ import annotations

import pytest

from chuishao import clock
from chuishao.demo.party_coverage import PANJIN_STREET, load_party_coverage
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Membership, Organisation
from chuishao.party.coverage import coverage_report
from chuishao.party.members import party_org_dissolve
from chuishao.party.models import PartyMember
from tests.factories import demo_geography_and_people

pytestmark = pytest.mark.django_db


def quiet(_message: str) -> None:
    pass


def test_the_panjin_street_is_covered_and_the_others_show_their_gaps():
    demo_geography_and_people()
    counts = load_party_coverage(now=clock.now(), log=quiet)
    assert counts["branches"] > 0 and counts["new_orgs"] > 0
    street = Jurisdiction.objects.get(code=PANJIN_STREET)
    report = coverage_report(street)
    total = report.total
    assert total.grids.total == Jurisdiction.objects.filter(kind="grid", street=street).count() >= 10
    assert total.grids.rate == total.complexes.rate == total.new_orgs.rate == 100.0
    assert total.complexes.total > 0 and total.new_orgs.total > 0
    assert report.gaps == [] and total.has_own and all(c.has_own for c in report.communities)

    # Every grid branch has a secretary; the grid worker sits on its committee.
    branches = Organisation.objects.filter(
        kind="party_org", jurisdiction__kind="grid", jurisdiction__street=street
    )
    assert branches.count() == total.grids.total
    for branch in branches:
        assert PartyMember.objects.filter(party_org=branch, role="secretary", until__isnull=True).count() == 1
    worker = Membership.objects.filter(role="grid_worker", node__street=street).first().person
    assert PartyMember.objects.filter(person=worker, role="committee_member").exists()

    # The trend climbs over the year to 100 %.
    rates = [p.rates["grids"] for p in report.trend]
    assert rates[0] < 20.0 and rates[-1] == 100.0
    assert rates == sorted(rates)

    # Elsewhere: grids, complexes and new organisations without a party organisation.
    city = coverage_report(Jurisdiction.objects.get(kind="city"), trend=False)
    others = {g.kind for g in city.gaps if g.street != street.name}
    assert {"grid", "complex", "new_org"} <= others
    rows = {r.code: r for r in city.streets}
    assert all(rows[s].grids.rate < 100.0 for s in rows if s != PANJIN_STREET)

    # Take one grid's branch away: that grid is a gap again, named in the list.
    branch = branches.order_by("code").first()
    dispatcher = Membership.objects.get(role="street_dispatcher", node=street).person
    party_org_dissolve(actor=dispatcher, party_org=branch, reason="网格调整")
    after = coverage_report(street, trend=False)
    assert [g.name for g in after.gaps] == [branch.jurisdiction.name]
    assert after.total.grids.covered == total.grids.total - 1 and after.total.grids.rate < 100.0
