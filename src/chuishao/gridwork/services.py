"""Every write of grid work: each checks who acts, runs in one transaction and appends one event on the
community's chain (``gridwork:<community id>``).

A grid worker starts a patrol of their grids, sends the points they pass (points routed into their own
grids add those grids to the patrol), reports cases on the way (linked to the patrol) and records
household and unit visits, then ends the patrol; community staff and the levels above set up the
responsibility grids (beats) of their communities. Events never carry the personal data of a visit.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import actor_user_id
from chuishao.cases.models import Case, Source
from chuishao.cases.scopes import actor_can_see_case
from chuishao.events.models import Event
from chuishao.events.services import event_append
from chuishao.geo.models import Jurisdiction
from chuishao.geo.routing import routing_index
from chuishao.gridwork.errors import GridworkConflict, GridworkDenied, GridworkInvalid, GridworkNotFound
from chuishao.gridwork.models import (
    GridworkPolicy,
    Patrol,
    PatrolCase,
    PatrolGrid,
    ResponsibilityGrid,
    Visit,
    VisitKind,
)
from chuishao.gridwork.scopes import BEAT_ROLES, worker_grid_ids
from chuishao.orgs.models import Membership, Organisation, OrgKind, Role
from chuishao.orgs.scopes import holds_role_over
from chuishao.validation import clean_text

PHONE = re.compile(r"^\+?[0-9][0-9\- ]{4,18}[0-9]$")
# Points one call may send, and points one patrol may hold.
MAX_POINTS_PER_CALL = 500
MAX_TRACK_POINTS = 20_000
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=5)
# A visit may be recorded afterwards, up to this long after it happened.
VISIT_BACKDATE = dt.timedelta(days=7)
MAX_PATROL = dt.timedelta(hours=24)
EARTH_RADIUS_M = 6_371_008.8


def _event(verb: str, *, actor: Any, community: Jurisdiction, after: dict, reason: str = "") -> None:
    event_append(
        verb=verb,
        actor=actor,
        chain=f"gridwork:{community.pk}",
        city_id=community.city_id or community.pk,
        after=after,
        reason=reason,
    )


def _person(actor: Any) -> int:
    pk = actor_user_id(actor)
    if pk is None or not getattr(actor, "is_authenticated", False):
        raise GridworkDenied(_("Sign in first."))
    return pk


def _text(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    return clean_text(value, what, limit, error=GridworkInvalid, required=required)


def _node(value: Jurisdiction | int | str, kind: str) -> Jurisdiction:
    if isinstance(value, Jurisdiction):
        node = value
    else:
        field = "pk" if isinstance(value, int) else "code"
        node = Jurisdiction.objects.filter(**{field: value}).first()
    if node is None or node.kind != kind:
        ref = getattr(value, "code", value)
        if kind == "grid":
            raise GridworkNotFound(_("No grid %(ref)s.") % {"ref": ref})
        raise GridworkNotFound(_("No community %(ref)s.") % {"ref": ref})
    return node


def stale_days_of(city_id: int | None) -> int:
    """After how many days without a patrol a grid of the city is stale (the city's row, else 3)."""
    from chuishao.gridwork.models import DEFAULT_STALE_DAYS

    row = GridworkPolicy.objects.filter(city_id=city_id).values_list("stale_days", flat=True).first()
    return row if row else DEFAULT_STALE_DAYS


def open_patrol_of(person_id: int) -> Patrol | None:
    return (
        Patrol.objects.filter(worker_id=person_id, ended_at__isnull=True).select_related("community").first()
    )


# ------------------------------------------------------------------------------------------- patrols


def _own_grids(actor: Any) -> list[Jurisdiction]:
    ids = worker_grid_ids(actor)
    if not ids:
        raise GridworkDenied(_("Only the worker of a grid may patrol it."))
    return list(Jurisdiction.objects.filter(pk__in=ids, kind="grid").order_by("code"))


@transaction.atomic
def patrol_start(
    *, actor: Any, grids: Iterable[Jurisdiction | int | str] | None = None, note: str = ""
) -> Patrol:
    """Start a patrol of the worker's grids (all of them in one community by default)."""
    person_id = _person(actor)
    own = _own_grids(actor)
    by_id = {g.pk: g for g in own}
    if grids is None:
        community_id = own[0].community_id
        chosen = [g for g in own if g.community_id == community_id]
    else:
        chosen = []
        for value in grids:
            grid = _node(value, "grid")
            if grid.pk not in by_id:
                raise GridworkDenied(_("%(grid)s is not one of your grids.") % {"grid": grid.name})
            if grid not in chosen:
                chosen.append(grid)
        if not chosen:
            raise GridworkInvalid(_("Choose at least one grid to patrol."))
        if len({g.community_id for g in chosen}) > 1:
            raise GridworkInvalid(_("One patrol covers grids of one community; start one per community."))
    note = _text(note, _("note"), 500, required=False)
    if open_patrol_of(person_id) is not None:
        raise GridworkConflict(_("You are already on patrol: end that patrol first."))
    community = Jurisdiction.objects.get(pk=chosen[0].community_id)
    beat = (
        ResponsibilityGrid.objects.filter(worker_id=person_id, active=True, community=community)
        .order_by("code")
        .first()
    )
    now = clock.now()
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(
                worker_id=person_id,
                city_id=community.city_id,
                community=community,
                beat=beat,
                started_at=now,
                note=note,
            )
    except IntegrityError as exc:  # two starts at the same moment: the constraint keeps one
        raise GridworkConflict(_("You are already on patrol: end that patrol first.")) from exc
    PatrolGrid.objects.bulk_create([PatrolGrid(patrol=patrol, grid=g) for g in chosen])
    _event(
        "gridwork.patrol_started",
        actor=actor,
        community=community,
        after={"patrol": patrol.pk, "grids": [g.code for g in chosen], "beat": beat.code if beat else None},
    )
    return patrol


def _locked_open(actor: Any, patrol: Patrol | int | None) -> Patrol:
    """The actor's open patrol (or ``patrol``, which must be theirs and open), locked."""
    person_id = _person(actor)
    if patrol is None:
        row = Patrol.objects.select_for_update().filter(worker_id=person_id, ended_at__isnull=True).first()
        if row is None:
            raise GridworkNotFound(_("You have no open patrol: start one first."))
        return row
    pk = patrol.pk if isinstance(patrol, Patrol) else patrol
    row = Patrol.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise GridworkNotFound(_("No such patrol."))
    if row.worker_id != person_id:
        raise GridworkDenied(_("This patrol is another worker's."))
    if row.ended_at is not None:
        raise GridworkConflict(_("This patrol has already ended."))
    return row


def _when(value: Any, what: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        at = value
    elif isinstance(value, str) and value.strip():
        try:
            at = parse_datetime(value.strip())
        except ValueError:
            at = None
        if at is None:
            raise GridworkInvalid(
                _("The %(what)s %(value)s is not a date and time.") % {"what": what, "value": value[:40]}
            )
    else:
        raise GridworkInvalid(_("The %(what)s is missing.") % {"what": what})
    if timezone.is_naive(at):
        at = timezone.make_aware(at, timezone.get_current_timezone())
    return at


def _coordinate(value: Any, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise GridworkInvalid(_("The coordinate %(v)s is not a number.") % {"v": str(value)[:30]}) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise GridworkInvalid(_("The coordinate %(v)s is out of range.") % {"v": str(value)[:30]})
    return round(number, 7)


def _clean_points(points: Any, started_at: dt.datetime, now: dt.datetime) -> list[dict]:
    if not isinstance(points, list | tuple) or not points:
        raise GridworkInvalid(_("Send at least one track point."))
    if len(points) > MAX_POINTS_PER_CALL:
        raise GridworkInvalid(_("Send at most %(n)s points at a time.") % {"n": MAX_POINTS_PER_CALL})
    clean = []
    for point in points:
        if not isinstance(point, dict):
            raise GridworkInvalid(_("A track point needs lat, lng and at."))
        lat = _coordinate(point.get("lat"), -90, 90)
        lng = _coordinate(point.get("lng"), -180, 180)
        at = _when(point.get("at"), _("time of a track point")) if point.get("at") else now
        if at < started_at - CLOCK_SKEW or at > now + CLOCK_SKEW:
            raise GridworkInvalid(_("A track point's time lies outside the patrol."))
        clean.append({"lat": lat, "lng": lng, "at": at.isoformat()})
    return clean


def _add_grids(patrol: Patrol, grid_ids: Iterable[int], allowed: set[int]) -> list[int]:
    have = set(PatrolGrid.objects.filter(patrol=patrol).values_list("grid_id", flat=True))
    new = sorted({g for g in grid_ids if g in allowed and g not in have})
    PatrolGrid.objects.bulk_create([PatrolGrid(patrol=patrol, grid_id=g) for g in new])
    return new


@transaction.atomic
def patrol_track(*, actor: Any, points: Any, patrol: Patrol | int | None = None) -> Patrol:
    """Add track points ({lat, lng, at}) to the open patrol; points inside the worker's own grids
    (routed by ``chuishao.geo``) add those grids to what the patrol covered."""
    row = _locked_open(actor, patrol)
    clean = _clean_points(points, row.started_at, clock.now())
    if len(row.track) + len(clean) > MAX_TRACK_POINTS:
        raise GridworkInvalid(
            _("This patrol holds %(n)s points already: end it and start another.") % {"n": len(row.track)}
        )
    index = routing_index()
    routed = [index.route(p["lat"], p["lng"]).grid_id for p in clean]
    added = _add_grids(row, [g for g in routed if g is not None], worker_grid_ids(actor))
    row.track = [*row.track, *clean]
    row.save(update_fields=["track"])
    codes = dict(Jurisdiction.objects.filter(pk__in=added).values_list("pk", "code"))
    _event(
        "gridwork.patrol_tracked",
        actor=actor,
        community=row.community,
        after={"patrol": row.pk, "points": len(clean), "grids_added": [codes[g] for g in added]},
    )
    return row


def track_distance_m(track: list[dict]) -> float:
    """Metres along the track in time order (great-circle between consecutive points)."""
    points = sorted(track, key=lambda p: p.get("at") or "")
    total = 0.0
    for a, b in zip(points, points[1:], strict=False):
        lat1, lat2 = math.radians(a["lat"]), math.radians(b["lat"])
        dlat, dlng = lat2 - lat1, math.radians(b["lng"] - a["lng"])
        h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
        total += 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
    return round(total, 1)


def _reported_by(person_id: int, case_ids: Iterable[int]) -> set[int]:
    return set(
        Event.objects.filter(
            verb="case.reported", actor_id=person_id, case_id__in=list(case_ids)
        ).values_list("case_id", flat=True)
    )


def _link(patrol: Patrol, case_ids: Iterable[int], allowed: set[int], at: dt.datetime) -> list[int]:
    ids = set(case_ids) - set(
        PatrolCase.objects.filter(case_id__in=list(case_ids)).values_list("case_id", flat=True)
    )
    if not ids:
        return []
    PatrolCase.objects.bulk_create([PatrolCase(patrol=patrol, case_id=c, linked_at=at) for c in sorted(ids)])
    grids = Case.objects.filter(pk__in=ids).exclude(grid=None).values_list("grid_id", flat=True)
    _add_grids(patrol, grids, allowed)
    return sorted(ids)


@transaction.atomic
def patrol_end(*, actor: Any, patrol: Patrol | int | None = None, at: Any = None, note: str = "") -> Patrol:
    """End the open patrol (now, or at the time given): the distance is computed from the track and
    the cases the worker reported on patrol since it started are linked to it."""
    row = _locked_open(actor, patrol)
    now = clock.now()
    ended = now if at in (None, "") else _when(at, _("end of the patrol"))
    if ended <= row.started_at:
        raise GridworkInvalid(_("A patrol cannot end before it started."))
    if ended > now + CLOCK_SKEW:
        raise GridworkInvalid(_("A patrol cannot end in the future."))
    note = _text(note, _("note"), 500, required=False)
    row.ended_at = min(ended, row.started_at + MAX_PATROL)
    row.distance_m = track_distance_m(row.track)
    if note:
        row.note = f"{row.note}\n{note}".strip()
    row.save(update_fields=["ended_at", "distance_m", "note"])
    # Reports made on patrol through any channel (the web links at once; the API, or a lost link, here).
    candidates = Case.objects.filter(
        city_id=row.city_id,
        source=Source.GRID_PATROL,
        created_at__gte=row.started_at,
        created_at__lte=row.ended_at,
    ).values_list("pk", flat=True)
    linked = _link(row, _reported_by(row.worker_id, candidates), worker_grid_ids(actor), now)
    _event(
        "gridwork.patrol_ended",
        actor=actor,
        community=row.community,
        after={
            "patrol": row.pk,
            "ended_at": row.ended_at.isoformat(),
            "distance_m": row.distance_m,
            "cases_linked": linked,
        },
    )
    return row


@transaction.atomic
def patrol_link_case(*, actor: Any, case: Case | int) -> PatrolCase | None:
    """Link a case the worker has just reported on patrol to their open patrol (None when they have
    no open patrol). Only the worker's own patrol reports can be linked."""
    person_id = _person(actor)
    pk = case.pk if isinstance(case, Case) else case
    row = Case.objects.filter(pk=pk).first()
    if row is None:
        raise GridworkNotFound(_("No such case."))
    if row.source != Source.GRID_PATROL or person_id not in _reporters(row.pk):
        raise GridworkDenied(_("Only a case you reported on patrol can be linked to your patrol."))
    patrol = Patrol.objects.select_for_update().filter(worker_id=person_id, ended_at__isnull=True).first()
    if patrol is None:
        return None
    existing = PatrolCase.objects.filter(case_id=row.pk).first()
    if existing is not None:
        return existing
    _link(patrol, [row.pk], worker_grid_ids(actor), clock.now())
    _event(
        "gridwork.patrol_case_linked",
        actor=actor,
        community=patrol.community,
        after={"patrol": patrol.pk, "case": row.number},
    )
    return PatrolCase.objects.get(case_id=row.pk)


def _reporters(case_id: int) -> set[int]:
    return set(Event.objects.filter(case_id=case_id, verb="case.reported").values_list("actor_id", flat=True))


# -------------------------------------------------------------------------------------------- visits


@transaction.atomic
def visit_record(
    *,
    actor: Any,
    grid: Jurisdiction | int | str,
    kind: str,
    discussed: str,
    household: str = "",
    person_name: str = "",
    person_phone: str = "",
    unit: Organisation | int | None = None,
    follow_up: bool = False,
    follow_up_note: str = "",
    visited_at: Any = None,
    case: Case | int | None = None,
) -> Visit:
    """Record a household or unit visit in one of the worker's grids (linked to the open patrol)."""
    person_id = _person(actor)
    node = _node(grid, "grid")
    if node.pk not in worker_grid_ids(actor):
        raise GridworkDenied(_("%(grid)s is not one of your grids.") % {"grid": node.name})
    if kind not in VisitKind.values:
        raise GridworkInvalid(_("Say whether it was a household or a unit visit."))
    household = _text(household, _("household"), 120, required=kind == VisitKind.HOUSEHOLD)
    person_name = _text(person_name, _("name"), 60, required=False)
    person_phone = (person_phone or "").strip()
    if person_phone and not PHONE.match(person_phone):
        raise GridworkInvalid(_("The phone number %(p)s is not valid.") % {"p": person_phone[:20]})
    unit_row = None
    if unit not in (None, ""):
        unit_pk = unit.pk if isinstance(unit, Organisation) else unit
        unit_row = Organisation.objects.filter(pk=unit_pk, kind=OrgKind.UNIT).first()
        if unit_row is None:
            raise GridworkInvalid(_("No such unit."))
    if kind == VisitKind.UNIT and unit_row is None:
        raise GridworkInvalid(_("Name the unit you visited."))
    discussed = _text(discussed, _("what was discussed"), 2000)
    follow_up_note = _text(follow_up_note, _("follow-up"), 1000, required=bool(follow_up))
    now = clock.now()
    when = now if visited_at in (None, "") else _when(visited_at, _("time of the visit"))
    if when > now + CLOCK_SKEW:
        raise GridworkInvalid(_("A visit cannot lie in the future."))
    if when < now - VISIT_BACKDATE:
        raise GridworkInvalid(_("Record a visit within a week of it."))
    case_row = None
    if case not in (None, ""):
        case_row = Case.objects.filter(pk=case.pk if isinstance(case, Case) else case).first()
        if case_row is None or not actor_can_see_case(actor, case_row):
            raise GridworkInvalid(_("No such case that you can see."))
    patrol = Patrol.objects.filter(worker_id=person_id, ended_at__isnull=True, started_at__lte=when).first()
    visit = Visit.objects.create(
        worker_id=person_id,
        patrol=patrol,
        city_id=node.city_id,
        grid=node,
        kind=kind,
        household=household,
        person_name=person_name,
        person_phone=person_phone,
        unit=unit_row,
        discussed=discussed,
        follow_up=bool(follow_up),
        follow_up_note=follow_up_note if follow_up else "",
        visited_at=when,
        case=case_row,
        created_at=now,
    )
    if patrol is not None:
        _add_grids(patrol, [node.pk], {node.pk})
    community = Jurisdiction.objects.get(pk=node.community_id)
    # No names, phones or words in the event: the audit chain is kept for ever.
    _event(
        "gridwork.visit_recorded",
        actor=actor,
        community=community,
        after={
            "visit": visit.pk,
            "grid": node.code,
            "kind": kind,
            "follow_up": visit.follow_up,
            "patrol": patrol.pk if patrol else None,
            "case": case_row.number if case_row else None,
        },
    )
    return visit


# --------------------------------------------------------------------------------------------- beats


def _worker(value: Any, community: Jurisdiction) -> Any:
    """The beat's worker: a grid worker of a grid of this community (a worker from elsewhere would read
    this community's visits)."""
    if value in (None, ""):
        return None
    user_model = get_user_model()
    person = value if isinstance(value, user_model) else user_model.objects.filter(pk=value).first()
    if person is None or not person.is_active:
        raise GridworkInvalid(_("No such person."))
    works_here = Membership.objects.filter(
        person=person, role=Role.GRID_WORKER, active=True, node__kind="grid", node__parent_id=community.pk
    )
    if not works_here.exists():
        raise GridworkInvalid(
            _("%(who)s is not a grid worker of %(community)s.")
            % {"who": person.get_username(), "community": community.name}
        )
    return person


def _require_beat_manager(actor: Any, community: Jurisdiction) -> None:
    if not holds_role_over(actor, community, BEAT_ROLES):
        raise GridworkDenied(
            _("Only the staff of %(node)s or the levels above may set up its beats.")
            % {"node": community.name}
        )


@transaction.atomic
def beat_save(
    *,
    actor: Any,
    community: Jurisdiction | int | str,
    code: str,
    name: str,
    grids: Iterable[Jurisdiction | int | str],
    worker: Any = None,
    active: bool = True,
) -> ResponsibilityGrid:
    """Create or change a responsibility grid: unit grids of one community, one worker (or none yet).
    A unit grid belongs to at most one active beat."""
    _person(actor)
    node = _node(community, "community")
    _require_beat_manager(actor, node)
    # Beats of one community are saved one at a time: "one active beat per grid" holds under concurrency.
    Jurisdiction.objects.select_for_update().filter(pk=node.pk).first()
    code = _text(code, _("code"), 40)
    name = _text(name, _("name"), 100)
    chosen = []
    for value in grids:
        grid = _node(value, "grid")
        if grid.community_id != node.pk:
            raise GridworkInvalid(
                _("%(grid)s lies outside %(community)s.") % {"grid": grid.name, "community": node.name}
            )
        if grid not in chosen:
            chosen.append(grid)
    if not chosen:
        raise GridworkInvalid(_("A beat needs at least one grid."))
    person = _worker(worker, node)
    beat = ResponsibilityGrid.objects.select_for_update().filter(code=code).first()
    if beat is not None and beat.community_id != node.pk:
        raise GridworkConflict(_("The code %(code)s is taken by another community's beat.") % {"code": code})
    if active:
        taken = (
            ResponsibilityGrid.grids.through.objects.filter(
                responsibilitygrid__active=True, jurisdiction_id__in=[g.pk for g in chosen]
            )
            .exclude(responsibilitygrid__code=code)
            .select_related("jurisdiction", "responsibilitygrid")
            .first()
        )
        if taken is not None:
            raise GridworkInvalid(
                _("%(grid)s is already in the beat %(beat)s.")
                % {"grid": taken.jurisdiction.name, "beat": taken.responsibilitygrid.name}
            )
    before = None
    if beat is None:
        beat = ResponsibilityGrid(code=code, city_id=node.city_id, community=node)
    else:
        before = {"worker": beat.worker_id, "active": beat.active, "name": beat.name}
    beat.name, beat.worker, beat.active = name, person, active
    beat.save()
    beat.grids.set(chosen)
    event_append(
        verb="gridwork.beat_saved",
        actor=actor,
        chain=f"gridwork:{node.pk}",
        city_id=node.city_id,
        before=before,
        after={
            "beat": beat.code,
            "grids": [g.code for g in chosen],
            "worker": person.pk if person else None,
            "active": active,
        },
    )
    return beat


@transaction.atomic
def beat_assign(*, actor: Any, beat: ResponsibilityGrid | int, worker: Any) -> ResponsibilityGrid:
    """Give a beat to a grid worker (or to nobody with ``worker=None``)."""
    _person(actor)
    pk = beat.pk if isinstance(beat, ResponsibilityGrid) else beat
    row = ResponsibilityGrid.objects.select_for_update().select_related("community").filter(pk=pk).first()
    if row is None:
        raise GridworkNotFound(_("No such beat."))
    _require_beat_manager(actor, row.community)
    person = _worker(worker, row.community)
    before = row.worker_id
    row.worker = person
    row.save(update_fields=["worker"])
    _event(
        "gridwork.beat_assigned",
        actor=actor,
        community=row.community,
        after={"beat": row.code, "worker": person.pk if person else None, "before": before},
    )
    return row


@transaction.atomic
def policy_set(*, actor: Any, city: Jurisdiction, stale_days: int) -> GridworkPolicy:
    """A city centre or administrator sets after how many days an unpatrolled grid is stale."""
    if city.kind != "city" or not holds_role_over(actor, city, frozenset({Role.CITY_CENTRE, Role.ADMIN})):
        raise GridworkDenied(_("Only the city centre or an administrator may change the city's rules."))
    if not isinstance(stale_days, int) or not 1 <= stale_days <= 60:
        raise GridworkInvalid(_("Stale after 1 to 60 days."))
    policy, _created = GridworkPolicy.objects.update_or_create(city=city, defaults={"stale_days": stale_days})
    event_append(
        verb="gridwork.policy_set",
        actor=actor,
        chain=f"gridwork:{city.pk}",
        city_id=city.pk,
        after={"stale_days": stale_days},
    )
    return policy
