"""Party organisations' people (secretary, deputies, committee, members) and the organisations' own dates.

Who may write: the staff of the organisation's node or of a level above it — community staff for a
community's (or its grids', complexes' and units') organisations, the street dispatcher for the
street's, the district and city centres and administrators for everything under them. Leaders read,
they do not write. Every write runs in one transaction with the organisation's row locked and appends
one event on the ``party:<community or node>`` chain.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from chuishao.events.services import event_append
from chuishao.geo.models import Complex, Jurisdiction
from chuishao.orgs.models import Organisation, OrgKind, PartyOrgLevel, Role
from chuishao.orgs.scopes import grants_of
from chuishao.orgs.services import organisation_upsert
from chuishao.party.coverage import COVERAGE_ROLES, active_on, today, under_q
from chuishao.party.errors import PartyConflict, PartyDenied, PartyInvalid, PartyNotFound
from chuishao.party.models import PartyMember, PartyRole

MANAGER_ROLES = frozenset(
    {Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_CENTRE, Role.CITY_CENTRE, Role.ADMIN}
)
NAME_LIMIT = 60
CODE_LIMIT, ORG_NAME_LIMIT = 40, 120
REASON_LIMIT = 200


# ------------------------------------------------------------------------------------------------ scope


def _reaches(actor: Any, node: Jurisdiction, roles: frozenset) -> bool:
    chain = node.chain_ids()
    return any(
        g.role in roles and g.node_id is not None and chain.get(g.node_kind or "") == g.node_id
        for g in grants_of(actor)
    )


def manages(actor: Any, node: Jurisdiction) -> bool:
    """Whether the actor is staff of ``node`` or of a level above it (leaders and residents are not)."""
    return _reaches(actor, node, MANAGER_ROLES)


def may_manage_org(actor: Any, org: Organisation) -> bool:
    return manages(actor, org.jurisdiction)


def may_read_org(actor: Any, org: Organisation) -> bool:
    """Members' names are shown to the coverage roles of the organisation's node or above."""
    return _reaches(actor, org.jurisdiction, COVERAGE_ROLES)


def _require_manager(actor: Any, node: Jurisdiction) -> None:
    if not manages(actor, node):
        raise PartyDenied(
            _("Only the staff of %(node)s or the levels above may do this.") % {"node": node.name}
        )


# ------------------------------------------------------------------------------------------------ reads


def current_members() -> Prefetch:
    return Prefetch(
        "party_members",
        queryset=PartyMember.objects.filter(until__isnull=True).order_by("role", "since", "pk"),
        to_attr="current_members",
    )


def party_org_get(actor: Any, pk: Any) -> Organisation:
    """A party organisation the actor may read, or not found (also for organisations out of scope)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise PartyNotFound(_("No such party organisation.")) from None
    org = (
        Organisation.objects.filter(pk=pk, kind=OrgKind.PARTY_ORG)
        .select_related("jurisdiction", "attached_complex", "attached_unit", "parent")
        .first()
    )
    if org is None or not may_read_org(actor, org):
        raise PartyNotFound(_("No such party organisation."))
    return org


def party_org_members(org: Organisation) -> tuple[list[PartyMember], list[PartyMember]]:
    """(current members, secretary first; past members, latest first)."""
    rows = list(PartyMember.objects.filter(party_org=org).select_related("person"))
    order = list(PartyRole.values)
    current = sorted((m for m in rows if m.until is None), key=lambda m: (order.index(m.role), m.since, m.pk))
    past = sorted((m for m in rows if m.until is not None), key=lambda m: (m.until, m.pk), reverse=True)
    return current, past


def party_orgs_in(node: Jurisdiction) -> list[Organisation]:
    """The party organisations of an area (on its nodes, complexes and units), each with
    ``current_members``: two queries whatever the size."""
    return list(
        Organisation.objects.filter(
            under_q(node, "jurisdiction__")
            | under_q(node, "attached_complex__community__")
            | under_q(node, "attached_unit__jurisdiction__"),
            kind=OrgKind.PARTY_ORG,
        )
        .select_related("jurisdiction", "attached_complex", "attached_unit")
        .prefetch_related(current_members())
        .order_by("jurisdiction__code", "code")
    )


