"""Every write of dual reporting: each checks who acts and appends an event on the community's chain.

"Residents order, the community issues, members take it" (居民点单、社区下单、党员接单): a resident's
small wish or a community's need becomes tasks; registered members claim them up to a capacity,
check in and out, and the organiser confirms the hours, which earn points by the city's rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from chuishao import clock
from chuishao.actors import actor_user_id
from chuishao.cases.models import Case
from chuishao.cases.scopes import acting_grant, actor_can_see_case
from chuishao.cases.transitions import TERMINAL
from chuishao.engagement.errors import (
    EngagementConflict,
    EngagementDenied,
    EngagementInvalid,
    EngagementNotFound,
)
from chuishao.engagement.models import (
    ACTIVE_CLAIM,
    OPEN_REGISTRATION,
    CapPeriod,
    Claim,
    ClaimStatus,
    EngagementPolicy,
    EntryKind,
    Grade,
    MemberEvaluation,
    Need,
    NeedKind,
    NeedStatus,
    PointEntry,
    PointRule,
    Project,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Resource,
    ServiceCentre,
    ServicePost,
    Task,
    TaskStatus,
    UnitMember,
)
from chuishao.engagement.scopes import manages, organises
from chuishao.events.services import event_append
from chuishao.geo.models import Jurisdiction
from chuishao.orgs.models import Organisation, OrgKind, Role
from chuishao.validation import clean_text

# How early before a task starts a member may check in, and how late after it ends they may check out.
CHECK_IN_EARLY = dt.timedelta(hours=1)
CHECK_OUT_LATE = dt.timedelta(hours=6)
MAX_TASK_HOURS = 12
HOURS = Decimal("0.01")
POINTS = Decimal("0.1")


def _event(verb: str, *, actor: Any, node: Jurisdiction, after: dict, reason: str = "") -> None:
    community = node.pk if node.kind in ("community", "street") else (node.community_id or node.pk)
    event_append(
        verb=verb,
        actor=actor,
        chain=f"engagement:{community}",
        city_id=node.city_id or node.pk,
        after=after,
        reason=reason,
    )


def _person(actor: Any) -> int:
    pk = actor_user_id(actor)
    if pk is None or not getattr(actor, "is_authenticated", False):
        raise EngagementDenied(_("Sign in first."))
    return pk


def _require_manager(actor: Any, node: Jurisdiction) -> None:
    if not manages(actor, node):
        raise EngagementDenied(
            _("Only the staff of %(node)s or the levels above may do this.") % {"node": node.name}
        )


def _text(value: str, what: str, limit: int) -> str:
    return clean_text(value, what, limit, error=EngagementInvalid)


# What "not found" says, by the model looked for.
NOT_FOUND = {
    Registration: lambda: _("No such registration."),
    Need: lambda: _("No such need."),
    Task: lambda: _("No such task."),
    Claim: lambda: _("No such service record."),
}


def _locked(model: Any, obj: Any, *related: str) -> Any:
    """The row of ``obj`` (an instance or a primary key) locked for this transaction, or not found."""
    pk = obj.pk if isinstance(obj, model) else obj
    row = model.objects.select_for_update().filter(pk=pk).select_related(*related).first()
    if row is None:
        raise EngagementNotFound(NOT_FOUND[model]())
    return row


def policy_of(node: Jurisdiction) -> EngagementPolicy | None:
    return EngagementPolicy.objects.filter(city_id=node.city_id or node.pk).first()


def _today() -> dt.date:
    return timezone.localdate(clock.now())


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------- registration


def _posts(codes: Iterable[ServicePost | str]) -> list[ServicePost]:
    wanted = [c.code if isinstance(c, ServicePost) else c for c in codes]
    found = {p.code: p for p in ServicePost.objects.filter(code__in=wanted, active=True)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise EngagementInvalid(_("No service post %(code)s.") % {"code": ", ".join(missing)})
    return [found[c] for c in wanted]


def _unit_serves(unit: Organisation, node: Jurisdiction) -> bool:
    """Whether the unit is confirmed with ``node`` or, for a community, with its street."""
    confirmed = set(
        Registration.objects.filter(
            kind=RegistrationKind.UNIT, unit=unit, status=RegistrationStatus.CONFIRMED
        ).values_list("node_id", flat=True)
    )
    return node.pk in confirmed or (node.kind == "community" and node.street_id in confirmed)


def open_registration(person_id: int) -> Registration | None:
    return (
        Registration.objects.filter(
            kind=RegistrationKind.MEMBER, person_id=person_id, status__in=OPEN_REGISTRATION
        )
        .select_related("node", "unit")
        .first()
    )


@transaction.atomic
def registration_submit_member(
    *, actor: Any, community: Jurisdiction, unit: Organisation, posts: Iterable[ServicePost | str]
) -> Registration:
    """An in-service party member registers with the community where they live (a move ends the old one)."""
    person_id = _person(actor)
    if community.kind != "community":
        raise EngagementInvalid(_("Members register with the community where they live."))
    if unit.kind != OrgKind.UNIT:
        raise EngagementInvalid(_("Name the unit you work for."))
    chosen = _posts(posts)
    if not chosen:
        raise EngagementInvalid(_("Choose at least one service post."))
    now = clock.now()
    previous = open_registration(person_id)
    if previous is not None:
        Registration.objects.filter(pk=previous.pk).update(
            status=RegistrationStatus.ENDED, ended_at=now, end_reason=f"moved to {community.code}"
        )
        _event(
            "engagement.registration_ended",
            actor=actor,
            node=previous.node,
            after={"registration": previous.pk, "moved_to": community.code},
        )
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                kind=RegistrationKind.MEMBER,
                node=community,
                person_id=person_id,
                unit=unit,
                status=RegistrationStatus.PENDING,
                registered_at=now,
                previous=previous,
            )
    except IntegrityError as exc:  # the same person registering twice at the same moment
        raise EngagementConflict(_("Your registration has just been received; reload the page.")) from exc
    registration.posts.set(chosen)
    _event(
        "engagement.registered",
        actor=actor,
        node=community,
        after={
            "registration": registration.pk,
            "kind": "member",
            "unit": unit.code,
            "posts": [p.code for p in chosen],
        },
    )
    return registration


@transaction.atomic
def registration_submit_unit(
    *, actor: Any, unit: Organisation, node: Jurisdiction, posts: Iterable[ServicePost | str] = ()
) -> Registration:
    """A unit's party organisation registers with the street or community where the unit sits."""
    if not organises(actor, unit.pk):
        raise EngagementDenied(_("Only the unit's party organiser may register it."))
    if node.kind not in ("street", "community"):
        raise EngagementInvalid(_("A unit registers with a street or a community."))
    party_org = Organisation.objects.filter(kind=OrgKind.PARTY_ORG, attached_unit=unit).first()
    if party_org is None:
        raise EngagementInvalid(_("The unit has no party organisation on record to register."))
    chosen = _posts(posts)
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                kind=RegistrationKind.UNIT,
                node=node,
                unit=unit,
                party_org=party_org,
                status=RegistrationStatus.PENDING,
                registered_at=clock.now(),
            )
    except IntegrityError as exc:
        raise EngagementConflict(
            _("%(unit)s is already registered with %(node)s.") % {"unit": unit.name, "node": node.name}
        ) from exc
    registration.posts.set(chosen)
    _event(
        "engagement.registered",
        actor=actor,
        node=node,
        after={"registration": registration.pk, "kind": "unit", "unit": unit.code},
    )
    return registration


