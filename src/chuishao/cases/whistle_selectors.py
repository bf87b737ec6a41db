"""Reading whistles: what an actor may see, the rules of who may act on a whistle in which state (the
services in ``cases.services.whistle`` enforce them, pages ask them through
``whistle_allowed_actions``), the report board of one whistle and a department's inbox of summonses.

A node-scoped role sees the whistles its street or district is party to (a community or grid: those
on its cases; a city: all of its city's); department staff see the whistles their organisation is
summoned to; residents see none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case as Switch
from django.db.models import Exists, F, OuterRef, Q, QuerySet, When
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import SystemActor
from chuishao.cases.errors import CaseConflict, CaseError, CaseInvalid, CaseNotFound, CasePermissionDenied
from chuishao.cases.models import (
    AssignmentRole,
    Case,
    SummonsState,
    Whistle,
    WhistleParty,
    WhistleRating,
    WhistleStatus,
    WhistleSummons,
)
from chuishao.cases.selectors import dispatchable_q, is_dispatchable
from chuishao.geo.models import Jurisdiction, Kind
from chuishao.orgs.models import Organisation, Role
from chuishao.orgs.scopes import grants_of

CaseLink = Whistle.cases.through
ON_SITE_ROLES = frozenset({AssignmentRole.LEAD, AssignmentRole.ASSIST})


def whistle_scope_q(actor: Any) -> Q | None:
    """A filter on ``Whistle`` matching exactly the whistles the actor may see; None means nothing."""
    if isinstance(actor, SystemActor):
        return Q()
    parts: list[Q] = []
    for g in grants_of(actor):
        if g.role == Role.RESIDENT:
            continue
        if g.role == Role.DEPARTMENT_STAFF:
            if g.organisation_id:
                summoned = WhistleSummons.objects.filter(
                    whistle_id=OuterRef("pk"), organisation_id=g.organisation_id
                )
                parts.append(Q(Exists(summoned)))
        elif g.node_id is None:
            continue
        elif g.node_kind == "city":
            parts.append(Q(city_id=g.node_id))
        elif g.node_kind in ("district", "street"):
            party = WhistleParty.objects.filter(whistle_id=OuterRef("pk"), **{f"{g.node_kind}_id": g.node_id})
            parts.append(Q(Exists(party)))
        elif g.node_kind in ("community", "grid"):
            on_case = CaseLink.objects.filter(
                whistle_id=OuterRef("pk"), **{f"case__{g.node_kind}_id": g.node_id}
            )
            parts.append(Q(Exists(on_case)))
    if not parts:
        return None
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return q


def whistles_visible_to(actor: Any) -> QuerySet[Whistle]:
    q = whistle_scope_q(actor)
    if q is None:
        return Whistle.objects.none()
    return Whistle.objects.filter(q)


def whistle_visible(actor: Any, whistle: Whistle) -> bool:
    return whistles_visible_to(actor).filter(pk=whistle.pk).exists()


def whistle_get(*, actor: Any, pk: int) -> Whistle:
    whistle = whistles_visible_to(actor).select_related("street", "city").filter(pk=pk).first()
    if whistle is None:
        raise CaseNotFound(_("No whistle %(ref)s that you can see.") % {"ref": pk})
    return whistle


# --- the rules: who may act on a whistle, in which state (the services and pages both ask these) ---


def _dispatcher_street(actor: Any, streets: set[int]) -> int | None:
    for g in grants_of(actor):
        if g.role == Role.STREET_DISPATCHER and g.node_id in streets:
            return g.node_id
    return None


def _centre_above(actor: Any, whistle: Whistle, districts: set[int]) -> bool:
    return any(
        (g.role == Role.DISTRICT_CENTRE and g.node_id in districts)
        or (g.role == Role.CITY_CENTRE and g.node_id == whistle.city_id)
        for g in grants_of(actor)
    )


def _initiator(parties: list[WhistleParty]) -> WhistleParty:
    return next(p for p in parties if p.initiator)


def _require_open(whistle: Whistle) -> None:
    if whistle.status != WhistleStatus.OPEN:
        raise CaseConflict(
            _("Whistle %(number)s is %(status)s, so nothing more can be done on it.")
            % {"number": whistle.number, "status": whistle.get_status_display()}
        )


def check_summon(*, actor: Any, whistle: Whistle, parties: list[WhistleParty]) -> int:
    """The party street summoning for the actor (a centre above a party summons for the initiator)."""
    if isinstance(actor, SystemActor):
        street_id: int | None = whistle.street_id
    else:
        street_id = _dispatcher_street(actor, {p.street_id for p in parties})
        if street_id is None and _centre_above(actor, whistle, {p.district_id for p in parties}):
            street_id = whistle.street_id
    if street_id is None:
        raise CasePermissionDenied(
            _("Only a dispatcher of a street party to whistle %(number)s, or a centre above, may summon.")
            % {"number": whistle.number}
        )
    _require_open(whistle)
    return street_id


def check_join(*, actor: Any, whistle: Whistle, parties: list[WhistleParty]) -> None:
    if (
        not isinstance(actor, SystemActor)
        and _dispatcher_street(actor, {p.street_id for p in parties}) is None
    ):
        raise CasePermissionDenied(
            _("Only the dispatcher of a street party to whistle %(number)s may bring in another street.")
            % {"number": whistle.number}
        )
    _require_open(whistle)


def _check_initiator(actor: Any, whistle: Whistle, parties: list[WhistleParty], what: str) -> None:
    if isinstance(actor, SystemActor):
        return
    first = _initiator(parties)
    if _dispatcher_street(actor, {first.street_id}) is None and not _centre_above(
        actor, whistle, {first.district_id}
    ):
        raise CasePermissionDenied(
            _("Only the street that blew whistle %(number)s, or a centre above it, may %(what)s it.")
            % {"number": whistle.number, "what": what}
        )


def check_confirm_done(
    *, actor: Any, whistle: Whistle, parties: list[WhistleParty], summonses: list[WhistleSummons]
) -> None:
    _check_initiator(actor, whistle, parties, _("confirm as done"))
    _require_open(whistle)
    missing = [s for s in summonses if s.role in ON_SITE_ROLES and s.onsite_at is None]
    if missing:
        raise CaseConflict(
            _("Whistle %(number)s is not done until everyone summoned is on site; still missing: %(orgs)s.")
            % {"number": whistle.number, "orgs": "、".join(s.organisation.name for s in missing)}
        )


def check_cancel(*, actor: Any, whistle: Whistle, parties: list[WhistleParty]) -> None:
    _check_initiator(actor, whistle, parties, _("cancel"))
    _require_open(whistle)


def _check_staff(actor: Any, summons: WhistleSummons) -> None:
    if isinstance(actor, SystemActor):
        return
    if not any(
        g.role == Role.DEPARTMENT_STAFF and g.organisation_id == summons.organisation_id
        for g in grants_of(actor)
    ):
        raise CasePermissionDenied(
            _("Only the staff of %(org)s may report for it.") % {"org": summons.organisation.name}
        )


def _summons_conflict(summons: WhistleSummons, action: str) -> CaseConflict:
    return CaseConflict(
        _("%(org)s is %(state)s on this whistle, so it cannot %(action)s now; reload to see what changed.")
        % {"org": summons.organisation.name, "state": summons.get_state_display(), "action": action}
    )


def check_acknowledge(*, actor: Any, summons: WhistleSummons) -> None:
    _check_staff(actor, summons)
    if summons.state != SummonsState.SUMMONED:
        raise _summons_conflict(summons, _("acknowledge"))


def check_check_in(*, actor: Any, summons: WhistleSummons) -> None:
    _check_staff(actor, summons)
    if summons.role not in ON_SITE_ROLES:
        raise CaseInvalid(
            _("%(org)s is only notified of this whistle (知会): it does not come on site.")
            % {"org": summons.organisation.name}
        )
    if summons.state not in (SummonsState.SUMMONED, SummonsState.ACKNOWLEDGED):
        raise _summons_conflict(summons, _("check in"))


def check_record_action(*, actor: Any, summons: WhistleSummons) -> None:
    _check_staff(actor, summons)
    if summons.state not in (SummonsState.ON_SITE, SummonsState.ACTED):
        raise _summons_conflict(summons, _("record what it did (check in on site first)"))


def check_rate(*, actor: Any, whistle: Whistle, summons: WhistleSummons) -> None:
    if not isinstance(actor, SystemActor) and _dispatcher_street(actor, {summons.summoned_by_id}) is None:
        raise CasePermissionDenied(
            _("Only the street that summoned %(org)s may rate it.") % {"org": summons.organisation.name}
        )
    if summons.role not in ON_SITE_ROLES:
        raise CaseInvalid(
            _("%(org)s was only notified (知会), so it is not rated.") % {"org": summons.organisation.name}
        )
    if whistle.status != WhistleStatus.DONE:
        raise CaseConflict(
            _("Whistle %(number)s is %(status)s: departments are rated once the matter is done.")
            % {"number": whistle.number, "status": whistle.get_status_display()}
        )
    if summons_rating(summons) is not None:
        raise CaseConflict(_("%(org)s has already been rated.") % {"org": summons.organisation.name})


def check_blow(*, actor: Any, cases: list[Case]) -> int:
    """The street that blows: the dispatcher's own, or the street of the whistling community."""
    streets = {c.street_id for c in cases}
    if None in streets:
        raise CaseInvalid(_("A case outside every grid has no street to whistle; locate it first."))
    if isinstance(actor, SystemActor) and len(streets) == 1:
        return cases[0].street_id
    communities = {c.community_id for c in cases}
    for g in grants_of(actor):
        if (g.role == Role.STREET_DISPATCHER and streets == {g.node_id}) or (
            g.role == Role.COMMUNITY_STAFF and communities == {g.node_id}
        ):
            return cases[0].street_id
    raise CasePermissionDenied(
        _("Only the dispatcher of the street of every case, or the staff of their community, may whistle.")
    )


