"""Party organisation coverage in the demo city: the Panjin story and the gaps elsewhere.

Panjin (盘锦) set up a party organisation in each of its 2,752 grids. Here the showcase street beside
the district border does the same over the past year: every grid gets its branch (and every
residential complex one too), each with a secretary, so the street's trend climbs month by month to
100 % and its gap list is empty. The other streets are part of the way there: some grids and
complexes have no branch yet, and some newly registered enterprises and social organisations
(两新组织) have none either. Everything goes through ``chuishao.party.members`` as the street's
dispatcher, so each founding and each secretary has its event. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from chuishao.actors import SYSTEM
from chuishao.demo.city import _GIVEN, _SURNAMES, DEMO_BORDER_STREET_WEST
from chuishao.geo.models import Complex, Jurisdiction
from chuishao.orgs.models import Membership, Organisation, OrgKind, PartyOrgLevel, Role
from chuishao.orgs.services import organisation_upsert
from chuishao.party.members import party_member_add, party_org_found
from chuishao.party.models import PartyMember, PartyRole

# The Panjin street: the showcase street dispatcher's, beside the district border.
PANJIN_STREET = DEMO_BORDER_STREET_WEST
# The Panjin street's branches are set up over this many days, the last one this many days ago.
ROLLOUT_DAYS, ROLLOUT_LAST = 330, 20
# Elsewhere: the share of grids and complexes with a branch so far.
GRID_SHARE, COMPLEX_SHARE = 0.6, 0.5
# New organisations registered in every other street over the past year (two with no branch yet).
NEW_ORGS = (
    ("enterprise", "便民连锁超市有限公司", "Convenience Stores Co., Ltd.", True),
    ("enterprise", "同城物流有限公司", "City Logistics Co., Ltd.", False),
    ("social_org", "邻里互助协会", "Neighbourhood Mutual Aid Association", False),
)


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _staff(role: str, node: Jurisdiction) -> Any:
    m = Membership.objects.select_related("person").filter(role=role, node=node, active=True).order_by("pk")
    found = m.first()
    return found.person if found else None


def _own_party_org(node: Jurisdiction) -> Organisation | None:
    return (
        Organisation.objects.filter(
            kind=OrgKind.PARTY_ORG,
            jurisdiction=node,
            attached_complex__isnull=True,
            attached_unit__isnull=True,
            dissolved_on__isnull=True,
        )
        .order_by("code")
        .first()
    )


def _secretary(actor: Any, org: Organisation, name: str, since: dt.date) -> None:
    if not PartyMember.objects.filter(party_org=org, role=PartyRole.SECRETARY, until__isnull=True).exists():
        party_member_add(actor=actor, party_org=org, role=PartyRole.SECRETARY, name=name, since=since)


def load_party_coverage(
    *, now: dt.datetime, seed: int = 2019, log: Callable[[str], None] = print
) -> dict[str, int]:
    """Found the branches of the Panjin street and part of the others' (see the module); returns counts."""
    rng = random.Random(f"{seed}-party-coverage")
    today = timezone.localdate(now)
    long_ago = today - dt.timedelta(days=3 * 365)
    counts = {"branches": 0, "secretaries": 0, "new_orgs": 0}
    streets = list(Jurisdiction.objects.filter(kind="street").order_by("code"))
    grids_of: dict[int, list[Jurisdiction]] = {}
    for grid in Jurisdiction.objects.filter(kind="grid").select_related("parent").order_by("code"):
        grids_of.setdefault(grid.street_id, []).append(grid)
    complexes_of: dict[int, list[Complex]] = {}
    for estate in Complex.objects.select_related("community").order_by("code"):
        complexes_of.setdefault(estate.community.street_id, []).append(estate)
    log(f"party coverage: {len(streets)} streets, the Panjin story in {PANJIN_STREET} …")

    def found(
        actor: Any, code: str, name: str, name_en: str, day: dt.date, **place: Any
    ) -> Organisation | None:
        if Organisation.objects.filter(code=code).exists():
            return None  # already there (another story set it up): leave it as it is
        counts["branches"] += 1
        return party_org_found(
            actor=actor,
            code=code,
            name=name,
            name_en=name_en,
            level=PartyOrgLevel.BRANCH,
            established_on=day,
            **place,
        )

    for street in streets:
        dispatcher = _staff(Role.STREET_DISPATCHER, street)
        if dispatcher is None:
            continue
        panjin = street.code == PANJIN_STREET
        grids = grids_of.get(street.pk, [])
        complexes = complexes_of.get(street.pk, [])
        # Secretaries of the street's committee and its communities' branches, in office for years.
        for node in [street, *Jurisdiction.objects.filter(parent=street).order_by("code")]:
            org = _own_party_org(node)
            if org is not None:
                _secretary(dispatcher, org, _name(rng), long_ago)
                counts["secretaries"] += 1
        # Grids and complexes, in code order; the Panjin street takes all of them over the year.
        places: list[tuple[str, int, int, Any]] = [("grid", i, len(grids), g) for i, g in enumerate(grids)]
        places += [("complex", i, len(complexes), c) for i, c in enumerate(complexes)]
        for kind, index, total, place in places:
            share = GRID_SHARE if kind == "grid" else COMPLEX_SHARE
            if not panjin and rng.random() >= share:
                continue
            if panjin:  # evenly over the roll-out, grids and complexes each in code order
                step = (ROLLOUT_DAYS - ROLLOUT_LAST) * (total - 1 - index) // max(1, total - 1)
                day = today - dt.timedelta(days=ROLLOUT_LAST + step)
            else:
                day = today - dt.timedelta(days=rng.randint(30, 3 * 365))
            community = place.parent if kind == "grid" else place.community
            parent = _own_party_org(community)
            if kind == "grid":
                org = found(
                    dispatcher,
                    f"ORG-{place.code}-party",
                    f"中共{place.name}党支部",
                    f"{place.name_en} Party Branch",
                    day,
                    jurisdiction=place,
                    parent=parent,
                )
            else:
                org = found(
                    dispatcher,
                    f"ORG-{place.code}-party",
                    f"中共{place.name}支部委员会",
                    f"{place.name_en} Party Branch",
                    day,
                    complex_=place,
                    parent=parent,
                )
            if org is None:
                continue
            _secretary(dispatcher, org, _name(rng), day)
            counts["secretaries"] += 1
            if kind == "grid":
                worker = _staff(Role.GRID_WORKER, place)
                if worker is not None:
                    party_member_add(
                        actor=dispatcher,
                        party_org=org,
                        role=PartyRole.COMMITTEE_MEMBER,
                        person=worker,
                        since=day,
                    )
            for _n in range(rng.randint(1, 3) if panjin else 0):
                party_member_add(actor=dispatcher, party_org=org, name=_name(rng), since=day)
        if panjin:
            continue
        # New economic and social organisations registered over the past year, most without a branch yet.
        short = street.name.removesuffix("街道")
        for n, (unit_kind, zh, en, gets_branch) in enumerate(NEW_ORGS, 1):
            code = f"ORG-{street.code}-new-{n}"
            if Organisation.objects.filter(code=code).exists():
                continue
            registered = today - dt.timedelta(days=rng.randint(120, 330))
            unit = organisation_upsert(
                actor=SYSTEM,
                code=code,
                kind=OrgKind.UNIT,
                name=f"{short}{zh}",
                name_en=f"{street.name_en.removesuffix(' Subdistrict')} {en}",
                jurisdiction=street,
                unit_kind=unit_kind,
            )
            Organisation.objects.filter(pk=unit.pk).update(established_on=registered)
            unit.established_on = registered
            counts["new_orgs"] += 1
            if gets_branch:
                day = registered + dt.timedelta(days=rng.randint(30, 90))
                org = found(
                    dispatcher,
                    f"{code}-party",
                    f"中共{short}{zh}支部委员会",
                    f"{en} Party Branch",
                    min(day, today),
                    unit=unit,
                    parent=_own_party_org(street),
                )
                if org is not None:
                    _secretary(dispatcher, org, _name(rng), org.established_on)
                    counts["secretaries"] += 1
    log("  {branches} branches, {secretaries} secretaries, {new_orgs} new organisations".format(**counts))
    return counts