@transaction.atomic
def registration_decide(
    *, actor: Any, registration: Registration | int, accept: bool, note: str = ""
) -> Registration:
    """The community (or a level above) confirms a registration or turns it down with a reason."""
    reg = _locked(Registration, registration, "node")
    _require_manager(actor, reg.node)
    if reg.status != RegistrationStatus.PENDING:
        raise EngagementConflict(_("This registration has already been decided."))
    note = (note or "").strip()
    if not accept and not note:
        raise EngagementInvalid(_("Say why the registration is not accepted."))
    now = clock.now()
    reg.status = RegistrationStatus.CONFIRMED if accept else RegistrationStatus.REJECTED
    reg.decided_at, reg.decided_by_id, reg.decision_note = now, actor_user_id(actor), note
    policy = policy_of(reg.node)
    if accept and policy and policy.reregister_months:
        reg.expires_on = _add_months(timezone.localdate(now), policy.reregister_months)
    reg.save()
    _event(
        "engagement.registration_confirmed" if accept else "engagement.registration_rejected",
        actor=actor,
        node=reg.node,
        after={"registration": reg.pk, "expires_on": reg.expires_on},
        reason=note,
    )
    return reg


@transaction.atomic
def registration_end(*, actor: Any, registration: Registration | int, reason: str) -> Registration:
    """The member (or the community) ends a registration; its service history stays."""
    reg = _locked(Registration, registration, "node")
    own = reg.person_id is not None and reg.person_id == actor_user_id(actor)
    if not (own or manages(actor, reg.node) or organises(actor, reg.unit_id)):
        raise EngagementDenied(_("This registration is not yours to end."))
    if reg.status not in OPEN_REGISTRATION:
        raise EngagementConflict(_("This registration has already ended."))
    reason = _text(reason, _("reason"), 500)
    reg.status, reg.ended_at, reg.end_reason = RegistrationStatus.ENDED, clock.now(), reason
    reg.save(update_fields=["status", "ended_at", "end_reason"])
    _event(
        "engagement.registration_ended",
        actor=actor,
        node=reg.node,
        after={"registration": reg.pk},
        reason=reason,
    )
    return reg