def check_summonable(
    *, organisation: Any, role: str, whistle: Whistle, parties: list[WhistleParty]
) -> Organisation:
    """An organisation that handles cases, of the whistle's city, at city level or of a party district."""
    if role not in AssignmentRole.values:
        raise CaseInvalid(_("Unknown role %(role)s: lead, assist or notify.") % {"role": role})
    pk = organisation.pk if isinstance(organisation, Organisation) else organisation
    found = (
        Organisation.objects.select_related("jurisdiction").filter(pk=int(pk)).first()
        if str(pk).isdigit()
        else None
    )
    if found is None:
        raise CaseInvalid(_("Unknown organisation %(ref)s.") % {"ref": pk})
    organisation, node = found, found.jurisdiction
    if (node.city_id or node.pk) != whistle.city_id:
        raise CaseInvalid(_("%(org)s does not serve this city.") % {"org": organisation.name})
    if not is_dispatchable(organisation):
        raise CaseInvalid(
            _("%(org)s does not handle cases, so it cannot be summoned.") % {"org": organisation.name}
        )
    district_id = node.pk if node.kind == Kind.DISTRICT else node.district_id
    if node.kind != Kind.CITY and district_id not in {p.district_id for p in parties}:
        raise CaseInvalid(
            _("%(org)s serves a district that is not party to this whistle; bring its street in first.")
            % {"org": organisation.name}
        )
    return organisation


