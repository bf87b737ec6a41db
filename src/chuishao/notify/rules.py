"""Who hears of which event: the one table from event verb to recipients and message.

A resolver reads the event (and the case or whistle it concerns) and returns an ``Audience``: the
people who get an inbox entry and the organisations whose channels (email, webhooks) get a delivery.
A new verb is one line in ``RULES``. Messages name cases, whistles, categories and organisations —
never a reporter's name, phone or words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chuishao.cases.models import Case, Satisfaction, WarnLevel, Whistle, WhistleSummons
from chuishao.events.models import Event
from chuishao.geo.models import Jurisdiction, Kind
from chuishao.orgs.models import Membership, Organisation, OrgKind, Role

# The role that holds a node's command post (who a node "is" when a case or whistle reaches it).
CENTRE_ROLE = {
    Kind.COMMUNITY: Role.COMMUNITY_STAFF,
    Kind.STREET: Role.STREET_DISPATCHER,
    Kind.DISTRICT: Role.DISTRICT_CENTRE,
    Kind.CITY: Role.CITY_CENTRE,
}


@dataclass
class Audience:
    people: set[int] = field(default_factory=set)
    orgs: set[int] = field(default_factory=set)

    def __or__(self, other: Audience) -> Audience:
        return Audience(self.people | other.people, self.orgs | other.orgs)


class Directory:
    """Role holders, organisations and nodes, each read once per fan-out batch."""

    def __init__(self) -> None:
        self._staff: dict[int, set[int]] = {}
        self._holders: dict[tuple[str, int], set[int]] = {}
        self._centre_orgs: dict[int, set[int]] = {}
        self._nodes: dict[int, Jurisdiction | None] = {}
        self._org_names: dict[int, str] = {}

    def staff(self, org_id: int) -> set[int]:
        """Active department staff of an organisation."""
        if org_id not in self._staff:
            self._staff[org_id] = set(
                Membership.objects.filter(
                    role=Role.DEPARTMENT_STAFF, organisation_id=org_id, active=True, person__is_active=True
                ).values_list("person_id", flat=True)
            )
        return self._staff[org_id]

    def holders(self, role: str, node_id: int) -> set[int]:
        key = (role, node_id)
        if key not in self._holders:
            self._holders[key] = set(
                Membership.objects.filter(
                    role=role, node_id=node_id, active=True, person__is_active=True
                ).values_list("person_id", flat=True)
            )
        return self._holders[key]

    def centre_orgs(self, node_id: int) -> set[int]:
        """Command-centre organisations seated at a node: their channels speak for the node."""
        if node_id not in self._centre_orgs:
            self._centre_orgs[node_id] = set(
                Organisation.objects.filter(kind=OrgKind.COMMAND_CENTRE, jurisdiction_id=node_id).values_list(
                    "pk", flat=True
                )
            )
        return self._centre_orgs[node_id]

    def node(self, node_id: int | None) -> Jurisdiction | None:
        if not node_id:
            return None
        if node_id not in self._nodes:
            self._nodes[node_id] = Jurisdiction.objects.filter(pk=node_id).first()
        return self._nodes[node_id]

    def org_name(self, org_id: Any) -> str:
        if not isinstance(org_id, int):
            return ""
        if org_id not in self._org_names:
            self._org_names[org_id] = (
                Organisation.objects.filter(pk=org_id).values_list("name", flat=True).first() or ""
            )
        return self._org_names[org_id]


@dataclass
class Subject:
    """One event with what it is about, as the resolvers and messages see it."""

    event: Event
    case: Case | None
    whistle: Whistle | None
    directory: Directory

    @property
    def after(self) -> dict:
        return self.event.after or {}


# --- building blocks --------------------------------------------------------------------------


def org_audience(d: Directory, org_ids: Iterable[Any]) -> Audience:
    ids = {i for i in org_ids if isinstance(i, int)}
    people: set[int] = set()
    for org_id in ids:
        people |= d.staff(org_id)
    return Audience(people, ids)


def centre_audience(d: Directory, node_id: Any) -> Audience:
    """The people holding the command post of a node (and the node's command-centre channels)."""
    node = d.node(node_id if isinstance(node_id, int) else None)
    if node is None or node.kind not in CENTRE_ROLE:
        return Audience()
    return Audience(set(d.holders(CENTRE_ROLE[node.kind], node.pk)), set(d.centre_orgs(node.pk)))


def _dispatcher(s: Subject) -> Audience:
    """The centre that dispatched the case, or the case's street when none has yet."""
    c = s.case
    if c is None:
        return Audience()
    found = centre_audience(s.directory, c.dispatcher_node_id)
    return found if found.people or found.orgs else centre_audience(s.directory, c.street_id)


def _arbitrator(s: Subject) -> Audience:
    """The level above the dispatcher (as ``case_arbitrate`` decides): a district, or the city."""
    c = s.case
    if c is None:
        return Audience()
    node = s.directory.node(c.dispatcher_node_id)
    if node is not None and node.kind in (Kind.DISTRICT, Kind.CITY):
        return centre_audience(s.directory, c.city_id)
    return centre_audience(s.directory, c.district_id)


def _lead(s: Subject) -> Audience:
    return org_audience(s.directory, [s.case.lead_org_id] if s.case is not None else [])


def _checkers(s: Subject) -> Audience:
    c = s.case
    if c is None:
        return Audience()
    grid = set(s.directory.holders(Role.GRID_WORKER, c.grid_id)) if c.grid_id else set()
    return Audience(grid) | centre_audience(s.directory, c.community_id)


STAGE_OWNER: dict[str, Callable[[Subject], Audience]] = {
    "accept": _lead,
    "handle": _lead,
    "verify": _checkers,
    "check": _checkers,
    "dispatch": _dispatcher,
    "arbitrate": _arbitrator,
}


def stage_owner(s: Subject, stage: str | None = None) -> Audience:
    stage = stage or s.after.get("stage") or (s.case.stage if s.case is not None else "")
    owner = STAGE_OWNER.get(stage)
    found = owner(s) if owner else Audience()
    return found if found.people or found.orgs else _dispatcher(s)


# --- resolvers, one per verb ------------------------------------------------------------------


def dispatched(s: Subject) -> Audience:
    a = s.after
    return org_audience(s.directory, [a.get("lead_org_id"), *a.get("assisting", []), *a.get("notify", [])])


def _to_arbitration(s: Subject) -> bool:
    return s.after.get("status") == "arbitration"


def returned(s: Subject) -> Audience:
    return _arbitrator(s) if _to_arbitration(s) else _dispatcher(s)


def warned(s: Subject) -> Audience:
    return stage_owner(s)


def escalated(s: Subject) -> Audience:
    return centre_audience(s.directory, s.after.get("escalated_to_id"))


def rated(s: Subject) -> Audience:
    street = centre_audience(s.directory, s.case.street_id) if s.case is not None else Audience()
    return _lead(s) | street


def lead_or_stage_owner(s: Subject) -> Audience:
    return _lead(s) if s.case is not None and s.case.lead_org_id else stage_owner(s)


def summoned_org(s: Subject) -> Audience:
    return org_audience(s.directory, [s.after.get("organisation_id")])


def summons_overdue(s: Subject) -> Audience:
    summons = WhistleSummons.objects.filter(pk=s.after.get("summons_id")).only("summoned_by_id").first()
    street = centre_audience(s.directory, summons.summoned_by_id) if summons else Audience()
    return summoned_org(s) | street


def joined(s: Subject) -> Audience:
    return centre_audience(s.directory, s.after.get("street_id"))


def whistle_done(s: Subject) -> Audience:
    if s.whistle is None:
        return Audience()
    orgs = WhistleSummons.objects.filter(whistle_id=s.whistle.pk).values_list("organisation_id", flat=True)
    return org_audience(s.directory, list(orgs))


@dataclass(frozen=True)
class Rule:
    resolve: Callable[[Subject], Audience]
    title: Promise
    body: Promise
    # Another message for some events of the verb: (when, title, body).
    otherwise: tuple[Callable[[Subject], bool], Promise, Promise] | None = None


RULES: dict[str, Rule] = {
    "case.dispatch": Rule(
        dispatched,
        _("Case %(case)s dispatched to you"),
        _(
            "Case %(case)s (%(category)s) has been dispatched to your organisation. "
            "Accept it, or return it with a reason."
        ),
    ),
    "case.return": Rule(
        returned,
        _("Case %(case)s returned"),
        _("%(returned_by)s returned case %(case)s (%(category)s). Dispatch it again."),
        (
            _to_arbitration,
            _("Case %(case)s needs arbitration"),
            _("Case %(case)s (%(category)s) has been returned twice. Decide which organisation owns it."),
        ),
    ),
    "case.refer": Rule(
        _dispatcher,
        _("Case %(case)s passed to the street"),
        _(
            "%(referred_by)s could not solve case %(case)s (%(category)s) and passed it to the street. "
            "Dispatch it or blow the whistle."
        ),
    ),
    "case.arbitrate": Rule(
        dispatched,
        _("Case %(case)s assigned by arbitration"),
        _("Case %(case)s (%(category)s) has been arbitrated: %(lead)s leads it and may not return it again."),
    ),
    "case.warned": Rule(
        warned,
        _("Case %(case)s: deadline warning"),
        _("Case %(case)s (%(category)s), stage %(stage)s: %(warn_level)s."),
    ),
    "case.escalated": Rule(
        escalated,
        _("Case %(case)s escalated to you"),
        _("Case %(case)s (%(category)s) is overdue and has been escalated to your %(level)s."),
    ),
    "case.rate": Rule(
        rated,
        _("Case %(case)s rated"),
        _("The reporter rated case %(case)s (%(category)s): %(satisfaction)s."),
    ),
    "case.supervised": Rule(
        lead_or_stage_owner,
        _("Case %(case)s is under supervision"),
        _("A command centre put case %(case)s (%(category)s) under supervision."),
    ),
    "case.chased": Rule(
        lead_or_stage_owner,
        _("Case %(case)s: reminder"),
        _("A command centre chased case %(case)s (%(category)s). Please act on it."),
    ),
    "whistle.summoned": Rule(
        summoned_org,
        _("Whistle %(whistle)s: your organisation is summoned"),
        _("Report to whistle %(whistle)s: acknowledge by %(acknowledge_due)s, be on site by %(onsite_due)s."),
    ),
    "whistle.summons_overdue": Rule(
        summons_overdue,
        _("Whistle %(whistle)s: report overdue"),
        _("%(organisation)s has missed the %(stage)s deadline of whistle %(whistle)s."),
    ),
    "whistle.joined": Rule(
        joined,
        _("Whistle %(whistle)s: your street joined"),
        _("Your street is now a party to the joint whistle %(whistle)s."),
    ),
    "whistle.rated": Rule(
        summoned_org,
        _("Whistle %(whistle)s: your work was rated"),
        _("The summoning street rated your organisation's work on whistle %(whistle)s."),
    ),
    "whistle.done": Rule(
        whistle_done,
        _("Whistle %(whistle)s is done"),
        _(
            "The street confirmed that the matter of whistle %(whistle)s is solved; "
            "your organisation is released."
        ),
    ),
}


# --- messages ---------------------------------------------------------------------------------


class _Params(dict):
    """Message parameters; a missing one shows as a dash rather than breaking the message."""

    def __missing__(self, key: str) -> str:
        return "—"


def _when(value: Any) -> str:
    try:
        at = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return "—"
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(at) else str(at)


def _params(s: Subject) -> _Params:
    a, d = s.after, s.directory
    p = _Params()
    if s.case is not None:
        p["case"] = s.case.number
        p["category"] = s.case.category.name
    if s.whistle is not None:
        p["whistle"] = s.whistle.number
    if a.get("stage"):
        p["stage"] = a["stage"]
    if a.get("warn_level") in WarnLevel.values:
        p["warn_level"] = WarnLevel(a["warn_level"]).label
    if a.get("level") in Kind.values:
        p["level"] = Kind(a["level"]).label
    if a.get("satisfaction") in Satisfaction.values:
        p["satisfaction"] = Satisfaction(a["satisfaction"]).label
    for key in ("acknowledge_due", "onsite_due"):
        if a.get(key):
            p[key] = _when(a[key])
    names = {
        "returned_by": "returned_by",
        "referred_by": "referred_by",
        "lead": "lead_org_id",
        "organisation": "organisation_id",
    }
    for key, source in names.items():
        if d.org_name(a.get(source)):
            p[key] = d.org_name(a.get(source))
    return p


def message(rule: Rule, s: Subject) -> tuple[str, str]:
    """The title and body of ``s`` in the active language."""
    title, body = rule.title, rule.body
    if rule.otherwise is not None and rule.otherwise[0](s):
        title, body = rule.otherwise[1], rule.otherwise[2]
    p = _params(s)
    return (str(title) % p)[:200], str(body) % p