def registration_is_current(reg: Registration | None, today: dt.date | None = None) -> bool:
    """Confirmed and not lapsed under the city's re-registration rule."""
    if reg is None or reg.status != RegistrationStatus.CONFIRMED:
        return False
    return reg.expires_on is None or reg.expires_on >= (today or _today())


@transaction.atomic
def roster_add(*, actor: Any, unit: Organisation, person: Any) -> UnitMember:
    """A unit lists one of its in-service party members (so the report can flag those not registered)."""
    if not organises(actor, unit.pk):
        raise EngagementDenied(_("Only the unit's party organiser may keep its roster."))
    member, created = UnitMember.objects.get_or_create(
        unit=unit, person=person, defaults={"added_at": clock.now()}
    )
    if created:
        event_append(
            verb="engagement.roster_added",
            actor=actor,
            chain=f"engagement-unit:{unit.pk}",
            after={"unit": unit.code, "person": person.pk},
        )
    return member


# --------------------------------------------------------------------------------------- the three lists


@transaction.atomic
def need_post(
    *,
    actor: Any,
    node: Jurisdiction,
    title: str,
    description: str = "",
    post: ServicePost | None = None,
    kind: str = NeedKind.NEED,
) -> Need:
    """A community posts a need (open at once); anyone else's is a small wish awaiting approval."""
    person_id = _person(actor)
    if node.kind != "community":
        raise EngagementInvalid(_("Needs are posted to a community."))
    staff = manages(actor, node)
    if kind not in NeedKind.values:
        raise EngagementInvalid(_("Unknown kind of need."))
    need = Need.objects.create(
        node=node,
        kind=kind if staff else NeedKind.WISH,
        title=_text(title, _("title"), 120),
        description=(description or "").strip()[:2000],
        post=post,
        status=NeedStatus.OPEN if staff else NeedStatus.PROPOSED,
        posted_by_id=person_id,
        created_at=clock.now(),
    )
    _event(
        "engagement.need_posted",
        actor=actor,
        node=node,
        after={"need": need.pk, "kind": need.kind, "status": need.status},
    )
    return need


@transaction.atomic
def need_decide(*, actor: Any, need: Need | int, approve: bool, note: str = "") -> Need:
    """The community approves a small wish onto its needs list, or declines it with a reason."""
    row = _locked(Need, need, "node")
    _require_manager(actor, row.node)
    if row.status != NeedStatus.PROPOSED:
        raise EngagementConflict(_("This wish has already been decided."))
    note = (note or "").strip()
    if not approve and not note:
        raise EngagementInvalid(_("Say why the wish is declined."))
    row.status = NeedStatus.OPEN if approve else NeedStatus.DECLINED
    row.decided_by_id, row.decided_at, row.decision_note = actor_user_id(actor), clock.now(), note
    row.save()
    _event(
        "engagement.need_decided",
        actor=actor,
        node=row.node,
        after={"need": row.pk, "status": row.status},
        reason=note,
    )
    return row


@transaction.atomic
def need_close(*, actor: Any, need: Need | int, note: str = "") -> Need:
    row = _locked(Need, need, "node")
    _require_manager(actor, row.node)
    if row.status != NeedStatus.OPEN:
        raise EngagementConflict(_("Only an open need can be marked as met."))
    row.status = NeedStatus.DONE
    row.save(update_fields=["status"])
    _event("engagement.need_met", actor=actor, node=row.node, after={"need": row.pk}, reason=note)
    return row