def summonable_organisations(city_id: int, district_ids: set[int]) -> list[Organisation]:
    """The query form of ``check_summonable`` (for pages that list choices): organisations that handle
    cases, at city level or serving one of the party districts (the district itself or a street in it)."""
    serving = Q(jurisdiction_id=city_id) | Q(jurisdiction_id__in=district_ids)
    serving |= Q(jurisdiction__district_id__in=district_ids)
    rows = Organisation.objects.filter(dispatchable_q(), serving)
    return list(rows.select_related("jurisdiction").order_by("jurisdiction__code", "code"))


def streets_across(*, city_id: int, cases: list[Case]) -> list[Jurisdiction]:
    """Streets within the boundary distance of a boundary case (a district alone names no street)."""
    codes = [code for c in cases if c.boundary_case for code in (c.nearby_jurisdictions or [])]
    kinds = (Kind.GRID, Kind.COMMUNITY, Kind.STREET)
    nodes = Jurisdiction.objects.filter(code__in=codes, city_id=city_id, kind__in=kinds)
    ids = {n.pk if n.kind == Kind.STREET else n.street_id for n in nodes} - {None}
    return list(Jurisdiction.objects.filter(pk__in=ids).order_by("code"))


def _verdict(done_at: dt.datetime | None, due: dt.datetime, now: dt.datetime, released_at: Any) -> str:
    """on_time / late once done; overdue when past due undone; pending before; n/a if released first."""
    if done_at is not None:
        return "on_time" if done_at <= due else "late"
    until = min(now, released_at) if released_at is not None else now
    if until > due:
        return "overdue"
    return "n/a" if released_at is not None else "pending"