def secretary_of(org: Organisation) -> PartyMember | None:
    members = getattr(org, "current_members", None)
    if members is None:
        members = list(PartyMember.objects.filter(party_org=org, until__isnull=True))
    return next((m for m in members if m.role == PartyRole.SECRETARY), None)


# ----------------------------------------------------------------------------------------------- writes


def _event(verb: str, *, actor: Any, org: Organisation, after: dict, reason: str = "") -> None:
    node = org.jurisdiction
    chain_node = (node.community_id or node.pk) if node.kind == "grid" else node.pk
    event_append(
        verb=verb,
        actor=actor,
        chain=f"party:{chain_node}",
        city_id=node.city_id or node.pk,
        after={"party_org": org.code, **after},
        reason=reason,
    )


def _locked_org(org: Organisation | int) -> Organisation:
    pk = org.pk if isinstance(org, Organisation) else org
    row = (
        Organisation.objects.select_for_update()
        .filter(pk=pk, kind=OrgKind.PARTY_ORG)
        .select_related("jurisdiction")
        .first()
    )
    if row is None:
        raise PartyNotFound(_("No such party organisation."))
    return row


def _day(value: dt.date | None, what: str) -> dt.date:
    day = value or today()
    if not isinstance(day, dt.date):
        raise PartyInvalid(_("Give the %(what)s as a date.") % {"what": what})
    if day > today():
        raise PartyInvalid(_("The %(what)s cannot be in the future.") % {"what": what})
    return day


def _display_name(person: Any) -> str:
    profile = getattr(person, "profile", None)
    return (getattr(profile, "display_name", "") or person.get_username()).strip()


@transaction.atomic
def party_member_add(
    *,
    actor: Any,
    party_org: Organisation | int,
    role: str = PartyRole.MEMBER,
    name: str = "",
    person: Any = None,
    since: dt.date | None = None,
) -> PartyMember:
    """Add a person to a party organisation (one current secretary; a linked person once)."""
    org = _locked_org(party_org)
    _require_manager(actor, org.jurisdiction)
    if role not in PartyRole.values:
        raise PartyInvalid(_("Choose a role: secretary, deputy secretary, committee member or member."))
    day = _day(since, _("start date"))
    if org.dissolved_on is not None and org.dissolved_on <= day:
        raise PartyInvalid(_("This party organisation was dissolved on %(d)s.") % {"d": org.dissolved_on})
    if org.established_on is not None and day < org.established_on:
        raise PartyInvalid(_("The organisation was only established on %(d)s.") % {"d": org.established_on})
    name = (name or "").strip() or (_display_name(person) if person is not None else "")
    if not name:
        raise PartyInvalid(_("Write the person's name."))
    if len(name) > NAME_LIMIT:
        raise PartyInvalid(_("The name is longer than %(n)s characters.") % {"n": NAME_LIMIT})
    current = PartyMember.objects.filter(party_org=org, until__isnull=True)
    if role == PartyRole.SECRETARY and current.filter(role=PartyRole.SECRETARY).exists():
        raise PartyConflict(_("The organisation has a secretary: end that term first."))
    # Nor may a new term start inside an ended one: the history keeps one secretary at a time.
    if role == PartyRole.SECRETARY:
        overlap = PartyMember.objects.filter(
            party_org=org, role=PartyRole.SECRETARY, since__lte=day, until__gt=day
        ).first()
        if overlap is not None:
            raise PartyConflict(
                _("%(name)s was the secretary until %(d)s; a new term starts on that day or later.")
                % {"name": overlap.name, "d": overlap.until}
            )
    if person is not None and current.filter(person=person).exists():
        raise PartyConflict(_("%(name)s is already a member.") % {"name": name})
    try:
        with transaction.atomic():
            member = PartyMember.objects.create(party_org=org, person=person, name=name, role=role, since=day)
    except IntegrityError as exc:  # a concurrent writer that the lock did not cover
        raise PartyConflict(_("Someone changed this organisation first. Reload the page.")) from exc
    _event(
        "party.member_added",
        actor=actor,
        org=org,
        after={"member": member.pk, "role": role, "person": getattr(person, "pk", None), "since": day},
    )
    return member