@transaction.atomic
def resource_publish(
    *,
    actor: Any,
    unit: Organisation,
    node: Jurisdiction,
    title: str,
    capacity: int,
    description: str = "",
    post: ServicePost | None = None,
) -> Resource:
    """A unit offers something to a street or community it is registered with."""
    if not organises(actor, unit.pk):
        raise EngagementDenied(_("Only the unit's party organiser may publish its resources."))
    if not _unit_serves(unit, node):
        raise EngagementInvalid(
            _("%(unit)s is not registered with %(node)s.") % {"unit": unit.name, "node": node.name}
        )
    if capacity is None or capacity < 1:
        raise EngagementInvalid(_("Say how much the unit can offer (at least 1)."))
    resource = Resource.objects.create(
        unit=unit,
        node=node,
        title=_text(title, _("title"), 120),
        description=(description or "").strip()[:2000],
        post=post,
        capacity=capacity,
        created_by_id=_person(actor),
        created_at=clock.now(),
    )
    _event(
        "engagement.resource_published",
        actor=actor,
        node=node,
        after={"resource": resource.pk, "unit": unit.code},
    )
    return resource


@transaction.atomic
def project_create(
    *,
    actor: Any,
    node: Jurisdiction,
    title: str,
    goal: str,
    owner: Organisation,
    starts_on: dt.date,
    ends_on: dt.date,
    need: Need | None = None,
    resource: Resource | None = None,
) -> Project:
    """A project matches a need with a resource; a unit owns it."""
    _require_manager(actor, node)
    if owner.kind != OrgKind.UNIT:
        raise EngagementInvalid(_("A project is owned by a unit."))
    if ends_on < starts_on:
        raise EngagementInvalid(_("A project ends after it starts."))
    if need is not None and need.node_id != node.pk:
        raise EngagementInvalid(_("The need belongs to another community."))
    if not _unit_serves(owner, node):
        raise EngagementInvalid(
            _("%(unit)s is not registered with %(node)s.") % {"unit": owner.name, "node": node.name}
        )
    if resource is not None and (
        resource.unit_id != owner.pk or resource.node_id not in (node.pk, node.street_id)
    ):
        raise EngagementInvalid(_("The resource belongs to another unit or place."))
    project = Project.objects.create(
        node=node,
        title=_text(title, _("title"), 120),
        goal=_text(goal, _("goal"), 2000),
        owner=owner,
        need=need,
        resource=resource,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by_id=_person(actor),
        created_at=clock.now(),
    )
    _event(
        "engagement.project_created",
        actor=actor,
        node=node,
        after={"project": project.pk, "owner": owner.code},
    )
    return project


# --------------------------------------------------------------------------------------------- tasks


def _task_fields(title: str, starts_at: dt.datetime, ends_at: dt.datetime, capacity: int, place: str) -> dict:
    if ends_at <= starts_at:
        raise EngagementInvalid(_("A task ends after it starts."))
    if ends_at - starts_at > dt.timedelta(hours=MAX_TASK_HOURS):
        raise EngagementInvalid(
            _("A task lasts at most %(n)s hours; split longer service.") % {"n": MAX_TASK_HOURS}
        )
    if capacity is None or not 1 <= capacity <= 500:
        raise EngagementInvalid(_("A task takes between 1 and 500 people."))
    return {
        "title": _text(title, _("title"), 120),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "capacity": capacity,
        "place": _text(place, _("place"), 200),
    }


@transaction.atomic
def task_create(
    *,
    actor: Any,
    node: Jurisdiction,
    title: str,
    post: ServicePost,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    place: str,
    description: str = "",
    need: Need | None = None,
    project: Project | None = None,
    centre: ServiceCentre | None = None,
    lat: float | None = None,
    lng: float | None = None,
) -> Task:
    """The community issues a task (from a need, a project or on its own) for members to claim."""
    _require_manager(actor, node)
    if node.kind != "community":
        raise EngagementInvalid(_("Tasks are issued by a community."))
    if need is not None and (need.node_id != node.pk or need.status != NeedStatus.OPEN):
        raise EngagementInvalid(_("Tasks can only be made from an open need of this community."))
    if project is not None and project.node_id != node.pk:
        raise EngagementInvalid(_("The project belongs to another community."))
    if centre is not None and centre.node_id not in (node.pk, node.street_id):
        raise EngagementInvalid(_("The service centre belongs to another community or street."))
    fields = _task_fields(title, starts_at, ends_at, capacity, place)
    if centre is not None and lat is None:
        lat, lng = centre.lat, centre.lng
    task = Task.objects.create(
        node=node,
        post=post,
        need=need,
        project=project,
        centre=centre,
        description=(description or "").strip()[:2000],
        lat=lat,
        lng=lng,
        created_by_id=_person(actor),
        created_at=clock.now(),
        **fields,
    )
    _event(
        "engagement.task_created",
        actor=actor,
        node=node,
        after={"task": task.pk, "need": need.pk if need else None, "capacity": capacity},
    )
    return task