def whistle_board(*, whistle: Whistle, now: dt.datetime | None = None) -> list[dict]:
    """One row per summoned organisation: how it reported against each deadline, and its rating."""
    now = now or clock.now()
    rows = []
    summonses = (
        WhistleSummons.objects.filter(whistle_id=whistle.pk)
        .select_related("organisation", "summoned_by", "rating")
        .order_by("summoned_at", "pk")
    )
    for s in summonses:
        rating = summons_rating(s)
        rows.append(
            {
                "summons": s,
                "summons_id": s.pk,
                "organisation": s.organisation,
                "role": s.role,
                "state": s.state,
                "summoned_by": s.summoned_by,
                "acknowledge_due": s.acknowledge_due,
                "onsite_due": s.onsite_due,
                "acknowledge": _verdict(s.acknowledged_at, s.acknowledge_due, now, s.released_at),
                "onsite": "n/a"
                if s.role == AssignmentRole.NOTIFY
                else _verdict(s.onsite_at, s.onsite_due, now, s.released_at),
                "distance_m": s.onsite_distance_m,
                "action_note": s.action_note,
                "rating": rating,
                "score": rating.score if rating is not None else None,
            }
        )
    return rows


def summons_rating(summons: WhistleSummons) -> WhistleRating | None:
    """The summons' rating, or None (no query when ``rating`` was select_related)."""
    try:
        return summons.rating
    except WhistleRating.DoesNotExist:
        return None


def summons_inbox(*, actor: Any) -> QuerySet[WhistleSummons]:
    """The open summonses of the actor's organisations, the one whose next deadline comes first on top."""
    orgs = [
        g.organisation_id for g in grants_of(actor) if g.role == Role.DEPARTMENT_STAFF and g.organisation_id
    ]
    if not orgs:
        return WhistleSummons.objects.none()
    next_due = Switch(
        When(state=SummonsState.SUMMONED, then=F("acknowledge_due")),
        When(
            state=SummonsState.ACKNOWLEDGED,
            role__in=[AssignmentRole.LEAD, AssignmentRole.ASSIST],
            then=F("onsite_due"),
        ),
        default=None,
    )
    return (
        WhistleSummons.objects.filter(organisation_id__in=orgs)
        .exclude(state=SummonsState.RELEASED)
        .annotate(next_due=next_due)
        .select_related("whistle", "organisation", "summoned_by")
        .order_by(F("next_due").asc(nulls_last=True), "summoned_at", "pk")
    )


def _passes(check: Any, **kwargs: Any) -> bool:
    try:
        check(**kwargs)
    except CaseError:
        return False
    return True


def whistle_allowed_actions(*, actor: Any, whistle: Whistle) -> dict:
    """Which buttons a page may show, answered by the same checks the services run.

    ``{"summon", "join", "confirm_done", "cancel": bool, "summonses": {id: {"acknowledge",
    "check_in", "record_action", "rate": bool}}}``
    """
    none = {"summon": False, "join": False, "confirm_done": False, "cancel": False, "summonses": {}}
    if not whistle_visible(actor, whistle):
        return none
    parties = list(whistle.parties.order_by("-initiator", "pk"))
    summonses = list(
        WhistleSummons.objects.filter(whistle_id=whistle.pk)
        .select_related("organisation", "rating")
        .order_by("pk")
    )
    on_whistle = {"actor": actor, "whistle": whistle, "parties": parties}
    return {
        "summon": _passes(check_summon, **on_whistle),
        "join": _passes(check_join, **on_whistle),
        "confirm_done": _passes(check_confirm_done, summonses=summonses, **on_whistle),
        "cancel": _passes(check_cancel, **on_whistle),
        "summonses": {
            s.pk: {
                "acknowledge": _passes(check_acknowledge, actor=actor, summons=s),
                "check_in": _passes(check_check_in, actor=actor, summons=s),
                "record_action": _passes(check_record_action, actor=actor, summons=s),
                "rate": _passes(check_rate, actor=actor, whistle=whistle, summons=s),
            }
            for s in summonses
        },
    }