@transaction.atomic
def party_member_end(
    *, actor: Any, member: PartyMember | int, until: dt.date | None = None, reason: str = ""
) -> PartyMember:
    """End a person's membership (or term of office) on ``until`` (today by default)."""
    pk = member.pk if isinstance(member, PartyMember) else member
    found = PartyMember.objects.filter(pk=pk).values_list("party_org_id", flat=True).first()
    if found is None:
        raise PartyNotFound(_("No such member."))
    org = _locked_org(found)
    _require_manager(actor, org.jurisdiction)
    row = PartyMember.objects.select_for_update().get(pk=pk)
    if row.until is not None:
        raise PartyConflict(_("This membership already ended on %(d)s.") % {"d": row.until})
    day = _day(until, _("end date"))
    if day < row.since:
        raise PartyInvalid(_("The end date is before the start date %(d)s.") % {"d": row.since})
    reason = (reason or "").strip()
    if len(reason) > REASON_LIMIT:
        raise PartyInvalid(_("The reason is longer than %(n)s characters.") % {"n": REASON_LIMIT})
    PartyMember.objects.filter(pk=row.pk, until__isnull=True).update(until=day, end_reason=reason)
    row.until, row.end_reason = day, reason
    _event(
        "party.member_ended",
        actor=actor,
        org=org,
        after={"member": row.pk, "role": row.role, "until": day},
        reason=reason,
    )
    return row


def _node_of(
    jurisdiction: Jurisdiction | None, complex_: Complex | None, unit: Organisation | None
) -> Jurisdiction:
    given = [x for x in (jurisdiction, complex_, unit) if x is not None]
    if len(given) != 1:
        raise PartyInvalid(_("Name one place: a jurisdiction node, a residential complex or a unit."))
    if complex_ is not None:
        return complex_.community
    if unit is not None:
        if unit.kind != OrgKind.UNIT:
            raise PartyInvalid(_("A party organisation is attached to a registered unit."))
        return unit.jurisdiction
    assert jurisdiction is not None
    return jurisdiction


@transaction.atomic
def party_org_found(
    *,
    actor: Any,
    code: str,
    name: str,
    level: str = PartyOrgLevel.BRANCH,
    jurisdiction: Jurisdiction | None = None,
    complex_: Complex | None = None,
    unit: Organisation | None = None,
    parent: Organisation | None = None,
    established_on: dt.date | None = None,
    name_en: str = "",
) -> Organisation:
    """Set up a party organisation on a node, in a complex or in a unit, established on a day."""
    node = _node_of(jurisdiction, complex_, unit)
    _require_manager(actor, node)
    if level not in PartyOrgLevel.values:
        raise PartyInvalid(_("Choose a level: party committee, general branch or branch."))
    day = _day(established_on, _("founding date"))
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise PartyInvalid(_("A party organisation needs a code and a name."))
    if Organisation.objects.filter(code=code).exists():
        raise PartyConflict(_("The code %(code)s is taken.") % {"code": code})
    if len(code) > CODE_LIMIT or len(name) > ORG_NAME_LIMIT:
        raise PartyInvalid(
            _("A code has at most %(c)s characters and a name at most %(n)s.")
            % {"c": CODE_LIMIT, "n": ORG_NAME_LIMIT}
        )
    if unit is not None and not active_on(unit.established_on, unit.dissolved_on, day):
        raise PartyInvalid(_("The unit did not exist on that day."))
    org = organisation_upsert(
        actor=actor,
        code=code,
        kind=OrgKind.PARTY_ORG,
        name=name,
        name_en=name_en,
        jurisdiction=node,
        parent=parent,
        party_level=level,
        attached_complex=complex_,
        attached_unit=unit,
    )
    Organisation.objects.filter(pk=org.pk).update(established_on=day)
    org.established_on = day
    where = complex_.code if complex_ else unit.code if unit else node.code
    _event("party.org_founded", actor=actor, org=org, after={"on": day, "where": where, "level": level})
    return org