VOLUNTEER_ROLES = frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF})


def task_from_case_allowed(actor: Any, case: Case) -> bool:
    """Whether the actor may turn this case into volunteer work (its grid worker or community, while open)."""
    return case.status not in TERMINAL and acting_grant(actor, case, VOLUNTEER_ROLES) is not None


def task_from_case(
    *,
    actor: Any,
    case: Case | int,
    title: str,
    post: ServicePost,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    place: str = "",
) -> Task:
    """A grid worker or the community turns a light case into volunteer work; the case's timeline says so."""
    pk = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        locked = Case.objects.select_for_update().filter(pk=pk).first()
        if locked is None or not actor_can_see_case(actor, locked):
            raise EngagementNotFound(_("No case %(ref)s that you can see.") % {"ref": pk})
        if acting_grant(actor, locked, VOLUNTEER_ROLES) is None:
            raise EngagementDenied(
                _("Only the grid worker or the community may turn a case into volunteer work.")
            )
        if locked.status in TERMINAL:
            raise EngagementConflict(_("Case %(number)s is finished.") % {"number": locked.number})
        if locked.community_id is None:
            raise EngagementInvalid(_("The case lies in no community."))
        node = Jurisdiction.objects.get(pk=locked.community_id)
        # The resident's words and address stay with the case: volunteers and the public calendar get
        # what staff write, and the community's name when they name no place.
        fields = _task_fields(title, starts_at, ends_at, capacity, place or node.name)
        task = Task.objects.create(
            node=node,
            post=post,
            case=locked,
            created_by_id=_person(actor),
            created_at=clock.now(),
            **fields,
        )
        event_append(
            verb="case.volunteer_task",
            actor=actor,
            case=locked,
            after={
                "task_id": task.pk,
                "title": task.title,
                "starts_at": task.starts_at,
                "capacity": capacity,
            },
        )
        _event("engagement.task_created", actor=actor, node=node, after={"task": task.pk, "case": locked.pk})
    return task


@transaction.atomic
def task_cancel(*, actor: Any, task: Task | int, reason: str) -> Task:
    row = _locked(Task, task, "node")
    _require_manager(actor, row.node)
    if row.status != TaskStatus.OPEN:
        raise EngagementConflict(_("This task is no longer open."))
    reason = _text(reason, _("reason"), 500)
    Claim.objects.filter(task=row, status=ClaimStatus.CLAIMED).update(status=ClaimStatus.WITHDRAWN)
    row.status, row.claimed = (
        TaskStatus.CANCELLED,
        Claim.objects.filter(task=row, status__in=ACTIVE_CLAIM).count(),
    )
    row.save(update_fields=["status", "claimed"])
    _event("engagement.task_cancelled", actor=actor, node=row.node, after={"task": row.pk}, reason=reason)
    return row


# --------------------------------------------------------------------------------------------- claims


def claim_task(*, actor: Any, task: Task | int) -> Claim:
    """A registered member takes a place on a task; the last place goes to exactly one of them."""
    person_id = _person(actor)
    with transaction.atomic():
        row = _locked(Task, task, "node")
        reg = open_registration(person_id)
        if not registration_is_current(reg):
            raise EngagementDenied(_("Register with your community, and be confirmed, before taking tasks."))
        assert reg is not None
        if reg.node_id != row.node_id:
            raise EngagementDenied(
                _("This task belongs to another community than the one you registered with.")
            )
        if row.status != TaskStatus.OPEN or row.ends_at <= clock.now():
            raise EngagementConflict(_("This task is no longer open."))
        if Claim.objects.filter(task=row, person_id=person_id).exclude(status=ClaimStatus.WITHDRAWN).exists():
            raise EngagementConflict(_("You have already taken a place on this task."))
        # A conditional UPDATE: under concurrent claims the database lets it through capacity times only.
        taken = Task.objects.filter(pk=row.pk, claimed__lt=F("capacity")).update(claimed=F("claimed") + 1)
        if not taken:
            raise EngagementConflict(_("Every place on this task has been taken."))
        claim = Claim.objects.create(
            task=row,
            person_id=person_id,
            registration=reg,
            status=ClaimStatus.CLAIMED,
            claimed_at=clock.now(),
        )
        _event("engagement.claimed", actor=actor, node=row.node, after={"task": row.pk, "claim": claim.pk})
    return claim


def _own_claim(actor: Any, pk: int) -> Claim:
    claim = Claim.objects.select_for_update().filter(pk=pk).select_related("task", "task__node").first()
    if claim is None or claim.person_id != actor_user_id(actor):
        raise EngagementNotFound(_("No such place of yours."))
    return claim


@transaction.atomic
def claim_withdraw(*, actor: Any, claim: Claim | int) -> Claim:
    row = _own_claim(actor, claim.pk if isinstance(claim, Claim) else claim)
    if row.status != ClaimStatus.CLAIMED:
        raise EngagementConflict(_("You can only withdraw before you check in."))
    if clock.now() >= row.task.starts_at:
        # Past the start a missing member is for the organiser to record, not to be erased.
        raise EngagementConflict(_("The task has started: you can no longer give the place back."))
    row.status = ClaimStatus.WITHDRAWN
    row.save(update_fields=["status"])
    Task.objects.filter(pk=row.task_id, claimed__gt=0).update(claimed=F("claimed") - 1)
    _event("engagement.withdrawn", actor=actor, node=row.task.node, after={"claim": row.pk})
    return row


def _position(lat: float | None, lng: float | None) -> tuple[float | None, float | None]:
    if lat is None and lng is None:
        return None, None
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise EngagementInvalid(_("A position needs a latitude (−90…90) and a longitude (−180…180)."))
    return lat, lng


@transaction.atomic
def claim_check_in(
    *, actor: Any, claim: Claim | int, lat: float | None = None, lng: float | None = None
) -> Claim:
    row = _own_claim(actor, claim.pk if isinstance(claim, Claim) else claim)
    if row.status != ClaimStatus.CLAIMED:
        raise EngagementConflict(_("You have already checked in."))
    now = clock.now()
    if now < row.task.starts_at - CHECK_IN_EARLY:
        raise EngagementInvalid(_("Check-in opens an hour before the task starts."))
    if now > row.task.ends_at:
        raise EngagementInvalid(_("The task has ended; ask the organiser to record your service."))
    row.in_lat, row.in_lng = _position(lat, lng)
    row.status, row.checked_in_at = ClaimStatus.CHECKED_IN, now
    row.save()
    _event(
        "engagement.checked_in",
        actor=actor,
        node=row.task.node,
        after={"claim": row.pk, "lat": row.in_lat, "lng": row.in_lng},
    )
    return row


def _hours_between(start: dt.datetime, end: dt.datetime) -> Decimal:
    seconds = max((end - start).total_seconds(), 0)
    return (Decimal(seconds) / Decimal(3600)).quantize(HOURS, rounding=ROUND_HALF_UP)


@transaction.atomic
def claim_check_out(
    *, actor: Any, claim: Claim | int, note: str = "", lat: float | None = None, lng: float | None = None
) -> Claim:
    row = _own_claim(actor, claim.pk if isinstance(claim, Claim) else claim)
    if row.status != ClaimStatus.CHECKED_IN:
        raise EngagementConflict(_("Check in before you check out."))
    now = clock.now()
    if now > row.task.ends_at + CHECK_OUT_LATE:
        raise EngagementInvalid(_("Check-out has closed; ask the organiser to record your service."))
    row.out_lat, row.out_lng = _position(lat, lng)
    row.status, row.checked_out_at = ClaimStatus.CHECKED_OUT, now
    # Hours count only within the task's time.
    row.hours = _hours_between(max(row.checked_in_at, row.task.starts_at), min(now, row.task.ends_at))
    row.note = (note or "").strip()[:1000]
    row.save()
    _event(
        "engagement.checked_out", actor=actor, node=row.task.node, after={"claim": row.pk, "hours": row.hours}
    )
    return row