def _own_org(node_id: int | None) -> Organisation | None:
    """The current party organisation of a node itself (not of a complex or unit on it)."""
    if node_id is None:
        return None
    return (
        Organisation.objects.filter(
            kind=OrgKind.PARTY_ORG,
            jurisdiction_id=node_id,
            attached_complex__isnull=True,
            attached_unit__isnull=True,
            dissolved_on__isnull=True,
        )
        .order_by("code")
        .first()
    )


# What a gap names, by its kind in the coverage report.
PLACE_KINDS = ("street", "community", "grid", "complex", "new_org")


@transaction.atomic
def party_org_found_at(
    *,
    actor: Any,
    kind: str,
    place_code: str,
    name: str,
    level: str = PartyOrgLevel.BRANCH,
    established_on: dt.date | None = None,
) -> Organisation:
    """Found a party organisation for a gap of the coverage report (a node, complex or unit by its code),
    under the organisation of the node above it, with a code made from the place's."""
    place: dict[str, Any] = {}
    if kind in ("street", "community", "grid"):
        node = Jurisdiction.objects.filter(kind=kind, code=place_code).first()
        if node is None:
            raise PartyNotFound(_("No such place."))
        place, parent_node = {"jurisdiction": node}, node.parent_id
    elif kind == "complex":
        estate = Complex.objects.select_related("community").filter(code=place_code).first()
        if estate is None:
            raise PartyNotFound(_("No such place."))
        place, parent_node = {"complex_": estate}, estate.community_id
    elif kind == "new_org":
        unit = (
            Organisation.objects.select_related("jurisdiction")
            .filter(kind=OrgKind.UNIT, code=place_code)
            .first()
        )
        if unit is None:
            raise PartyNotFound(_("No such place."))
        place, parent_node = {"unit": unit}, unit.jurisdiction_id
    else:
        raise PartyInvalid(_("No such place."))
    base = f"{place_code}-party"[:CODE_LIMIT]
    code, n = base, 1
    while Organisation.objects.filter(code=code).exists():
        n += 1
        code = f"{base[: CODE_LIMIT - 4]}-{n}"
    return party_org_found(
        actor=actor,
        code=code,
        name=name,
        level=level,
        parent=_own_org(parent_node),
        established_on=established_on,
        **place,
    )


@transaction.atomic
def party_org_dissolve(
    *, actor: Any, party_org: Organisation | int, on: dt.date | None = None, reason: str = ""
) -> Organisation:
    """Dissolve a party organisation on ``on``: from that day it covers nothing; its people's terms end."""
    org = _locked_org(party_org)
    _require_manager(actor, org.jurisdiction)
    if org.dissolved_on is not None:
        raise PartyConflict(_("This party organisation was dissolved on %(d)s.") % {"d": org.dissolved_on})
    day = _day(on, _("dissolution date"))
    if org.established_on is not None and day < org.established_on:
        raise PartyInvalid(_("The organisation was only established on %(d)s.") % {"d": org.established_on})
    reason = (reason or "").strip()[:REASON_LIMIT]
    Organisation.objects.filter(pk=org.pk, dissolved_on__isnull=True).update(dissolved_on=day)
    org.dissolved_on = day
    ended = []
    for m in PartyMember.objects.select_for_update().filter(party_org=org, until__isnull=True):
        PartyMember.objects.filter(pk=m.pk).update(until=max(day, m.since), end_reason=reason)
        ended.append(m.pk)
    _event(
        "party.org_dissolved", actor=actor, org=org, after={"on": day, "members_ended": ended}, reason=reason
    )
    return org


def org_place(org: Organisation) -> tuple[str, str]:
    """(kind, name) of what a party organisation covers: a node, a complex or a unit."""
    if org.attached_complex_id:
        return "complex", org.attached_complex.name
    if org.attached_unit_id:
        return "unit", org.attached_unit.name
    return org.jurisdiction.kind, org.jurisdiction.name