def claim_confirm(
    *, actor: Any, claim: Claim | int, hours: Decimal | float | str | None = None, note: str = ""
) -> Claim:
    """The organiser confirms the service (hours as checked, or as corrected) and points are awarded."""
    with transaction.atomic():
        row = _locked(Claim, claim, "task", "task__node", "task__post", "registration")
        _require_manager(actor, row.task.node)
        if row.status not in (ClaimStatus.CLAIMED, ClaimStatus.CHECKED_IN, ClaimStatus.CHECKED_OUT):
            raise EngagementConflict(_("This service record has already been decided."))
        limit = _hours_between(row.task.starts_at, row.task.ends_at)
        if hours in (None, ""):
            if row.hours is None:
                raise EngagementInvalid(_("The member has not checked out; write the hours served."))
            served = row.hours
        else:
            try:
                served = Decimal(str(hours))
                if not served.is_finite():
                    raise ArithmeticError
                served = served.quantize(HOURS, rounding=ROUND_HALF_UP)
            except ArithmeticError as exc:
                raise EngagementInvalid(_("Hours must be a number.")) from exc
        if not Decimal(0) < served <= limit:
            raise EngagementInvalid(
                _("Hours must be more than 0 and at most the task's %(n)s.") % {"n": limit}
            )
        row.hours, row.status = served, ClaimStatus.CONFIRMED
        row.confirmed_by_id, row.confirmed_at = actor_user_id(actor), clock.now()
        if note.strip():
            row.note = (row.note + "\n" if row.note else "") + note.strip()[:1000]
        row.save()
        entries = _award(actor, row)
        _event(
            "engagement.service_confirmed",
            actor=actor,
            node=row.task.node,
            after={"claim": row.pk, "hours": served, "points": sum((e.points for e in entries), Decimal(0))},
            reason=note,
        )
    return row


@transaction.atomic
def claim_not_served(*, actor: Any, claim: Claim | int, reason: str) -> Claim:
    row = _locked(Claim, claim, "task", "task__node")
    _require_manager(actor, row.task.node)
    if row.status not in (ClaimStatus.CLAIMED, ClaimStatus.CHECKED_IN, ClaimStatus.CHECKED_OUT):
        raise EngagementConflict(_("This service record has already been decided."))
    reason = _text(reason, _("reason"), 500)
    row.status = ClaimStatus.NOT_SERVED
    row.save(update_fields=["status"])
    Task.objects.filter(pk=row.task_id, claimed__gt=0).update(claimed=F("claimed") - 1)
    _event("engagement.not_served", actor=actor, node=row.task.node, after={"claim": row.pk}, reason=reason)
    return row


# --------------------------------------------------------------------------------------------- points


def period_bounds(day: dt.date, period: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of the cap period holding ``day`` (None: no cap period)."""
    if period == CapPeriod.MONTH:
        first = day.replace(day=1)
        return first, _add_months(first, 1) - dt.timedelta(days=1)
    if period == CapPeriod.QUARTER:
        first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return first, _add_months(first, 3) - dt.timedelta(days=1)
    if period == CapPeriod.YEAR:
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    return None


def _award(actor: Any, claim: Claim) -> list[PointEntry]:
    """Apply every active rule of the city to a confirmed claim; caps count the member's earlier points."""
    task, node = claim.task, claim.task.node
    served_on = timezone.localdate(task.starts_at)
    # Caps count the member's earlier points: confirmations of one member wait for each other here.
    Registration.objects.select_for_update().filter(pk=claim.registration_id).first()
    rules = PointRule.objects.filter(city_id=node.city_id or node.pk, active=True).filter(
        Q(post__isnull=True) | Q(post_id=task.post_id)
    )
    entries = []
    hours = claim.hours or Decimal(0)
    for rule in rules:
        points = (rule.per_task + rule.per_hour * hours).quantize(POINTS, rounding=ROUND_HALF_UP)
        bounds = period_bounds(served_on, rule.cap_period)
        if rule.cap is not None:
            earned = Decimal(0)
            if bounds is not None:
                earned = PointEntry.objects.filter(
                    person_id=claim.person_id, rule=rule, served_on__range=bounds
                ).aggregate(s=Sum("points"))["s"] or Decimal(0)
            points = min(points, max(rule.cap - earned, Decimal(0)))
        if points <= 0:
            continue
        entry = PointEntry(
            person_id=claim.person_id,
            kind=EntryKind.AWARD,
            points=points,
            claim=claim,
            rule=rule,
            node=node,
            unit_id=claim.registration.unit_id,
            served_on=served_on,
            reason=rule.name,
            created_at=clock.now(),
            created_by_id=actor_user_id(actor),
        )
        entry.save()
        entries.append(entry)
    return entries


@transaction.atomic
def points_correct(
    *, actor: Any, entry: PointEntry | int, points: Decimal | float | str, reason: str
) -> PointEntry:
    """Correct a ledger line by appending another (the original is never changed)."""
    pk = entry.pk if isinstance(entry, PointEntry) else entry
    original = PointEntry.objects.filter(pk=pk).select_related("node").first()
    if original is None:
        raise EngagementNotFound(_("No such ledger entry."))
    _require_manager(actor, original.node)
    reason = _text(reason, _("reason"), 500)
    try:
        delta = Decimal(str(points)).quantize(POINTS, rounding=ROUND_HALF_UP)
    except ArithmeticError as exc:
        raise EngagementInvalid(_("Points must be a number.")) from exc
    if delta == 0:
        raise EngagementInvalid(_("A correction changes the points by something other than 0."))
    entry_new = PointEntry(
        person_id=original.person_id,
        kind=EntryKind.CORRECTION,
        points=delta,
        claim_id=original.claim_id,
        rule_id=original.rule_id,
        corrects=original,
        node=original.node,
        unit_id=original.unit_id,
        served_on=original.served_on,
        reason=reason,
        created_at=clock.now(),
        created_by_id=actor_user_id(actor),
    )
    entry_new.save()
    _event(
        "engagement.points_corrected",
        actor=actor,
        node=original.node,
        after={"entry": entry_new.pk, "corrects": original.pk, "points": delta},
        reason=reason,
    )
    return entry_new


# ---------------------------------------------------------------------------------- evaluation, centres


@transaction.atomic
def member_evaluate(
    *, actor: Any, registration: Registration, year: int, grade: str, note: str = ""
) -> MemberEvaluation:
    """The community grades a member's year of service (reported to the member's unit)."""
    node = registration.node
    _require_manager(actor, node)
    if registration.kind != RegistrationKind.MEMBER:
        raise EngagementInvalid(_("Only members are evaluated."))
    if grade not in Grade.values:
        raise EngagementInvalid(_("Choose a grade."))
    if not 2000 <= year <= 2100:
        raise EngagementInvalid(_("Choose a year between 2000 and 2100."))
    if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.ENDED):
        raise EngagementInvalid(_("Only members whose registration was confirmed are evaluated."))
    before = MemberEvaluation.objects.filter(person_id=registration.person_id, node=node, year=year).first()
    values = {
        "grade": grade,
        "note": (note or "").strip()[:1000],
        "decided_by_id": actor_user_id(actor),
        "decided_at": clock.now(),
    }
    evaluation, _created = MemberEvaluation.objects.update_or_create(
        person_id=registration.person_id, node=node, year=year, defaults=values
    )
    _event(
        "engagement.member_evaluated",
        actor=actor,
        node=node,
        after={
            "person": registration.person_id,
            "year": year,
            "grade": grade,
            "before": before.grade if before else None,
        },
        reason=note,
    )
    return evaluation


@transaction.atomic
def centre_upsert(
    *,
    actor: Any,
    node: Jurisdiction,
    name: str,
    address: str,
    lat: float,
    lng: float,
    opening_hours: str,
    services: list[str],
    name_en: str = "",
    phone: str = "",
) -> ServiceCentre:
    """Add or update a party and community service centre (党群服务中心) of a street or community."""
    _require_manager(actor, node)
    if node.kind not in ("street", "community"):
        raise EngagementInvalid(_("A service centre belongs to a street or a community."))
    lat, lng = _position(lat, lng)
    if lat is None:
        raise EngagementInvalid(_("Put the centre on the map."))
    centre, _created = ServiceCentre.objects.update_or_create(
        node=node,
        name=_text(name, _("name"), 120),
        defaults={
            "name_en": name_en,
            "address": _text(address, _("address"), 200),
            "lat": lat,
            "lng": lng,
            "opening_hours": _text(opening_hours, _("opening hours"), 200),
            "services": [s.strip() for s in services if s.strip()],
            "phone": phone,
        },
    )
    _event(
        "engagement.centre_saved", actor=actor, node=node, after={"centre": centre.pk, "name": centre.name}
    )
    return centre
